"""Which VS Code extensions a build puts into the image: the pinned list of workspace/requirements/, or the ids of
--vscode-extensions, from Open VSX (code-server's gallery); or the .vsix files of --vscode-extensions-dir, offline.
An Open VSX that cannot be reached is one warning, and the image is built without those extensions."""

from __future__ import annotations

import re
import ssl
import urllib.error
import urllib.request
from pathlib import Path

from . import staging
from .options import BuildOptions
from .project import CONTEXT
from .shell import BuildError, say

DEFAULT_LIST = CONTEXT / "requirements" / "vscode-extensions.txt"
STAGING_DIR = CONTEXT / "vscode-extensions"
# code-server's gallery, unless EXTENSIONS_GALLERY points code-server at another.
OPEN_VSX = "https://open-vsx.org/"
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9._-]*(@[0-9][A-Za-z0-9.+-]*)?")


def parse_ids(text: str) -> tuple[str, ...]:
    """--vscode-extensions: publisher.name[@version], comma-separated; empty: none."""
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    wrong = [extension for extension in ids if not ID_PATTERN.fullmatch(extension)]
    if wrong:
        raise BuildError(f"--vscode-extensions: {', '.join(wrong)} is not publisher.name or publisher.name@version")
    return ids


def default_ids() -> tuple[str, ...]:
    lines = (line.partition("#")[0].strip() for line in DEFAULT_LIST.read_text().splitlines())
    return tuple(line for line in lines if line)


def reachable(url: str, ca_cert: str | None, timeout: float = 10) -> bool:
    context = ssl.create_default_context(cafile=ca_cert) if ca_cert else ssl.create_default_context()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout, context=context):
            return True
    except urllib.error.HTTPError:
        return True  # it answered
    except (OSError, ValueError):
        return False


def gallery_ids(options: BuildOptions) -> tuple[str, ...]:
    """What the build asks Open VSX for: nothing with --vscode-extensions-dir (offline), nothing when it cannot be
    reached (after one warning)."""
    if options.vscode_extensions_dir:
        return ()
    ids = default_ids() if options.vscode_extensions is None else options.vscode_extensions
    if ids and not options.dry_run and not reachable(OPEN_VSX, options.ca_cert):
        say(
            f"warning: {OPEN_VSX} cannot be reached from this machine: the image is built without the VS Code "
            f"extensions {', '.join(ids)} (--vscode-extensions-dir DIR installs .vsix files instead)"
        )
        return ()
    return ids


def stage_vsix(directory: Path) -> list[Path]:
    """Hard-link (or copy) the folder's .vsix files into the build context for one build."""
    files = sorted(directory.glob("*.vsix"))
    if not files:
        raise BuildError(f"--vscode-extensions-dir: {directory} has no .vsix files")
    staging.stage(files, STAGING_DIR)
    say(f"installing {len(files)} VS Code extensions from {directory}: {', '.join(file.name for file in files)}")
    return files


def remove_staged() -> None:
    staging.unstage(STAGING_DIR, ("*.vsix",))
