"""Benchmarks: how fast the workspace is ready, how much memory it takes idle, how big the images are, what
the front door (port 8080) costs, and how fast jobs serve and start (benchmarks/jobs.py), each against a baseline
measured in the same run. Prints tables; asserts nothing (the machines are noisy). Run it with:
python3 build.py bench [--repeat N] [--flavor F ...]"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager

import docker
import requests

import hub
import jobs
import transfers
from common import (
    AUTH,
    ON_DEMAND_PAGES,
    SETTLE_SECONDS,
    TOKEN,
    host_port,
    memory_bytes,
    remove_benchmark_containers,
    spread,
    start_bare_jupyter,
    start_workspace,
    table,
    wait_until,
)
from language_server import DOCUMENTS, LanguageServer, real_server_processes
from workbench.facts import paths, start_timeline
from workbench_client import websocket_url

TIMELINE_PREFIX = "start timeline: "

# Lines a notebook's user types, completed by the language server as Lab asks it: the modules jedi then reads.
LANGUAGE_SERVER_PROBES = ("os.pa", "numpy.ar", "pandas.Da")
# WORKSPACE_LANGUAGE_SERVER_IDLE_TIMEOUT of the measured workspace: short, so that the memory it gives back is seen
# within the run (nothing else of the workspace reads it).
LANGUAGE_SERVER_IDLE_SECONDS = 20


def all_running(base: str) -> bool:
    return all(
        tool["state"] == "RUNNING"
        for tool in requests.get(base + "api/workbench/status", headers=AUTH, timeout=5).json()["tools"]
    )


@contextmanager
def answering_workspace(client, image: str, environment: dict | None = None):
    """A workspace once its healthz says ok: yields the container, its URL and the seconds from the start to then."""
    workspace = start_workspace(client, image, environment)
    try:
        base = f"http://127.0.0.1:{host_port(workspace)}/"
        start = time.monotonic()
        wait_until(lambda: requests.get(base + "healthz", timeout=2).text == "ok\n")
        yield workspace, base, start
    finally:
        workspace.remove(force=True)


def measure_workspace(client, image: str, results: dict[str, list[float]]) -> None:
    """The default workspace: ready, idle, each tool's first opening, idle again with every tool started."""
    # At debug level the log shows the start's steps (a file written and a few lines printed, once ready).
    environment = {
        "WORKSPACE_LANGUAGE_SERVER_IDLE_TIMEOUT": str(LANGUAGE_SERVER_IDLE_SECONDS),
        "WORKSPACE_LOG_LEVEL": "debug",
    }
    with answering_workspace(client, image, environment) as (workspace, base, start):
        ready = time.monotonic() - start
        results["healthz ok after docker run (s)"].append(ready)
        time.sleep(SETTLE_SECONDS)
        for step, at in start_timeline.parse(workspace.logs().decode()).items():
            results[f"{TIMELINE_PREFIX}{step} (s since the container started)"].append(at)
        results["idle memory, no tool opened (MiB)"].append(memory_bytes(workspace) / 2**20)
        opening = time.monotonic()
        for tool, page in ON_DEMAND_PAGES.items():
            opened = time.monotonic()
            response = requests.get(base + page, headers=AUTH, timeout=180)
            assert response.status_code == 200, (tool, response.status_code, response.text[:200])
            results[f"first open of {tool}: answered (s)"].append(time.monotonic() - opened)
        wait_until(lambda: all_running(base))
        # As if the tools had been opened one after another right at healthz: the settling pause is not counted.
        results["every tool answering after docker run, opened in turn (s)"].append(ready + time.monotonic() - opening)
        time.sleep(SETTLE_SECONDS)
        with_tools = memory_bytes(workspace)
        results["idle memory, every tool opened once (MiB)"].append(with_tools / 2**20)
        server = LanguageServer(websocket_url(base), AUTH)
        try:  # open all along, as a JupyterLab tab keeps it
            complete_probes(server)
            time.sleep(SETTLE_SECONDS)
            results["language server: memory its first completions add (MiB)"].append(
                (memory_bytes(workspace) - with_tools) / 2**20
            )
            wait_until(lambda: not real_server_processes(workspace), timeout=LANGUAGE_SERVER_IDLE_SECONDS + 120)
            time.sleep(SETTLE_SECONDS)
            results["language server: memory still held once it stopped unused (MiB)"].append(
                (memory_bytes(workspace) - with_tools) / 2**20
            )
        finally:
            server.close()


def complete_probes(server: LanguageServer) -> None:
    """A line completed in each probe's module, as a notebook's user types them in JupyterLab."""
    for line in LANGUAGE_SERVER_PROBES:
        module = line.split(".")[0]
        uri = f"{DOCUMENTS}{module}.ipynb.py"
        server.open(uri, f"import {module}\n{line}")
        assert server.completions(uri, 1, len(line)), line


