"""The Python language server behind JupyterLab's LSP support (jupyter-lsp + python-lsp-server), spoken to as Lab
speaks to it: JSON-RPC over the lsp/ws websocket, through the door."""

import json

import pytest

from language_server import DOCUMENTS, LanguageServer

pytestmark = pytest.mark.container

DOCUMENT = DOCUMENTS + "probe.ipynb.py"


@pytest.fixture(scope="module")
def language_server(workspace):
    server = LanguageServer(workspace.ws_url(""), workspace.auth_headers())
    yield server
    server.close()


def test_lab_is_told_the_language_server_is_there(workspace):
    status = workspace.get("lsp/status").json()
    assert "pylsp" in status["specs"], status
    assert status["specs"]["pylsp"]["languages"] == ["python"]


def test_a_cell_gets_completion_from_the_language_server(workspace, language_server):
    source = "import os\nos.pa"
    language_server.open(DOCUMENT, source)
    labels = language_server.completions(DOCUMENT, 1, 5)
    assert {"path", "pardir", "pathsep"} <= set(labels), labels

    # The copy Lab's open document leaves is with the workspace's state, not a folder of its own among the user's.
    def listing(folder: str) -> list[str]:
        return workspace.container.exec_run(["ls", "-A", folder]).output.decode().split()

    assert "probe.ipynb.py" in listing("/workspace/.workbench/lsp-documents")
    assert ".virtual_documents" not in listing("/workspace")


def test_hover_shows_the_documentation(language_server):
    uri = DOCUMENT.replace("probe", "hover")
    language_server.open(uri, "import json\njson.dumps")
    hover = language_server.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 7}}
    )
    assert "Serialize" in json.dumps(hover["contents"]), hover
