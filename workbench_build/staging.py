"""Files from outside the build context (a wheelhouse, a folder of .vsix files) put into one of its folders for one
build, and taken out again whatever the build's outcome, so that the next build starts from the context as tracked."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def stage(files: list[Path], folder: Path) -> None:
    """Hard-linked where the file system allows it (a wheelhouse is gigabytes), copied otherwise."""
    for file in files:
        try:
            os.link(file, folder / file.name)
        except OSError:
            shutil.copyfile(file, folder / file.name)


def unstage(folder: Path, patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        for file in folder.glob(pattern):
            file.unlink()
