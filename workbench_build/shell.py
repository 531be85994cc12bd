"""Running commands the way every build.py command does: echoed first, with progress, and a failure the user can act
on as one line (BuildError)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

# What pip, npm, apt and curl print when a download fails on a certificate nobody trusted.
CERTIFICATE_FAILURE = re.compile(
    r"CERTIFICATE_VERIFY_FAILED|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|"
    r"unable to get local issuer certificate|self[- ]signed certificate in certificate "
    r"chain|Certificate verification failed|server certificate verification failed",
    re.I,
)


class BuildError(Exception):
    """A failure the user can act on; printed as one line, exit status 1."""


def say(message: str) -> None:
    print(f"[build.py] {message}", flush=True)


def run(
    cmd: list[str],
    *,
    dry_run: bool = False,
    env: dict | None = None,
    check: bool = True,
    progress: bool = False,
    cwd: Path | None = None,
) -> int:
    """Run cmd, echoing it first. With progress, prefix each output line with the elapsed time."""
    print(f"$ {shlex.join(cmd)}", flush=True)
    if dry_run:
        return 0
    full_env = {**os.environ, **(env or {})}
    certificate_failed = False
    if not progress:
        code = subprocess.run(cmd, env=full_env, cwd=cwd).returncode
    else:
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, errors="replace"
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            elapsed = int(time.monotonic() - start)
            print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {line}", end="", flush=True)
            certificate_failed = certificate_failed or bool(CERTIFICATE_FAILURE.search(line))
        code = proc.wait()
    if check and code != 0:
        if certificate_failed:
            raise BuildError(
                "a download failed on a TLS certificate that the build does not trust: if HTTPS here "
                "passes a TLS-intercepting proxy, give its CA with --ca-cert FILE (by default the build "
                "trusts this host's own CA bundle)"
            )
        raise BuildError(f"command failed with exit status {code}: {shlex.join(cmd)}")
    return code


def capture(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


def apt_install(*packages: str) -> None:
    if os.geteuid() != 0:
        raise BuildError(f"need root to install {', '.join(packages)} (or install them yourself)")
    run(["apt-get", "update", "-qq"])
    run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        env={"DEBIAN_FRONTEND": "noninteractive"},
    )
