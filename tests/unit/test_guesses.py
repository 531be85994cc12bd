"""The token guesser's budget: a burst of failures, then one more per leak period, per client address."""

from workbench.facts.guesses import Guesses


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_failures_is_allowed_then_one_per_leak_period():
    clock = Clock()
    guesses = Guesses(clock)
    for _ in range(Guesses.BURST):
        assert guesses.wait_seconds("203.0.113.9") == 0
        guesses.failed("203.0.113.9")
    assert guesses.wait_seconds("203.0.113.9") == round(Guesses.LEAK_SECONDS)
    assert guesses.wait_seconds("198.51.100.7") == 0  # another address is not affected
    clock.now += Guesses.LEAK_SECONDS
    assert guesses.wait_seconds("203.0.113.9") == 0
    guesses.failed("203.0.113.9")
    assert guesses.wait_seconds("203.0.113.9") > 0


def test_a_drained_address_is_forgotten_when_there_are_too_many():
    clock = Clock()
    guesses = Guesses(clock)
    guesses.MAX_ADDRESSES = 3
    for address in ("a", "b", "c"):
        guesses.failed(address)
    clock.now += Guesses.LEAK_SECONDS * 2
    guesses.failed("d")
    assert set(guesses.levels) == {"d"}
