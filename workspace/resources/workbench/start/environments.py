"""workbench-env: extra Python environments, each registered as a Jupyter kernel, kept under /workspace.

An environment starts with everything the workspace's own environment has (so ipykernel, numpy and the rest
need no download) and takes what is installed into it first: `workbench-env create NAME PACKAGE...` or, later,
`<env>/bin/pip install ...`. Environments and their kernels live in /workspace/.workbench, so they survive
re-creating the container.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..facts import paths

ENVS_DIR = paths.STATE_DIR / "envs"
KERNELS_DIR = paths.STATE_DIR / "jupyter" / "kernels"  # on JUPYTER_PATH (Dockerfile)
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
BASE_SITE_PACKAGES = (
    paths.VENV_DIR / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
)


class EnvironmentProblem(Exception):
    pass


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise EnvironmentProblem(
            f"{name!r} is not a valid name: use 1-64 of a-z 0-9 _ . - (starting with a letter or digit)"
        )
    return name


def site_packages(env: Path) -> Path:
    return env / "lib" / BASE_SITE_PACKAGES.parent.name / "site-packages"


def create(name: str, packages: list[str]) -> Path:
    env = ENVS_DIR / check_name(name)
    if env.exists() or (KERNELS_DIR / name).exists():
        raise EnvironmentProblem(f"an environment named {name!r} exists already (workbench-env remove {name})")
    ENVS_DIR.mkdir(parents=True, exist_ok=True)
    try:
        # Without its own pip: the workspace's pip, reached through the link below, installs into this prefix.
        subprocess.run([str(paths.VENV_PYTHON), "-m", "venv", "--without-pip", str(env)], check=True)
        (site_packages(env) / "_workbench_base.pth").write_text(
            f"import site; site.addsitedir({str(BASE_SITE_PACKAGES)!r})\n"
        )
        write_pip_wrapper(env)
        if packages:
            subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", *packages], check=True)
        register_kernel(name, env)
    except (OSError, subprocess.CalledProcessError) as error:
        shutil.rmtree(env, ignore_errors=True)
        shutil.rmtree(KERNELS_DIR / name, ignore_errors=True)
        raise EnvironmentProblem(f"creating {name!r} failed: {error}") from None
    return env


def write_pip_wrapper(env: Path) -> None:
    pip = env / "bin" / "pip"
    pip.write_text(f'#!/bin/sh\nexec {env / "bin" / "python"} -m pip "$@"\n')
    pip.chmod(0o755)


def register_kernel(name: str, env: Path) -> Path:
    folder = KERNELS_DIR / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [str(env / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({name})",
        "language": "python",
        "metadata": {"debugger": True},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    for logo in ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg"):
        source = paths.VENV_DIR / "share" / "jupyter" / "kernels" / "python3" / logo
        if source.exists():
            shutil.copyfile(source, folder / logo)
    return folder


def remove(name: str) -> None:
    env, kernel = ENVS_DIR / check_name(name), KERNELS_DIR / name
    if not env.exists() and not kernel.exists():
        raise EnvironmentProblem(f"no environment named {name!r}")
    shutil.rmtree(env, ignore_errors=True)
    shutil.rmtree(kernel, ignore_errors=True)


def names() -> list[str]:
    return sorted(entry.name for entry in ENVS_DIR.iterdir() if entry.is_dir()) if ENVS_DIR.exists() else []


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="workbench-env", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    creating = commands.add_parser("create", help="make an environment and its Jupyter kernel")
    creating.add_argument("name")
    creating.add_argument("packages", nargs="*", help="what to pip install into it (pip options after --)")
    commands.add_parser("list", help="the environments")
    removing = commands.add_parser("remove", help="delete an environment and its kernel")
    removing.add_argument("name")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            env = create(args.name, args.packages)
            print(
                f'Created {env}; its kernel "Python ({args.name})" is in JupyterLab\'s launcher. '
                f"Install more with: {env}/bin/pip install ..."
            )
        elif args.command == "remove":
            remove(args.name)
            print(f"Removed {args.name}")
        else:
            for name in names():
                print(f"{name}\t{ENVS_DIR / name}")
    except EnvironmentProblem as error:
        print(f"workbench-env: error: {error}", file=sys.stderr)
        return 1
    return 0
