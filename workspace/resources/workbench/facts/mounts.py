"""What the user mounted into the container: the start-up code never moves, deletes or re-owns anything there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path("/")


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in a path as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def mount_points() -> set[Path]:
    """Every mount point of the container: volumes and bind mounts of folders and files (and the root)."""
    with open("/proc/self/mountinfo") as mounts:
        return {Path(_unescape(line.split()[4])) for line in mounts}


def has_mount_within(path: Path, mounts: set[Path]) -> bool:
    """Whether path is a mount point or has one somewhere below it."""
    return any(mount == path or path in mount.parents for mount in mounts)


def inside_a_mount(path: Path, mounts: set[Path]) -> bool:
    """Whether path lies in a mounted folder (the root filesystem does not count)."""
    return any(mount in path.parents and mount != ROOT for mount in mounts)
