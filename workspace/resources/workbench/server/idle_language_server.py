"""A language server that lets go of its memory when nobody uses it: `python -m workbench.server.idle_language_server
--idle-timeout SECONDS -- COMMAND...` stands between jupyter-lsp and the real server (COMMAND, python-lsp-server),
speaking the Language Server Protocol on both sides.

jupyter-lsp keeps a server for as long as a JupyterLab tab has its websocket open, all day, and Lab's client does not
reconnect when the socket closes; python-lsp-server holds a few hundred MB once it has completed anything. So the
websocket and this small process stay, and the real server stops after SECONDS without a message from the client.
The next message starts it again: this process replays what the client told the first one (its `initialize`, the
configuration, every open document with its current text and version), and the client never knows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import re
import signal
import sys
import time
from dataclasses import dataclass

log = logging.getLogger("workbench.language_server")

# Requests this process makes itself; their answers are not the client's.
_OWN_ID_PREFIX = "workbench-"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


async def read_message(stream: asyncio.StreamReader) -> dict | None:
    """One message of the protocol's framing (headers, a blank line, Content-Length bytes of JSON); None at the end."""
    length = None
    while True:
        line = await stream.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None:
        return None
    return json.loads(await stream.readexactly(length))


def frame(message: dict) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _offset(text: str, position: dict) -> int:
    """A position (line, and UTF-16 code units within it, as the protocol counts) as an index into the text."""
    starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]
    if position["line"] >= len(starts):
        return len(text)
    index, units = starts[position["line"]], 0
    while index < len(text) and units < position["character"] and text[index] not in "\r\n":
        units += 2 if ord(text[index]) > 0xFFFF else 1
        index += 1
    return index


def apply_change(text: str, change: dict) -> str:
    """A didChange's content change: the whole new text, or a range replaced."""
    if "range" not in change:
        return change["text"]
    start, end = _offset(text, change["range"]["start"]), _offset(text, change["range"]["end"])
    return text[:start] + change["text"] + text[end:]


@dataclass
class Document:
    language_id: str
    version: int
    text: str