def measure_at_start(client, image: str, results: dict[str, list[float]]) -> None:
    """WORKSPACE_TOOLS_START=at-start: every tool starts with the container (how Workbench started before)."""
    with answering_workspace(client, image, {"WORKSPACE_TOOLS_START": "at-start"}) as (workspace, base, start):
        results["at-start: healthz ok after docker run (s)"].append(time.monotonic() - start)
        wait_until(lambda: all_running(base))
        results["at-start: every tool answering after docker run (s)"].append(time.monotonic() - start)
        time.sleep(SETTLE_SECONDS)
        results["at-start: idle memory, every tool running (MiB)"].append(memory_bytes(workspace) / 2**20)


def measure_bare(client, image: str, results: dict[str, list[float]]) -> None:
    bare = start_bare_jupyter(client, image)
    try:
        base = f"http://127.0.0.1:{host_port(bare)}/"
        start = time.monotonic()
        wait_until(lambda: requests.get(base + "api/status", headers=AUTH, timeout=2).status_code == 200)
        results["bare Jupyter: api/status ok after docker run (s)"].append(time.monotonic() - start)
        time.sleep(SETTLE_SECONDS)
        results["bare Jupyter: idle memory (MiB)"].append(memory_bytes(bare) / 2**20)
    finally:
        bare.remove(force=True)


def startup(client, image: str, repeat: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeat):
        measure_workspace(client, image, results)
        measure_at_start(client, image, results)
        measure_bare(client, image, results)
    return results


def median_ratio(results: dict[str, list[float]], measured: str, baseline: str) -> str:
    return f"{statistics.median(results[measured]) / statistics.median(results[baseline]):.2f}x"


# Runs inside the workspace container: the same requests through port 8080 and straight to Jupyter's socket.
PROXY_COST = r"""
import http.client, json, os, socket, statistics, sys, time
TOKEN, JUPYTER_SOCKET = sys.argv[1:3]
class UnixConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(JUPYTER_SOCKET)
def via_8080(): return http.client.HTTPConnection("127.0.0.1", 8080, timeout=30)
def direct(): return UnixConnection("localhost", timeout=30)
def timed(connect, path, n, extra_headers=dict):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        connection = connect()
        connection.request("GET", path, headers={"Authorization": "token " + TOKEN, **extra_headers()})
        response = connection.getresponse(); size = len(response.read()); connection.close()
        assert response.status == 200, (path, response.status)
        times.append(time.perf_counter() - start)
    return times, size
with open("/workspace/bench-100mb.bin", "wb") as out:
    out.write(os.urandom(100 * 2**20))
result = {}
for name, connect in (("8080", via_8080), ("direct", direct)):
    times, _ = timed(connect, "/api/status", 300)
    times.sort()
    result[name + " api p50 ms"] = statistics.median(times) * 1e3
    result[name + " api p99 ms"] = times[int(0.99 * len(times))] * 1e3
    result[name + " api req/s"] = len(times) / sum(times)
    times, size = timed(connect, "/files/bench-100mb.bin", 3)
    result[name + " 100MB MB/s"] = statistics.median([size / 2**20 / t for t in times])
os.remove("/workspace/bench-100mb.bin")

# A static file of the landing page, as a page's hundred files are fetched: nginx serves it once the auth check says
# yes. The check's yes is kept per credential; a cookie that differs each time makes every request ask Jupyter, as
# every request did before the answer was kept.
import uuid
def static_ms(extra_headers):
    times, _ = timed(via_8080, "/workbench/landing.js", 300, extra_headers)
    times.sort()
    return statistics.median(times) * 1e3, times[int(0.99 * len(times))] * 1e3
result["8080 static p50 ms"], result["8080 static p99 ms"] = static_ms(dict)
result["8080 static, auth asked each time p50 ms"], result["8080 static, auth asked each time p99 ms"] = \
    static_ms(lambda: {"Cookie": "bench=" + uuid.uuid4().hex})

# Kernel execute round trip over the websocket: execute_request -> execute_reply, same kernel, both ways.
import uuid, websocket
from jupyter_client.session import Session
connection = via_8080()
connection.request("POST", "/api/kernels", body="{}", headers={"Authorization": "token " + TOKEN})
kernel = json.loads(connection.getresponse().read())["id"]
session = Session(key=b"", username="bench")
def round_trips(open_channel, n=100):
    channel = open_channel(f"/api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}")
    times = []
    for _ in range(n + 5):
        message = session.msg("execute_request", {"code": "pass", "silent": False, "store_history": False,
                                                  "user_expressions": {}, "allow_stdin": False})
        message["channel"] = "shell"
        start = time.perf_counter()
        channel.send(json.dumps(message, default=str))
        while True:
            reply = json.loads(channel.recv())
            answered = reply["parent_header"].get("msg_id") == message["header"]["msg_id"]
            if reply["header"]["msg_type"] == "execute_reply" and answered:
                break
        times.append(time.perf_counter() - start)
    channel.close()
    return sorted(times[5:])  # the first few warm the kernel up
def channel_8080(path):
    return websocket.create_connection("ws://127.0.0.1:8080" + path, header=["Authorization: token " + TOKEN])
def channel_direct(path):
    sock = socket.socket(socket.AF_UNIX); sock.connect(JUPYTER_SOCKET)
    return websocket.create_connection("ws://localhost" + path, socket=sock, header=["Authorization: token " + TOKEN])
for name, open_channel in (("8080", channel_8080), ("direct", channel_direct)):
    times = round_trips(open_channel)
    result[name + " kernel p50 ms"] = statistics.median(times) * 1e3
    result[name + " kernel p99 ms"] = times[int(0.99 * len(times))] * 1e3
print(json.dumps(result))
"""


