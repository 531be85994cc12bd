"""Command-line options of the test suite. Here, at the top, because pytest reads options before it
collects tests/ (the fixtures are in tests/conftest.py)."""


def pytest_addoption(parser):
    group = parser.getgroup("workbench")
    group.addoption("--flavor", default="minimal", help="image flavor to test (see build.py --flavor)")
    group.addoption("--ca-cert", default=None, help="extra CA for the image build (see build.py --ca-cert)")
    group.addoption("--image-built", action="store_true",
                    help="the image is already built (build.py test did it); only check that it exists")
