"""Uploads at full speed (workbench/server/uploads.py): base64 decoded as the standard library decodes it, whole and
in JupyterLab's chunks, Jupyter's 400 for what is not base64, and a user's own contents manager kept; JSON bodies read
by orjson only where it reads what Jupyter reads, and Jupyter's contents URLs kept in their order."""

import asyncio
import base64
import json
import logging
import os
import random
import types

import pytest
from jupyter_server.services.contents import handlers as contents_handlers
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

from lab_uploads import contents_model
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


QUIET = logging.getLogger("jupyters-reading")  # Jupyter logs each body it refuses, with its traceback
QUIET.disabled = True


def jupyters_reading(body: bytes) -> str:
    """What Jupyter's own get_json_body, which the workspace's handler falls back to, makes of a body."""
    handler = types.SimpleNamespace(request=types.SimpleNamespace(body=body), log=QUIET)
    try:
        return repr(contents_handlers.ContentsHandler.get_json_body(handler))  # repr: True and 1, 1 and 1.0 differ
    except (web.HTTPError, UnicodeDecodeError):  # its 400, or the 500 of a body that is not UTF-8
        return "refused"


def some_json_bodies() -> list[bytes]:
    """Documents of JSON's every kind of value, with what the standard library reads and orjson does not (NaN, numbers
    past 64 bits, lone surrogates, form feeds around it), duplicate keys, deep nesting, and broken bytes (seeded)."""
    draw = random.Random(35)
    atoms = ["0", "-0", "7", "-0.0", "1.5", "1e400", "-1E-2", "123456789012345678901234567890", "18446744073709551615"]
    atoms += ["-9223372036854775809", "NaN", "Infinity", "-Infinity", "true", "false", "null", '"a"', '"\\ud800"']
    atoms += ['"\\ud83d\\ude00"', '"é"', '"\\u0000"', '"\t"', '"x\\"y"', '"\\/"']
    spaces = ["", " ", "\n", "\r\n", "\t", "\x0c", "\x0b"]

    def value(depth: int) -> str:
        kind = draw.random()
        if depth > 2 or kind < 0.5:
            return draw.choice(atoms)
        if kind < 0.75:
            return "[" + ",".join(value(depth + 1) for _ in range(draw.randint(0, 3))) + "]"
        keys = [draw.choice(['"k"', '"chunk"', '"content"', '"é"']) for _ in range(draw.randint(0, 3))]
        return "{" + ",".join(f"{key}{draw.choice(spaces)}:{value(depth + 1)}" for key in keys) + "}"

    def broken(text: bytes) -> bytes:
        spot = draw.randint(0, len(text))
        return text[:spot] + draw.choice([b"\xff", b",", b"}", b"\xc3", b"\x00"]) + text[spot:]

    bodies = [(draw.choice(spaces) + value(0) + draw.choice(spaces)).encode() for _ in range(20_000)]
    bodies += [broken(body) for body in bodies[:2_000]]
    deep = [b"[" * depth + b"]" * depth for depth in (1_000, 1_024, 1_025, 5_000)]
    return [*bodies, *deep, b"", b"\xef\xbb\xbf{}", b'{"a": 1} {"b": 2}']


def test_json_bodies_read_by_orjson_only_where_it_reads_what_jupyter_reads():
    by_orjson = 0
    for body in some_json_bodies():
        value = uploads.read_by_orjson(body)
        if value is not None:
            by_orjson += 1
            assert repr(value) == jupyters_reading(body), body
    assert by_orjson > 3_000  # the check above held for thousands of bodies, not for a few


def test_an_uploads_chunk_is_read_by_orjson():
    model = contents_model("big.bin", DATA[: 2**20], chunk=2)
    assert uploads.read_by_orjson(json.dumps(model).encode()) == model


def test_jupyters_contents_urls_go_to_the_same_handlers_in_the_same_order_but_one():
    jupyters = contents_handlers.default_handlers
    assert [path for path, _ in uploads.ROUTES] == [path for path, _ in jupyters]
    changed = [
        (theirs, ours) for (_, theirs), (_, ours) in zip(jupyters, uploads.ROUTES, strict=True) if theirs is not ours
    ]
    assert changed == [(contents_handlers.ContentsHandler, uploads.WorkspaceContentsHandler)]
