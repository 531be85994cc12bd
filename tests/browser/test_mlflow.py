"""MLflow as a data scientist meets it: `mlflow.autolog()` in a notebook logs a run with no setup (the first run
starts the tracking server), the run is in MLflow's UI behind the door, and the store outlives the container."""

from __future__ import annotations

import json

import pytest

from browsers import log_in
from kernels import execute
from workbench.facts import paths
from workspaces import WorkspaceFactory, user_folder

pytestmark = pytest.mark.container

AUTOLOG = """
import json, os, mlflow, sklearn.datasets, sklearn.linear_model
mlflow.autolog()
X, y = sklearn.datasets.load_iris(return_X_y=True)
with mlflow.start_run(run_name="iris-autolog") as run:
    sklearn.linear_model.LogisticRegression(max_iter=300, C=0.5).fit(X, y)
print(json.dumps({"run": run.info.run_id, "uri": os.environ["MLFLOW_TRACKING_URI"]}))
"""


@pytest.fixture(scope="module")
def mlflow_folder(tmp_path_factory):
    return user_folder(tmp_path_factory.mktemp("mlflow"))


@pytest.fixture(scope="module")
def factory(docker_client, image):
    with WorkspaceFactory(docker_client, image) as workspaces:
        yield workspaces


@pytest.fixture(scope="module")
def tracked(factory, mlflow_folder):
    """A workspace whose notebook logged one autologged run, and that run's id."""
    workspace = factory.start(workspace_dir=mlflow_folder)
    tools = {tool["name"]: tool["state"] for tool in workspace.get("api/workbench/status").json()["tools"]}
    assert tools["mlflow"] == "IDLE", tools
    # The first run starts the tracking server: the kernel waits for it, as a script's request through the door does.
    printed = execute(workspace, AUTOLOG, timeout=240)
    logged = json.loads(printed.strip().splitlines()[-1])
    return workspace, logged


def run_through_the_door(workspace, run_id: str) -> dict:
    answer = workspace.get(f"tools/mlflow/api/2.0/mlflow/runs/get?run_id={run_id}", timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()["run"]


def test_a_notebooks_autologged_run_starts_mlflow_and_is_served_through_the_door(tracked):
    workspace, logged = tracked
    assert logged["uri"] == "http://127.0.0.1:18080/tools/mlflow"
    run = run_through_the_door(workspace, logged["run"])
    params = {param["key"]: param["value"] for param in run["data"]["params"]}
    metrics = {metric["key"] for metric in run["data"]["metrics"]}
    assert params["C"] == "0.5" and params["max_iter"] == "300", params
    assert {"training_accuracy_score", "training_log_loss"} <= metrics, metrics
    assert run["info"]["run_name"] == "iris-autolog"
    # The loopback door's way to wake a tool is closed to whoever comes through the public door, token or not.
    waking = workspace.get("api/workbench/tools/mlflow/wake-loopback")
    assert waking.status_code == 403 and "loopback door" in waking.text, waking.text
    # Nobody gets the runs without the token, through the door.
    assert workspace.get(
        f"tools/mlflow/api/2.0/mlflow/runs/get?run_id={logged['run']}", authenticated=False
    ).status_code in (302, 401, 403)


def test_the_tracking_server_is_its_web_server_alone(tracked):
    """`mlflow server` would wait on its web server for the tool's whole life, a second Python process holding all of
    MLflow's modules; here the web server takes its place (workbench.start.mlflow_server)."""
    workspace, _ = tracked
    listed = workspace.container.exec_run(["ps", "-eo", "ppid=,args="]).output.decode().splitlines()
    supervisord = workspace.container.exec_run(["pgrep", "-f", "bin/supervisord"]).output.decode().split()
    (mlflow,) = [line for line in listed if line.split()[1].startswith(str(paths.MLFLOW_DIR))]
    parent, program, *arguments = mlflow.split()
    assert parent in supervisord and arguments[:2] == ["-m", "uvicorn"], listed


def test_the_run_is_in_mlflows_ui(tracked, page, screenshot):
    workspace, logged = tracked
    log_in(page, workspace)
    page.goto(f"{workspace.url}tools/mlflow/#/experiments/0/runs/{logged['run']}")
    page.wait_for_selector("text=iris-autolog", timeout=60_000)
    page.wait_for_selector("text=training_accuracy_score", timeout=60_000)
    screenshot(page, "run")


def test_the_runs_survive_recreating_the_container(tracked, factory, mlflow_folder):
    workspace, logged = tracked
    workspace.container.stop(timeout=30)
    again = factory.start(workspace_dir=mlflow_folder)
    assert run_through_the_door(again, logged["run"])["info"]["run_name"] == "iris-autolog"
