"""A workspace sized to its container: the numeric libraries' thread pools follow `docker run --cpus`, and kernels
left idle are shut down when WORKSPACE_KERNEL_IDLE_TIMEOUT asks for it."""

from __future__ import annotations

import json

import pytest

from kernels import execute, start_kernel
from waiting import wait_until
from workspaces import TEST_LABELS, WorkspaceFactory

pytestmark = pytest.mark.container

ONE_CPU = 1_000_000_000  # docker run --cpus 1, in the API's nano-CPUs
# Long enough that a kernel on a busy machine runs the test's code before it counts as idle.
KERNEL_IDLE_TIMEOUT = 20

THREADS = """
import json, os, threadpoolctl, numpy
numpy.ones((200, 200)) @ numpy.ones((200, 200))
pools = {pool["internal_api"]: pool["num_threads"] for pool in threadpoolctl.threadpool_info()}
try:
    import torch
    pools["torch"] = torch.get_num_threads()
except ImportError:
    pass
variables = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_MAX_THREADS")}
print(json.dumps({"pools": pools, "variables": variables}))
"""


@pytest.fixture(scope="module")
def one_cpu_workspace(docker_client, image):
    with WorkspaceFactory(docker_client, image) as factory:
        yield factory.start(
            {"WORKSPACE_KERNEL_IDLE_TIMEOUT": str(KERNEL_IDLE_TIMEOUT), "MKL_NUM_THREADS": "3"}, nano_cpus=ONE_CPU
        )


def test_thread_pools_follow_the_containers_cpus_and_the_users_own_setting_wins(one_cpu_workspace, pytestconfig):
    seen = json.loads(execute(one_cpu_workspace, THREADS, timeout=120))
    assert seen["variables"] == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "3", "NUMEXPR_MAX_THREADS": "1"}, seen
    assert seen["pools"]["openblas"] == 1, seen
    if pytestconfig.getoption("flavor") != "minimal":
        assert seen["pools"]["torch"] == 1, seen


def test_a_command_run_in_the_image_gets_them_too(docker_client, image):
    output = docker_client.containers.run(
        image,
        ["python", "-c", "import os; print(os.environ['OMP_NUM_THREADS'], os.environ['OPENBLAS_NUM_THREADS'])"],
        environment={"MAX_NUM_THREADS": "2"},
        nano_cpus=ONE_CPU,
        labels=TEST_LABELS,
        remove=True,
    )
    assert output.decode().split() == ["2", "2"]


def test_an_idle_kernel_is_shut_down_and_a_new_one_starts(one_cpu_workspace):
    kernel_id = start_kernel(one_cpu_workspace)
    assert execute(one_cpu_workspace, "print(6 * 7)", kernel_id=kernel_id).strip() == "42"

    def running() -> set[str]:
        return {kernel["id"] for kernel in one_cpu_workspace.get("api/kernels").json()}

    assert kernel_id in running()
    wait_until(lambda: kernel_id not in running(), timeout=KERNEL_IDLE_TIMEOUT * 4, failure=running)
    assert execute(one_cpu_workspace, "print(6 * 7)").strip() == "42"
