"""`run`: the workspace as the README's quick start starts it, as the owner of the folder it mounts, once it answers."""

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
from .project import IMAGE_REPO, runtime_paths
from .shell import BuildError, capture, run, say

# The workspace's one-line refusal (entrypoint.fail), which says what to change.
ERROR_LINE = re.compile(r"^workbench: error: .*$", re.MULTILINE)
ACCOUNT_VARIABLES = ("NB_UID", "NB_GID")


def image_environment(image: str) -> dict[str, str]:
    inspected = capture(["docker", "image", "inspect", "-f", "{{json .Config.Env}}", image])
    return dict(entry.partition("=")[::2] for entry in json.loads(inspected.stdout or "[]"))


def owner_settings(folder: Path, image: str, environment: list[str]) -> list[str]:
    """NB_UID/NB_GID of the folder's owner, so that what the workspace writes there is theirs, unless -e set them.
    The workspace user is never root (NB_UID=0 is refused), so a folder root owns cannot be its /workspace: that is
    said here, before a container exists, with the one command that gives it a folder of its own."""
    given = {assignment.partition("=")[0] for assignment in environment}
    if given & set(ACCOUNT_VARIABLES):
        return []
    info = folder.stat()
    if info.st_uid == 0:
        defaults = image_environment(image)
        ids = f"{defaults.get('NB_UID', '1000')}:{defaults.get('NB_GID', '100')}"
        raise BuildError(
            f"{folder} belongs to root, and the workspace's user is never root: give it a folder of its own "
            f"(mkdir -p work && chown {ids} work && python3 build.py run --workspace work), or run it in a folder "
            "a user owns"
        )
    settings = [f"NB_UID={info.st_uid}"]
    if info.st_gid != 0:  # root's group cannot be the workspace's either; the image's group stays
        settings.append(f"NB_GID={info.st_gid}")
    return settings


def self_signed_dir(folder: Path) -> Path:
    """Where in the mounted folder the workspace keeps the certificate it made for itself."""
    paths = runtime_paths()
    return folder / paths.SELF_SIGNED_DIR.relative_to(paths.WORKSPACE_DIR)


def refusal(logs: str) -> str:
    """What the workspace said when it stopped: its one error line, or the end of its log."""
    lines = ERROR_LINE.findall(logs)
    return lines[-1] if lines else "\n".join(logs.strip().splitlines()[-20:])


def wait_for_login_url(container: str, host_port: int, timeout: float = 120) -> str:
    """The login URL from the log, once healthz answers. healthz answers plain HTTP with HTTPS on too, so no
    certificate is needed to know the workspace is ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(capture(["docker", "inspect", "-f", "{{json .State}}", container]).stdout or "{}")
        logs = capture(["docker", "logs", container])
        if not state.get("Running"):
            capture(["docker", "rm", "-f", container])
            raise BuildError(
                f"the workspace stopped (status {state.get('ExitCode')}) and its container was removed:\n"
                + refusal(logs.stdout + logs.stderr)
            )
        match = re.search(r"(https?)://localhost:\d+(/\S*)", logs.stdout + logs.stderr)
        if match:
            login = urllib.parse.urlsplit(f"{match.group(1)}://localhost:{host_port}{match.group(2)}")
            try:
                with urllib.request.urlopen(f"http://localhost:{host_port}{login.path}healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return login.geturl()
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.5)
    raise BuildError(f"the workspace did not become ready in {timeout:.0f} s; see: docker logs {container}")


def run_workspace(
    options: BuildOptions,
    image: str | None,
    name: str,
    port: int,
    workspace: str,
    environment: list[str],
    https: bool = False,
) -> None:
    """docker run as the quick start says (building the image first if it is missing); returns once it answers."""
    image = image or f"{IMAGE_REPO}:{options.flavor}"
    folder = Path(workspace).resolve()
    for assignment in environment:
        if "=" not in assignment:
            raise BuildError(f"--env {assignment}: expected NAME=VALUE")
    if not folder.is_dir():
        raise BuildError(f"--workspace {workspace}: no such folder")
    ensure_engine()
    if not image_exists(image):
        say(f"{image} not found: building it first")
        build(replace(options, tags=(image,), dry_run=False, skip_setup=False))
    existing = capture(["docker", "container", "inspect", "-f", "{{.State.Running}}", name])
    if existing.returncode == 0:
        remedy = "docker rm -f" if existing.stdout.strip() == "true" else "docker rm"
        raise BuildError(
            f"a container named {name} already exists: remove it ({remedy} {name}) or choose another --name"
        )
    settings = owner_settings(folder, image, environment) + (["WORKSPACE_SSL_ENABLED=true"] if https else [])
    cmd = ["docker", "run", "-d", "--name", name, "-p", f"{port}:8080"]
    cmd += ["-v", f"{folder}:/workspace", "--shm-size", "2g"]
    for assignment in settings + environment:
        cmd += ["--env", assignment]
    cmd.append(image)
    run(cmd)
    url = wait_for_login_url(name, port)
    say(f"Workbench is running. Open: {url}")
    if https:
        say(
            f"its certificate is self-signed (kept in {self_signed_dir(folder)}): the browser asks once "
            "whether to trust it"
        )
    say(f"logs: docker logs -f {name}    stop: docker rm -f {name}")
