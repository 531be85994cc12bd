"""Start hooks, as jupyter/docker-stacks runs them (and SageMaker's lifecycle scripts are used): the image's
start-notebook.d before the account is fitted, its before-notebook.d after (both as root when the container starts as
root), and the workspace's own /workspace/.workbench/start.d as the user at every start of the workspace.

A failing hook does not stop the workspace (the user could not reach it to fix the hook, least of all under a hub):
the log says which one failed, and the landing page shows it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..facts import paths

RUN_HOOKS = paths.INSTALL_DIR / "bin" / "run-hooks.sh"
START_HOOKS = Path("/usr/local/bin/start-notebook.d")
BEFORE_START_HOOKS = Path("/usr/local/bin/before-notebook.d")
WORKSPACE_HOOKS = paths.STATE_DIR / "start.d"
# What bash sets for itself; not something a hook exported.
SHELL_OWN = {"_", "SHLVL", "PWD", "OLDPWD"}


def run(folder: Path) -> list[str]:
    """Run the folder's hooks through run-hooks.sh with their output in the log, take on the environment the sourced
    ones leave, and return the paths of the hooks that failed."""
    if not folder.is_dir() or not any(folder.iterdir()):
        return []
    with tempfile.TemporaryDirectory(prefix="workbench-hooks-") as scratch:
        environment, failures = Path(scratch) / "environment", Path(scratch) / "failures"
        # Their output goes where the entrypoint's goes: the container's log.
        result = subprocess.run(
            [
                "bash",
                "-c",
                'source "$1" "$2"; env -0 > "$3"',
                "run-hooks.sh",
                str(RUN_HOOKS),
                str(folder),
                str(environment),
            ],
            env={**os.environ, "WORKBENCH_HOOK_FAILURES": str(failures)},
            stdin=subprocess.DEVNULL,
        )
        failed = failures.read_text().splitlines() if failures.exists() else []
        if result.returncode != 0 or not environment.exists():
            # A sourced hook that called exit ends the run: the hooks after it did not run.
            print(
                f"workbench: the hooks in {folder} stopped early (exit status {result.returncode}); the workspace "
                "starts without the rest",
                file=sys.stderr,
                flush=True,
            )
            return failed + [f"{folder} (stopped early)"]
        adopt(environment.read_bytes())
    return failed


def adopt(dump: bytes) -> None:
    """Make os.environ what the hooks left (env -0's output): their exports and unsets."""
    left = dict(entry.split("=", 1) for entry in dump.decode(errors="surrogateescape").split("\0") if "=" in entry)
    for name in list(os.environ):
        if name not in left and name not in SHELL_OWN:
            del os.environ[name]
    os.environ.update({name: value for name, value in left.items() if name not in SHELL_OWN})
