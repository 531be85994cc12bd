"""A user's machine for the SSH tests: its own HOME, and the ssh config, keys and host entry that the landing page's
setup command writes there; ssh and sftp then use that host entry as a user's would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class SshClient:
    def __init__(self, home: Path, alias: str, url: str = "", token: str = "", extra_path: Path | None = None):
        """url and token: the workspace the setup command is fetched from (the landing page shows the same command);
        extra_path: a folder put first on PATH (where the client's own Python tools are)."""
        self.home, self.alias, self.url, self.token = home, alias, url, token
        self.env = {**os.environ, "HOME": str(home)}
        if extra_path:
            self.env["PATH"] = f"{extra_path}:{os.environ['PATH']}"

    @property
    def config(self) -> Path:
        return self.home / ".ssh" / "config"

    def setup(self, *options: str, insecure: bool = False) -> subprocess.CompletedProcess:
        """The command the landing page shows, as a user pastes it; options go to the setup script, insecure lets
        curl take a self-signed certificate the first time (the script pins it for what follows)."""
        command = (
            f'curl -fsS{"k" if insecure else ""} -H "Authorization: token {self.token}" '
            f'"{self.url}api/workbench/ssh/setup" | sh -s -- {" ".join(options)}'
        )
        return self.run_setup(command)

    def run_setup(self, command: str) -> subprocess.CompletedProcess:
        """A setup command as copied from somewhere (the landing page)."""
        return subprocess.run(["sh", "-c", command], env=self.env, capture_output=True, text=True, timeout=120)

    def ssh(self, *arguments: str, own_connection: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
        """ssh through the host entry; own_connection: not over the connection the entry shares (ControlMaster)."""
        shared = ["-o", "ControlMaster=no"] if own_connection else []
        return subprocess.run(
            ["ssh", "-F", str(self.config), *shared, *arguments],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def sftp(self, batch: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """sftp through the host entry, running the commands in batch."""
        return subprocess.run(
            ["sftp", "-F", str(self.config), "-b", "-", self.alias],
            input=batch,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
