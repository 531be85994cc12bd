"""HTTPS on the one port (WORKSPACE_SSL_ENABLED): the certificate nginx serves, either the user's own files or one
made with openssl at the first start and kept in /workspace/.workbench/tls. nginx reads copies in /run/workbench,
owned by the user it runs as: a mounted key is often root's and readable by root only."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from ..contracts import rendering
from ..contracts.settings import Settings
from ..facts import paths

SELF_SIGNED_CERT = paths.SELF_SIGNED_DIR / "cert.pem"
SELF_SIGNED_KEY = paths.SELF_SIGNED_DIR / "key.pem"
# Browsers accept a leaf certificate for at most 398 days; a longer one they refuse outright, exception or not.
SELF_SIGNED_DAYS = 397


class TlsError(Exception):
    pass


# The openssl command line rather than the cryptography package (also in the image): a start with HTTPS checks the
# certificate every time, and importing cryptography took 206 ms where one openssl run took 19 ms (measured in the
# image, on a busy build machine); what it does here (make a key and a certificate, compare public keys) openssl's
# command line says in one line each.
def openssl(*arguments: str) -> str:
    result = subprocess.run(["openssl", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise TlsError(" ".join(result.stderr.split()) or f"openssl {arguments[0]} failed")
    return result.stdout


def public_key_of_certificate(path: str) -> str:
    return openssl("x509", "-noout", "-pubkey", "-in", path)


def public_key_of_key(path: str) -> str:
    return openssl("pkey", "-pubout", "-in", path)


def check_pair(cert: str, key: str, cert_name: str = "WORKSPACE_SSL_CERT", key_name: str = "WORKSPACE_SSL_KEY") -> None:
    """The files are a PEM certificate and the private key that belongs to it."""
    for name, path in ((cert_name, cert), (key_name, key)):
        if not os.path.isfile(path):
            raise TlsError(f"{name}={path!r} is not valid: must be a file in the container (mount it with -v)")
    try:
        certificate_key = public_key_of_certificate(cert)
    except TlsError as error:
        raise TlsError(f"{cert_name}={cert!r} is not valid: must be a PEM certificate ({error})") from None
    try:
        private_key = public_key_of_key(key)
    except TlsError as error:
        raise TlsError(
            f"{key_name}={key!r} is not valid: must be a PEM private key without a passphrase ({error})"
        ) from None
    if certificate_key != private_key:
        raise TlsError(f"{key_name}={key!r} is not valid: must be the key of the certificate in {cert_name}")


def serve(cert: str | Path, key: str | Path, uid: int, gid: int) -> None:
    for source, target in ((cert, paths.SERVED_TLS_CERT), (key, paths.SERVED_TLS_KEY)):
        rendering.write_private(target, Path(source).read_text())
        if os.geteuid() == 0:
            os.chown(target, uid, gid)


def make_self_signed() -> None:
    """A certificate for this machine's names, kept for the next starts (made once, by the user who owns it)."""
    paths.SELF_SIGNED_DIR.mkdir(mode=0o700, exist_ok=True)
    names = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
    hostname = socket.gethostname()
    if hostname and hostname != "localhost" and all(c.isalnum() or c in ".-" for c in hostname):
        names.append(f"DNS:{hostname}")
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        str(SELF_SIGNED_DAYS),
        "-subj",
        "/CN=Workbench (self-signed)",
        "-addext",
        f"subjectAltName={','.join(names)}",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-addext",
        "extendedKeyUsage=serverAuth",
        "-keyout",
        str(SELF_SIGNED_KEY),
        "-out",
        str(SELF_SIGNED_CERT),
    )
    SELF_SIGNED_KEY.chmod(0o600)


def serve_own(settings: Settings, uid: int, gid: int) -> None:
    """The user's certificate and key (WORKSPACE_SSL_CERT/KEY), checked. Run as root where the start is: a mounted
    key is often readable by root alone."""
    assert settings.tls_cert and settings.tls_key
    check_pair(settings.tls_cert, settings.tls_key)
    serve(settings.tls_cert, settings.tls_key, uid, gid)


def serve_self_signed(uid: int, gid: int) -> None:
    """The kept self-signed certificate, made if missing or unusable. Run as the user, who owns it."""
    try:
        check_pair(str(SELF_SIGNED_CERT), str(SELF_SIGNED_KEY), "the self-signed certificate", "its key")
    except TlsError:
        try:
            make_self_signed()
        except (OSError, TlsError) as error:
            raise TlsError(f"cannot make a self-signed certificate in {paths.SELF_SIGNED_DIR}: {error}") from None
    serve(SELF_SIGNED_CERT, SELF_SIGNED_KEY, uid, gid)


def self_signed_served() -> str:
    """The PEM of the certificate nginx serves when it is the self-signed one, for clients to pin; "" otherwise."""
    try:
        served = paths.SERVED_TLS_CERT.read_text()
        return served if served == SELF_SIGNED_CERT.read_text() else ""
    except OSError:
        return ""
