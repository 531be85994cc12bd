"""Downloads under files/ and uploads through the contents API, through the door. Downloads: Jupyter decides (login,
hidden files, paths out of the root, what is not a file, the type and the download name) and nginx sends the bytes
itself (sendfile, Range requests; its ETag shows it). Where Jupyter answers differently (notebooks, refusals) the
answer is Jupyter's own, compared with what Jupyter says on its socket to the same request without the door.
Uploads stream through nginx to Jupyter as they arrive, in JupyterLab's chunks or in one PUT."""

import base64
import hashlib
import os
import random
import re
import socket
from urllib.parse import quote

import pytest
import requests

from lab_uploads import LAB_CHUNK, chunked_models, contents_model
from waiting import wait_until
from workbench.facts import paths
from workbench_client import refused
from workspaces import WorkspaceFactory, user_folder

pytestmark = pytest.mark.container

DATA = os.urandom(1_000_003)
UNICODE_NAME = "my data ü.csv"
# nginx's own ETag for a file it sent: "<mtime hex>-<size hex>" (Jupyter's files handler sends none).
NGINX_ETAG = re.compile(r'"[0-9a-f]+-[0-9a-f]+"')


def lay_out(folder):
    (folder / "data.bin").write_bytes(DATA)
    (folder / UNICODE_NAME).write_text("a,b\n1,2\n")
    (folder / ".hidden.txt").write_text("hidden\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.txt").write_text("inner\n")
    (folder / "nb.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n')
    (folder / "inside").symlink_to("data.bin")
    (folder / "outside").symlink_to("/etc/passwd")
    for entry in folder.rglob("*"):
        os.lchown(entry, 1000, 100)


@pytest.fixture(scope="module", params=["/", "/team/ws/"], ids=["root", "base-url"])
def served(request, docker_client, image, tmp_path_factory):
    folder = user_folder(tmp_path_factory.mktemp("downloads"))
    lay_out(folder)
    env = {"WORKSPACE_BASE_URL": request.param} if request.param != "/" else {}
    with WorkspaceFactory(docker_client, image) as factory:
        yield factory.start(env, workspace_dir=folder, base_url=request.param)


def jupyter_itself(workspace, path: str) -> int:
    """The status Jupyter gives the request on its own socket, without the door."""
    url = f"http://jupyter{workspace.base_url}files/{path}?token={workspace.token}"
    socket = str(paths.JUPYTER_SOCKET)
    result = workspace.container.exec_run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket, url], user="1000"
    )
    return int(result.output.decode())


