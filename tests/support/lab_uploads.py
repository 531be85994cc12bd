"""What JupyterLab's file browser PUTs to the contents API for an upload: the file as base64 in one model, or, for a
file over 15 MB, in chunks of 1 MB (@jupyterlab/filebrowser's CHUNK_SIZE) numbered from 1, the last one -1."""

from __future__ import annotations

import base64

LAB_CHUNK = 2**20


def contents_model(name: str, data: bytes, chunk: int | None = None) -> dict:
    model = {"type": "file", "format": "base64", "name": name, "content": base64.b64encode(data).decode()}
    if chunk is not None:
        model["chunk"] = chunk
    return model


def chunked_models(name: str, data: bytes) -> list[dict]:
    starts = range(0, len(data), LAB_CHUNK)
    return [
        contents_model(name, data[start : start + LAB_CHUNK], -1 if start + LAB_CHUNK >= len(data) else number)
        for number, start in enumerate(starts, 1)
    ]
