"""`lint`, `test` and `bench`: the machine prepared for them (the engine, the base image, the test tools), the code
checks, the test suite and the benchmarks."""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from .engine import ensure_base_image, ensure_engine, image_exists
from .images import build, image_tags
from .options import BuildOptions
from .project import HUB_IMAGE, ROOT
from .shell import apt_install, capture, run, say

TEST_VENV = ROOT / ".venv-test"
TEST_REQUIREMENTS = ROOT / "tests" / "requirements.txt"
# The unit tests alone (test --unit): no Docker, no browser, a venv of their own that installs in seconds.
UNIT_VENV = ROOT / ".venv-unit"
UNIT_REQUIREMENTS = ROOT / "tests" / "requirements-unit.txt"
UNIT_TESTS = "tests/unit"
# SageMaker's Python SDK v3 (sagemaker-train, sagemaker-core) installs a package called `sagemaker` as v2 does, so
# the two cannot share an environment: the v3 tests drive it from this one (tests/support/sagemaker_v3.py).
SAGEMAKER_V3_VENV = ROOT / ".venv-sagemaker-v3"
SAGEMAKER_V3_REQUIREMENTS = ROOT / "tests" / "requirements-sagemaker-v3.txt"

CHROMIUM = "/usr/bin/chromium"  # Playwright cannot download its own browser on hosts without internet access


def ensure_test_environment(options: BuildOptions) -> Path:
    """Debian's Chromium for the browser tests, the OpenSSH client for the SSH tests, Docker Compose for SageMaker's
    local mode, ShellCheck for the lint step, and a virtual environment with the test tools (ruff and hadolint among
    them; reused while its requirements are the same)."""
    if not Path(CHROMIUM).exists():
        say("Chromium not found: installing Debian's chromium for the browser tests")
        apt_install("chromium")
    if not (shutil.which("ssh") and shutil.which("sftp")):
        say("OpenSSH client not found: installing it for the SSH tests")
        apt_install("openssh-client")
    if not (shutil.which("docker-compose") or capture(["docker", "compose", "version"]).returncode == 0):
        say("Docker Compose not found: installing Debian's docker-compose for SageMaker's local mode tests")
        apt_install("docker-compose")
    if not shutil.which("shellcheck"):
        say("ShellCheck not found: installing Debian's shellcheck for the lint step")
        apt_install("shellcheck")
    return ensure_venv(TEST_VENV, TEST_REQUIREMENTS, options)


def ensure_venv(venv: Path, requirements: Path, options: BuildOptions) -> Path:
    """A virtual environment with these requirements (pip trusting the build's CA); reused while they are the same."""
    python = venv / "bin" / "python"
    stamp = venv / ".requirements"
    wanted = requirements_text(requirements)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if capture([sys.executable, "-c", "import ensurepip, venv"]).returncode != 0:
        apt_install("python3-venv")
    run([sys.executable, "-m", "venv", "--clear", str(venv)])
    env = {"PIP_CERT": options.ca_cert} if options.ca_cert else {}
    if options.pip_index_url:
        env["PIP_INDEX_URL"] = options.pip_index_url
    run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(requirements)], env=env)
    stamp.write_text(wanted)
    return python


def requirements_text(requirements: Path) -> str:
    """The file's text and that of every file it includes (-r), so that a change in either renews the venv."""
    text = requirements.read_text()
    included = re.findall(r"^-r\s+(\S+)", text, re.MULTILINE)
    return text + "".join(requirements_text(requirements.parent / name) for name in included)


def prepare_machine(options: BuildOptions) -> tuple[Path, BuildOptions]:
    """The Docker engine, the base image and the test tools; returns the test environment's Python, and the options
    to build with now that the engine and the base image are known to be there."""
    ensure_engine()
    ensure_base_image(options.base_image, options)
    return ensure_test_environment(options), replace(options, tags=(), dry_run=False, skip_setup=True)


# Not the repository's own code: virtual environments, test output, staged build inputs.
LINT_SKIPPED = {
    ".git",
    ".venv-test",
    ".venv-sagemaker-v3",
    ".venv-unit",
    "test-artifacts",
    "build-wheels",
    "build-ca",
    "node_modules",
    "__pycache__",
}


