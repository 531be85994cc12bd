"""Command-line options of the test suite. Here, at the top, because pytest reads options before it
collects tests/ (the fixtures are in tests/conftest.py)."""

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("workbench")
    group.addoption("--flavor", default="minimal", help="image flavor to test (see build.py --flavor)")
    group.addoption("--ca-cert", default=None, help="extra CA for the image build (see build.py --ca-cert)")
    group.addoption(
        "--image-built",
        action="store_true",
        help="the image is already built (build.py test did it); only check that it exists",
    )


# The flavors each flavor contains: a test marked flavor("full") runs for full and gpu.
FLAVORS_WITHIN = {"minimal": {"minimal"}, "full": {"minimal", "full"}, "gpu": {"minimal", "full", "gpu"}}


def pytest_collection_modifyitems(config, items):
    tested = config.getoption("flavor")
    for item in items:
        marker = item.get_closest_marker("flavor")
        if marker and marker.args[0] not in FLAVORS_WITHIN.get(tested, {tested}):
            item.add_marker(
                pytest.mark.skip(
                    reason=f"needs the {marker.args[0]} flavor (python3 build.py test --flavor {marker.args[0]})"
                )
            )
