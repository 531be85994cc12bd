"""The Python language server behind JupyterLab's LSP support (jupyter-lsp + python-lsp-server), spoken to as Lab
speaks to it: JSON-RPC over the lsp/ws websocket, through the door."""

import itertools
import json

import pytest
import websocket

pytestmark = pytest.mark.container

# Where Lab puts the copy of an open notebook that the language server reads (its virtualDocumentsUri).
DOCUMENT = "file:///workspace/.workbench/lsp-documents/probe.ipynb.py"


class LanguageServer:
    def __init__(self, workspace):
        self.channel = websocket.create_connection(
            workspace.ws_url("lsp/ws/pylsp"), header=workspace.auth_headers(), timeout=60
        )
        self.ids = itertools.count(1)

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


@pytest.fixture(scope="module")
def language_server(workspace):
    server = LanguageServer(workspace)
    server.request("initialize", {"processId": None, "rootUri": "file:///workspace", "capabilities": {}})
    server.notify("initialized", {})
    yield server
    server.channel.close()


def test_lab_is_told_the_language_server_is_there(workspace):
    status = workspace.get("lsp/status").json()
    assert "pylsp" in status["specs"], status
    assert status["specs"]["pylsp"]["languages"] == ["python"]


def test_a_cell_gets_completion_from_the_language_server(workspace, language_server):
    source = "import os\nos.pa"
    language_server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": DOCUMENT, "languageId": "python", "version": 1, "text": source}},
    )
    result = language_server.request(
        "textDocument/completion", {"textDocument": {"uri": DOCUMENT}, "position": {"line": 1, "character": 5}}
    )
    labels = [item["label"] for item in (result["items"] if isinstance(result, dict) else result)]
    assert {"path", "pardir", "pathsep"} <= set(labels), labels

    # The copy Lab's open document leaves is with the workspace's state, not a folder of its own among the user's.
    def listing(folder: str) -> list[str]:
        return workspace.container.exec_run(["ls", "-A", folder]).output.decode().split()

    assert "probe.ipynb.py" in listing("/workspace/.workbench/lsp-documents")
    assert ".virtual_documents" not in listing("/workspace")


def test_hover_shows_the_documentation(language_server):
    uri = DOCUMENT.replace("probe", "hover")
    language_server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "import json\njson.dumps"}},
    )
    hover = language_server.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 7}}
    )
    assert "Serialize" in json.dumps(hover["contents"]), hover
