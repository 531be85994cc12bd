"""The workspace's loopback port carried to a container's port, for a program in the workspace that asks for
localhost (SageMaker's SDK asks its local endpoint there). Threads and plain sockets: a few requests of a notebook's,
not a proxy for heavy traffic."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

_CHUNK = 64 * 1024


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """One direction, until its sender is done: then the other side is told so (a half close), as TCP would."""
    try:
        while data := source.recv(_CHUNK):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Forwarder:
    """Takes 127.0.0.1:`port` at once (OSError when something of the workspace has it already) and carries each
    connection to where `target()` says, once it says somewhere: until then, and while the target refuses, a client
    is hung up on, as a server not yet listening would refuse it."""

    def __init__(self, port: int, target: Callable[[], tuple[str, int] | None]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", port))
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> Forwarder:
        self._thread.start()
        return self

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._carry, args=(client,), daemon=True).start()

    def _carry(self, client: socket.socket) -> None:
        where = self.target()
        try:
            upstream = socket.create_connection(where, timeout=10) if where else None
        except OSError:
            upstream = None
        if upstream is None:
            client.close()
            return
        upstream.settimeout(None)
        answers = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        answers.start()
        _pipe(client, upstream)
        answers.join()
        client.close()
        upstream.close()
