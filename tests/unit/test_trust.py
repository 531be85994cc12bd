"""Certificate authorities added at start (workbench/contracts/trust.py): which files count, what a bad one says, and
where
the clients are pointed. (Adding to the system's store runs update-ca-certificates as root: the container test's.)"""

import pytest

from workbench.contracts import trust
from workbench.contracts.settings import ConfigError, load
from workbench.facts import paths

SYSTEM_CERTIFICATES = trust.PEM_CERTIFICATE.findall(trust.SYSTEM_BUNDLE.read_text())
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
BROKEN = "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"


def test_a_file_gives_every_certificate_in_it(tmp_path):
    bundle = tmp_path / "corporate.pem"
    bundle.write_text("Subject: our proxy\n" + "\n".join(SYSTEM_CERTIFICATES[:3]) + "\n")
    assert trust.read_certificates(bundle, "WORKSPACE_CA_CERTS") == SYSTEM_CERTIFICATES[:3]


def test_a_folder_gives_its_pem_crt_and_cer_files_in_name_order(tmp_path):
    for name, certificate in (("b.crt", 1), ("a.pem", 0), ("c.cer", 2)):
        (tmp_path / name).write_text(SYSTEM_CERTIFICATES[certificate])
    (tmp_path / ".hidden.pem").write_text(BROKEN)  # Kubernetes' ..data and editors' files
    (tmp_path / "README.txt").write_text("not a certificate")
    assert trust.read_certificates(tmp_path, "WORKSPACE_CA_CERTS") == SYSTEM_CERTIFICATES[:3]


@pytest.mark.parametrize(
    ("name", "content", "fault"),
    [
        ("missing.pem", None, "WORKSPACE_CA_CERTS='{path}' is not valid: no such file or folder in the container"),
        ("empty.pem", "", "WORKSPACE_CA_CERTS: {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
        ("key.pem", PRIVATE_KEY, "WORKSPACE_CA_CERTS: {path} holds no PEM certificate"),
        ("broken.pem", BROKEN, "WORKSPACE_CA_CERTS: certificate 1 in {path} is not valid ("),
        ("binary.der", b"\x30\x82\x01\xff", "WORKSPACE_CA_CERTS: {path} cannot be read as PEM text ("),
    ],
)
def test_each_bad_file_is_one_line_that_names_it(tmp_path, name, content, fault):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(trust.TrustError) as refused:
        trust.read_certificates(path, "WORKSPACE_CA_CERTS")
    assert str(refused.value).startswith(fault.format(path=path)) and "\n" not in str(refused.value)


def test_a_folder_without_certificate_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(trust.TrustError, match="holds no .pem, .crt or .cer file"):
        trust.read_certificates(tmp_path, "WORKSPACE_CA_CERTS")


def test_without_root_the_bundle_is_the_systems_and_the_added_ones(tmp_path):
    bundle = trust.write_own_bundle(SYSTEM_CERTIFICATES[:1], tmp_path)
    assert bundle.parent == tmp_path
    assert trust.PEM_CERTIFICATE.findall(bundle.read_text()) == SYSTEM_CERTIFICATES + SYSTEM_CERTIFICATES[:1]


def test_every_client_is_pointed_at_the_bundle_unless_the_user_chose_one():
    environ = {"REQUESTS_CA_BUNDLE": "/mine.pem"}
    trust.point_clients(paths.RUN_DIR / "ca-certificates.crt", environ)
    assert environ.pop("REQUESTS_CA_BUNDLE") == "/mine.pem"
    others = [name for name in trust.BUNDLE_VARIABLES if name != "REQUESTS_CA_BUNDLE"]
    assert environ == dict.fromkeys(others, f"{paths.RUN_DIR}/ca-certificates.crt")


def test_nothing_asked_and_nothing_mounted_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "EXTRA_CA_DIR", tmp_path / "not-mounted")
    environ = {}
    assert trust.trust(None, environ) == 0 and environ == {}
    (tmp_path / "not-mounted").mkdir()
    assert trust.trust(None, environ) == 0 and environ == {}


def test_the_variable_must_be_an_absolute_path():
    assert load({"WORKSPACE_CA_CERTS": "/certs/corp.pem"}).ca_certs == "/certs/corp.pem"
    assert load({"WORKSPACE_CA_CERTS": ""}).ca_certs is None
    with pytest.raises(ConfigError, match="must be the absolute path of a PEM file or folder"):
        load({"WORKSPACE_CA_CERTS": "certs/corp.pem"})
