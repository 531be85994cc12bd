"""Moving data: downloads from files/ and uploads through Jupyter's contents API, through the workspace's port 8080
against a bare Jupyter Server from the same image published straight on a port (as a docker-stacks user runs it),
both from this host with one client, one after the other. Part of `build.py bench`; alone:
python3 benchmarks/transfers.py [IMAGE]"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import defaultdict
from contextlib import ExitStack

import docker
import requests

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
from lab_uploads import LAB_CHUNK, chunked_models, contents_model  # the tests' JupyterLab upload

MB = 2**20
DOWNLOAD_MB = 1024
CHUNKED_UPLOAD_MB = 1024
# One PUT carries the whole file as base64 in JSON: Jupyter refuses bodies over 512 MB (ServerApp.max_body_size)
# and decodes the JSON in memory, which is why JupyterLab sends files over 15 MB in chunks.
PLAIN_PUT_MB = 100
TITLE = (
    f"Moving data ({{image}}): port 8080 against a bare Jupyter Server on its own published port, from the host; "
    f"download {DOWNLOAD_MB} MB, upload {CHUNKED_UPLOAD_MB} MB in JupyterLab's {LAB_CHUNK // MB} MB chunks and "
    f"{PLAIN_PUT_MB} MB in one PUT"
)


def encoded(models: list[dict]) -> list[bytes]:
    """The request bodies, encoded before the clock starts (a browser encodes a chunk while the previous one
    travels)."""
    return [json.dumps(model).encode() for model in models]


def download_mb_per_s(session: requests.Session, base: str, name: str) -> float:
    start = time.perf_counter()
    with session.get(base + "files/" + name, headers=AUTH, stream=True, timeout=300) as response:
        assert response.status_code == 200, (response.status_code, response.text[:200])
        size = sum(len(block) for block in response.iter_content(MB))
    assert size == DOWNLOAD_MB * MB, size
    return size / MB / (time.perf_counter() - start)


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
        for _ in range(repeat):
            for server, (_, base) in servers.items():
                with requests.Session() as session:
                    results[f"{server}: download MB/s"].append(download_mb_per_s(session, base, "bench-download.bin"))
                    results[f"{server}: chunked upload MB/s"].append(
                        upload_mb_per_s(session, base, "bench-chunked.bin", chunked, len(chunked_data))
                    )
                    results[f"{server}: one-PUT upload MB/s"].append(
                        upload_mb_per_s(session, base, "bench-plain.bin", plain, len(plain_data))
                    )
    rows = [(name, spread(values)) for name, values in sorted(results.items())]
    for measure_name in ("download MB/s", "chunked upload MB/s", "one-PUT upload MB/s"):
        ratio = statistics.median(results[f"workspace: {measure_name}"]) / statistics.median(
            results[f"bare Jupyter: {measure_name}"]
        )
        rows.append((f"ratio {measure_name.split(' MB/s')[0]} workspace / bare Jupyter", f"{ratio:.2f}x"))
    return rows


if __name__ == "__main__":
    docker_client = docker.from_env(timeout=300)
    measured = sys.argv[1] if len(sys.argv) > 1 else "workbench:minimal"
    try:
        print(table(TITLE.format(image=measured), measure(docker_client, measured, 3)))
    finally:
        remove_benchmark_containers(docker_client)
