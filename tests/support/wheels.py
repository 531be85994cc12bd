"""A tiny pure-Python wheel made on the spot, so that installing packages needs no package index."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(folder: Path, module: str, value: str, version: str = "1.0") -> Path:
    """A wheel of one module whose VALUE is `value`."""
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}.py": f"VALUE = {value!r}\n".encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {module}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: workbench-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "\n".join(_record_line(name, data) for name, data in files.items()) + f"\n{dist_info}/RECORD,,\n"
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr(f"{dist_info}/RECORD", record)
    return wheel
