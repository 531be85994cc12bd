"""The Python language server behind JupyterLab's LSP support (jupyter-lsp + python-lsp-server), spoken to as Lab
speaks to it: JSON-RPC over the lsp/ws websocket, through the door; stopped when unused and started again, with the
open documents, when used, on the same websocket."""

import json

import pytest

from language_server import DOCUMENTS, LanguageServer, real_server_processes
from waiting import wait_until
from workspaces import WorkspaceFactory

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


def test_an_unused_language_server_stops_and_the_next_completion_starts_it_with_the_open_documents(
    docker_client, image
):
    with WorkspaceFactory(docker_client, image) as factory:
        # Long enough that a busy machine still finds the server running right after a completion.
        workspace = factory.start(env={"WORKSPACE_LANGUAGE_SERVER_IDLE_TIMEOUT": "6"})
        server = LanguageServer(workspace.ws_url(""), workspace.auth_headers())
        try:
            uri = DOCUMENTS + "kept.ipynb.py"
            server.open(uri, "import json\n")
            server.notify(  # typed after it was opened, as Lab sends each edit: the whole text
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "import json\njson.du"}]},
            )
            assert any(label.startswith("dumps(") for label in server.completions(uri, 1, 7))
            assert len(real_server_processes(workspace.container)) == 1
            wait_until(lambda: not real_server_processes(workspace.container), timeout=60)
            # Said once the server has exited: the log may come a moment after the process is gone.
            wait_until(lambda: "stopped the language server: unused for" in workspace.logs(), timeout=30)
            # The same websocket, as an open tab keeps it: the server starts again and knows the edited document.
            assert any(label.startswith("dumps(") for label in server.completions(uri, 1, 7))
            assert len(real_server_processes(workspace.container)) == 1
            assert "started the language server again for 1 open documents" in workspace.logs()
        finally:
            server.close()
