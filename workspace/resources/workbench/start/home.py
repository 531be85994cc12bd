"""A home that survives the container: what a user configures (VS Code, JupyterLab, git, SSH, shell history, the
desktop's programs) lives in /workspace/.workbench/home and is linked into the home at every start, so that
re-creating the container, upgrading the image or a hub's stop/start keeps it.

The home itself stays in the container, so that folders mounted under it (docker-stacks' -v "$PWD":/home/jovyan/work)
keep working. Every top-level entry of the kept home is linked (but .local, which holds a kept path), so a user can
keep more (`mv ~/.aws /workspace/.workbench/home/`); the paths below are kept from the first start on, starting from
what the image has. A home that is itself a mount (-v VOLUME:/home/jovyan) is persistent already and left alone, and
so is anything mounted in the home: the user's own mount wins.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from ..facts import paths, tools
from ..facts.mounts import has_mount_within, inside_a_mount, mount_points

KEPT_HOME = paths.STATE_DIR / "home"
# What the image last gave as defaults for settings files the user may edit (see merge_json_defaults).
DEFAULTS_RECORD_DIR = paths.STATE_DIR / "home-defaults"
# Folders and files kept from the first start on.
KEPT_FOLDERS = (".config", ".jupyter", ".ipython", ".ssh", ".sagemaker") + tuple(
    folder for tool in tools.BUILT_IN for folder in tool.kept_in_home
)
KEPT_FILES = (".gitconfig", ".git-credentials", ".bash_history", ".python_history", ".bashrc", ".profile")
# Settings the image gives as defaults, merged into the user's file at every start (kept-home path -> image file).
JSON_DEFAULTS = {Path(home_path): image_file for tool in tools.BUILT_IN for home_path, image_file in tool.home_defaults}


def note(message: str) -> None:
    print(f"workbench: {message}", file=sys.stderr, flush=True)


def link(home: Path, relative: Path, mounts: set[Path]) -> None:
    """home/relative becomes a link to the kept copy; the first time, the kept copy starts as what the image has."""
    target, kept = home / relative, KEPT_HOME / relative
    if target.is_symlink() and target.readlink() == kept:
        return
    if KEPT_HOME.resolve() in target.resolve().parents:
        return  # reached through a link into the kept home already: it is the kept copy itself
    if has_mount_within(target, mounts) or inside_a_mount(target, mounts):
        note(f"~/{relative} is mounted: it is used as it is and not kept in {KEPT_HOME}")
        return
    kept.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        if not kept.exists() and not target.is_symlink():
            shutil.copy2(target, kept)
        target.unlink()
    elif target.is_dir():
        if not kept.exists():
            shutil.copytree(target, kept, symlinks=True)
        shutil.rmtree(target)  # the image's copy: nothing is mounted in it (checked above)
    elif relative.as_posix() in KEPT_FOLDERS and not kept.exists():
        kept.mkdir(mode=0o700 if relative == Path(".ssh") else 0o755)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(kept)


def keep(home: Path) -> None:
    """Link the kept paths into the home; run as the user at every start of the workspace."""
    mounts = mount_points()
    resolved = home.resolve()
    if resolved in mounts or inside_a_mount(resolved, mounts):
        return  # the home is a mount of the user's: kept by them already
    KEPT_HOME.mkdir(mode=0o700, parents=True, exist_ok=True)
    wanted = {Path(path) for path in KEPT_FOLDERS + KEPT_FILES}
    # What the user put in the kept home too, but not a folder that only holds kept paths (.local, for
    # .local/share/code-server): the rest of ~/.local stays the container's.
    holders = {parent for path in wanted for parent in path.parents}
    wanted |= {Path(entry.name) for entry in KEPT_HOME.iterdir()} - holders
    for relative in sorted(wanted):
        try:
            link(resolved, relative, mounts)
        except OSError as error:
            note(f"warning: ~/{relative} could not be kept in {KEPT_HOME}: {error}")


def merge_json_defaults(settings: Path, defaults_file: Path, record: Path) -> None:
    """The image's defaults into the user's settings file: a default the user never changed follows the image (an
    upgrade brings the new value), a value the user set or removed stays theirs; a missing file starts as the
    defaults. A file that is not plain JSON (VS Code allows comments) is the user's and left alone."""
    defaults = json.loads(defaults_file.read_text())
    try:
        previous = json.loads(record.read_text())
    except (OSError, ValueError):
        previous = {}
    mine = None
    if settings.exists():
        try:
            mine = json.loads(settings.read_text())
        except ValueError:
            return
        if not isinstance(mine, dict):
            return
    if mine is None:
        merged = dict(defaults)
    else:
        merged = dict(mine)
        for key, value in defaults.items():
            new_in_image = key not in mine and key not in previous
            never_changed = key in mine and key in previous and mine[key] == previous[key]
            if new_in_image or never_changed:
                merged[key] = value
    if merged != mine:
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps(merged, indent=4) + "\n")
    record.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    record.write_text(json.dumps(defaults, indent=4) + "\n")


def install_defaults(home: Path) -> None:
    for relative, defaults_file in JSON_DEFAULTS.items():
        record = DEFAULTS_RECORD_DIR / relative.as_posix().replace("/", "__")
        try:
            merge_json_defaults(home / relative, defaults_file, record)
        except OSError as error:
            note(f"warning: defaults for ~/{relative} not installed: {error}")
