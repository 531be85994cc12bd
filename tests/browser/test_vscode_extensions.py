"""VS Code extensions built into the image: `build.py build --vscode-extensions-dir DIR` installs a .vsix the test
makes (offline, as a build behind a closed network does), VS Code lists it among its built-in extensions and runs it
in the browser; the default build, which asks Open VSX for the pinned list, says in one line when Open VSX cannot be
reached and builds all the same."""

import subprocess
import sys
from pathlib import Path

import pytest

from built_images import build_options
from vsix import EXTENSION_ID, STATUS_TEXT, VERSION, make_vsix
from workbench.facts import catalogue
from workbench_build.vscode_extensions import OPEN_VSX, default_ids, reachable
from workspaces import WorkspaceFactory

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
# VS Code's built-in extensions folder, beside code-server's entry point (the Dockerfile copies the image's there).
BUILT_IN = Path(dict(catalogue.by_name("vscode").values)["code_server"]).parents[2] / "lib" / "vscode" / "extensions"


def build(pytestconfig, tag: str, *options: str) -> subprocess.CompletedProcess:
    """build.py build as a user types it, trusting what the session's image build trusted."""
    command = [sys.executable, str(ROOT / "build.py"), "build", "--flavor", pytestconfig.getoption("flavor")]
    ca_cert = build_options(pytestconfig).ca_cert
    command += ["--ca-cert", ca_cert] if ca_cert else ["--no-ca-cert"]
    built = subprocess.run([*command, "--tag", tag, *options], capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return built


def built_in_folders(docker_client, tag: str) -> list[str]:
    return docker_client.containers.run(tag, [str(BUILT_IN)], entrypoint="ls", remove=True).decode().split()


@pytest.fixture(scope="module")
def with_vsix(pytestconfig, docker_client, image, tmp_path_factory):
    folder = tmp_path_factory.mktemp("vsix")
    make_vsix(folder)
    tag = f"workbench-test-vsix:{image.rpartition(':')[2]}"
    built = build(pytestconfig, tag, "--vscode-extensions-dir", str(folder))
    assert f"installing 1 VS Code extensions from {folder}" in built.stdout
    try:
        yield tag
    finally:
        docker_client.images.remove(tag, force=True)


def test_a_vsix_given_to_the_build_is_a_built_in_extension_that_runs_in_vscode(
    docker_client, with_vsix, page, screenshot
):
    assert f"{EXTENSION_ID}-{VERSION}" in built_in_folders(docker_client, with_vsix)
    with WorkspaceFactory(docker_client, with_vsix) as factory:
        workspace = factory.start()
        page.goto(workspace.url + f"tools/vscode/?folder=/workspace&token={workspace.token}")
        page.wait_for_selector(".monaco-workbench", timeout=120_000)
        # Active: its status bar item is there.
        page.wait_for_selector(f'.statusbar-item:has-text("{STATUS_TEXT}")', timeout=90_000)
        # Listed: the Extensions view shows it among the built-in ones.
        page.keyboard.press("Control+Shift+X")
        page.click(".extensions-viewlet .suggest-input-container")
        page.keyboard.type("@builtin Hello status")
        page.wait_for_selector('.extensions-viewlet .extension-list-item:has-text("Hello status")', timeout=30_000)
        screenshot(page, "vscode-with-vsix")


def test_the_default_build_asks_open_vsx_for_the_pinned_list_or_says_it_cannot(pytestconfig, docker_client, image):
    tag = f"workbench-test-default-extensions:{image.rpartition(':')[2]}"
    built = build(pytestconfig, tag)
    try:
        warnings = [line for line in built.stdout.splitlines() if "cannot be reached" in line]
        folders = built_in_folders(docker_client, tag)
        pinned = [extension.partition("@")[0] for extension in default_ids()]
        found = [name for name in pinned if any(folder.startswith(f"{name}-") for folder in folders)]
        if reachable(OPEN_VSX, build_options(pytestconfig).ca_cert):
            assert warnings == [] and found == pinned
        else:
            assert warnings == [
                f"[build.py] warning: {OPEN_VSX} cannot be reached from this machine: the image is built without the "
                f"VS Code extensions {', '.join(default_ids())} (--vscode-extensions-dir DIR installs .vsix files "
                "instead)"
            ]
            assert found == []
    finally:
        docker_client.images.remove(tag, force=True)
