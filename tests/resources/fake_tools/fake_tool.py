"""A tool as small as one can be, for the front door's contract tests (tests/container/test_tool_contract.py): it
answers every request with what it received (method, URI, body, the headers the door passes on) as JSON, echoes
websocket messages at ws, and answers its health URL once a file exists (at once without --ready-file)."""

import argparse
import asyncio
import json
import os

import tornado.web
import tornado.websocket


class Health(tornado.web.RequestHandler):
    def initialize(self, ready_file: str) -> None:
        self.ready_file = ready_file

    def get(self) -> None:
        if self.ready_file and not os.path.exists(self.ready_file):
            raise tornado.web.HTTPError(503)
        self.write("ok")


class Echo(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin: str) -> bool:
        return True  # the door checks the Origin before a request reaches a tool

    def on_message(self, message) -> None:
        self.write_message(message, binary=isinstance(message, bytes))


class Received(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")

    def answer(self, *_) -> None:
        self.write(
            {
                "tool": self.settings["tool"],
                "method": self.request.method,
                "uri": self.request.uri,
                "body": self.request.body.decode(errors="replace"),
                "headers": dict(self.request.headers),
            }
        )

    get = head = post = put = delete = patch = answer


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", default="", help="the path the door keeps in front of the tool's own URLs")
    parser.add_argument("--ready-file", default="")
    options = parser.parse_args()
    prefix = options.prefix.rstrip("/")
    routes = [
        (prefix + "/healthz", Health, {"ready_file": options.ready_file}),
        (prefix + "/ws", Echo),
        (r"/.*", Received),
    ]
    tornado.web.Application(routes, tool=options.name).listen(options.port, "127.0.0.1")
    print(json.dumps({"listening": options.port, "prefix": prefix}), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
