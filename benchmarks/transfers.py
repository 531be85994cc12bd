"""Moving data: downloads from files/ and uploads through Jupyter's contents API, through the workspace's port 8080
against a bare Jupyter Server from the same image published straight on a port (as a docker-stacks user runs it),
both from this host with one client, taking turns (which goes first alternates); then how the API and a kernel
answer while several clients download at once. Part of `build.py bench`; alone: python3 benchmarks/transfers.py
[IMAGE]"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack

import docker
import requests
import websocket

from common import (
    AUTH,
    host_port,
    remove_benchmark_containers,
    spread,
    start_bare_jupyter,
    start_workspace,
    table,
    wait_until,
)
from kernels import execute_on  # the tests' kernel protocol
from lab_uploads import LAB_CHUNK, chunked_models, contents_model  # the tests' JupyterLab upload

MB = 2**20
DOWNLOAD_MB = 1024
CHUNKED_UPLOAD_MB = 1024
# One PUT carries the whole file as base64 in JSON: Jupyter refuses bodies over 512 MB (ServerApp.max_body_size)
# and decodes the JSON in memory, which is why JupyterLab sends files over 15 MB in chunks.
PLAIN_PUT_MB = 100
# Clients downloading DOWNLOAD_MB each at once while the API's and a kernel's answers are timed.
DOWNLOADERS = 4
TITLE = (
    f"Moving data ({{image}}): port 8080 against a bare Jupyter Server on its own published port, from the host; "
    f"download {DOWNLOAD_MB} MB, upload {CHUNKED_UPLOAD_MB} MB in JupyterLab's {LAB_CHUNK // MB} MB chunks and "
    f"{PLAIN_PUT_MB} MB in one PUT; api/status and a kernel's round trip (execute `pass`) alone and while "
    f"{DOWNLOADERS} clients download {DOWNLOAD_MB} MB each"
)


def encoded(models: list[dict]) -> list[bytes]:
    """The request bodies, encoded before the clock starts (a browser encodes a chunk while the previous one
    travels)."""
    return [json.dumps(model).encode() for model in models]


def download(session: requests.Session, base: str, name: str) -> None:
    with session.get(base + "files/" + name, headers=AUTH, stream=True, timeout=300) as response:
        assert response.status_code == 200, (response.status_code, response.text[:200])
        size = sum(len(block) for block in response.iter_content(MB))
    assert size == DOWNLOAD_MB * MB, size


def download_mb_per_s(session: requests.Session, base: str, name: str) -> float:
    start = time.perf_counter()
    download(session, base, name)
    return DOWNLOAD_MB / (time.perf_counter() - start)


def answer_times_ms(base: str, keep_going) -> tuple[list[float], list[float]]:
    """api/status and a kernel's execute round trip, in turn, for as long as keep_going() says: milliseconds each."""
    kernel = requests.post(base + "api/kernels", json={}, headers=AUTH, timeout=60).json()["id"]
    channel = websocket.create_connection(
        base.replace("http", "ws", 1) + f"api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}",
        header=[f"{name}: {value}" for name, value in AUTH.items()],
        timeout=60,
    )
    api, kernel_round_trips = [], []
    try:
        for _ in range(5):  # the kernel's first answers are slower
            execute_on(channel, "pass")
        with requests.Session() as session:
            while keep_going() or len(api) < 5:
                start = time.perf_counter()
                assert session.get(base + "api/status", headers=AUTH, timeout=60).status_code == 200
                api.append((time.perf_counter() - start) * 1e3)
                start = time.perf_counter()
                execute_on(channel, "pass")
                kernel_round_trips.append((time.perf_counter() - start) * 1e3)
    finally:
        channel.close()
        requests.delete(base + f"api/kernels/{kernel}", headers=AUTH, timeout=60)
    return api, kernel_round_trips


