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


def segments_loadable(path: Path) -> bool:
    """Every loadable segment of a 64-bit little-endian ELF file at an offset congruent to its address."""
    data = path.read_bytes()
    if data[4] != 2 or data[5] != 1:  # not ELFCLASS64 / ELFDATA2LSB: left alone by the caller
        return False
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for index in range(phnum):
        kind, _, offset, address, _, _, _, align = struct.unpack_from("<IIQQQQQQ", data, phoff + index * phentsize)
        if kind == PT_LOAD and align > 1 and (address - offset) % align:
            return False
    return True


def strip(path: Path, scratch: Path) -> bool:
    """Strips the file in place if the result still loads; returns whether it did."""
    if not segments_loadable(path):
        return False
    stripped = scratch / "stripped"
    shutil.copy2(path, stripped)
    subprocess.run(["strip", "--strip-unneeded", str(stripped)], check=True)
    if not segments_loadable(stripped):
        return False
    shutil.copymode(path, stripped)
    os.replace(stripped, path)
    return True


def main(roots: list[str]) -> int:
    if not roots:
        print("usage: shrink-tree.py DIR...", file=sys.stderr)
        return 2
    paths = [Path(root) for root in roots]
    kept = []
    with tempfile.TemporaryDirectory(dir=paths[0]) as scratch:
        for path in native_files(paths):
            if not strip(path, Path(scratch)):
                kept.append(path)
    for path in kept:
        print(f"shrink-tree.py: kept as it was (strip would misplace its segments): {path}")
    subprocess.run(["hardlink", "--quiet", "--ignore-time", "--minimum-size", "1k", *roots], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
