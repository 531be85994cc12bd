"""`run`: the workspace as the README's quick start starts it, once it answers."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path

from .engine import ensure_engine, image_exists
from .images import build
from .options import BuildOptions
from .project import IMAGE_REPO
from .shell import BuildError, capture, run, say


def wait_for_login_url(container: str, host_port: int, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(capture(["docker", "inspect", "-f", "{{json .State}}", container]).stdout or "{}")
        if not state.get("Running"):
            logs = capture(["docker", "logs", container])
            raise BuildError(f"the workspace exited (status {state.get('ExitCode')}):\n{logs.stdout}{logs.stderr}")
        logs = capture(["docker", "logs", container])
        match = re.search(r"(https?)://localhost:\d+(/\S*)", logs.stdout + logs.stderr)
        if match:
            login = urllib.parse.urlsplit(f"{match.group(1)}://localhost:{host_port}{match.group(2)}")
            url = login.geturl()
            health = f"{login.scheme}://{login.netloc}{login.path}healthz"
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    if response.status == 200:
                        return url
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.5)
    raise BuildError(f"the workspace did not become ready in {timeout:.0f} s; see: docker logs {container}")


def run_workspace(
    options: BuildOptions, image: str | None, name: str, port: int, workspace: str, environment: list[str]
) -> None:
    """docker run as the quick start says (building the image first if it is missing); returns once it answers."""
    image = image or f"{IMAGE_REPO}:{options.flavor}"
    ensure_engine()
    if not image_exists(image):
        say(f"{image} not found: building it first")
        build(replace(options, tags=(image,), dry_run=False, skip_setup=False))
    if capture(["docker", "container", "inspect", name]).returncode == 0:
        raise BuildError(
            f"a container named {name} already exists: remove it (docker rm -f {name}) or choose another --name"
        )
    cmd = ["docker", "run", "-d", "--name", name, "-p", f"{port}:8080"]
    cmd += ["-v", f"{Path(workspace).resolve()}:/workspace", "--shm-size", "2g"]
    for assignment in environment:
        if "=" not in assignment:
            raise BuildError(f"--env {assignment}: expected NAME=VALUE")
        cmd += ["--env", assignment]
    cmd.append(image)
    run(cmd)
    url = wait_for_login_url(name, port)
    say(f"Workbench is running. Open: {url}")
    say(f"logs: docker logs -f {name}    stop: docker rm -f {name}")
