"""The keys allowed to log in over SSH: read as sshd reads them, added, renamed and revoked in the managed file
without touching lines the user wrote there by hand."""

import stat

import pytest

from workbench.facts import ssh_keys

# ssh-keygen -t ed25519 -C alice@laptop; ssh-keygen -lf says SHA256:LPazIzZDuxyTtcCVta08kVjzeOPNXpYA8HaQKKwahe8
ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOzm8rr7lRGQyZb10vIMmBtl2bmID9pAf5pVaWAR5mel alice@laptop"
ALICE_FINGERPRINT = "SHA256:LPazIzZDuxyTtcCVta08kVjzeOPNXpYA8HaQKKwahe8"
# An ed25519 type word in front of data that is not an ed25519 key (the blob of a made-up "ssh-dss" key).
MISLABELLED = "ssh-ed25519 AAAAB3NzaC1kc3MAAAAA x"


def test_a_key_line_reads_as_ssh_keygen_reads_it():
    key = ssh_keys.parse_public_key(ALICE)
    assert (key.kind, key.name, key.fingerprint) == ("ssh-ed25519", "alice@laptop", ALICE_FINGERPRINT)
    assert key.line() == ALICE.replace("alice@laptop", "workbench:alice@laptop")
    assert ssh_keys.parse_public_key(key.line()).name == "alice@laptop"  # our own prefix is not part of the name


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "not an OpenSSH public key"),
        ("ssh-foo AAAA x", "not an OpenSSH public key"),
        ("ssh-ed25519 not*base64 x", "base64 part is damaged"),
        (MISLABELLED, "not a ssh-ed25519 key"),
    ],
)
def test_what_sshd_would_not_read_is_refused_with_the_reason(text, problem):
    with pytest.raises(ssh_keys.KeyProblem, match=problem):
        ssh_keys.parse_public_key(text)


def test_a_comment_becomes_a_safe_name_and_a_given_name_is_checked():
    assert ssh_keys.parse_public_key(ALICE.replace("alice@laptop", "Alice's laptop (work)")).name == (
        "Alice-s-laptop--work-"
    )
    assert ssh_keys.parse_public_key(ALICE.rsplit(" ", 1)[0]).name == "key"
    with pytest.raises(ssh_keys.KeyProblem, match="1-64 characters"):
        ssh_keys.parse_public_key(ALICE, name="a b")


def test_keys_are_added_once_renamed_on_a_second_add_and_revoked_by_name_or_fingerprint(tmp_path):
    managed = tmp_path / "ssh" / "authorized_keys"
    ssh_keys.add_key(ssh_keys.parse_public_key(ALICE), managed)
    ssh_keys.add_key(ssh_keys.parse_public_key(ALICE, name="renamed"), managed)
    assert [key.name for key in ssh_keys.list_keys(managed)] == ["renamed"]
    assert stat.S_IMODE(managed.stat().st_mode) == 0o600 and stat.S_IMODE(managed.parent.stat().st_mode) == 0o700
    assert [key.name for key in ssh_keys.revoke_key("renamed", managed)] == ["renamed"]
    ssh_keys.add_key(ssh_keys.parse_public_key(ALICE), managed)
    assert [key.fingerprint for key in ssh_keys.revoke_key(ALICE_FINGERPRINT, managed)] == [ALICE_FINGERPRINT]
    assert ssh_keys.list_keys(managed) == [] and ssh_keys.revoke_key("nobody", managed) == []


def test_lines_the_user_wrote_by_hand_stay_as_they_are(tmp_path):
    managed = tmp_path / "authorized_keys"
    own = 'from="10.0.0.0/8" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOzm8rr7lRGQyZb10vIMmBtl2bmID9pAf5pVaWAR5mel'
    managed.write_text(f"# mine\n{own}\n")
    ssh_keys.add_key(ssh_keys.parse_public_key(ALICE, name="a"), managed)
    ssh_keys.revoke_key("a", managed)
    assert managed.read_text() == f"# mine\n{own}\n"


def test_a_list_of_keys_skips_blank_lines_and_comments_and_stops_at_a_bad_one():
    assert [key.name for key in ssh_keys.parse_key_list(f"\n# team keys\n{ALICE}\n")] == ["alice@laptop"]
    with pytest.raises(ssh_keys.KeyProblem):
        ssh_keys.parse_key_list(f"{ALICE}\nnot a key\n")
