"""How fast one client address may guess the token: the workspace's Jupyter counts failed logins here, and nginx tells
a throttled client when to come back."""

from __future__ import annotations

import time


class Guesses:
    """Failed logins per client address, as a leaky bucket: BURST failures in a row are allowed, then one more every
    LEAK_SECONDS. While the bucket is full, a token from that address is not even compared."""

    BURST = 20
    LEAK_SECONDS = 6.0
    # Beyond this many addresses, the ones that have drained are forgotten.
    MAX_ADDRESSES = 10_000

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.levels: dict[str, tuple[float, float]] = {}  # address -> (failures not yet leaked, when measured)

    def _level(self, address: str) -> float:
        level, measured = self.levels.get(address, (0.0, self.clock()))
        return max(0.0, level - (self.clock() - measured) / self.LEAK_SECONDS)

    def wait_seconds(self, address: str) -> int:
        """0 when a guess from this address may be checked; otherwise how long until one may."""
        excess = self._level(address) - (self.BURST - 1)
        return 0 if excess <= 0 else max(1, round(excess * self.LEAK_SECONDS))

    def failed(self, address: str) -> None:
        if len(self.levels) >= self.MAX_ADDRESSES:
            self.levels = {known: state for known, state in self.levels.items() if self._level(known) > 0}
        self.levels[address] = (self._level(address) + 1, self.clock())
