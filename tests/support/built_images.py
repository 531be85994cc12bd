"""The images under test, as build.py builds them for this session (tests/conftest.py, tests/hub/conftest.py)."""

import shutil
from pathlib import Path

from workbench_build.images import context_with_ca
from workbench_build.options import BuildOptions, host_ca_bundle

# The image under test with tools declared as an image built on it declares them, served by fake backends.
FAKE_TOOLS = Path(__file__).resolve().parent.parent / "resources" / "fake_tools"


def build_options(pytestconfig) -> BuildOptions:
    """What build.py would build for this session: the flavor under test, trusting --ca-cert or this host's CAs."""
    return BuildOptions(
        flavor=pytestconfig.getoption("flavor"), ca_cert=pytestconfig.getoption("ca_cert") or host_ca_bundle()
    )


def build_on_image(docker_client, folder: Path, name: str, base: str, ca_bundle: str | None, labels: dict) -> str:
    """An image as a user builds one on the image under test (FROM ${BASE}) from a folder of tests/resources, with
    pip behind this host's proxy (its CA goes into the context). Kept like the image under test, so that the next
    run's build is a cache hit instead of a download."""
    tag = f"{name}:{base.rpartition(':')[2]}"
    with context_with_ca(ca_bundle) as context:
        shutil.copytree(folder, context, dirs_exist_ok=True)
        docker_client.images.build(
            path=str(context), tag=tag, buildargs={"BASE": base}, rm=True, forcerm=True, labels=labels
        )
    return tag
