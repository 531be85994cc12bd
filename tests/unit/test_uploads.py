"""The workspace's contents manager (workbench/server/uploads.py): uploads decoded as the standard library decodes
them, whole and in JupyterLab's chunks, Jupyter's 400 for what is not base64, and a user's own contents manager kept."""

import asyncio
import base64
import os
import random
import types

import pytest
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

from workbench.server import jupyter_extension, uploads

DATA = os.urandom(3 * 2**20 + 123)


def outcome(decode, content: str):
    try:
        return decode(content)
    except ValueError:  # binascii.Error, or a character outside ASCII: Jupyter answers 400 to either
        return "refused"


def some_contents() -> list[str]:
    """Plain base64, with newlines as older clients send it, and strings of base64's alphabet, its padding and
    characters outside it, in every mix (seeded: the same each run)."""
    draw = random.Random(35)
    mixes = ["".join(draw.choice("ABCDxyz019+/=\n -_*é") for _ in range(draw.randint(0, 16))) for _ in range(20_000)]
    edges = ["", "QUJ=D", "QU==JD", "QUJDRA==QUJD", "QUJDR", "=QUJD", "QUJD===="]
    return [base64.b64encode(DATA[:999]).decode(), base64.encodebytes(DATA[:999]).decode(), *edges, *mixes]


def test_decoded_or_refused_exactly_as_the_standard_library_does():
    differ = [c for c in some_contents() if outcome(uploads.decoded, c) != outcome(base64.b64decode, c)]
    assert not differ, differ[:5]


def save(manager, name: str, content: str, chunk: int | None = None, format: str = "base64") -> dict:  # noqa: A002
    model = {"type": "file", "format": format, "content": content}
    if chunk is not None:
        model["chunk"] = chunk
    return asyncio.run(manager.save(model, name))


def test_a_chunked_upload_arrives_byte_for_byte(tmp_path):
    manager = uploads.WorkspaceContentsManager(root_dir=str(tmp_path))
    pieces = [DATA[start : start + 2**20] for start in range(0, len(DATA), 2**20)]
    for number, piece in enumerate(pieces, 1):
        chunk = -1 if number == len(pieces) else number
        model = save(manager, "upload.bin", base64.b64encode(piece).decode(), chunk)
    assert (tmp_path / "upload.bin").read_bytes() == DATA
    assert model["size"] == len(DATA) and model["content"] is None


def test_whole_files_text_and_base64(tmp_path):
    manager = uploads.WorkspaceContentsManager(root_dir=str(tmp_path))
    save(manager, "whole.bin", base64.b64encode(DATA).decode())
    save(manager, "note.txt", "héllo\n", format="text")
    assert (tmp_path / "whole.bin").read_bytes() == DATA
    assert (tmp_path / "note.txt").read_text(encoding="utf-8") == "héllo\n"


@pytest.mark.parametrize("chunk", [None, 1, 2])
def test_what_is_not_base64_gets_jupyters_400_and_writes_nothing(tmp_path, chunk):
    manager = uploads.WorkspaceContentsManager(root_dir=str(tmp_path))
    with pytest.raises(web.HTTPError) as refused:
        save(manager, "bad.bin", "QUJDR", chunk)
    assert refused.value.status_code == 400 and "Encoding error" in refused.value.log_message
    assert not (tmp_path / "bad.bin").exists()


def test_the_workspaces_contents_manager_unless_the_user_has_another():
    unset = types.SimpleNamespace(contents_manager_class=AsyncLargeFileManager)
    jupyter_extension._link_jupyter_server_extension(unset)
    assert unset.contents_manager_class is uploads.WorkspaceContentsManager

    class UsersOwn(AsyncLargeFileManager):
        pass

    configured = types.SimpleNamespace(contents_manager_class=UsersOwn)
    jupyter_extension._link_jupyter_server_extension(configured)
    assert configured.contents_manager_class is UsersOwn
