"""The runtime package's floors, as ARCHITECTURE.md lists them: each sub-package is on one, every module is listed
under its sub-package, and a module imports only from its own floor and those below."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "workspace" / "resources" / "workbench"


def architecture() -> tuple[dict[str, int], dict[str, set[str]]]:
    """From the numbered list under "Layers" in ARCHITECTURE.md: sub-package -> floor, and sub-package -> the
    modules listed under it (a `name/` opens a sub-package, the `module.py` names after it are its modules)."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    floors, listed = {}, {}
    for number, item in re.findall(r"^(\d)\. (.*?)(?=^\d\. |^$)", text, re.MULTILINE | re.DOTALL):
        package = None
        for name, kind in re.findall(r"`([a-z_]+)(/|\.py)`", item):
            if kind == "/":
                package = name
                floors[package] = int(number)
                listed[package] = set()
            else:
                listed[package].add(name)
    return floors, listed


def modules() -> dict[str, set[str]]:
    return {
        folder.name: {path.stem for path in folder.glob("*.py")} - {"__init__"}
        for folder in sorted(PACKAGE.iterdir())
        if (folder / "__init__.py").exists()
    }


def imported_packages(path: Path) -> set[str]:
    """The sub-packages this module imports from: its own (from . import x) and others (from ..other import x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add(path.parent.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_every_module_is_listed_under_its_sub_package_and_every_sub_package_is_on_a_floor():
    floors, listed = architecture()
    assert set(modules()) == set(floors), "ARCHITECTURE.md's floors and the sub-packages differ"
    assert modules() == listed, "ARCHITECTURE.md lists other modules than the sub-packages hold"
    assert {path.name for path in PACKAGE.glob("*.py")} == {"__init__.py"}, "a module outside the sub-packages"


def test_no_module_imports_from_a_floor_above_its_own():
    floors, _ = architecture()
    upward = [
        f"{path.parent.name}/{path.name} (floor {floors[path.parent.name]}) imports {package} (floor {floors[package]})"
        for path in sorted(PACKAGE.glob("*/*.py"))
        for package in imported_packages(path)
        if floors[package] > floors[path.parent.name]
    ]
    assert upward == []
