"""Certificate authorities the user adds at start (WORKSPACE_CA_CERTS, or files mounted in paths.EXTRA_CA_DIR): a
company's TLS-intercepting proxy re-signs every HTTPS answer, and without its CA pip, requests, curl, git, Node (VS
Code's extensions) and boto3 refuse them all.

Started as root, the CAs join the system's store (update-ca-certificates), which OpenSSL, curl and git read by
themselves; started as another user, a bundle of the system's CAs and the added ones is made in the run directory.
Either way the clients that keep their own CA list (certifi for pip, requests and boto3; Node's built-in list) are
pointed at that bundle through their variables, for every process the workspace runs (kernels, terminals, tools, SSH
sessions). A variable the user set is left as it is."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
from collections.abc import MutableMapping
from pathlib import Path

from ..facts import paths

# Each client's variable for a CA bundle to use instead of its own list.
BUNDLE_VARIABLES = (
    "SSL_CERT_FILE",  # OpenSSL's default (Python's ssl, uv)
    "REQUESTS_CA_BUNDLE",  # requests (and so the Jupyter, Hugging Face and SageMaker clients)
    "PIP_CERT",  # pip, whose vendored requests keeps certifi's list otherwise
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",  # boto3 and the AWS CLI
    "NODE_EXTRA_CA_CERTS",  # Node, VS Code (code-server) and its extensions; added to Node's own list
)
SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Where update-ca-certificates takes local CAs from (one certificate per .crt file).
SYSTEM_LOCAL_DIR = Path("/usr/local/share/ca-certificates/workbench")
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.S)


class TrustError(Exception):
    """One line that names the file and what is wrong with it."""


def certificate_files(location: Path) -> list[Path]:
    """The PEM files at the location: the file itself, or a folder's *.pem, *.crt and *.cer files (not its hidden
    ones, and not Kubernetes' ..data links)."""
    if location.is_dir():
        return sorted(
            entry
            for entry in location.iterdir()
            if entry.suffix in (".pem", ".crt", ".cer") and not entry.name.startswith(".") and entry.is_file()
        )
    return [location]


def read_certificates(location: Path, variable: str) -> list[str]:
    """Every certificate in the PEM files at the location, each checked to be one OpenSSL can load."""
    if not location.exists():
        raise TrustError(f"{variable}={str(location)!r} is not valid: no such file or folder in the container")
    certificates = []
    for file in certificate_files(location):
        try:
            text = file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise TrustError(f"{variable}: {file} cannot be read as PEM text ({error})") from None
        found = PEM_CERTIFICATE.findall(text)
        if not found:
            raise TrustError(f"{variable}: {file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        for number, certificate in enumerate(found, 1):
            try:
                ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=certificate)
            except ssl.SSLError as error:
                raise TrustError(f"{variable}: certificate {number} in {file} is not valid ({error.reason})") from None
        certificates += found
    if not certificates:
        raise TrustError(f"{variable}: the folder {location} holds no .pem, .crt or .cer file")
    return certificates


def add_to_system_store(certificates: list[str]) -> Path:
    """As root: the CAs join the system's store for every program and user of the container; returns its bundle."""
    SYSTEM_LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    for old in SYSTEM_LOCAL_DIR.glob("*.crt"):
        old.unlink()
    for number, certificate in enumerate(certificates, 1):
        (SYSTEM_LOCAL_DIR / f"added-{number}.crt").write_text(certificate + "\n")
    result = subprocess.run(["update-ca-certificates", "--fresh"], capture_output=True, text=True)
    if result.returncode != 0:
        raise TrustError(f"update-ca-certificates failed: {' '.join((result.stderr or result.stdout).split())}")
    return SYSTEM_BUNDLE


def write_own_bundle(certificates: list[str], run_dir: Path = paths.RUN_DIR) -> Path:
    """As the user (no root to change the system's store): the system's CAs and the added ones in one bundle."""
    bundle = run_dir / "ca-certificates.crt"
    bundle.write_text(SYSTEM_BUNDLE.read_text() + "\n".join(certificates) + "\n")
    return bundle


VARIABLE = "WORKSPACE_CA_CERTS"


def trust(asked: str | None, environ: MutableMapping[str, str]) -> int:
    """Trust the CAs at WORKSPACE_CA_CERTS (checked: settings.ca_certs), or those mounted in paths.EXTRA_CA_DIR, and
    point every client at them; returns how many were added."""
    if asked is None and not (paths.EXTRA_CA_DIR.is_dir() and certificate_files(paths.EXTRA_CA_DIR)):
        return 0
    location = Path(asked) if asked else paths.EXTRA_CA_DIR
    certificates = read_certificates(location, VARIABLE if asked else str(paths.EXTRA_CA_DIR))
    bundle = add_to_system_store(certificates) if os.geteuid() == 0 else write_own_bundle(certificates)
    point_clients(bundle, environ)
    return len(certificates)


def point_clients(bundle: Path, environ: MutableMapping[str, str]) -> None:
    for name in BUNDLE_VARIABLES:
        environ.setdefault(name, str(bundle))
