"""The workspace account (workbench/start/account.py): what a start as another user may ask, whether /workspace is
writable, and whose files follow a renumbered account. These need root (CI runs as root), as the start does."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from pathlib import Path

import pytest

from workbench.contracts.settings import load
from workbench.facts import paths
from workbench.start import account

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changes owners and user ids, as the start does as root")

NOBODY = account.Account("nobody", 65534, 65534, Path("/nonexistent"))


def as_uid(uid: int, gid: int, function):
    """function()'s result, or the message of the AccountError it raised, in a child process running as uid/gid."""
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            try:
                outcome = function()
            except account.AccountError as error:
                outcome = f"AccountError: {error}"
            os.write(writing, pickle.dumps(outcome))
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as answer:
        data = answer.read()
    os.waitpid(child, 0)
    return pickle.loads(data)


def test_started_as_another_user_the_settings_must_match_that_user():
    settings = load({"NB_USER": "nobody", "NB_UID": "65534", "NB_GID": "65534"})
    assert as_uid(65534, 65534, lambda: account.current_account(settings)) == NOBODY
    assert as_uid(65534, 65534, lambda: account.current_account(load({}))) == (
        "AccountError: NB_USER=jovyan cannot be applied: the container was started as nobody (uid 65534); start it "
        "as root (the default) to change the account"
    )
    asks_sudo = load({"NB_USER": "nobody", "NB_UID": "65534", "GRANT_SUDO": "yes"})
    assert as_uid(65534, 65534, lambda: account.current_account(asks_sudo)).startswith(
        "AccountError: GRANT_SUDO=yes cannot be applied: the container was started as non-root"
    )


@pytest.mark.parametrize("gid", [0, 4242])
def test_a_uid_without_an_account_is_lent_one_with_a_home_it_can_write(gid):
    lent = as_uid(4242, gid, lambda: account.current_account(load({"NB_UID": "1000", "NB_GID": "100"})))
    writable_image_home = os.access(paths.IMAGE_HOME, os.W_OK)  # the image's home is not, for uid 4242
    assert lent == account.Account(
        "jovyan", 4242, gid, Path("/tmp/workbench-home-4242") if not writable_image_home else paths.IMAGE_HOME, True
    )
    named = as_uid(4242, gid, lambda: account.current_account(load({"NB_USER": "ada", "NB_UID": "4242"})))
    assert (named.name, named.uid) == ("ada", 4242)


@pytest.mark.parametrize("variable", ["NB_UID", "NB_GID"])
def test_a_uid_without_an_account_cannot_ask_for_other_ids(variable):
    assert as_uid(4242, 4242, lambda: account.current_account(load({variable: "5000"}))) == (
        f"AccountError: {variable}=5000 cannot be applied: the container was started as uid 4242, gid 4242; start it "
        "as root (the default) to change the account"
    )


@pytest.fixture
def workspace_dir(monkeypatch):
    """A /workspace that others may reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(dir="/tmp", prefix="workspace-"))
    folder.chmod(0o755)
    monkeypatch.setattr(paths, "WORKSPACE_DIR", folder)
    yield folder
    shutil.rmtree(folder)


def test_a_workspace_the_user_cannot_write_stops_the_start_with_the_fix(workspace_dir):
    with pytest.raises(account.AccountError) as refused:
        account.check_workspace_writable(NOBODY)
    assert str(refused.value) == (
        f"{workspace_dir} (owned by uid 0, gid 0) is not writable by nobody (uid 65534, gid 65534); on the host, run "
        "'chown 65534:65534 <folder>', or mount a folder of its own (mkdir -p work && chown 65534:65534 work, then "
        '-v "$PWD/work:/workspace")'
    )
    os.chown(workspace_dir, 1000, 100)
    with pytest.raises(account.AccountError, match="or start with -e NB_UID=1000 to become the folder's owner$"):
        account.check_workspace_writable(NOBODY)
    os.chown(workspace_dir, 65534, 65534)
    account.check_workspace_writable(NOBODY)


def owner(path: Path) -> tuple[int, int]:
    info = path.lstat()
    return info.st_uid, info.st_gid


def test_the_image_files_of_the_home_follow_a_renumbered_account_and_mounted_ones_do_not(tmp_path):
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "settings.json").write_text("{}")
    (home / "work" / "data").mkdir(parents=True)  # mounted: -v "$PWD":/home/jovyan/work
    (home / "mounted.txt").write_text("mounted file")
    (home / "root-owned").write_text("")
    (home / "link").symlink_to("/etc/passwd")
    for path in [home, *home.rglob("*")]:
        os.lchown(path, 1000, 100)
    os.chown(home / "root-owned", 0, 0)
    os.chown(home / ".config" / "settings.json", 1000, 0)
    mounts = {home / "work", home / "mounted.txt"}
    account.give_image_files(home, (1000, 100), (1234, 1500), mounts)
    assert owner(home) == owner(home / ".config") == owner(home / "link") == (1234, 1500)
    assert owner(home / ".config" / "settings.json") == (1234, 0)  # the group was not the account's
    assert owner(home / "root-owned") == (0, 0)
    assert owner(home / "work") == owner(home / "work" / "data") == owner(home / "mounted.txt") == (1000, 100)
    assert owner(Path("/etc/passwd")) == (0, 0)  # a link is changed, never what it points to


def test_a_mounted_home_keeps_every_owner(tmp_path):
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    for path in (home, home / "notes"):
        os.chown(path, 1000, 100)
    account.give_image_files(home, (1000, 100), (1234, 1500), {home})
    assert owner(home) == owner(home / "notes") == (1000, 100)
