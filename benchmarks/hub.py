"""Many users on one host: the deploy/docker hub spawning the workspace image for one user after another, each while
the ones before sit idle, as people arrive in the morning (it stops early when the host's memory would run out).
Per user: spawn-to-ready (the hub's API, from the start request to the hub saying ready), idle memory (cgroup); the
hub's page and a workspace's API call through the hub while they all run; what opening each tool adds in one user's
workspace. Part of `build.py bench`; alone: python3 benchmarks/hub.py [--users N] [IMAGE]"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import docker

from common import ON_DEMAND_PAGES, SETTLE_SECONDS, memory_bytes, spread, table
from hubs import Hub  # the tests' real hub of deploy/docker
from workbench_build import project

USERS = 40
# Left to the host when the next workspace would start: below this the run stops adding users.
HOST_RESERVE_BYTES = 2 * 2**30
LATENCY_SAMPLES = 50
TITLE = "Many users ({image}) on one host through the deploy/docker hub: {users} users spawned one after another"


def available_memory() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def latencies_ms(get) -> list[float]:
    times = []
    for _ in range(LATENCY_SAMPLES):
        start = time.perf_counter()
        response = get()
        assert response.status_code == 200, (response.status_code, response.text[:200])
        times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)


def p50_p99(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} / {times[int(0.99 * len(times))]:.1f} ms"


def tool_costs(hub: Hub, user) -> list[tuple[str, str]]:
    """Memory added by each tool opened in turn in one user's workspace, each once settled."""
    container = hub.user_container(user)
    workspace = hub.user_server(user)
    rows = []
    before = memory_bytes(container)
    for tool, page in ON_DEMAND_PAGES.items():
        opened = workspace.get(page, timeout=180)
        assert opened.status_code == 200, (tool, opened.status_code, opened.text[:200])
        time.sleep(SETTLE_SECONDS)
        after = memory_bytes(container)
        rows.append((f"opening {tool} adds (MiB)", f"{(after - before) / 2**20:.0f}"))
        before = after
    return rows


def measure(client, image: str, users: int) -> list[tuple[str, str]]:
    hub_image = project.HUB_IMAGE.tags("minimal")[0]
    with (
        tempfile.TemporaryDirectory(prefix="workbench-bench-hub-") as config,
        Hub(client, hub_image, image, Path(config)) as hub,
    ):
        people, spawns = [], []
        for number in range(users):
            if available_memory() < HOST_RESERVE_BYTES:
                break
            person = hub.sign_up_and_log_in(f"user{number:02d}")
            spawns.append(hub.start_server(person, poll=0.05))  # polled often: it is what is timed
            people.append(person)
        time.sleep(SETTLE_SECONDS)
        idle = [memory_bytes(hub.user_container(person)) / 2**20 for person in people]
        home = latencies_ms(lambda: people[-1].session.get(f"{hub.url}/hub/home", timeout=30))
        api = latencies_ms(lambda: hub.user_server(people[0]).get("api/status"))
        rows = [
            ("users running", f"{len(people)} of {users} asked for"),
            ("spawn-to-ready (s): median (min-max)", spread(spawns)),
            ("spawn-to-ready, worst (s)", f"{max(spawns):.2f}"),
            ("spawn-to-ready, first 5 / last 5 users (s)", f"{spread(spawns[:5])} / {spread(spawns[-5:])}"),
            ("idle memory per user (MiB): median (min-max)", spread(idle)),
            ("idle memory, all users (GiB)", f"{sum(idle) / 1024:.2f}"),
            ("the hub's own memory (MiB)", f"{memory_bytes(hub.container) / 2**20:.0f}"),
            ("hub page /hub/home p50 / p99, all users running", p50_p99(home)),
            ("a workspace's api/status through the hub p50 / p99", p50_p99(api)),
        ]
        return rows + tool_costs(hub, people[0])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=USERS, help=f"users to spawn (default: {USERS})")
    parser.add_argument("image", nargs="?", default="workbench:minimal")
    args = parser.parse_args(argv)
    client = docker.from_env(timeout=300)
    print(table(TITLE.format(image=args.image, users=args.users), measure(client, args.image, args.users)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
