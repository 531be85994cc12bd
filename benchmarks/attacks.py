"""An attacker's probes of a workspace's front door: what a page on another origin, a stolen-then-logged-out cookie,
a token guesser, an encoded path and a rebinding host name get. Prints one table row per probe: how many requests
were tried, refused, and reached what they aimed at. Asserts nothing (the tests do); it measures, before and after a
change. Run it with: python3 benchmarks/attacks.py [IMAGE]"""

from __future__ import annotations

import re
import socket
import sys
import time
from contextlib import contextmanager

import docker
import requests
import websocket

from common import LABEL, host_port, wait_until
from hostile_paths import ENCODED_PATHS
from tool_pages import TOOL_PAGE_PATHS
from workbench_client import websocket_url

TOKEN = "attack-probe-token-0123456789"
FOREIGN = "http://localhost:3000"
# Jupyter's own answers carry its CSP report address; nginx's never do.
JUPYTER_MARK = "api/security/csp-report"


@contextmanager
def workspace(client, image: str, environment: dict):
    container = client.containers.run(
        image,
        detach=True,
        labels={LABEL: "1"},
        environment=environment,
        ports={"8080/tcp": ("127.0.0.1", None)},
        shm_size="1g",
    )
    try:
        url = f"http://127.0.0.1:{host_port(container)}/"
        wait_until(lambda: requests.get(url + "healthz", timeout=2).text == "ok\n", timeout=120)
        yield container, url
    finally:
        container.remove(force=True)


def login_cookie(url: str) -> str:
    session = requests.Session()
    session.get(url + f"?token={TOKEN}")
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def websocket_status(url: str, path: str, cookie: str, origin: str) -> int:
    try:
        connection = websocket.create_connection(websocket_url(url) + path, cookie=cookie, origin=origin, timeout=60)
    except websocket.WebSocketBadStatusException as refused:
        return refused.status_code
    connection.close()
    return 101


def row(name: str, tried: int, refused: int, reached: int, note: str = "") -> tuple:
    return name, tried, refused, reached, note


def probe_foreign_origin(url: str, container) -> list[tuple]:
    rows = []
    container.exec_run(["sh", "-c", "cd /tmp && nohup python3 -m http.server 8765 >/dev/null 2>&1 &"], user="jovyan")
    cookie = login_cookie(url)
    requests.get(url + "tools/desktop/vnc.html", headers={"Cookie": cookie}, timeout=150)  # started
    for cache in ("warm", "cold"):
        statuses = []
        for _ in range(10):
            if cache == "warm":
                requests.get(url + "api/workbench/status", headers={"Cookie": cookie}, timeout=30)
                used = cookie
            else:
                used = login_cookie(url)
            statuses.append(websocket_status(url, "tools/desktop/websockify", used, FOREIGN))
        rows.append(
            row(
                f"desktop websocket, foreign Origin, {cache} cache",
                len(statuses),
                sum(400 <= s < 500 for s in statuses),
                statuses.count(101),
                " ".join(sorted({str(s) for s in statuses})),
            )
        )
    statuses = []
    for _ in range(10):
        requests.get(url + "api/workbench/status", headers={"Cookie": cookie}, timeout=30)
        statuses.append(
            requests.post(
                url + "tools/port/8765/", data="x", timeout=30, headers={"Cookie": cookie, "Origin": FOREIGN}
            ).status_code
        )
    # python's http.server answers a POST with 501: that answer means the request reached the app.
    rows.append(
        row(
            "tools/port POST, foreign Origin, warm cache",
            len(statuses),
            sum(400 <= s < 500 for s in statuses),
            statuses.count(501),
            " ".join(sorted({str(s) for s in statuses})),
        )
    )
    return rows


def probe_logout(url: str) -> list[tuple]:
    session = requests.Session()
    session.get(url + f"?token={TOKEN}")
    cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
    xsrf = session.cookies.get("_xsrf", "")
    session.get(url + "logout", headers={"X-XSRFToken": xsrf})
    time.sleep(11)  # beyond the front door's 10 s auth cache, which the issue allows
    paths = ["api/workbench/status", "lab", "api/contents", "tools/port/8765/"]
    statuses = [
        requests.get(url + path, headers={"Cookie": cookie}, timeout=30, allow_redirects=False).status_code
        for path in paths
    ]
    return [
        row(
            "replayed cookie 11 s after logout",
            len(paths),
            sum(s in (302, 401, 403) for s in statuses),
            sum(s == 200 for s in statuses),
            " ".join(str(s) for s in statuses),
        )
    ]


def probe_guessing(url: str) -> list[tuple]:
    statuses, start = [], time.monotonic()
    with requests.Session() as session:
        for number in range(300):
            statuses.append(
                session.get(
                    url + "api/workbench/status",
                    timeout=30,
                    headers={"Authorization": f"token wrong-guess-{number:06d}-xyz"},
                ).status_code
            )
    seconds = time.monotonic() - start
    right = requests.get(url + "api/workbench/status", headers={"Authorization": f"token {TOKEN}"}, timeout=30)
    return [
        row(
            "300 wrong tokens from one address",
            300,
            sum(s == 429 for s in statuses),
            0,
            f"{300 / seconds:.0f}/s; statuses {sorted({str(s) for s in statuses})}; right token then: "
            f"{right.status_code}",
        )
    ]


