"""The parts of starting tools on demand that need no container: which requests get the "starting…" page, which
URIs a wake may send a request on to, what counts as a connection to a tool, and how often idleness is checked."""

import os
import socket

import pytest

from workbench.contracts import pages
from workbench.facts import catalogue, paths, states
from workbench.server import activity, on_demand

VSCODE = catalogue.by_name("vscode")


@pytest.mark.parametrize(
    "headers, method, expected",
    [
        ({"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}, "GET", True),
        ({"Sec-Fetch-Mode": "cors", "Accept": "text/html"}, "GET", False),  # a script's fetch
        ({"Sec-Fetch-Mode": "no-cors", "Accept": "*/*"}, "GET", False),  # a stylesheet or an image
        ({"Accept": "text/html,application/xhtml+xml"}, "GET", True),  # a browser that sends no Sec-Fetch-*
        ({"Accept": "application/json"}, "GET", False),
        ({}, "GET", False),  # curl, requests
        ({"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}, "POST", False),  # a form: its body must be sent again
        ({"Upgrade": "websocket", "Sec-Fetch-Mode": "websocket"}, "GET", False),
    ],
)
def test_only_a_browser_opening_a_page_gets_the_starting_page(headers, method, expected):
    assert on_demand.is_page_navigation(headers, method) is expected


def test_the_starting_page_names_the_tool_and_when_to_give_up():
    page = pages.tool_starting_page(VSCODE, "/user/a/", 120, "xsrf-value")
    assert "<title>Starting VS Code…</title>" in page
    assert "/user/a/" in page and "xsrf-value" in page
    assert all(f'"{state}"' in page for state in states.GIVEN_UP)


@pytest.mark.parametrize(
    "uri, expected",
    [
        ("/tools/vscode/", True),
        ("/tools/vscode", True),
        ("/tools/vscode/static/a.js?v=1", True),
        ("/tools/vscode/?folder=/workspace/a%20b", True),
        ("/tools/vscodex/", False),
        ("/tools/", False),
        ("/api/contents", False),
        ("", False),
        ("/tools/vscode/../../api/contents", False),
        ("/tools/vscode/%2e%2e/%2E%2E/api/contents", False),
        ("/tools/vscode/./x", False),
        ("/tools/vscode/%0a", False),
    ],
)
def test_a_wake_goes_on_only_to_a_url_of_the_tool_it_started(uri, expected):
    assert on_demand.is_uri_of(uri, "/tools/vscode/") is expected


def test_under_a_hub_prefix_the_tool_url_includes_it():
    assert on_demand.is_uri_of("/user/alice/tools/vscode/x", "/user/alice/tools/vscode/")
    assert not on_demand.is_uri_of("/user/bob/tools/vscode/x", "/user/alice/tools/vscode/")


@pytest.mark.parametrize(
    "uri, target",
    [
        ("/tools/vscode/a%20b?x=%20", "/tools/vscode/a b?x=%20"),  # nginx keeps the location's URI decoded
        ("/tools/vscode/a%3Fb", "/tools/vscode/a%3Fb"),  # decoding would turn a name into a query
        ("/tools/vscode/", "/tools/vscode/"),
    ],
)
def test_the_internal_redirect_asks_nginx_for_the_same_uri(uri, target):
    assert on_demand.internal_redirect_target(uri) == target


def test_open_connections_count_the_tools_side_of_established_connections():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert activity.open_connections((port,)) == 0  # listening is not a connection
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = server.accept()
            with accepted:
                # Once, though the table lists both ends: the client's end has the port as its remote one.
                assert activity.open_connections((port,)) == 1
        assert activity.open_connections((port,)) == 0


@pytest.mark.parametrize("timeout, interval", [(1, 1.0), (6, 1.0), (60, 6.0), (3600, 30.0)])
def test_idleness_is_checked_often_enough_to_stop_within_a_tenth_of_the_timeout(timeout, interval):
    assert on_demand.IdleStopper(timeout, "/").interval == interval


def test_an_activity_file_that_grows_big_is_emptied_and_keeps_its_time(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ACTIVITY_DIR", tmp_path)
    assert activity.last_request(VSCODE) == 0.0
    log = tmp_path / "vscode.log"
    log.write_bytes(b"1.0\n" * (activity.ACTIVITY_FILE_LIMIT // 4 + 1))
    os.utime(log, (1000.0, 1000.0))
    assert activity.last_request(VSCODE) == 1000.0
    assert log.stat().st_size == 0
    assert activity.last_request(VSCODE) == 1000.0  # emptying it is not a request
