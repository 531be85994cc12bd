"""The landing page's resource summary: CPU, memory and /workspace disk as this container sees them.

CPU and memory come from the container's cgroup (v2, or v1 on older hosts) so that limits set with
`docker run --cpus/--memory` are what the user sees; without a limit they fall back to the machine's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
UNLIMITED_ABOVE = 2**60  # cgroup v1 writes "no limit" as a number near 2**63


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _stat_value(path: Path, key: str) -> int | None:
    for line in (_read(path) or "").splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.isdigit():
            return int(value)
    return None


def _is_v2(root: Path) -> bool:
    return (root / "cgroup.controllers").exists()


def cpu_cores(root: Path = CGROUP) -> float:
    """The CPUs this container may use: its CPU quota if one is set, else the CPUs it may run on."""
    available = float(len(os.sched_getaffinity(0)))
    if _is_v2(root):
        quota, _, period = (_read(root / "cpu.max") or "max").partition(" ")
    else:
        quota, period = _read(root / "cpu" / "cpu.cfs_quota_us") or "-1", _read(root / "cpu" / "cpu.cfs_period_us")
    if quota.isdigit() and period and period.isdigit() and int(period) > 0:
        return min(available, int(quota) / int(period))
    return available


def cpu_seconds(root: Path = CGROUP) -> float | None:
    """CPU time the container has used so far."""
    if _is_v2(root):
        usec = _stat_value(root / "cpu.stat", "usage_usec")
        return usec / 1e6 if usec is not None else None
    nanoseconds = _read(root / "cpuacct" / "cpuacct.usage")
    return int(nanoseconds) / 1e9 if nanoseconds and nanoseconds.isdigit() else None


def _machine_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory(root: Path = CGROUP) -> dict | None:
    """Used and limit in bytes; "used" leaves out reclaimable file cache, as `docker stats` does."""
    if _is_v2(root):
        usage, limit = _read(root / "memory.current"), _read(root / "memory.max")
        inactive = _stat_value(root / "memory.stat", "inactive_file")
    else:
        usage, limit = (
            _read(root / "memory" / "memory.usage_in_bytes"),
            _read(root / "memory" / "memory.limit_in_bytes"),
        )
        inactive = _stat_value(root / "memory" / "memory.stat", "total_inactive_file")
    if not usage or not usage.isdigit():
        return None
    total = _machine_memory()
    limit_bytes = int(limit) if limit and limit.isdigit() and int(limit) < UNLIMITED_ABOVE else total
    return {"used": max(0, int(usage) - (inactive or 0)), "limit": min(limit_bytes, total)}


def disk(path: Path) -> dict | None:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return {"path": str(path), "used": usage.used, "total": usage.total}


class CpuMeter:
    """CPU use as a share of the container's CPUs since the previous reading (the landing page polls)."""

    def __init__(self, root: Path = CGROUP, clock=time.monotonic):
        self.root, self.clock = root, clock
        self.previous = (clock(), cpu_seconds(root))

    def percent(self) -> float | None:
        now, used = self.clock(), cpu_seconds(self.root)
        (then, used_before), self.previous = self.previous, (now, used)
        if used is None or used_before is None or now <= then:
            return None
        return round(100 * (used - used_before) / (now - then) / cpu_cores(self.root), 1)


def gpus() -> list[dict]:
    """NVIDIA GPUs the container sees (nvidia-smi comes with the driver, through the NVIDIA runtime)."""
    if not shutil.which("nvidia-smi"):
        return []
    try:
        output = subprocess.run(
            [
                "nvidia-smi",
                "--query-gpu=name,utilization.gpu,memory.used,memory.total",
                "--format=csv,noheader,nounits",
            ],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = []
    for line in output.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) == 4 and all(field.isdigit() for field in fields[1:]):
            found.append(
                {
                    "name": fields[0],
                    "percent": int(fields[1]),
                    "memory_used": int(fields[2]) * 2**20,
                    "memory_total": int(fields[3]) * 2**20,
                }
            )
    return found


def summary(meter: CpuMeter, workspace: Path) -> dict:
    return {
        "cpu": {"cores": cpu_cores(meter.root), "percent": meter.percent()},
        "memory": memory(meter.root),
        "disk": disk(workspace),
        "gpus": gpus(),
    }
