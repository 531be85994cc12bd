"""Jupyter's entry point (workbench/start/jupyter_app.py): what it defers of Jupyter Server's imports still works
when used. Run in a fresh interpreter, as supervisord starts Jupyter: the test process has imported jsonschema."""

import subprocess
import sys
from pathlib import Path

from workbench.start import jupyter_app

CHECK = """
import sys
from workbench.start.jupyter_app import defer_iri_checks
defer_iri_checks()
import jsonschema
from jupyter_server import serverapp  # what Jupyter imports first, jsonschema's format checks with it
assert "lark" not in sys.modules, "the IRI parsers were built at import"
checker = jsonschema.FormatChecker()
assert checker.conforms("https://example.org/ü?q=1", "iri")
assert not checker.conforms("not an iri", "iri")
assert checker.conforms("../a b", "iri-reference") is False and checker.conforms("../ä", "iri-reference")
assert "lark" in sys.modules
print("ok")
"""


def test_iri_checks_are_built_when_first_used_and_still_check():
    package_parent = str(Path(jupyter_app.__file__).parents[2])
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, env={"PYTHONPATH": package_parent}, timeout=60
    )
    assert result.stdout == "ok\n", result.stderr