def proxy_cost(client, image: str, repeat: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = defaultdict(list)
    with answering_workspace(client, image) as (workspace, _, _):
        for _ in range(repeat):
            # The workspace's Python: it has jupyter_client and websocket-client (Jupyter's own dependencies).
            output = workspace.exec_run(
                [str(paths.VENV_PYTHON), "-c", PROXY_COST, TOKEN, str(paths.JUPYTER_SOCKET)], user="jovyan"
            ).output.decode()
            for key, value in json.loads(output.strip().splitlines()[-1]).items():
                results[key].append(value)
    return results


def image_sizes(client, flavors: list[str]) -> list[tuple[str, str]]:
    rows = []
    for flavor in flavors:
        try:
            image = client.images.get(f"workbench:{flavor}")
        except docker.errors.ImageNotFound:
            continue
        history = sorted(image.history(), key=lambda layer: layer["Size"], reverse=True)[:3]
        largest = ", ".join(f"{layer['Size'] / 1e6:.0f} MB" for layer in history)
        rows.append((flavor, f"{image.attrs['Size'] / 1e6:.0f} MB (largest layers: {largest})"))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each measurement (default: 5)")
    parser.add_argument(
        "--flavor",
        action="append",
        default=None,
        help="flavor to measure (repeatable; default: minimal); sizes are shown for every flavor built",
    )
    parser.add_argument(
        "--users", type=int, default=40, help="users the hub spawns in the many-users measure (default: 40; 0: none)"
    )
    args = parser.parse_args(argv)
    client = docker.from_env(timeout=300)
    images = [f"workbench:{flavor}" for flavor in args.flavor or ["minimal"]]
    machine = subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip()
    print(
        f"Workbench benchmarks on {machine}, {len(__import__('os').sched_getaffinity(0))} CPUs; "
        f"{args.repeat} repetitions: median (min-max)"
    )
    try:
        for image in images:
            started = startup(client, image, args.repeat)
            rows = [(name, spread(values)) for name, values in started.items() if not name.startswith(TIMELINE_PREFIX)]
            bare_ready, bare_memory = (
                "bare Jupyter: api/status ok after docker run (s)",
                "bare Jupyter: idle memory (MiB)",
            )
            for measured, baseline in (
                ("healthz ok after docker run (s)", bare_ready),
                ("at-start: healthz ok after docker run (s)", bare_ready),
                ("idle memory, no tool opened (MiB)", bare_memory),
                ("idle memory, every tool opened once (MiB)", bare_memory),
                ("at-start: idle memory, every tool running (MiB)", bare_memory),
            ):
                rows.append(
                    (f"ratio {measured.split(' (')[0]} / bare Jupyter", median_ratio(started, measured, baseline))
                )
            print(table(f"Start-up and idle memory ({image})", rows))
            timeline = sorted(
                ((name, values) for name, values in started.items() if name.startswith(TIMELINE_PREFIX)),
                key=lambda item: statistics.median(item[1]),
            )
            print(
                table(
                    f"The start step by step ({image}, WORKSPACE_LOG_LEVEL=debug)",
                    [(name.removeprefix(TIMELINE_PREFIX), spread(values)) for name, values in timeline],
                )
            )
        cost = proxy_cost(client, images[0], args.repeat)
        rows = [(name, spread(values)) for name, values in cost.items()]
        for measure in ("api p50 ms", "api p99 ms", "api req/s", "100MB MB/s", "kernel p50 ms", "kernel p99 ms"):
            rows.append(
                (
                    f"ratio {measure} 8080 / direct",
                    f"{statistics.median(cost['8080 ' + measure]) / statistics.median(cost['direct ' + measure]):.2f}x",
                )
            )
        for measure in ("p50", "p99"):
            rows.append(
                (
                    f"ratio static {measure}: answer kept / asked each time",
                    median_ratio(cost, f"8080 static {measure} ms", f"8080 static, auth asked each time {measure} ms"),
                )
            )
        print(
            table(
                f"Front-door cost ({images[0]}): port 8080 (nginx stream + nginx + auth check) vs Jupyter's "
                "socket, inside the container",
                rows,
            )
        )
        print(table(transfers.TITLE.format(image=images[0]), transfers.measure(client, images[0], args.repeat)))
        print(table("Image sizes", image_sizes(client, ["minimal", "full", "gpu"])))
        print(table(jobs.TITLE.format(image=images[0]), jobs.measure(client, images[0], args.repeat)))
        if args.users:
            print(
                table(hub.TITLE.format(image=images[0], users=args.users), hub.measure(client, images[0], args.users))
            )
    finally:
        remove_benchmark_containers(client)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
