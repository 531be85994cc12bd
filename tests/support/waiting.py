"""The tests' one readiness wait, standard library only (tests/unit uses it too)."""

from __future__ import annotations

import time


def wait_until(check, timeout: float = 60, interval: float = 0.2, failure=None):
    """check()'s first true value, asked every `interval` seconds; an OSError meanwhile (a refused connection, any of
    requests' errors) counts as not yet. The one readiness wait of the tests: after `timeout` seconds an AssertionError
    says what failure() returns (what was seen last), or the check's name."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except OSError:  # requests' errors are OSErrors too
            pass
        if time.monotonic() > deadline:
            seen = failure() if failure else getattr(check, "__name__", repr(check))
            raise AssertionError(f"not so within {timeout} s: {seen}")
        time.sleep(interval)
