"""Command-line options of the test suite. Here, at the top, because pytest reads options before it
collects tests/ (the fixtures are in tests/conftest.py)."""

import pytest

from workbench_build.project import FLAVORS, flavor_chain


def pytest_addoption(parser):
    group = parser.getgroup("workbench")
    group.addoption("--flavor", default="minimal", choices=FLAVORS, help="image flavor to test (build.py --flavor)")
    group.addoption("--ca-cert", default=None, help="extra CA for the image build (see build.py --ca-cert)")
    group.addoption(
        "--image-built",
        action="store_true",
        help="the image is already built (build.py test did it); only check that it exists",
    )


def pytest_collection_modifyitems(config, items):
    # The flavors the tested one contains: a test marked flavor("full") runs for full and gpu.
    contained = flavor_chain(config.getoption("flavor"))
    for item in items:
        marker = item.get_closest_marker("flavor")
        if marker and marker.args[0] not in contained:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"needs the {marker.args[0]} flavor (python3 build.py test --flavor {marker.args[0]})"
                )
            )
