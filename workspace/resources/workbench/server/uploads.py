"""Jupyter's contents manager in the workspace: Jupyter Server's own (AsyncLargeFileManager), with the base64 of
uploads decoded by pybase64 (SIMD) rather than by the standard library.

JupyterLab uploads a file as base64 in the contents API, 1 MB per request for a file over 15 MB. Decoding a chunk with
the standard library took 3.4 ms, a third of what Jupyter spends on it, and pybase64 takes 0.06 ms. Content that is not
plain, rightly padded base64 is left to the standard library, so what is saved, and what Jupyter refuses with its
400, stay the same. Text files, notebooks and everything else go through Jupyter's code as they are.

Used where Jupyter would use its own (the user configured no other c.ServerApp.contents_manager_class): the workbench
extension links it in before Jupyter makes its contents manager (jupyter_extension.py)."""

from __future__ import annotations

import base64
import binascii
import os

import pybase64
from anyio.to_thread import run_sync
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

BASE64 = "base64"
JUPYTERS_CONTENTS_MANAGER = AsyncLargeFileManager  # ServerApp.contents_manager_class unless configured


def decoded(content: str) -> bytes:
    data = content.encode("ascii")
    try:
        return pybase64.b64decode(data, validate=True)  # what JupyterLab sends: the alphabet alone, padded right
    except binascii.Error:
        return base64.b64decode(data)  # anything else, by the standard library's own rules


class WorkspaceContentsManager(AsyncLargeFileManager):
    def _decoded(self, os_path: str, content: str) -> bytes:
        try:
            return decoded(content)
        except Exception as error:  # Jupyter's answer to content it cannot decode
            raise web.HTTPError(400, f"Encoding error saving {os_path}: {error}") from error

    async def _save_file(self, os_path, content, format):  # noqa: A002 (Jupyter's name)
        """A whole file (a chunked upload's first chunk goes to Jupyter's own, which AsyncLargeFileManager calls)."""
        if format != BASE64:
            return await super()._save_file(os_path, content, format)
        data = self._decoded(os_path, content)
        with self.atomic_writing(os_path, text=False) as file:
            await run_sync(file.write, data)

    async def _save_large_file(self, os_path, content, format):  # noqa: A002
        """A chunked upload's later chunks, appended."""
        if format != BASE64:
            return await super()._save_large_file(os_path, content, format)
        data = self._decoded(os_path, content)
        with self.perm_to_403(os_path):
            if os.path.islink(os_path):
                os_path = os.path.join(os.path.dirname(os_path), os.readlink(os_path))
            with open(os_path, "ab") as file:  # noqa: ASYNC230 (written in a thread, as Jupyter does)
                await run_sync(file.write, data)
