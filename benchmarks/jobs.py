"""Jobs: `serve` against the model server users hand-write today (tests/resources/bring_your_own: AWS's
scikit_bring_your_own layout, nginx + gunicorn + Flask, built here on the same image, whose own `serve` runs), and
what `train` adds to starting the same script with python directly. Part of `build.py bench`; alone:
python3 benchmarks/jobs.py [IMAGE]"""

from __future__ import annotations

import http.client
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import docker

from common import LABEL, host_port, remove_benchmark_containers, spread, table, wait_until
from ml_jobs import answers_ping, build_bring_your_own_image, ml_tree  # the tests' /opt/ml layout, and more
from workbench.facts import paths
from workbench_build.options import host_ca_bundle

CLIENTS = 4
REQUESTS_PER_CLIENT = 500
TRAIN_MODEL = """
import joblib, numpy as np
from sklearn.linear_model import LogisticRegression
data = np.loadtxt("/opt/ml/input/data/train/train.csv", delimiter=",")
joblib.dump(LogisticRegression().fit(data[:, 1:], data[:, 0]), "/opt/ml/model/model.joblib")
"""
NOOP_SCRIPT = "print('nothing to train')\n"
TITLE = (
    f"Jobs ({{image}}): serve against nginx + gunicorn + Flask (AWS's example), {CLIENTS} clients x "
    f"{REQUESTS_PER_CLIENT} requests each; train against python job.py"
)


def job_folder(parent: Path) -> Path:
    """/opt/ml as the tests lay it out, with a script that does nothing as the job."""
    return ml_tree(parent, {}, program="job.py", script=NOOP_SCRIPT)


def run_to_exit(client, image: str, ml: Path, **options) -> float:
    """Seconds from docker run to the container's exit."""
    start = time.monotonic()
    container = client.containers.run(
        image,
        detach=True,
        labels={LABEL: "1"},
        hostname="algo-1",
        volumes={str(ml): {"bind": "/opt/ml", "mode": "rw"}},
        **options,
    )
    try:
        status = container.wait(timeout=300)["StatusCode"]
        elapsed = time.monotonic() - start
        assert status == 0, container.logs().decode()[-2000:]
        return elapsed
    finally:
        container.remove(force=True)


def train_overhead(client, image: str, repeat: int, results: dict) -> None:
    with tempfile.TemporaryDirectory() as parent:
        ml = job_folder(Path(parent))
        for _ in range(repeat):
            results["train: docker run to exit, script that does nothing (s)"].append(
                run_to_exit(client, image, ml, command=["train"], environment={"SAGEMAKER_PROGRAM": "job.py"})
            )
            results["python job.py: docker run to exit, same script (s)"].append(
                run_to_exit(client, image, ml, entrypoint=[str(paths.VENV_PYTHON), "/opt/ml/code/job.py"])
            )


def load(
    port: int, body: str, clients: int = CLIENTS, per_client: int = REQUESTS_PER_CLIENT
) -> tuple[float, list[float]]:
    """clients threads, each with its own keep-alive connection: requests per second and every latency."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client_thread():
        connection, mine = http.client.HTTPConnection("127.0.0.1", port, timeout=60), []
        for _ in range(per_client):
            start = time.perf_counter()
            try:
                connection.request(
                    "POST", "/invocations", body=body, headers={"Content-Type": "text/csv", "Accept": "text/csv"}
                )
                response = connection.getresponse()
                response.read()
            except (http.client.HTTPException, OSError):  # a server that closes kept-alive connections
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            assert response.status == 200, response.status
            mine.append(time.perf_counter() - start)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client_thread) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - start), sorted(latencies)


def serve_throughput(client, image: str, reference: str, repeat: int, results: dict) -> None:
    with tempfile.TemporaryDirectory() as parent:
        ml = job_folder(Path(parent))
        run_to_exit(client, image, ml, entrypoint=[str(paths.VENV_PYTHON), "-c", TRAIN_MODEL])
        model = {str(ml / "model"): {"bind": "/opt/ml/model", "mode": "ro"}}
        for name, server_image in (("serve", image), ("reference", reference)):
            for _ in range(repeat):
                container = client.containers.run(
                    server_image,
                    ["serve"],
                    detach=True,
                    labels={LABEL: "1"},
                    volumes=model,
                    ports={"8080/tcp": ("127.0.0.1", None)},
                )
                try:
                    port = host_port(container)
                    wait_until(lambda port=port: answers_ping(f"http://127.0.0.1:{port}"), timeout=120)
                    load(port, "5,5\n", per_client=50)  # warm up every worker
                    for rows, body in (("1 row", "5,5\n"), ("100 rows", "5,5\n-5,-5\n" * 50)):
                        per_second, latencies = load(port, body)
                        results[f"{name}: requests/s, {rows}"].append(per_second)
                        results[f"{name}: p50 ms, {rows}"].append(statistics.median(latencies) * 1e3)
                        results[f"{name}: p99 ms, {rows}"].append(latencies[int(0.99 * len(latencies))] * 1e3)
                finally:
                    container.remove(force=True)


def measure(client, image: str, repeat: int) -> list[tuple[str, str]]:
    results: dict[str, list[float]] = defaultdict(list)
    reference = build_bring_your_own_image(client, image, host_ca_bundle())
    serve_throughput(client, image, reference, repeat, results)
    train_overhead(client, image, repeat, results)
    rows = [(name, spread(values)) for name, values in results.items()]
    for rows_label in ("1 row", "100 rows"):
        for measure_name in ("requests/s", "p50 ms", "p99 ms"):
            key = f"{measure_name}, {rows_label}"
            serve, reference = (statistics.median(results[f"{side}: {key}"]) for side in ("serve", "reference"))
            rows.append((f"ratio {key}: serve / reference", f"{serve / reference:.2f}x"))
    train, direct = (
        statistics.median(results[key])
        for key in (
            "train: docker run to exit, script that does nothing (s)",
            "python job.py: docker run to exit, same script (s)",
        )
    )
    rows.append(("train's own start-up: train - python job.py (s)", f"{train - direct:.2f}"))
    return rows


def main(argv: list[str]) -> int:
    client = docker.from_env(timeout=300)
    image = argv[0] if argv else "workbench:minimal"
    try:
        print(table(TITLE.format(image=image), measure(client, image, 3)))
    finally:
        remove_benchmark_containers(client)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
