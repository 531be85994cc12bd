"""The images under test, as build.py builds them for this session (tests/conftest.py, tests/hub/conftest.py)."""

from workbench_build.options import BuildOptions, host_ca_bundle


def build_options(pytestconfig) -> BuildOptions:
    """What build.py would build for this session: the flavor under test, trusting --ca-cert or this host's CAs."""
    return BuildOptions(
        flavor=pytestconfig.getoption("flavor"), ca_cert=pytestconfig.getoption("ca_cert") or host_ca_bundle()
    )
