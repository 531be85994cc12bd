#!/usr/bin/env python3
"""shrink-tree.py DIR...: a built tree stored smaller, running the same (90 MB of minimal).

The symbol tables come out of its native programs and libraries (wheels and npm packages ship them; only debuggers
and profilers read them; `strip --strip-unneeded` keeps every symbol that dynamic linking and the loading of an
extension needs). A library that auditwheel's patchelf rewrote can come out of strip with its segments no longer
where the dynamic loader insists ("ELF load command address/offset not page-aligned": numpy's OpenBLAS did): such a
file is kept as it was. Then files that are the same, mode included, are stored once as hard links (a package's web
assets in site-packages and in share/jupyter, the same bundle in two folders of an extension); a write in a
container copies the file up first, so it never changes the other."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
PT_LOAD = 1
# Smaller files hold no symbol table worth the work.
MINIMUM_BYTES = 4096


def native_files(roots: list[Path]):
    for root in roots:
        for directory, _, names in os.walk(root):
            for name in names:
                path = Path(directory, name)
                if path.is_symlink() or not path.is_file() or path.stat().st_size < MINIMUM_BYTES:
                    continue
                with path.open("rb") as file:
                    if file.read(4) == ELF_MAGIC:
                        yield path


def segments_loadable(path: Path) -> bool | None:
    """Whether every loadable segment of a 64-bit little-endian ELF file sits at an offset congruent to its address;
    None for another kind of ELF file, which is left alone."""
    with path.open("rb") as file:
        header = file.read(64)
        if header[4] != 2 or header[5] != 1:  # not ELFCLASS64 / ELFDATA2LSB
            return None
        (phoff,) = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        file.seek(phoff)
        table = file.read(phentsize * phnum)
    for index in range(phnum):
        kind, _, offset, address, _, _, _, align = struct.unpack_from("<IIQQQQQQ", table, index * phentsize)
        if kind == PT_LOAD and align > 1 and (address - offset) % align:
            return False
    return True


def strip(path: Path, scratch: Path) -> str | None:
    """Strips the file in place if the result still loads; otherwise returns why it was kept."""
    loadable = segments_loadable(path)
    if loadable is None:
        return "not a 64-bit little-endian ELF file"
    if not loadable:
        return "its segments are already misplaced"
    stripped = scratch / "stripped"
    shutil.copy2(path, stripped)
    subprocess.run(["strip", "--strip-unneeded", str(stripped)], check=True)
    if not segments_loadable(stripped):
        return "strip would misplace its segments"
    shutil.copymode(path, stripped)
    os.replace(stripped, path)
    return None


def main(roots: list[str]) -> int:
    if not roots:
        print("usage: shrink-tree.py DIR...", file=sys.stderr)
        return 2
    paths = [Path(root) for root in roots]
    kept = []
    with tempfile.TemporaryDirectory(dir=paths[0]) as scratch:
        for path in native_files(paths):
            reason = strip(path, Path(scratch))
            if reason:
                kept.append((path, reason))
    for path, reason in kept:
        print(f"shrink-tree.py: kept as it was ({reason}): {path}")
    subprocess.run(["hardlink", "--quiet", "--ignore-time", "--minimum-size", "1k", *roots], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
