"""The landing page's resource figures, read from cgroup v1 and v2 trees laid out as the kernel lays them out."""

import os

import pytest

from workbench.facts import usage

MACHINE_MEMORY = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
MACHINE_CPUS = len(os.sched_getaffinity(0))


def write(root, files: dict):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def cgroup_v2(root, cpu_max="max 100000", memory_max="max", usage_usec=5_000_000):
    return write(
        root,
        {
            "cgroup.controllers": "cpu memory io\n",
            "cpu.max": f"{cpu_max}\n",
            "cpu.stat": f"usage_usec {usage_usec}\nuser_usec 1\n",
            "memory.current": "524288000\n",
            "memory.max": f"{memory_max}\n",
            "memory.stat": "anon 1\ninactive_file 104857600\n",
        },
    )


def cgroup_v1(root, quota="-1", limit="9223372036854771712", usage_ns=5_000_000_000):
    return write(
        root,
        {
            "cpu/cpu.cfs_quota_us": f"{quota}\n",
            "cpu/cpu.cfs_period_us": "100000\n",
            "cpuacct/cpuacct.usage": f"{usage_ns}\n",
            "memory/memory.usage_in_bytes": "524288000\n",
            "memory/memory.limit_in_bytes": f"{limit}\n",
            "memory/memory.stat": "cache 1\ntotal_inactive_file 104857600\n",
        },
    )


@pytest.mark.parametrize("make", [cgroup_v1, cgroup_v2])
def test_without_limits_the_machine_is_the_limit(tmp_path, make):
    root = make(tmp_path)
    assert usage.cpu_cores(root) == MACHINE_CPUS
    assert usage.memory(root) == {"used": 524288000 - 104857600, "limit": MACHINE_MEMORY}


def test_v2_limits(tmp_path):
    root = cgroup_v2(tmp_path, cpu_max="50000 100000", memory_max=str(2**30))
    assert usage.cpu_cores(root) == min(0.5, MACHINE_CPUS)
    assert usage.memory(root)["limit"] == min(2**30, MACHINE_MEMORY)


def test_v1_limits(tmp_path):
    root = cgroup_v1(tmp_path, quota="150000", limit=str(2**30))
    assert usage.cpu_cores(root) == min(1.5, MACHINE_CPUS)
    assert usage.memory(root)["limit"] == min(2**30, MACHINE_MEMORY)


@pytest.mark.parametrize(
    "make, counter, scale", [(cgroup_v1, "cpuacct/cpuacct.usage", 1e9), (cgroup_v2, "cpu.stat", 1e6)]
)
def test_cpu_percent_is_the_share_of_the_cpus_used_since_the_last_reading(tmp_path, make, counter, scale):
    root = make(tmp_path)
    now = [100.0]
    meter = usage.CpuMeter(root, clock=lambda: now[0])
    now[0] += 10  # 5 more CPU seconds in 10 s: half a CPU, a share of all the CPUs...
    more = int((5 + 5) * scale)
    write(root, {counter: f"usage_usec {more}\n" if counter == "cpu.stat" else f"{more}\n"})
    assert meter.percent() == round(100 * 5 / 10 / MACHINE_CPUS, 1)
    now[0] += 10  # ...and nothing in the next 10 s
    assert meter.percent() == 0.0


def test_missing_cgroup_files_give_no_figure_rather_than_an_error(tmp_path):
    assert usage.memory(tmp_path) is None and usage.cpu_seconds(tmp_path) is None
    assert usage.CpuMeter(tmp_path).percent() is None
    assert usage.disk(tmp_path / "absent") is None


def test_disk_is_the_workspace_filesystem(tmp_path):
    disk = usage.disk(tmp_path)
    assert disk["path"] == str(tmp_path) and 0 < disk["used"] < disk["total"]