def repository_files() -> list[Path]:
    found = []
    for folder, folders, files in os.walk(ROOT):
        folders[:] = sorted(name for name in folders if name not in LINT_SKIPPED)
        found += [Path(folder) / name for name in sorted(files)]
    return found


def is_shell_script(path: Path) -> bool:
    """*.sh, or a sh or bash shebang; not a template (*.j2), which is checked as it renders."""
    if path.suffix in (".sh", ".j2"):
        return path.suffix == ".sh"
    try:
        with path.open("rb") as file:
            first = file.readline(100)
    except OSError:
        return False
    return re.match(rb"#!\s*(/usr)?/bin/(env\s+)?(ba)?sh\s*$", first) is not None


def lint_commands(python: Path) -> list[list[str]]:
    """Python through ruff (ruff.toml), the Dockerfiles through hadolint (.hadolint.yaml), the shell scripts through
    ShellCheck. The SSH setup script is a template: tests/unit/test_render.py checks what it renders."""
    files = repository_files()
    tools = python.parent
    return [
        [str(tools / "ruff"), "check", "--no-cache", str(ROOT)],
        [str(tools / "ruff"), "format", "--no-cache", "--check", str(ROOT)],
        [str(tools / "hadolint"), *(str(path) for path in files if path.name == "Dockerfile")],
        ["shellcheck", *(str(path) for path in files if is_shell_script(path))],
    ]


def run_linters(python: Path) -> int:
    failed = [command[0] for command in lint_commands(python) if run(command, check=False, cwd=ROOT) != 0]
    if failed:
        say(f"lint failed: {', '.join(Path(name).name for name in failed)} (see above)")
        return 1
    return 0


def lint(options: BuildOptions) -> int:
    return run_linters(ensure_test_environment(options))


def pytest_command(python: Path, *args: str) -> list[str]:
    return [str(python), "-m", "pytest", *args]


def run_pytest(cmd: list[str]) -> int:
    # From the repository root, so that pytest.ini and its testpaths apply whatever the caller's folder.
    code = run(cmd, check=False, env={"PYTHONDONTWRITEBYTECODE": "1"}, cwd=ROOT)
    if code == 5:
        say("pytest collected no tests: that is a failure")
        return 1
    return code


def unit_tests(python: Path, pytest_args: list[str] = ()) -> int:
    """The runtime's and the build's logic, in seconds: no engine, no image, no browser; -x stops at the first
    failure."""
    return run_pytest(pytest_command(python, "-x", "-q", UNIT_TESTS, *pytest_args))


def test(options: BuildOptions, pytest_args: list[str], unit_only: bool = False) -> int:
    """Prepare the machine, check the code, run the unit tests, build the flavor and the hub image, run the suite;
    unit_only: the unit tests alone, in a venv of their own."""
    if unit_only:
        return unit_tests(ensure_venv(UNIT_VENV, UNIT_REQUIREMENTS, options), pytest_args)
    python, options = prepare_machine(options)
    if run_linters(python) != 0 or unit_tests(python) != 0:
        return 1
    ensure_venv(SAGEMAKER_V3_VENV, SAGEMAKER_V3_REQUIREMENTS, options)
    build(options)
    build(options, HUB_IMAGE)  # the hub tests spawn the workspace from it
    # The unit tests ran above; the suite runs the rest (or what pytest_args name).
    cmd = pytest_command(python, "--flavor", options.flavor, "--image-built", f"--deselect={UNIT_TESTS}")
    if options.ca_cert:
        # "=" keeps pytest from taking the file's folder for a test path when it looks for its rootdir.
        cmd.append(f"--ca-cert={options.ca_cert}")
    return run_pytest(cmd + pytest_args)


def bench(options: BuildOptions, bench_args: list[str]) -> int:
    python, options = prepare_machine(options)
    if not image_exists(image_tags(options)[0]):
        build(options)
    if not image_exists(image_tags(options, HUB_IMAGE)[0]):
        build(options, HUB_IMAGE)  # the many-users measure spawns workspaces from it
    return run([str(python), str(ROOT / "benchmarks" / "run.py"), *bench_args], check=False, cwd=ROOT)
