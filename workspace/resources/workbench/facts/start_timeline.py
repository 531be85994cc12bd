"""The start, step by step, in seconds since the container started (PID 1's start): written by the entrypoint and
Jupyter, printed once the workspace answers through its port, with WORKSPACE_LOG_LEVEL=debug. The benchmark reads
the same lines to show where a start goes."""

from __future__ import annotations

import os
from pathlib import Path

from . import paths

TITLE = "Start timeline, seconds since the container started:"
# One step's line as printed: "  <seconds>  <step>"; benchmarks/run.py reads it back.
LINE_FORMAT = "  {at:6.2f}  {step}"
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _boot_seconds_of_start(pid: int | str) -> float:
    """When a process started, in seconds since the machine booted (field 22 of /proc/<pid>/stat, after the name,
    which may hold spaces and parentheses)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[19]) / TICKS_PER_SECOND


def _uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def now() -> float:
    """Seconds since the container's first process started (to the kernel's clock tick, 10 ms)."""
    return _uptime() - _boot_seconds_of_start(1)


def process_started(pid: int | str) -> float:
    """When a process of this container started, in the timeline's seconds."""
    return _boot_seconds_of_start(pid) - _boot_seconds_of_start(1)


class Timeline:
    """Steps as they happen, kept in memory until the run directory exists, then in its file."""

    def __init__(self) -> None:
        self.steps: list[tuple[float, str]] = []

    def mark(self, step: str, at: float | None = None) -> None:
        self.steps.append((now() if at is None else at, step))

    def write(self, path: Path = paths.START_TIMELINE_FILE) -> None:
        with path.open("a") as timeline:
            timeline.writelines(f"{at:.3f} {step}\n" for at, step in self.steps)
        self.steps.clear()


def read(path: Path = paths.START_TIMELINE_FILE) -> list[tuple[float, str]]:
    """The steps written so far, in order."""
    steps = []
    for line in path.read_text().splitlines():
        at, step = line.split(" ", 1)
        steps.append((float(at), step))
    return sorted(steps)


def render(steps: list[tuple[float, str]]) -> str:
    return "\n".join([TITLE] + [LINE_FORMAT.format(at=at, step=step) for at, step in steps]) + "\n"


def parse(log: str) -> dict[str, float]:
    """The steps of the timeline printed in a log, by step."""
    if TITLE not in log:
        return {}
    steps = {}
    for line in log.split(TITLE, 1)[1].splitlines()[1:]:
        fields = line.split(None, 1)
        if len(fields) != 2 or not line.startswith("  "):
            break
        steps[fields[1]] = float(fields[0])
    return steps
