"""The runtime package's floors, as ARCHITECTURE.md lists them: every module is on one, and imports only from its
own floor and those below."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "workspace" / "resources" / "workbench"


def floors() -> dict[str, int]:
    """module name -> floor, from the numbered list under "Layers" in ARCHITECTURE.md."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    found = {}
    for number, item in re.findall(r"^(\d)\. (.*?)(?=^\d\. |^$)", text, re.MULTILINE | re.DOTALL):
        for module in re.findall(r"`([a-z_]+)\.py`", item):
            found[module] = int(number)
    return found


def imported_modules(path: Path) -> set[str]:
    """The package's modules this one imports (from . import x, from .x import y)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names |= {node.module} if node.module else {alias.name for alias in node.names}
    return names - {"__version__"}


def test_every_module_is_on_a_floor():
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules - set(floors()) == set(), "add these to a floor in ARCHITECTURE.md"
    assert set(floors()) - modules == set(), "ARCHITECTURE.md names modules that do not exist"


def test_no_module_imports_from_a_floor_above_its_own():
    floor = floors()
    upward = [
        f"{path.stem} (floor {floor[path.stem]}) imports {name} (floor {floor[name]})"
        for path in sorted(PACKAGE.glob("*.py"))
        if path.stem != "__init__"
        for name in imported_modules(path)
        if floor[name] > floor[path.stem]
    ]
    assert upward == []
