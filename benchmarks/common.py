"""What every benchmark shares: the path to the tests' helpers, build.py's package and the runtime package (as
pytest.ini's pythonpath gives them to the tests), the containers a benchmark starts and removes, the baseline (bare
Jupyter from the same image), and how results are summed up and printed."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

TOKEN = "benchmark-token-0123456789"
LABEL = "workbench-benchmark"
ROOT = Path(__file__).resolve().parent.parent
# The tests' helpers and the runtime package (the tool declarations), as pytest.ini's pythonpath gives them to tests.
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "support"), str(ROOT / "workspace" / "resources")]
import waiting  # noqa: E402
from tool_pages import ON_DEMAND_TOOLS, TOOL_PAGES  # noqa: E402
from workbench.facts import paths  # noqa: E402


def spread(values: list[float]) -> str:
    """median (min-max) of the repetitions."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def host_port(container) -> int:
    container.reload()
    return int(container.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"])


def wait_until(check, timeout: float = 180) -> None:
    """The tests' wait, polled often: the benchmarks time what they wait for."""
    waiting.wait_until(check, timeout, 0.05)


def remove_benchmark_containers(client) -> None:
    """Every container a benchmark started, whatever stopped it."""
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        container.remove(force=True)


def memory_bytes(container) -> int:
    stats = container.stats(stream=False)["memory_stats"]
    inactive = stats.get("stats", {}).get("total_inactive_file", stats.get("stats", {}).get("inactive_file", 0))
    return stats["usage"] - inactive


def start_workspace(client, image: str, environment: dict | None = None):
    return client.containers.run(
        image,
        detach=True,
        labels={LABEL: "1"},
        environment={"AUTHENTICATE_VIA_JUPYTER": TOKEN, **(environment or {})},
        ports={"8080/tcp": ("127.0.0.1", None)},
        shm_size="2g",
    )


def start_bare_jupyter(client, image: str):
    """The baseline: Jupyter Server alone in the same image, on the same port, nothing in front, and without
    Workbench's own extension (its environment enables it for every Jupyter Server it runs), as docker-stacks has
    none."""
    return client.containers.run(
        image,
        detach=True,
        labels={LABEL: "1"},
        ports={"8080/tcp": ("127.0.0.1", None)},
        user="1000:100",
        entrypoint=[
            f"{paths.VENV_DIR}/bin/jupyter-server",
            "--ip=0.0.0.0",
            "--port=8080",
            f"--IdentityProvider.token={TOKEN}",
            "--ServerApp.root_dir=/workspace",
            "--ServerApp.allow_remote_access=True",
            "--ServerApp.jpserver_extensions",
            "workbench.server.jupyter_extension=False",
        ],
    )


# The tools that start when first opened, and the page a user's first visit asks for.
ON_DEMAND_PAGES = {name: TOOL_PAGES[name][0] for name in ON_DEMAND_TOOLS}
AUTH = {"Authorization": f"token {TOKEN}"}
# Long enough for start-up work (JupyterLab's first build check, Netdata's first collection) to settle.
SETTLE_SECONDS = 10


def table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows) if rows else 10
    lines = [f"\n{title}", "-" * (width + 40)] + [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)