def probe_encoded_paths(url: str) -> list[tuple]:
    reached = []
    for path in ENCODED_PATHS:
        response = requests.get(url + path, timeout=30, allow_redirects=False)
        if JUPYTER_MARK in response.headers.get("Content-Security-Policy", ""):
            reached.append(f"{path}={response.status_code}")
    return [
        row(
            "encoded paths on public locations",
            len(ENCODED_PATHS),
            len(ENCODED_PATHS) - len(reached),
            len(reached),
            "reached Jupyter: " + (", ".join(reached) or "none"),
        )
    ]


def probe_framing(url: str, container) -> list[tuple]:
    cookie = login_cookie(url)
    paths = ["", *TOOL_PAGE_PATHS, "tools/port/8765/"]
    unprotected = []
    for path in paths:
        response = requests.get(url + path, headers={"Cookie": cookie}, timeout=150)
        headers = response.headers
        if "frame-ancestors" not in headers.get("Content-Security-Policy", "") and "X-Frame-Options" not in headers:
            unprotected.append(path or "landing")
    return [
        row(
            "pages that may be framed by any site",
            len(paths),
            len(paths) - len(unprotected),
            len(unprotected),
            ", ".join(unprotected),
        )
    ]


def probe_cross_site_wake(url: str, container) -> list[tuple]:
    cookie = login_cookie(url)
    requests.get(
        url + "tools/tensorboard/",
        timeout=60,
        headers={
            "Cookie": cookie,
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "no-cors",
            "Sec-Fetch-Dest": "image",
        },
    )
    time.sleep(3)
    running = b"tensorboard" in container.exec_run(["pgrep", "-af", "tensorboard"]).output
    return [row("cross-site image GET starts an idle tool", 1, int(not running), int(running))]


def probe_rebinding(client, image: str) -> list[tuple]:
    with workspace(client, image, {"AUTHENTICATE_VIA_JUPYTER": "false"}) as (_, url):
        hosts = ["rebind.evil.example", "rebind.evil.example:8080", "10.0.0.1.nip.example"]
        statuses = [
            requests.get(url + "api/workbench/status", headers={"Host": host}, timeout=30).status_code for host in hosts
        ]
    return [
        row(
            "auth off: API under a foreign Host",
            len(hosts),
            sum(400 <= s < 500 for s in statuses),
            statuses.count(200),
            " ".join(str(s) for s in statuses),
        )
    ]


def exits(container, seconds: float = 15) -> bool:
    """Whether the container stops by itself within the time (a refused setting stops it at once)."""

    def exited() -> bool:
        container.reload()
        return container.status == "exited"

    try:
        wait_until(exited, timeout=seconds)
        return True
    except AssertionError:  # not so within the time
        return False


def probe_short_tokens(client, image: str) -> list[tuple]:
    accepted = []
    for token in ("password", "12345678"):
        container = client.containers.run(
            image, detach=True, labels={LABEL: "1"}, environment={"AUTHENTICATE_VIA_JUPYTER": token}
        )
        try:
            if not exits(container):
                accepted.append(token)
        finally:
            container.remove(force=True)
    return [row("weak tokens accepted at start", 2, 2 - len(accepted), len(accepted), ", ".join(accepted))]


def probe_ssh_address(container) -> list[tuple]:
    """The client addresses the log names for SSH connections: sshd's own lines, and the door's hop."""
    log = container.logs().decode(errors="replace")
    addresses = set(re.findall(r"Connection (?:closed|reset) by (?:authenticating user \S+ )?(\S+) port", log))
    addresses |= set(re.findall(r"from (\d+\.\d+\.\d+\.\d+) port", log))
    addresses |= set(re.findall(r"ssh: (\S+) port \d+ connected", log))
    return [row("addresses logged for an outside SSH client", 1, 0, 0, ", ".join(sorted(addresses)) or "none")]


def probe_ssh(url: str, container) -> list[tuple]:
    host, port = url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"SSH-2.0-probe\r\n")
        connection.recv(256)
    time.sleep(1)
    return probe_ssh_address(container)


def main(argv: list[str]) -> int:
    image = argv[0] if argv else "workbench:minimal"
    client = docker.from_env(timeout=300)
    rows = []
    with workspace(client, image, {"AUTHENTICATE_VIA_JUPYTER": TOKEN}) as (container, url):
        rows += probe_foreign_origin(url, container)
        rows += probe_logout(url)
        rows += probe_encoded_paths(url)
        rows += probe_framing(url, container)
        rows += probe_guessing(url)
        rows += probe_ssh(url, container)
    with workspace(client, image, {"AUTHENTICATE_VIA_JUPYTER": TOKEN, "WORKSPACE_TOOLS_IDLE_TIMEOUT": "0"}) as (
        container,
        url,
    ):
        rows += probe_cross_site_wake(url, container)
    rows += probe_rebinding(client, image)
    rows += probe_short_tokens(client, image)
    widths = [max(len(str(r[i])) for r in rows + [("probe", "tried", "refused", "reached", "")]) for i in range(4)]
    print(f"{'probe':<{widths[0]}}  {'tried':>5}  {'refused':>7}  {'reached':>7}  note")
    for name, tried, refused, reached, note in rows:
        print(f"{name:<{widths[0]}}  {tried:>5}  {refused:>7}  {reached:>7}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
