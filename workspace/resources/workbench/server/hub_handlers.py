"""With JupyterHub in front: where nginx sends a browser that is not logged in."""

from __future__ import annotations

from jupyter_server.base.handlers import JupyterHandler
from tornado import web


def page_under(next_url: str, base_url: str) -> str:
    """next_url if it is a path under this server (not another server of the hub, not another site: no // or \\,
    which browsers read as a host), else the server's own page."""
    if not next_url.startswith(base_url) or "//" in next_url or "\\" in next_url:
        return base_url
    return next_url


class HubLoginHandler(JupyterHandler):
    """Where nginx sends a browser that is not logged in: opening it makes the single-user server start the hub's
    OAuth login, which comes back here; then on to ?next=, a path under this server."""

    @web.authenticated
    def get(self) -> None:
        self.redirect(page_under(self.get_query_argument("next", self.base_url), self.base_url))


ROUTES = [("api/workbench/login", HubLoginHandler)]
