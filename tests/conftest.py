"""Fixtures: one image build per session, and containers on free host ports that are always removed.

Docker's client, Playwright and the HTTP clients are imported where a fixture needs them, so that tests/unit runs
with the runtime's own dependencies alone (pytest.ini's pythonpath puts the runtime package and tests/ on the path).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from browsers import FAILED, browser, contexts, page, playwright_driver, screenshot  # noqa: F401 (one Playwright)
from built_images import FAKE_TOOLS, build_options
from workbench_build import images


@pytest.fixture(scope="session")
def docker_client():
    import docker

    from workspaces import TEST_LABEL, left_behind

    client = docker.from_env(timeout=300)
    yield client
    # Containers of a crashed earlier session, or of a test killed half-way, are removed too; not another session's.
    for container in client.containers.list(all=True, filters={"label": TEST_LABEL}):
        if left_behind(container.labels[TEST_LABEL]):
            container.remove(force=True)
    client.close()


@pytest.fixture(scope="session")
def image(pytestconfig, docker_client) -> str:
    """The image under test, built once per session through build.py (a cache hit when nothing changed)."""
    options = build_options(pytestconfig)
    tag = images.image_tags(options)[0]
    if not pytestconfig.getoption("image_built"):
        images.build(options)
    docker_client.images.get(tag)
    return tag


@pytest.fixture(scope="session")
def fake_tools_image(docker_client, image) -> str:
    """The image under test with the fake tools of tests/resources/fake_tools declared (a cache hit after the first)."""
    from workspaces import TEST_LABELS

    tag = f"workbench-test-fake-tools:{image.rpartition(':')[2]}"
    docker_client.images.build(path=str(FAKE_TOOLS), tag=tag, buildargs={"BASE": image}, rm=True, labels=TEST_LABELS)
    yield tag
    docker_client.images.remove(tag, force=True)


@pytest.fixture(scope="session")
def sagemaker_kernel_image(pytestconfig, docker_client, image) -> str:
    """An image with the "Python (SageMaker)" kernel: full and gpu have it; minimal as build.py build
    --sagemaker-kernel makes it (a small layer on the image under test, kept like it for the next run's cache)."""
    if pytestconfig.getoption("flavor") != "minimal":
        return image
    tag = "workbench-test-sagemaker-kernel:minimal"
    images.build(replace(build_options(pytestconfig), sagemaker_kernel=True, tags=(tag,), skip_setup=True))
    docker_client.images.get(tag)
    return tag


@pytest.fixture(scope="session")
def job_image(docker_client, image, tmp_path_factory, pytestconfig):
    """The Jobs page's first step (docs/jobs.md): a folder with a training script and its requirements, packaged;
    SageMaker's SDK runs it from the host and from a notebook in the workspace."""
    import subprocess
    import sys

    from ml_jobs import SCRIPT

    code = tmp_path_factory.mktemp("package") / "churn-model"
    code.mkdir()
    (code / "train.py").write_text(SCRIPT)
    (code / "requirements.txt").write_text("# nothing beyond the image's own libraries\n")
    command = [
        sys.executable,
        str(Path(__file__).resolve().parent.parent / "build.py"),
        "package",
        str(code),
        "--tag",
        "workbench-test-job:latest",
        "--flavor",
        pytestconfig.getoption("flavor"),
    ]
    if pytestconfig.getoption("ca_cert"):
        command.append(f"--ca-cert={pytestconfig.getoption('ca_cert')}")
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SAGEMAKER_PROGRAM=train.py" in result.stdout
    yield "workbench-test-job:latest"  # its containers: the tests that run it remove them
    docker_client.images.remove("workbench-test-job:latest", force=True)


@pytest.fixture(scope="session")
def web_apps_image(pytestconfig, docker_client, image) -> str:
    """The image under test with Streamlit and a plain ASGI app installed (tests/resources/web_apps). Kept after the
    session like the image under test, so that the next run's build is a cache hit instead of a download."""
    from web_apps import build_web_apps_image
    from workspaces import TEST_LABELS

    return build_web_apps_image(docker_client, image, build_options(pytestconfig).ca_cert, TEST_LABELS)


@pytest.fixture
def short_home():
    """ssh's control sockets live in ~/.ssh, and a unix socket path must stay under 108 bytes: pytest's tmp_path
    is too deep for that."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir="/tmp"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def host_workspace(tmp_path) -> Path:
    from workspaces import user_folder

    return user_folder(tmp_path)


@pytest.fixture
def workspaces(docker_client, image):
    """Start workspaces inside one test; every one is removed afterwards, pass or fail."""
    from workspaces import WorkspaceFactory

    with WorkspaceFactory(docker_client, image) as factory:
        yield factory


@pytest.fixture(scope="module")
def workspace(docker_client, image, tmp_path_factory):
    """A workspace started as the README says (random token), shared by a module's read-only tests."""
    from workspaces import WorkspaceFactory, user_folder

    folder = user_folder(tmp_path_factory.mktemp("shared"))
    with WorkspaceFactory(docker_client, image) as factory:
        yield factory.start(workspace_dir=folder)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Lets fixtures know in their teardown that the test failed (the browser's page saves what it showed)."""
    outcome = yield
    if call.when == "call" and outcome.get_result().failed:
        item.stash[FAILED] = True
