"""What the language server's stand-in keeps of the client's messages, to tell a restarted server: the documents as
their edits left them, the configuration, and the protocol's framing. The restart itself runs against the real
python-lsp-server in tests/container/test_language_server.py."""

import asyncio

import pytest

from workbench.server import idle_language_server as idle


def notification(method: str, params: dict) -> dict:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def opened(uri: str, text: str, version: int = 1) -> dict:
    return notification(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}}
    )


def changed(uri: str, version: int, *changes: dict) -> dict:
    return notification(
        "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": list(changes)}
    )


def edit(start: tuple[int, int], end: tuple[int, int], text: str) -> dict:
    return {
        "range": {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}},
        "text": text,
    }


@pytest.mark.parametrize(
    "text, change, after",
    [
        ("import os\nos.pa", {"text": "x = 1"}, "x = 1"),  # the whole text, as JupyterLab sends it
        ("import os\nos.pa", edit((1, 5), (1, 5), "th"), "import os\nos.path"),
        ("a\r\nbc\rd\n", edit((1, 1), (2, 0), "X"), "a\r\nbXd\n"),  # every line break the protocol knows
        ("s = '😀x'\n", edit((0, 7), (0, 8), "y"), "s = '😀y'\n"),  # 😀 is two UTF-16 units
        ("last", edit((5, 0), (5, 0), "!"), "last!"),  # past the end: at the end
    ],
)
def test_a_change_is_applied_as_the_protocol_counts_positions(text, change, after):
    assert idle.apply_change(text, change) == after


def test_a_restarted_server_is_told_what_the_client_told_the_last_one():
    state = idle.ClientState()
    state.note({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"rootUri": "file:///workspace"}})
    state.note(notification("initialized", {}))
    state.note(notification("workspace/didChangeConfiguration", {"settings": {"pylsp": {"plugins": {}}}}))
    state.note(opened("file:///a.py", "import os\nos.pa"))
    state.note(changed("file:///a.py", 2, edit((1, 5), (1, 5), "th")))
    state.note(opened("file:///b.py", "gone"))
    state.note(notification("textDocument/didClose", {"textDocument": {"uri": "file:///b.py"}}))
    state.note(changed("file:///never-opened.py", 3, {"text": "x"}))
    assert state.initialize == {"rootUri": "file:///workspace"}
    assert state.replay() == [
        notification("initialized", {}),
        notification("workspace/didChangeConfiguration", {"settings": {"pylsp": {"plugins": {}}}}),
        opened("file:///a.py", "import os\nos.path", version=2),
    ]


def test_messages_are_framed_as_the_protocol_frames_them():
    message = {"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {"text": "ünïcode"}}
    framed = idle.frame(message)
    assert framed.startswith(b"Content-Length: %d\r\n\r\n" % len(framed.partition(b"\r\n\r\n")[2]))

    async def read_back() -> list:
        stream = asyncio.StreamReader()
        stream.feed_data(framed + b"Content-Type: application/vscode-jsonrpc\r\n" + framed)
        stream.feed_eof()
        return [await idle.read_message(stream), await idle.read_message(stream), await idle.read_message(stream)]

    # The second with another header before its length, as the protocol allows.
    assert asyncio.run(read_back()) == [message, message, None]


def test_the_command_is_required():
    with pytest.raises(SystemExit):
        idle.main(["--idle-timeout", "5", "--"])
