"""HTTPS on the one port (WORKSPACE_SSL_ENABLED): a self-signed certificate kept in the workspace folder, or the
user's own; plain HTTP sent to HTTPS; SSH still on the same port."""

import re
import ssl
import subprocess
from pathlib import Path

import pytest
import requests

from ssh_client import SshClient
from workbench_client import Workspace

pytestmark = pytest.mark.container

TLS_ON = {"WORKSPACE_SSL_ENABLED": "true"}


def start_tls(workspaces, env: dict, folder: Path, **options) -> Workspace:
    workspace = Workspace(workspaces.create({**TLS_ON, **env}, folder, **options), scheme="https")
    workspace.wait_ready()
    return workspace


def curl(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", *arguments], capture_output=True, text=True, timeout=60)


def served_certificate(workspace: Workspace) -> str:
    return ssl.get_server_certificate(("127.0.0.1", workspace.host_port))


def test_self_signed_https_works_redirects_http_keeps_ssh_and_survives_recreation(
    workspaces, host_workspace, short_home
):
    workspace = start_tls(workspaces, {}, host_workspace)
    workspace.token = workspace.token_from_log()
    lines = workspace.ready_announcement()
    assert lines[1] == f"    https://localhost:8080/?token={workspace.token}"
    certificate = host_workspace / ".workbench" / "tls" / "cert.pem"
    assert ssl.PEM_cert_to_DER_cert(certificate.read_text()) == ssl.PEM_cert_to_DER_cert(served_certificate(workspace))
    assert oct((host_workspace / ".workbench" / "tls" / "key.pem").stat().st_mode & 0o777) == "0o600"

    # curl checks the certificate against the kept file, under the names it was made for.
    for host in ("localhost", "127.0.0.1"):
        url = f"https://{host}:{workspace.host_port}/?token={workspace.token}"
        landing = curl("--cacert", str(certificate), "-D", "-", url)
        assert landing.returncode == 0, landing.stderr
        assert "<title>Workbench</title>" in landing.stdout
        assert re.search(r"(?im)^set-cookie: username-[^\n]*; Secure", landing.stdout), landing.stdout
    assert curl(f"https://127.0.0.1:{workspace.host_port}/healthz").returncode != 0  # not trusted without it

    # Plain HTTP on the same port goes to HTTPS (healthz answers either way, for probes).
    plain = requests.get(f"http://127.0.0.1:{workspace.host_port}/lab?x=1", allow_redirects=False, timeout=30)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://127.0.0.1:{workspace.host_port}/lab?x=1"
    assert requests.get(f"http://127.0.0.1:{workspace.host_port}/healthz", timeout=30).text == "ok\n"

    # SSH on the same port, set up by the landing page's command (which pins the certificate for what follows).
    workspace.verify = str(certificate)
    info = requests.get(
        workspace.url + "api/workbench/ssh/info", headers=workspace.auth_headers(), verify=str(certificate), timeout=30
    ).json()
    assert info["self_signed_tls"] is True
    alias = f"workbench-127.0.0.1-{workspace.host_port}"
    client = SshClient(short_home, alias, workspace.url, workspace.token)
    setup = client.setup(insecure=True)
    assert setup.returncode == 0, setup.stderr
    assert (short_home / ".ssh" / f"{alias}_tls.pem").read_text().strip() == certificate.read_text().strip()
    ssh = client.ssh(alias, "whoami", own_connection=True)
    assert ssh.stdout == "jovyan\n", ssh.stderr

    # A new container on the same folder serves the same certificate: the browser's exception still holds.
    kept = certificate.read_bytes()
    workspace.container.remove(force=True)
    again = start_tls(workspaces, {"AUTHENTICATE_VIA_JUPYTER": "a-token-of-my-own-123"}, host_workspace)
    assert certificate.read_bytes() == kept
    assert ssl.PEM_cert_to_DER_cert(served_certificate(again)) == ssl.PEM_cert_to_DER_cert(kept.decode())
    status = curl(
        "--cacert",
        str(certificate),
        "-H",
        "Authorization: token a-token-of-my-own-123",
        f"https://localhost:{again.host_port}/api/workbench/status",
    )
    assert '"tools"' in status.stdout, status.stderr


def make_ca_and_certificate(folder: Path) -> dict[str, Path]:
    """A private CA and a certificate it signed for localhost, as a company's PKI would hand out."""
    files = {name: folder / f"{name}.pem" for name in ("ca", "ca-key", "cert", "key", "other-key")}
    run = lambda *arguments: subprocess.run(["openssl", *arguments], check=True, capture_output=True)  # noqa: E731
    run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Test CA",
        "-keyout",
        str(files["ca-key"]),
        "-out",
        str(files["ca"]),
    )
    run(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        str(files["key"]),
        "-out",
        str(folder / "request.csr"),
    )
    (folder / "extensions.cnf").write_text("subjectAltName=DNS:localhost\n")
    run(
        "x509",
        "-req",
        "-in",
        str(folder / "request.csr"),
        "-CA",
        str(files["ca"]),
        "-CAkey",
        str(files["ca-key"]),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        str(folder / "extensions.cnf"),
        "-out",
        str(files["cert"]),
    )
    run("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", str(files["other-key"]))
    for key in ("key", "other-key"):
        files[key].chmod(0o600)  # root's alone, as a mounted key usually is
    return files


def test_a_certificate_of_the_user_s_own_is_served_and_a_wrong_key_stops_the_start(
    workspaces, host_workspace, tmp_path
):
    files = make_ca_and_certificate(tmp_path)
    certs = {str(tmp_path): {"bind": "/certs", "mode": "ro"}}
    own = {
        "WORKSPACE_SSL_CERT": "/certs/cert.pem",
        "WORKSPACE_SSL_KEY": "/certs/key.pem",
        "AUTHENTICATE_VIA_JUPYTER": "a-token-of-my-own-123",
    }
    workspace = start_tls(workspaces, own, host_workspace, volumes_extra=certs)
    status = curl(
        "--cacert",
        str(files["ca"]),
        "-H",
        "Authorization: token a-token-of-my-own-123",
        f"https://localhost:{workspace.host_port}/api/workbench/status",
    )
    assert '"tools"' in status.stdout, status.stderr
    assert not (host_workspace / ".workbench" / "tls").exists()  # nothing self-signed was made

    wrong = workspaces.create(
        {**TLS_ON, **own, "WORKSPACE_SSL_KEY": "/certs/other-key.pem"}, host_workspace, volumes_extra=certs
    )
    assert wrong.wait(timeout=60)["StatusCode"] != 0
    log = wrong.logs().decode()
    assert "WORKSPACE_SSL_KEY='/certs/other-key.pem' is not valid: must be the key of the certificate" in log
    missing = workspaces.create(
        {**TLS_ON, **own, "WORKSPACE_SSL_CERT": "/certs/none.pem"}, host_workspace, volumes_extra=certs
    )
    assert missing.wait(timeout=60)["StatusCode"] != 0
    assert "WORKSPACE_SSL_CERT='/certs/none.pem' is not valid: must be a file" in missing.logs().decode()
