"""The states a program or a tool is in, and how the landing page and the starting page show each: supervisord's
program states, and IDLE, a tool that starts when opened and is not running now."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    RUNNING = "RUNNING"
    STARTING = "STARTING"
    BACKOFF = "BACKOFF"
    STOPPING = "STOPPING"
    IDLE = "IDLE"
    STOPPED = "STOPPED"
    FATAL = "FATAL"
    EXITED = "EXITED"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Shown:
    css_class: str  # running, starting, idle or failed: the colour of the dot
    label: str


SHOWN = {
    State.RUNNING: Shown("running", "running"),
    State.STARTING: Shown("starting", "starting…"),
    State.BACKOFF: Shown("starting", "restarting…"),
    State.STOPPING: Shown("starting", "stopping"),
    State.IDLE: Shown("idle", "starts when opened"),
    State.STOPPED: Shown("idle", "stopped"),
    State.FATAL: Shown("failed", "fatal"),
    State.EXITED: Shown("failed", "exited"),
    State.UNKNOWN: Shown("failed", "unknown"),
}
# The states after which waiting longer for a tool to start will not help (the wake route and the starting page).
GIVEN_UP = (State.FATAL, State.EXITED)
# The order in which a tool with several programs reports the one that is worst off.
SEVERITY = (
    State.FATAL,
    State.BACKOFF,
    State.EXITED,
    State.STOPPED,
    State.UNKNOWN,
    State.STOPPING,
    State.STARTING,
)