class ClientState:
    """What the client has told the server that a new server must be told again."""

    def __init__(self) -> None:
        self.initialize: dict | None = None
        self.initialized: dict | None = None
        self.configuration: dict | None = None
        self.documents: dict[str, Document] = {}

    def note(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params") or {}
        if method == "initialize":
            self.initialize = params
        elif method == "initialized":
            self.initialized = params
        elif method == "workspace/didChangeConfiguration":
            self.configuration = params
        elif method == "textDocument/didOpen":
            document = params["textDocument"]
            self.documents[document["uri"]] = Document(document["languageId"], document["version"], document["text"])
        elif method == "textDocument/didChange" and params["textDocument"]["uri"] in self.documents:
            document = self.documents[params["textDocument"]["uri"]]
            for change in params["contentChanges"]:
                document.text = apply_change(document.text, change)
            document.version = params["textDocument"].get("version", document.version)
        elif method == "textDocument/didClose":
            self.documents.pop(params["textDocument"]["uri"], None)

    def replay(self) -> list[dict]:
        """The notifications that bring a new, initialized server to where the last one was."""
        messages = []
        if self.initialized is not None:
            messages.append({"jsonrpc": "2.0", "method": "initialized", "params": self.initialized})
        if self.configuration is not None:
            messages.append(
                {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", "params": self.configuration}
            )
        for uri, document in self.documents.items():
            text_document = {"uri": uri, "languageId": document.language_id, "version": document.version}
            messages.append(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {"textDocument": {**text_document, "text": document.text}},
                }
            )
        return messages


class IdleLanguageServer:
    def __init__(self, command: list[str], idle_timeout: float, client_out):
        self.command = command
        self.idle_timeout = idle_timeout
        self.client_out = client_out
        self.state = ClientState()
        self.process: asyncio.subprocess.Process | None = None
        self.pending: dict = {}  # the client's requests the server has not answered: id -> when asked
        self.last_used = time.monotonic()
        self._own_ids = (f"{_OWN_ID_PREFIX}{number}" for number in range(1 << 62))
        self._own_answers: dict[str, asyncio.Future] = {}
        self._lock = asyncio.Lock()  # one start or stop at a time, and no message to a server half started

    def to_client(self, message: dict) -> None:
        self.client_out.write(frame(message))
        self.client_out.flush()

    async def _send(self, message: dict) -> None:
        assert self.process and self.process.stdin
        self.process.stdin.write(frame(message))
        await self.process.stdin.drain()

    async def _relay_from_server(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout
        while (message := await read_message(process.stdout)) is not None:
            answered = message.get("id") if "method" not in message else None
            if isinstance(answered, str) and answered in self._own_answers:
                self._own_answers.pop(answered).set_result(message)
                continue
            self.pending.pop(answered, None)
            self.to_client(message)

    async def _own_request(self, method: str, params) -> dict:
        number = next(self._own_ids)
        answer = self._own_answers[number] = asyncio.get_running_loop().create_future()
        await self._send({"jsonrpc": "2.0", "id": number, "method": method, "params": params})
        return await asyncio.wait_for(answer, 120)

    async def _start(self, replaying: bool) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 24
        )
        asyncio.get_running_loop().create_task(self._relay_from_server(self.process))
        if replaying:
            await self._own_request("initialize", self.state.initialize)
            for message in self.state.replay():
                await self._send(message)
            log.info("started the language server again for %d open documents", len(self.state.documents))

    async def from_client(self, message: dict) -> None:
        async with self._lock:
            self.last_used = time.monotonic()
            if self.process is not None and self.process.returncode is not None:
                log.warning(
                    "the language server ended by itself (status %s): starting it again", self.process.returncode
                )
                self.process = None
            if self.process is None:
                if message.get("method") == "exit":
                    return
                if message.get("method") == "shutdown":
                    self.to_client({"jsonrpc": "2.0", "id": message["id"], "result": None})
                    return
                # Also before another tab's initialize: jupyter-lsp gives every tab the one server.
                await self._start(replaying=self.state.initialize is not None)
            self.state.note(message)
            if "id" in message and "method" in message:
                self.pending[message["id"]] = self.last_used
            await self._send(message)

    def _waiting_for_answers(self) -> bool:
        """A request the server is still working on keeps it (one it never answered does not, after the idle time)."""
        now = time.monotonic()
        return any(now - asked < self.idle_timeout for asked in self.pending.values())

    async def stop_when_idle(self) -> None:
        while True:
            await asyncio.sleep(min(30.0, max(1.0, self.idle_timeout / 4)))
            async with self._lock:
                idle = time.monotonic() - self.last_used
                if self.process is None or self._waiting_for_answers() or idle < self.idle_timeout:
                    continue
                await self._stop()
                self.pending.clear()
                log.info("stopped the language server: unused for %d s (it starts again when next used)", idle)

    async def _stop(self) -> None:
        process = self.process
        assert process
        with contextlib.suppress(Exception):  # one that does not shut down when asked is ended below
            await asyncio.wait_for(self._own_request("shutdown", None), 10)
            await self._send({"jsonrpc": "2.0", "method": "exit"})
        self.process = None
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()

    def end(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.terminate()


async def run(command: list[str], idle_timeout: float) -> int:
    loop = asyncio.get_running_loop()
    client_in = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(client_in), sys.stdin)
    server = IdleLanguageServer(command, idle_timeout, sys.stdout.buffer)
    loop.add_signal_handler(signal.SIGTERM, lambda: (server.end(), sys.exit(0)))
    if idle_timeout > 0:
        loop.create_task(server.stop_when_idle())
    while (message := await read_message(client_in)) is not None:
        await server.from_client(message)
        if message.get("method") == "exit":
            break
    server.end()
    return 0


def jupyter_lsp_specs(idle_timeout: int) -> dict:
    """python-lsp-server's spec as jupyter-lsp finds it by itself, its command started through this module; none
    when it is not installed (jupyter-lsp then finds none either)."""
    from jupyter_lsp.specs.python_lsp_server import PythonLSPServer

    specs = PythonLSPServer()(None)
    for spec in specs.values():
        if spec.get("argv"):
            spec["argv"] = [sys.executable, "-m", __name__, "--idle-timeout", str(idle_timeout), "--", *spec["argv"]]
    return {key: spec for key, spec in specs.items() if spec.get("argv")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="idle_language_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle-timeout", type=float, required=True, help="seconds; 0: never stop the server")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- and the language server's command")
    arguments = parser.parse_args(argv)
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("the language server's command is missing (after --)")
    logging.basicConfig(
        level=logging.INFO, format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s", stream=sys.stderr
    )
    return asyncio.run(run(command, arguments.idle_timeout))


if __name__ == "__main__":
    sys.exit(main())
