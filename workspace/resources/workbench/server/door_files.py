"""Jupyter's raw file downloads (files/<path>: JupyterLab's "Download", links to files), with the bytes sent by
nginx itself: Jupyter's own files handler decides everything it decides (the login, hidden files, paths outside the
root, what is not a regular file, the content type, the download name), then hands the file to the door through an
internal redirect (X-Accel-Redirect) instead of reading it through Python; nginx sends it with sendfile and answers
Range requests. Notebooks, and any request that did not come through the door's files location, get Jupyter's own
answer."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import AuthenticatedFileHandler
from tornado import web

from ..facts import paths


class DoorFileHandler(AuthenticatedFileHandler):
    """ContentsManager.files_handler_class for the workspace (c.FileContentsManager, render.py)."""

    @web.authenticated
    @authorized
    async def get(self, path: str, include_body: bool = True) -> None:
        target = self.door_target(path)
        if target is None:
            return await super().get(path, include_body=include_body)
        # What Jupyter's own answer would carry, for the file nginx sends; not through its set_headers, whose
        # Accept-Ranges nginx would pass on beside its own.
        self.set_header("Content-Type", self.get_content_type())
        if self.get_argument("download", None):
            self.set_attachment_header(path.rsplit("/", 1)[-1])
        if "v" not in self.request.arguments:
            self.set_header("Cache-Control", "no-cache")
        self.set_header(paths.DOOR_FILES_CSP_HEADER, self.content_security_policy)
        self.set_header("X-Accel-Redirect", paths.DOOR_FILES_PREFIX + quote(target))
        self.finish()

    def door_target(self, path: str) -> str | None:
        """The file's path under the workspace for nginx, after Jupyter's checks (which raise its own 403 and 404);
        None where Jupyter answers itself."""
        if self.request.headers.get(paths.DOOR_FILES_HEADER) != "1" or path.lower().endswith(".ipynb"):
            return None
        root = Path(self.root).resolve()
        if root != paths.WORKSPACE_DIR.resolve():
            return None  # Jupyter serves another folder than the one nginx knows (a root_dir of the user's)
        self.check_xsrf_cookie()
        self.path = self.parse_url_path(path)
        absolute = self.validate_absolute_path(self.root, self.get_absolute_path(self.root, self.path))
        if absolute is None:
            return None
        real = Path(os.path.realpath(absolute))
        if root not in real.parents:
            raise web.HTTPError(404)  # a link that leads out of the workspace
        self.absolute_path = str(real)
        return real.relative_to(root).as_posix()
