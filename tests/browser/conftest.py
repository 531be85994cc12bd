"""The browser fixtures (tests/browsers.py) for these tests."""
from browsers import browser, page, screenshot  # noqa: F401
