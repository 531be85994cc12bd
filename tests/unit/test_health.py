"""The health probe against real sockets on this machine: an answering server, a refused port, an error page."""

import asyncio
import http.server
import socket
import threading

import pytest

from workbench.facts import tools
from workbench.server import health


class Answers(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server_port():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


def probe(checked: tools.Tool) -> bool:
    """In a thread of its own: Playwright's sync API leaves an event loop running in the main thread."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(healthy=asyncio.run(health.probe(checked, "/"))))
    thread.start()
    thread.join(timeout=30)
    return outcome["healthy"]


def tool(port: int, health_path: str) -> tools.Tool:
    return tools.Tool(
        "t",
        "T",
        "",
        "",
        "tools/t/",
        programs=(tools.Program("t", "true"),),
        port=port,
        strip_path=True,
        health=health_path,
    )


def test_a_tool_that_answers_is_healthy(server_port):
    assert probe(tool(server_port, "healthz")) is True


def test_an_error_page_is_not_healthy(server_port):
    assert probe(tool(server_port, "other")) is False


def test_a_program_that_does_not_listen_yet_is_not_healthy_and_raises_nothing():
    assert probe(tool(closed_port(), "healthz")) is False
