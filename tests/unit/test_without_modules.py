"""The launcher that runs a tool's console script without a module it would import and never use
(workbench/start/without_modules.py), on an installed console script of its own, in a fresh interpreter."""

import subprocess
import sys
from pathlib import Path

from workbench.start import without_modules

TOOL = """
import sys, warnings
try:
    import heavy
    HOW = "with heavy"
except ImportError:
    warnings.warn("no 'heavy' module, this will be slower")
    HOW = "without heavy"
warnings.warn("a warning about something else")


def main():
    print(HOW, sys.argv)
    return 3
"""


def run_tool(tmp_path: Path, *launch: str) -> subprocess.CompletedProcess:
    (tmp_path / "heavy.py").write_text("")
    (tmp_path / "fake_tool.py").write_text(TOOL)
    dist_info = tmp_path / "fake_tool-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-tool\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[console_scripts]\nfake-tool = fake_tool:main\n")
    package_parent = str(Path(without_modules.__file__).parents[2])
    return subprocess.run(
        [sys.executable, *launch],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{tmp_path}:{package_parent}"},
        cwd=tmp_path,
        timeout=60,
    )


def test_the_script_runs_with_its_arguments_and_without_the_module_and_its_warning(tmp_path):
    ran = run_tool(tmp_path, "-m", "workbench.start.without_modules", "heavy,other", "fake-tool", "--logdir", "/x")
    assert ran.returncode == 3, ran.stderr
    assert ran.stdout == "without heavy ['fake-tool', '--logdir', '/x']\n"
    assert "heavy" not in ran.stderr and "a warning about something else" in ran.stderr


def test_the_same_script_has_the_module_when_run_as_usual(tmp_path):
    ran = run_tool(tmp_path, "-c", "import sys, fake_tool; sys.exit(fake_tool.main())")
    assert ran.returncode == 3 and ran.stdout.startswith("with heavy"), ran.stderr
