"""docker-stacks' log lines (its _docker_stacks_log.sh, which the image has for hooks): `LEVEL[date time] message`
on stderr; JUPYTER_DOCKER_STACKS_QUIET keeps INFO out, NO_COLOR keeps a terminal's colours out. Used where the start
says what docker-stacks' start says, so that both read the same to someone who knows one."""

from __future__ import annotations

import os
import sys
import time

COLORS = {"ERROR": "31", "WARNING": "33", "DEBUG": "36"}
QUIET_VARIABLE = "JUPYTER_DOCKER_STACKS_QUIET"


def log(level: str, message: str) -> None:
    if os.environ.get(QUIET_VARIABLE) and level not in ("WARNING", "ERROR"):
        return
    line = f"{level}[{time.strftime('%Y-%m-%d %H:%M:%S')}] {message}"
    if level in COLORS and sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        line = f"\033[0;{COLORS[level]}m{line}\033[0m"
    print(line, file=sys.stderr, flush=True)


def info(message: str) -> None:
    log("INFO", message)


def warn(message: str) -> None:
    log("WARNING", message)
