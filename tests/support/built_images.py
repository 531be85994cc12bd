"""The images under test, as build.py builds them for this session (tests/conftest.py, tests/hub/conftest.py)."""

from pathlib import Path

from workbench_build.options import BuildOptions, host_ca_bundle

# The image under test with tools declared as an image built on it declares them, served by fake backends.
FAKE_TOOLS = Path(__file__).resolve().parent.parent / "resources" / "fake_tools"


def build_options(pytestconfig) -> BuildOptions:
    """What build.py would build for this session: the flavor under test, trusting --ca-cert or this host's CAs."""
    return BuildOptions(
        flavor=pytestconfig.getoption("flavor"), ca_cert=pytestconfig.getoption("ca_cert") or host_ca_bundle()
    )