def answers_under_downloads(base: str, name: str) -> dict[str, list[float]]:
    """Answer times alone for a few seconds, then while DOWNLOADERS clients download at once."""
    quiet_until = time.monotonic() + 5
    api_alone, kernel_alone = answer_times_ms(base, lambda: time.monotonic() < quiet_until)
    failures = []

    def downloader() -> None:
        try:
            with requests.Session() as session:
                download(session, base, name)
        except Exception as error:  # noqa: BLE001 - reported below, in the main thread
            failures.append(error)

    threads = [threading.Thread(target=downloader) for _ in range(DOWNLOADERS)]
    for thread in threads:
        thread.start()
    api_loaded, kernel_loaded = answer_times_ms(base, lambda: any(thread.is_alive() for thread in threads))
    for thread in threads:
        thread.join()
    assert not failures, failures
    return {"api alone": api_alone, "kernel alone": kernel_alone, "api": api_loaded, "kernel": kernel_loaded}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def upload_mb_per_s(session: requests.Session, base: str, name: str, bodies: list[bytes], size: int) -> float:
    start = time.perf_counter()
    for body in bodies:
        response = session.put(
            base + "api/contents/" + name, data=body, headers={**AUTH, "Content-Type": "application/json"}, timeout=300
        )
        assert response.status_code in (200, 201), (response.status_code, response.text[:200])
    seconds = time.perf_counter() - start
    model = session.get(base + "api/contents/" + name, params={"content": "0"}, headers=AUTH, timeout=30).json()
    assert model["size"] == size, model
    session.delete(base + "api/contents/" + name, headers=AUTH, timeout=60)
    return size / MB / seconds


def answering(container, ready_path: str) -> str:
    base = f"http://127.0.0.1:{host_port(container)}/"
    wait_until(lambda: requests.get(base + ready_path, headers=AUTH, timeout=2).status_code == 200)
    return base


def measure(client, image: str, repeat: int) -> list[tuple[str, str]]:
    chunked_data, plain_data = os.urandom(CHUNKED_UPLOAD_MB * MB), os.urandom(PLAIN_PUT_MB * MB)
    chunked = encoded(chunked_models("bench-chunked.bin", chunked_data))
    plain = encoded([contents_model("bench-plain.bin", plain_data)])
    results: dict[str, list[float]] = defaultdict(list)
    with ExitStack() as cleanup:
        servers = {}
        for server, start, ready_path in (
            ("workspace", start_workspace, "api/workbench/status"),
            ("bare Jupyter", start_bare_jupyter, "api/status"),
        ):
            container = start(client, image)
            cleanup.callback(container.remove, force=True)
            servers[server] = (container, answering(container, ready_path))
        for container, _ in servers.values():
            made = container.exec_run(
                ["sh", "-c", f"head -c {DOWNLOAD_MB * MB} /dev/urandom > /workspace/bench-download.bin"], user="1000"
            )
            assert made.exit_code == 0, made.output
        for repetition in range(repeat):
            # Taking turns, the one that went first goes second the next time: neither always finds a warmer machine.
            order = list(servers.items())[:: 1 if repetition % 2 == 0 else -1]
            for server, (_, base) in order:
                with requests.Session() as session:
                    results[f"{server}: download MB/s"].append(download_mb_per_s(session, base, "bench-download.bin"))
                    results[f"{server}: chunked upload MB/s"].append(
                        upload_mb_per_s(session, base, "bench-chunked.bin", chunked, len(chunked_data))
                    )
                    results[f"{server}: one-PUT upload MB/s"].append(
                        upload_mb_per_s(session, base, "bench-plain.bin", plain, len(plain_data))
                    )
        for repetition in range(repeat):
            order = list(servers.items())[:: 1 if repetition % 2 == 0 else -1]
            for server, (_, base) in order:
                for answer, times in answers_under_downloads(base, "bench-download.bin").items():
                    for share, name in ((0.5, "p50"), (0.99, "p99")):
                        results[f"{server}: {answer} {name} ms"].append(percentile(times, share))
    rows = [(name, spread(values)) for name, values in sorted(results.items())]
    for measure_name in ("download MB/s", "chunked upload MB/s", "one-PUT upload MB/s"):
        rows.append((f"ratio {measure_name.split(' MB/s')[0]} workspace / bare Jupyter", ratio(results, measure_name)))
    for answer in ("api", "kernel"):
        for name in ("p50", "p99"):
            rows.append(
                (
                    f"ratio {answer} {name} during {DOWNLOADERS} downloads workspace / bare Jupyter",
                    ratio(results, f"{answer} {name} ms"),
                )
            )
    return rows


def ratio(results: dict[str, list[float]], measure_name: str) -> str:
    workspace = statistics.median(results[f"workspace: {measure_name}"])
    return f"{workspace / statistics.median(results[f'bare Jupyter: {measure_name}']):.2f}x"


if __name__ == "__main__":
    docker_client = docker.from_env(timeout=300)
    measured = sys.argv[1] if len(sys.argv) > 1 else "workbench:minimal"
    try:
        print(table(TITLE.format(image=measured), measure(docker_client, measured, 3)))
    finally:
        remove_benchmark_containers(docker_client)
