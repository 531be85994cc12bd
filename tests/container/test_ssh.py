"""SSH on port 8080, as a user's machine uses it: the OpenSSH client on this host set up only by the workspace's
setup command (run with a fresh HOME), then a shell, SFTP, a tunnel and a remote Jupyter kernel."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from ssh_client import SshClient
from workbench.facts import paths
from workbench_client import free_port, wait_for_tool, wait_until

pytestmark = pytest.mark.container

TEST_BIN = Path(sys.executable).parent  # the test venv: sshpyk and jupyter_client, as a client would install them


def client_of(home: Path, workspace) -> SshClient:
    """A user's machine for this workspace, with sshpyk and jupyter_client as a client would install them."""
    alias = f"workbench-127.0.0.1-{workspace.host_port}"
    return SshClient(home, alias, workspace.url, workspace.token, extra_path=TEST_BIN)


@pytest.fixture
def client(short_home, workspace) -> SshClient:
    set_up = client_of(short_home, workspace)
    result = set_up.setup()
    assert result.returncode == 0, result.stderr
    assert f"ssh {set_up.alias}" in result.stdout
    yield set_up
    # The ControlMaster connection the host entry keeps open for ten minutes.
    set_up.ssh("-O", "exit", set_up.alias)


def test_setup_command_gives_a_working_ssh_host_and_http_keeps_working(client, workspace):
    result = client.ssh(client.alias, "whoami; echo ok; command -v python; echo $DISPLAY; pwd")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["jovyan", "ok", str(paths.VENV_PYTHON), ":1", "/home/jovyan"]
    # An interactive session stays open while the web keeps answering on the same port.
    session = subprocess.Popen(
        ["ssh", "-F", str(client.config), "-o", "ControlMaster=no", client.alias, "echo open; sleep 60"],
        env=client.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert session.stdout.readline() == "open\n"
        assert workspace.get("healthz").text == "ok\n"
        lab = workspace.get("lab")
        assert lab.status_code == 200 and "<title>JupyterLab</title>" in lab.text
    finally:
        session.kill()
        session.wait()


def test_setup_pins_the_host_keys_and_writes_one_host_entry(client):
    known = (client.home / ".ssh" / "workbench_known_hosts").read_text().splitlines()
    assert [line.split()[:2] for line in known] == [
        [client.alias, "ssh-ed25519"],
        [client.alias, "ecdsa-sha2-nistp256"],
    ]
    assert client.setup().returncode == 0  # running it again replaces, never duplicates
    assert client.config.read_text().count(f"Host {client.alias}\n") == 1
    assert len((client.home / ".ssh" / "workbench_known_hosts").read_text().splitlines()) == 2


def test_password_and_root_logins_are_refused(client, workspace):
    password = subprocess.run(
        [
            "ssh",
            "-p",
            str(workspace.host_port),
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "jovyan@127.0.0.1",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert password.returncode == 255 and "Permission denied (publickey)" in password.stderr
    root = client.ssh("-l", "root", client.alias, "true", own_connection=True)
    assert root.returncode == 255 and "Permission denied" in root.stderr


def fingerprint(public_key: Path) -> str:
    return subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(public_key)], capture_output=True, text=True, check=True
    ).stdout.split()[1]


def test_a_revoked_key_is_refused(client, workspace):
    mine = fingerprint(client.home / ".ssh" / f"{client.alias}_ed25519.pub")
    listed = {key["fingerprint"]: key for key in workspace.get("api/workbench/ssh/keys").json()["keys"]}
    assert listed[mine]["source"] == "workspace" and listed[mine]["type"] == "ssh-ed25519"
    # A fingerprint is base64: "/" and "+" must be escaped in the URL.
    revoked = requests.delete(
        f"{workspace.url}api/workbench/ssh/keys/{quote(mine, safe='')}", headers=workspace.auth_headers(), timeout=30
    )
    assert revoked.status_code == 204
    assert mine not in {key["fingerprint"] for key in workspace.get("api/workbench/ssh/keys").json()["keys"]}
    refused = client.ssh(client.alias, "true", own_connection=True)
    assert refused.returncode == 255 and "Permission denied" in refused.stderr


def test_sftp_uploads_into_the_workspace_folder(client, workspace, tmp_path):
    upload = tmp_path / "upload.txt"
    upload.write_text("sent over sftp\n")
    batch = tmp_path / "batch"
    batch.write_text(f"put {upload} /workspace/uploaded.txt\n")
    result = client.sftp(batch.read_text())
    assert result.returncode == 0, result.stderr
    host_folder = Path(
        next(m["Source"] for m in workspace.container.attrs["Mounts"] if m["Destination"] == "/workspace")
    )
    assert (host_folder / "uploaded.txt").read_text() == "sent over sftp\n"


def test_local_forward_reaches_the_vnc_server(client, workspace):
    wait_for_tool(workspace, "desktop")
    port = free_port()
    tunnel = subprocess.Popen(
        [
            "ssh",
            "-F",
            str(client.config),
            "-o",
            "ControlMaster=no",
            "-o",
            "ExitOnForwardFailure=yes",
            "-N",
            "-L",
            f"127.0.0.1:{port}:127.0.0.1:5901",
            client.alias,
        ],
        env=client.env,
    )
    try:

        def greeting() -> bytes:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as vnc:
                    return vnc.recv(12)
            except OSError:
                assert tunnel.poll() is None, "the tunnel's ssh exited"
                return b""

        assert wait_until(greeting, 30) == b"RFB 003.008\n"
    finally:
        tunnel.kill()
        tunnel.wait()


KERNEL_CHECK = """
import sys
from jupyter_client.manager import KernelManager
manager = KernelManager(kernel_name=sys.argv[1])
manager.start_kernel()
client = manager.client()
client.start_channels()
client.wait_for_ready(timeout=60)
output = []
client.execute_interactive("import socket; print(socket.gethostname())", timeout=60,
                           output_hook=lambda message: output.append(message["content"].get("text", "")))
client.stop_channels()
manager.shutdown_kernel()
print("".join(output).strip())
"""


def test_remote_kernel_registered_by_the_setup_runs_in_the_workspace(client, workspace):
    result = client.setup("--kernel")
    assert result.returncode == 0, result.stderr
    assert f'Jupyter kernel "{client.alias}" registered' in result.stdout
    kernel = subprocess.run(
        [sys.executable, "-c", KERNEL_CHECK, client.alias], env=client.env, capture_output=True, text=True, timeout=180
    )
    assert kernel.returncode == 0, kernel.stderr[-3000:]
    assert kernel.stdout.strip().splitlines()[-1] == workspace.container.attrs["Config"]["Hostname"]


@pytest.mark.parametrize("path", ["api/workbench/ssh/setup", "api/workbench/ssh/keys", "api/workbench/ssh/info"])
def test_ssh_endpoints_refuse_requests_without_the_token(workspace, path):
    response = workspace.get(path, authenticated=False)
    assert response.status_code == 403 and "ssh-ed25519" not in response.text
    added = requests.post(workspace.url + "api/workbench/ssh/keys", data="ssh-ed25519 AAAA", timeout=30)
    assert added.status_code == 403


def test_keys_given_at_start_log_in_and_recreating_the_container_keeps_the_host_key(
    workspaces, host_workspace, tmp_path, short_home
):
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ci@laptop", "-f", str(tmp_path / "id")], check=True
    )
    first = workspaces.start({"SSH_AUTHORIZED_KEYS": (tmp_path / "id.pub").read_text()}, host_workspace)
    # The key from SSH_AUTHORIZED_KEYS alone, before any setup command.
    start_key = subprocess.run(
        [
            "ssh",
            "-p",
            str(first.host_port),
            "-i",
            str(tmp_path / "id"),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "jovyan@127.0.0.1",
            "echo start-key",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert start_key.stdout == "start-key\n", start_key.stderr
    keys = first.get("api/workbench/ssh/keys").json()["keys"]
    assert [(key["name"], key["source"]) for key in keys] == [("ci@laptop", "SSH_AUTHORIZED_KEYS")]

    client = client_of(short_home, first)
    assert client.setup().returncode == 0  # pins the host key, registers its own key
    first.container.remove(force=True)
    # An RSA host key, as versions before ECDSA's made: still served, for clients that pinned it.
    earlier = host_workspace / ".workbench" / "ssh" / "ssh_host_rsa_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-N", "", "-C", "workbench", "-f", str(earlier)], check=True)
    for made in (earlier, earlier.with_suffix(".pub")):
        os.chown(made, 1000, 100)

    second = workspaces.start({}, host_workspace)
    # Same alias, pinned host key and client key; only the published port changed. StrictHostKeyChecking is on.
    again = client.ssh("-p", str(second.host_port), client.alias, "echo same-host-key", own_connection=True)
    assert again.returncode == 0 and again.stdout == "same-host-key\n", again.stderr
    # Pinned to the RSA key alone, and asking for it alone (ssh-keyscan cannot: the port waits for a client's first
    # word, and ssh-keyscan waits for the server's).
    pinned = tmp_path / "rsa_known_hosts"
    pinned.write_text(f"{client.alias} {earlier.with_suffix('.pub').read_text()}")
    rsa = client.ssh(
        *("-p", str(second.host_port), "-o", f"UserKnownHostsFile={pinned}"),
        *("-o", "HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256", client.alias, "echo rsa-host-key"),
        own_connection=True,
    )
    assert rsa.returncode == 0 and rsa.stdout == "rsa-host-key\n", rsa.stderr


def test_aborted_ssh_connections_do_not_lock_anyone_out(client, workspace):
    """Port scans and dropped clients reach sshd from 127.0.0.1 (nginx's stream hop), like every user: none of them
    may make sshd refuse the next client."""
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", workspace.host_port), timeout=30) as aborted:
            aborted.sendall(b"SSH-2.0-scanner\r\n")
            assert aborted.recv(64).startswith(b"SSH-2.0-OpenSSH")
    result = client.ssh("-o", "ControlPath=none", client.alias, "echo still-open", own_connection=True)
    assert result.returncode == 0 and result.stdout == "still-open\n", result.stderr
