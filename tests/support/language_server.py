"""A client of the workspace's Python language server, speaking to it as JupyterLab does: JSON-RPC over jupyter-lsp's
lsp/ws/pylsp websocket, through the door. The language server tests and the benchmarks use it."""

import itertools
import json

import websocket

# Where Lab puts the copy of an open notebook that the language server reads (its virtualDocumentsUri).
DOCUMENTS = "file:///workspace/.workbench/lsp-documents/"


class LanguageServer:
    def __init__(self, ws_base: str, headers: dict):
        """ws_base: the workspace's address as ws:// (or wss://), ending in a slash."""
        self.channel = websocket.create_connection(ws_base + "lsp/ws/pylsp", header=headers, timeout=60)
        self.ids = itertools.count(1)
        self.request("initialize", {"processId": None, "rootUri": "file:///workspace", "capabilities": {}})
        self.notify("initialized", {})

    def notify(self, method: str, params: dict) -> None:
        self.channel.send(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}))

    def request(self, method: str, params: dict) -> dict:
        number = next(self.ids)
        self.channel.send(json.dumps({"jsonrpc": "2.0", "id": number, "method": method, "params": params}))
        while True:  # notifications (diagnostics, logs) come in between
            message = json.loads(self.channel.recv())
            if message.get("id") == number and "method" not in message:
                assert "error" not in message, message
                return message["result"]

    def open(self, uri: str, text: str) -> None:
        self.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
        )

    def completions(self, uri: str, line: int, character: int) -> list[str]:
        result = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        return [item["label"] for item in (result["items"] if isinstance(result, dict) else result)]

    def close(self) -> None:
        self.channel.close()


def real_server_processes(container) -> list[str]:
    """python-lsp-server's processes in the container ("pid rss args"), not the small one that stands in for it while
    it is stopped (workbench/server/idle_language_server.py)."""
    listing = container.exec_run(["ps", "-eo", "pid=,rss=,args="]).output.decode().splitlines()
    return [line for line in listing if line.endswith("-m pylsp") and "idle_language_server" not in line]