def test_a_file_is_sent_by_the_door_whole_and_in_ranges(served):
    whole = served.get("files/data.bin")
    assert whole.status_code == 200 and whole.content == DATA
    assert NGINX_ETAG.fullmatch(whole.headers["ETag"]), whole.headers
    assert whole.headers["Content-Type"] == "application/octet-stream"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Cache-Control"] == "no-cache"
    assert "sandbox allow-scripts" in whole.headers["Content-Security-Policy"]
    part = served.get("files/data.bin", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == DATA[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(DATA)}"
    tail = served.get("files/data.bin", headers={"Range": "bytes=-3"})
    assert tail.status_code == 206 and tail.content == DATA[-3:]


def test_a_name_with_spaces_and_unicode_downloads_under_its_name(served):
    answer = served.get(f"files/{quote(UNICODE_NAME)}?download=1")
    assert answer.status_code == 200 and answer.text == "a,b\n1,2\n"
    assert answer.headers["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(UNICODE_NAME)}"
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert NGINX_ETAG.fullmatch(answer.headers["ETag"])


def test_a_link_inside_the_workspace_is_followed(served):
    answer = served.get("files/inside")
    assert answer.status_code == 200 and answer.content == DATA


@pytest.mark.parametrize(
    "path",
    ["outside", ".hidden.txt", "missing.txt", "sub", "sub/", "..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd"],
)
def test_what_jupyter_refuses_is_refused_as_jupyter_refuses_it(served, path):
    answer = served.get(f"files/{path}")
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert "root:" not in answer.text and answer.text != "hidden\n"
    if "%" not in path:  # the encoded escapes stop at the door already
        assert answer.status_code == jupyter_itself(served, path)


def test_a_notebook_is_jupyters_own_answer(served):
    answer = served.get("files/nb.ipynb")
    assert answer.status_code == 200 and answer.json()["nbformat"] == 4
    assert answer.headers["Content-Type"] == "application/x-ipynb+json"
    assert answer.headers["Content-Disposition"] == "attachment; filename*=utf-8''nb.ipynb"
    assert "ETag" not in answer.headers


def test_without_the_token_nothing_is_sent(served):
    anonymous = served.get("files/data.bin", authenticated=False)
    assert refused(anonymous) and anonymous.content != DATA
    browser = served.get("files/data.bin", authenticated=False, headers={"Accept": "text/html"})
    assert browser.status_code == 302 and "login?next=" in browser.headers["Location"]


def put_contents(served, model: dict, headers: dict | None = None):
    return requests.put(
        served.url + "api/contents/" + quote(model["name"]),
        json=model,
        headers={**served.auth_headers(), **(headers or {})},
        timeout=120,
    )


def test_an_upload_in_jupyterlabs_chunks_arrives_whole(served):
    data = os.urandom(3 * LAB_CHUNK + 12_345)
    name = "uploaded in chunks ü.bin"
    models = chunked_models(name, data)
    assert [model["chunk"] for model in models] == [1, 2, 3, -1]
    for model in models:
        answer = put_contents(served, model)
        assert answer.status_code in (200, 201), answer.text
    assert answer.json()["size"] == len(data)
    assert served.get("files/" + quote(name)).content == data


def test_an_upload_in_one_put_arrives_whole(served):
    data = os.urandom(20 * 2**20)
    answer = put_contents(served, contents_model("one put.bin", data))
    assert answer.status_code == 201 and answer.json()["size"] == len(data), answer.text
    assert served.get("files/" + quote("one put.bin")).content == data


@pytest.mark.parametrize("chunk", [None, 2], ids=["whole", "later-chunk"])
def test_base64_as_other_clients_write_it_is_saved_and_bad_base64_refused_as_jupyter_does(served, chunk):
    """The workspace decodes uploads its own, faster way (workbench/server/uploads.py): base64 with a newline every 76
    characters is saved byte for byte, and base64 cut short gets Jupyter's 400 and writes nothing."""
    name = f"lines-{chunk}.bin"
    if chunk:
        assert put_contents(served, {**contents_model(name, DATA[:3000]), "chunk": 1}).status_code in (200, 201)
    model = {**contents_model(name, DATA), "content": base64.encodebytes(DATA).decode(), "chunk": chunk}
    answer = put_contents(served, {key: value for key, value in model.items() if value is not None})
    assert answer.status_code in (200, 201), answer.text
    assert served.get("files/" + name).content == (DATA[:3000] if chunk else b"") + DATA
    cut_short = {**contents_model(f"cut-{chunk}.bin", b""), "content": "QUJDR", "chunk": chunk}
    refusal = put_contents(served, {key: value for key, value in cut_short.items() if value is not None})
    assert refusal.status_code == 400 and "Encoding error" in refusal.text, refusal.text
    assert served.get(f"api/contents/cut-{chunk}.bin").status_code == 404


def test_json_bodies_are_read_as_jupyter_reads_them_and_bytes_that_are_not_utf8_get_a_400(served):
    """The contents handler reads bodies with orjson (workbench/server/uploads.py) and leaves to Jupyter's reading what
    orjson does not take, NaN here. Bytes that are not UTF-8, which Jupyter's reading answers with a 500, get a 400."""
    headers = {**served.auth_headers(), "Content-Type": "application/json"}
    with_nan = b'{"type": "file", "format": "text", "content": "read by Jupyter\\n", "extra": NaN}'
    saved = requests.put(served.url + "api/contents/nan.txt", data=with_nan, headers=headers, timeout=60)
    assert saved.status_code == 201, saved.text
    assert served.get("files/nan.txt").text == "read by Jupyter\n"
    not_utf8 = b'{"type": "file", "format": "text", "content": "\xff"}'
    refusal = requests.put(served.url + "api/contents/latin.txt", data=not_utf8, headers=headers, timeout=60)
    assert refusal.status_code == 400 and "Invalid JSON in body of request" in refusal.text, refusal.text
    assert served.get("api/contents/latin.txt").status_code == 404


def test_a_notebooks_checkpoints_keep_their_urls(served):
    """The workspace's contents handler takes Jupyter's contents URLs in Jupyter's order: a notebook's checkpoints
    (/api/contents/<path>/checkpoints) are still Jupyter's, not a file called "checkpoints"."""
    notebook = {"type": "notebook", "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}
    headers = served.auth_headers()
    url = served.url + "api/contents/kept.ipynb"
    assert requests.put(url, json=notebook, headers=headers, timeout=60).status_code == 201
    made = requests.post(url + "/checkpoints", headers=headers, timeout=60)
    assert made.status_code == 201 and made.json()["id"], made.text
    listed = requests.get(url + "/checkpoints", headers=headers, timeout=60)
    assert [checkpoint["id"] for checkpoint in listed.json()] == [made.json()["id"]], listed.text


@pytest.mark.parametrize(
    "credentials",
    [{"Authorization": ""}, {"Origin": "http://attacker.example"}],
    ids=["without-token", "foreign-origin"],
)
def test_a_refused_upload_writes_nothing(served, credentials):
    name = f"refused-{'-'.join(credentials)}.bin"
    refusal = put_contents(served, contents_model(name, os.urandom(5 * 2**20)), headers=credentials)
    assert refusal.status_code == 403 and "Forbidden" in refusal.text, refusal.text
    assert served.get("api/contents/" + name).status_code == 404


def test_a_gigabyte_uploaded_in_jupyterlabs_chunks_arrives_byte_for_byte(workspace):
    """nginx passes each chunk on as it arrives; 1,024 of them, as JupyterLab sends a 1 GB file, make the same bytes
    on the other side."""
    name, chunks, sent = "a gigabyte.bin", 1024, hashlib.sha256()
    generator = random.Random(1024)
    with requests.Session() as session:
        for number in range(1, chunks + 1):
            data = generator.randbytes(LAB_CHUNK)
            sent.update(data)
            model = contents_model(name, data, -1 if number == chunks else number)
            answer = session.put(
                workspace.url + "api/contents/" + quote(name), json=model, headers=workspace.auth_headers(), timeout=120
            )
            assert answer.status_code in (200, 201), (number, answer.text)
    try:
        assert answer.json()["size"] == chunks * LAB_CHUNK
        received = workspace.container.exec_run(["sha256sum", f"/workspace/{name}"], user="1000").output.decode()
        assert received.split()[0] == sent.hexdigest()
    finally:
        workspace.container.exec_run(["rm", "-f", f"/workspace/{name}"], user="1000")


def test_an_upload_over_jupyters_body_limit_gets_jupyters_refusal_and_writes_nothing(workspace):
    """Jupyter refuses a body over its max_body_size (512 MiB) from its Content-Length, before reading it: through the
    door, which passes bodies on unbuffered, the client gets that refusal at once, not after sending it all."""
    limit = 512 * 2**20
    with socket.create_connection(("127.0.0.1", workspace.host_port), timeout=60) as client:
        client.sendall(
            (
                "PUT /api/contents/too-big.json HTTP/1.1\r\nHost: localhost\r\n"
                f"Authorization: token {workspace.token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {limit + 1}\r\n\r\n"
            ).encode()
            + b'{"type": "file", "format": "base64", "content": "'
            + b"A" * 65536
        )
        answer = client.makefile("rb").readline()
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    # Jupyter logs the refusal before answering, but its log reaches the container's through supervisord, later.
    wait_until(lambda: "Content-Length too long" in workspace.logs(), timeout=30, failure=workspace.logs)
    assert workspace.get("api/contents/too-big.json").status_code == 404
