"""A web app a user runs inside the workspace, reached through the door's tools/port route."""

from __future__ import annotations

from waiting import wait_until
from workbench_client import Workspace

# A web app a user might run inside the workspace (served at tools/port/<USER_APP_PORT>/): a websocket echo at ws and
# a form at form that records every POST it gets in /tmp/posts-reached. Like many apps, it checks no Origin itself.
USER_APP_PORT = 8765
USER_APP = f"""
import asyncio, tornado.web, tornado.websocket
class Echo(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True
    def on_message(self, message):
        self.write_message(message)
class Form(tornado.web.RequestHandler):
    def post(self):
        open("/tmp/posts-reached", "a").write(self.request.uri + "\\n")
        self.write("reached")
async def main():
    tornado.web.Application([(r"/ws", Echo), (r"/form", Form)]).listen({USER_APP_PORT}, "127.0.0.1")
    await asyncio.Event().wait()
asyncio.run(main())
"""


def start_user_app(workspace: Workspace, timeout: float = 30) -> None:
    """Run USER_APP in the workspace as its user; return once tools/port reaches it."""
    workspace.container.exec_run(["python3", "-c", USER_APP], user="jovyan", detach=True)
    wait_until(lambda: workspace.get(f"tools/port/{USER_APP_PORT}/form").status_code != 502, timeout, 0.3)
