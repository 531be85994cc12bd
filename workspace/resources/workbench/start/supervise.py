"""supervisord, as the entrypoint becomes it, started without the two waits Debian's supervisor 4.2 puts before the
programs: setuptools' pkg_resources, imported for one call, and the first turn of its main loop.

pkg_resources reads every installed package's metadata when imported: 160 ms of every start, and 15 MiB held for the
container's life. supervisord uses it for one thing, resolving its RPC interface's "module:attribute"; a small module
stands in for it here that does just that.

The main loop starts the programs after its first poll, which waits up to a second for something to happen
(runforever's timeout = 1). A connection to supervisord's socket is something happening: a process left behind
connects as soon as supervisord listens."""

from __future__ import annotations

import importlib
import os
import sys
import time
import types
from pathlib import Path

from ..facts import paths
from ..facts.supervisor_client import supervisor_running


class EntryPoint:
    """What supervisor.options.import_spec asks of pkg_resources.EntryPoint."""

    def __init__(self, target: str) -> None:
        self.target = target

    @classmethod
    def parse(cls, source: str) -> EntryPoint:
        return cls(source.partition("=")[2].strip())

    def resolve(self):
        module, _, attribute = self.target.partition(":")
        value = importlib.import_module(module)
        for name in filter(None, attribute.split(".")):
            value = getattr(value, name)
        return value


def without_pkg_resources() -> None:
    stand_in = types.ModuleType("pkg_resources", "Stands in for setuptools' (workbench.start.supervise).")
    stand_in.EntryPoint = EntryPoint
    sys.modules.setdefault("pkg_resources", stand_in)


def wake_once_listening(supervisor_socket: Path, timeout: float = 10) -> None:
    """Leave a process that connects to supervisord's socket as soon as it listens. Its parent exits at once, so that
    tini (PID 1) reaps it, not supervisord, which would log a pid it does not know."""
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        return
    if os.fork():
        os._exit(0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor_running(supervisor_socket):
        time.sleep(0.005)
    os._exit(0)


def main(argv: list[str], supervisor_socket: Path = paths.SUPERVISOR_SOCKET) -> int:
    """argv: supervisord's arguments."""
    without_pkg_resources()
    from supervisor import supervisord

    wake_once_listening(supervisor_socket)
    sys.argv = ["supervisord", *argv]
    supervisord.main()
    return 0
