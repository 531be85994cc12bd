"""Run from a notebook of the workspace, as a user starts web apps there: each is told its public prefix, the
workspace's base path (WORKBENCH_BASE_URL: under a hub /user/<name>/) and tools/absport/<port>. Returns once both
answer under it."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
STREAMLIT_PORT, ASGI_PORT = 8501, 8765


def prefix(port: int) -> str:
    return f"{os.environ['WORKBENCH_BASE_URL']}tools/absport/{port}"


def start(command: list[str], log: str, **environment) -> None:
    with open(f"/tmp/{log}.log", "w") as out:
        subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **environment}, start_new_session=True
        )


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


start(
    [
        f"{BIN}/streamlit", "run", str(HERE / "streamlit_app.py"),
        "--server.port", str(STREAMLIT_PORT), "--server.address", "127.0.0.1",
        "--server.baseUrlPath", prefix(STREAMLIT_PORT),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ],
    "streamlit",
)  # fmt: skip
start(
    [f"{BIN}/uvicorn", "--app-dir", str(HERE), "asgi_app:app", "--host", "127.0.0.1", "--port", str(ASGI_PORT)],
    "asgi",
    APP_PREFIX=prefix(ASGI_PORT),
)
wait_for(f"http://127.0.0.1:{STREAMLIT_PORT}{prefix(STREAMLIT_PORT)}/_stcore/health")
wait_for(f"http://127.0.0.1:{ASGI_PORT}{prefix(ASGI_PORT)}/")
print("started")
