"""Run once at build time, as the workspace user, with the environment's Python: what every start of a workspace or
of a job imports from the environment is imported here, so that its bytecode ships in the image. The environment
otherwise ships without bytecode (compiling all of it would add 150 MB), and every new container would compile the
same thousand modules again before Jupyter answers: 1 to 2.5 s of each start on a 2-core machine.

What is run is the real thing, not a list of modules to keep up to date: the Jupyter Server with every extension the
image enables, asked for JupyterLab's and Notebook's pages and the APIs they call first, a terminal, a kernel running
a cell; then the hub's single-user modules and what `train` and `serve` import."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from jupyter_client import BlockingKernelClient

# The build container's own loopback: nothing else listens there.
PORT = 8888
TOKEN = "warm-up"
# A busy build machine can take long to start a server; this is a bound, not an expectation.
TIMEOUT_SECONDS = 300
FIRST_PAGES = ["lab", "tree", "api/contents", "api/kernelspecs", "api/sessions", "lab/api/settings", "api/me"]
JOB_MODULES = [
    "workbench.jobs.training",
    "sagemaker_training.trainer",
    "sagemaker_training.entry_point",
    "gunicorn.app.wsgiapp",
]
HUB_MODULES = ["jupyterhub.singleuser", "jupyterhub.singleuser.extension", "jupyterhub.services.auth"]


def call(method: str, path: str) -> dict | str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/{path}", method=method, headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read().decode()
    return json.loads(body) if response.headers.get_content_type() == "application/json" and body else body


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        try:
            if condition():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"warm-up: {what} did not happen in {TIMEOUT_SECONDS} s")
        time.sleep(0.2)


def run_a_cell(kernel_id: str, runtime_dir: Path) -> None:
    client = BlockingKernelClient(connection_file=str(runtime_dir / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT_SECONDS)
        reply = client.execute_interactive("print(sum(range(10)))", timeout=TIMEOUT_SECONDS, output_hook=lambda _: None)
        if reply["content"]["status"] != "ok":
            raise SystemExit(f"warm-up: the kernel failed a cell: {reply['content']}")
    finally:
        client.stop_channels()


def warm_up_jupyter(home: Path) -> None:
    runtime_dir = home / "runtime"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={PORT}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={TOKEN}",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={home}",
        ],
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime_dir)},
    )
    try:
        wait_until(lambda: server.poll() is None and call("GET", "api/status"), "Jupyter answering")
        for page in FIRST_PAGES:
            call("GET", page)
        terminal = call("POST", "api/terminals")
        call("DELETE", f"api/terminals/{terminal['name']}")
        kernel = call("POST", "api/kernels")
        run_a_cell(kernel["id"], runtime_dir)
        call("DELETE", f"api/kernels/{kernel['id']}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=TIMEOUT_SECONDS)
    if server.returncode not in (0, -signal.SIGTERM):
        raise SystemExit(f"warm-up: Jupyter exited with {server.returncode}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="warm-up-") as home:
        # Everything the server, the kernel and the SageMaker toolkit write goes here and is thrown away.
        os.environ.update(HOME=home, SAGEMAKER_BASE_DIR=home)
        warm_up_jupyter(Path(home))
        subprocess.run([sys.executable, "-c", f"import {', '.join(HUB_MODULES + JOB_MODULES)}"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
