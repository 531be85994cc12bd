"""The image as SageMaker runs it: `train` and `serve` against a root-owned /opt/ml laid out as SageMaker lays it
out, a processing job as ScriptProcessor starts it, and notebooks and scripts run once with `run`."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
import requests

from ml_jobs import CLASSES, POINTS, PREPROCESS, answers_ping, ml_tree, training_data
from workbench_client import wait_until
from workspaces import WorkspaceFactory, exit_status_and_log

pytestmark = pytest.mark.container
# A training job on a busy machine: the toolkit, the script, the model file.
JOB_SECONDS = 300
# The last line of the failing script's traceback. Python writes it in pieces (the name, ": ", the message) and the
# toolkit relays the script's output in chunks, taking each chunk's pieces as lines: on a busy machine the name and
# the message can arrive as two lines, in the log and in the failure file alike (SageMaker's containers do the same).
SCRIPT_ERROR = re.compile(r"ValueError[:\s]*the learning rate must be positive")


def run_job(factory: WorkspaceFactory, ml: Path, command: list[str], env: dict | None = None, **options):
    return factory.create(
        env or {},
        command=command,
        hostname="algo-1",
        volumes_extra={str(ml): {"bind": "/opt/ml", "mode": "rw"}},
        **options,
    )


def train_env() -> dict:
    return {"SAGEMAKER_PROGRAM": "train.py"}


@pytest.fixture(scope="module")
def factory(docker_client, image):
    with WorkspaceFactory(docker_client, image) as jobs:
        yield jobs


@pytest.fixture(scope="module")
def trained(factory, tmp_path_factory) -> tuple[Path, int, str]:
    """One training job for the module: its /opt/ml, exit status and log."""
    ml = ml_tree(tmp_path_factory.mktemp("train"), {"strength": 0.5, "mode": "fit", "note": "two words"})
    status, log = exit_status_and_log(run_job(factory, ml, ["train"], train_env()), timeout=JOB_SECONDS)
    return ml, status, log


def test_train_runs_the_script_as_sagemaker_does(trained):
    ml, status, log = trained
    assert status == 0, log
    assert (ml / "model" / "model.joblib").stat().st_size > 0
    first = log.splitlines()[0]
    assert (
        "the job `train` runs SageMaker's training toolkit in script mode: train.py from the code in /opt/ml/code"
        in first
    )
    assert "the workspace (Jupyter, desktop, SSH, login token) does not start" in first
    assert "trained LogisticRegression on 400 rows" in log
    assert not (ml / "output" / "failure").exists()
    seen = json.loads((ml / "output" / "data" / "seen.json").read_text())
    assert seen["args"] == {"strength": 0.5, "mode": "fit", "note": "two words"}
    env = seen["env"]
    assert env["SM_MODEL_DIR"] == "/opt/ml/model"
    assert env["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train"
    assert json.loads(env["SM_CHANNELS"]) == ["train"]
    assert json.loads(env["SM_HPS"]) == {"strength": 0.5, "mode": "fit", "note": "two words"}
    assert env["SM_CURRENT_HOST"] == "algo-1" and json.loads(env["SM_HOSTS"]) == ["algo-1"]
    assert int(env["SM_NUM_CPUS"]) >= 1 and env["SM_NUM_GPUS"] == "0"
    assert env["SM_OUTPUT_DATA_DIR"] == "/opt/ml/output/data"
    # As SageMaker runs it: root, and nothing of the workspace beside the job.
    assert seen["uid"] == 0
    assert not {"supervisord", "nginx", "sshd", "jupyter-server", "Xvnc"} & set(seen["processes"]), seen["processes"]


def test_the_submit_directory_variable_and_arguments_after_train_reach_the_toolkit(factory, tmp_path):
    """The code where SAGEMAKER_SUBMIT_DIRECTORY says (the check before the job and the toolkit agree), and what
    follows `train` after the hyperparameters' own arguments."""
    ml = ml_tree(tmp_path, {"strength": 0.5, "mode": "fit", "note": "from the hyperparameters"})
    (ml / "code" / "train.py").rename(tmp_path / "train.py")
    container = factory.create(
        {"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/src", "SAGEMAKER_PROGRAM": "train.py"},
        command=["train", "--note", "from the command line"],
        hostname="algo-1",
        volumes_extra={
            str(ml): {"bind": "/opt/ml", "mode": "rw"},
            str(tmp_path / "train.py"): {"bind": "/opt/src/train.py", "mode": "ro"},
        },
    )
    status, log = exit_status_and_log(container, timeout=JOB_SECONDS)
    assert status == 0, log
    assert "train.py from SAGEMAKER_SUBMIT_DIRECTORY (/opt/src)" in log.splitlines()[0]
    seen = json.loads((ml / "output" / "data" / "seen.json").read_text())
    assert seen["args"]["note"] == "from the command line"
    assert (ml / "code" / "train.py").is_file()  # the toolkit copied it where SageMaker's scripts run


@pytest.mark.flavor("full")
def test_train_fits_xgboost_on_the_full_flavor(factory, tmp_path):
    ml = ml_tree(tmp_path, {"mode": "xgboost"})
    status, log = exit_status_and_log(run_job(factory, ml, ["train"], train_env()), timeout=JOB_SECONDS)
    assert status == 0, log
    assert "trained XGBClassifier on 400 rows" in log
    assert (ml / "model" / "model.joblib").stat().st_size > 0


def test_a_failing_script_fails_the_job_with_its_message(factory, tmp_path):
    ml = ml_tree(tmp_path, {"mode": "fail"})
    status, log = exit_status_and_log(run_job(factory, ml, ["train"], train_env()), timeout=JOB_SECONDS)
    assert status != 0
    failure = (ml / "output" / "failure").read_text()
    assert SCRIPT_ERROR.search(failure), failure
    assert SCRIPT_ERROR.search(log), log


def test_docker_stop_reaches_the_script_so_it_can_checkpoint(factory, tmp_path):
    ml = ml_tree(tmp_path, {"mode": "wait"})
    container = run_job(factory, ml, ["train"], train_env())
    wait_until(lambda: "waiting for SIGTERM" in container.logs().decode(), timeout=120)
    container.stop(timeout=120)
    assert json.loads((ml / "checkpoints" / "checkpoint.json").read_text()) == {"signal": 15}
    assert container.wait(timeout=10)["StatusCode"] == 0


@pytest.mark.parametrize(
    "case, expected",
    [
        ("malformed hyperparameters", "/opt/ml/input/config/hyperparameters.json is not valid JSON"),
        ("missing program", "the training script 'nope.py' (SAGEMAKER_PROGRAM) is not in /opt/ml/code"),
        ("no program", "no training script is named: set SAGEMAKER_PROGRAM"),
        ("unresolvable host", "resourceconfig.json names this container 'algo-1', which does not resolve here"),
    ],
)
def test_bad_training_input_is_one_clear_line(factory, tmp_path, case, expected):
    ml = ml_tree(tmp_path, {"mode": "fit"})
    env = train_env()
    if case == "malformed hyperparameters":
        (ml / "input" / "config" / "hyperparameters.json").write_text('{"C": "0.5",}')
    elif case == "missing program":
        env["SAGEMAKER_PROGRAM"] = "nope.py"
    elif case == "no program":
        env = {}
    hostname = "elsewhere" if case == "unresolvable host" else "algo-1"
    container = factory.create(
        env, command=["train"], hostname=hostname, volumes_extra={str(ml): {"bind": "/opt/ml", "mode": "rw"}}
    )
    status, log = exit_status_and_log(container, timeout=JOB_SECONDS)
    assert status != 0
    assert log.strip().splitlines() == [log.strip()], log
    assert log.startswith(f"workbench: error: train: {expected}"), log
    assert expected in (ml / "output" / "failure").read_text()


# ---------------------------------------------------------------------------------------------------- serve


@pytest.fixture(scope="module")
def server(factory, trained):
    ml, status, log = trained
    assert status == 0, log
    container = factory.create(
        {"SAGEMAKER_PROGRAM": "train.py", "SAGEMAKER_MODEL_SERVER_WORKERS": "2", "SAGEMAKER_MAX_PAYLOAD_IN_MB": "1"},
        command=["serve"],
        volumes_extra={
            str(ml / "model"): {"bind": "/opt/ml/model", "mode": "ro"},
            str(ml / "code"): {"bind": "/opt/ml/code", "mode": "ro"},
        },
    )
    container.reload()
    url = f"http://127.0.0.1:{container.ports['8080/tcp'][0]['HostPort']}"
    wait_until(lambda: answers_ping(url), timeout=120)
    return container, url


def as_csv(points) -> str:
    return "".join(f"{x},{y}\n" for x, y in points)


def test_serve_predicts_over_csv_and_json(server):
    container, url = server
    answer = requests.post(f"{url}/invocations", data=as_csv(POINTS), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"  # SageMaker's default Accept
    assert answer.json() == CLASSES
    answer = requests.post(f"{url}/invocations", json=[list(p) for p in POINTS], headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "text/csv"
    assert [float(line) for line in answer.text.split()] == CLASSES
    answer = requests.post(
        f"{url}/invocations", json={"instances": [[5, 5]]}, headers={"Accept": "application/json; q=1, text/csv; q=0.5"}
    )
    assert answer.json() == [1.0]
    logs = container.logs().decode()
    assert "the job `serve` runs the built-in model server (nginx and gunicorn's workers)" in logs.splitlines()[0]
    assert "serve: 2 workers, timeout 60 s, payloads up to 1 MB, on port 8080" in logs
    assert "model loaded from /opt/ml/model" in logs and "Booting worker" in logs


def test_serve_answers_only_the_contracts_paths(server):
    _, url = server
    for path in ("/", "/invocations/x", "/.workbench/healthz", "/api/status", "/tools/vscode/"):
        answer = requests.get(url + path)
        assert answer.status_code == 404, path
        assert (
            "a model server answers GET /ping, POST /invocations and GET /execution-parameters"
            in (answer.json()["message"])
        )
    assert requests.get(f"{url}/invocations").status_code == 405


def test_docker_reports_serve_healthy_by_its_ping(server):
    container, _ = server

    def health() -> dict:
        container.reload()
        return container.attrs["State"]["Health"]

    wait_until(lambda: health()["Status"] != "starting", 90, 1, failure=health)
    assert health()["Status"] == "healthy", health()


def test_serve_answers_batch_transforms_execution_parameters_from_its_settings(server):
    _, url = server
    answer = requests.get(f"{url}/execution-parameters")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"MaxConcurrentTransforms": 2, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 1}


def test_custom_attributes_reach_a_handler_that_asks_for_the_context_and_come_back(server):
    _, url = server
    answer = requests.post(
        f"{url}/invocations",
        data="5,5\n",
        headers={"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": "trace-id=7"},
    )
    assert answer.json() == [1.0]
    assert answer.headers["X-Amzn-SageMaker-Custom-Attributes"] == "seen trace-id=7"
    plain = requests.post(f"{url}/invocations", data="5,5\n", headers={"Content-Type": "text/csv"})
    assert "X-Amzn-SageMaker-Custom-Attributes" not in plain.headers


@pytest.mark.parametrize(
    "body, content_type, accept, status, message",
    [
        ("a,b\n", "text/csv", None, 400, "cannot read the body as text/csv"),
        ("[[1, 2, 3]]", "application/json", None, 400, "the model cannot use this input: ValueError"),
        ("{not json", "application/json", None, 400, "cannot read the body as application/json"),
        ("<x/>", "application/xml", None, 415, "content type 'application/xml' is not supported"),
        ("5,5\n", "text/csv", "image/png", 406, "cannot answer in 'image/png'"),
    ],
)
def test_a_bad_request_is_a_4xx_with_a_message_and_the_server_lives_on(
    server, body, content_type, accept, status, message
):
    _, url = server
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    answer = requests.post(f"{url}/invocations", data=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["message"]
    assert requests.post(f"{url}/invocations", data="5,5\n", headers={"Content-Type": "text/csv"}).json() == [1.0]


def test_a_payload_over_the_limit_is_refused_before_a_worker_sees_it(server):
    _, url = server
    answer = requests.post(f"{url}/invocations", data="5,5\n" * 300_000, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 413
    assert answer.json()["message"] == "the body is larger than SAGEMAKER_MAX_PAYLOAD_IN_MB (1 MB)"


def worker_pids(container) -> list[str]:
    """gunicorn's workers: the gunicorn processes whose parent is gunicorn's master."""
    table = container.exec_run(["ps", "-eo", "pid=,ppid=,args="]).output.decode()
    processes = [line.split(None, 2) for line in table.splitlines()]
    gunicorns = {pid: ppid for pid, ppid, args in processes if "gunicorn" in args}
    return [pid for pid, ppid in gunicorns.items() if ppid in gunicorns]


def test_serve_survives_a_worker_killed_with_sigkill(server):
    container, url = server
    workers = worker_pids(container)
    assert len(workers) == 2
    container.exec_run(["kill", "-9", workers[0]])
    wait_until(lambda: len(worker_pids(container)) == 2 and workers[0] not in worker_pids(container), timeout=60)
    for _ in range(4):  # whichever worker answers
        assert (
            requests.post(f"{url}/invocations", data=as_csv(POINTS), headers={"Content-Type": "text/csv"}).json()
            == CLASSES
        )


def test_sigterm_stops_serve_cleanly(factory, trained):
    ml, _, _ = trained
    container = factory.create(
        {"SAGEMAKER_CONTAINER_LOG_LEVEL": "40"},  # errors only, as the SDK's container_log_level=logging.ERROR
        command=["serve"],
        volumes_extra={str(ml / "model"): {"bind": "/opt/ml/model", "mode": "ro"}},
    )
    container.reload()
    url = f"http://127.0.0.1:{container.ports['8080/tcp'][0]['HostPort']}"
    wait_until(lambda: answers_ping(url), timeout=120)  # no script: the default model_fn loads model.joblib
    assert (
        requests.post(f"{url}/invocations", data=as_csv(POINTS), headers={"Content-Type": "text/csv"}).json() == CLASSES
    )
    container.stop(timeout=30)
    # 0, not 137: everything stopped before docker's 30 seconds ran out.
    assert container.wait(timeout=10)["StatusCode"] == 0
    logs = container.logs().decode()
    # The module's server at its default level says both (test_serve_predicts_over_csv_and_json's log); here neither.
    assert "model loaded from /opt/ml/model" not in logs and "Booting worker" not in logs, logs
    assert "POST /invocations" in logs  # nginx's access log is SageMaker's request log, at every level


@pytest.mark.parametrize(
    "case, expected",
    [
        ("no model", "serve: /opt/ml/model is missing: SageMaker unpacks the model there"),
        ("missing program", "serve: the inference script 'nope.py' (SAGEMAKER_PROGRAM) is not in"),
        ("bad workers", "serve: SAGEMAKER_MODEL_SERVER_WORKERS='many' must be a whole number"),
    ],
)
def test_bad_serving_input_is_one_clear_line(factory, trained, case, expected):
    ml, _, _ = trained
    env = (
        {"SAGEMAKER_PROGRAM": "nope.py"}
        if case == "missing program"
        else {"SAGEMAKER_MODEL_SERVER_WORKERS": "many"}
        if case == "bad workers"
        else {}
    )
    volumes = {} if case == "no model" else {str(ml / "model"): {"bind": "/opt/ml/model", "mode": "ro"}}
    status, log = exit_status_and_log(factory.create(env, command=["serve"], volumes_extra=volumes))
    assert status != 0
    assert log.strip().splitlines() == [f"workbench: error: {log.strip()[len('workbench: error: ') :]}"], log
    assert expected in log


def test_an_inference_script_that_cannot_load_stops_serve_with_its_error(factory, trained, tmp_path):
    ml, _, _ = trained
    (tmp_path / "inference.py").write_text(
        "def model_fn(model_dir):\n    raise RuntimeError('model file is corrupt')\n"
    )
    container = factory.create(
        {"SAGEMAKER_PROGRAM": "inference.py"},
        command=["serve"],
        volumes_extra={
            str(ml / "model"): {"bind": "/opt/ml/model", "mode": "ro"},
            str(tmp_path): {"bind": "/opt/ml/code", "mode": "ro"},
        },
    )
    status, log = exit_status_and_log(container, timeout=120)
    assert status == 1
    assert "RuntimeError: model file is corrupt" in log
    assert log.strip().splitlines()[-1].startswith("workbench: error: serve: the model server (gunicorn) stopped")


# ---------------------------------------------------------------------------------------------------- processing


def test_a_processing_job_runs_as_script_processor_starts_it(factory, tmp_path):
    processing = tmp_path / "processing"
    for folder in ("input/code", "input/data", "output/train", "output/test"):
        (processing / folder).mkdir(parents=True)
    (processing / "input" / "code" / "preprocess.py").write_text(PREPROCESS)
    (processing / "input" / "data" / "train.csv").write_text(training_data())
    # ScriptProcessor's ContainerEntrypoint replaces the image's entrypoint: python3 and the script.
    container = factory.create(
        {},
        entrypoint=["python3", "/opt/ml/processing/input/code/preprocess.py"],
        volumes_extra={str(processing): {"bind": "/opt/ml/processing", "mode": "rw"}},
    )
    status, log = exit_status_and_log(container, timeout=JOB_SECONDS)
    assert status == 0, log
    assert "split 400 rows" in log
    assert len((processing / "output" / "train" / "part.csv").read_text().splitlines()) == 200
    assert len((processing / "output" / "test" / "part.csv").read_text().splitlines()) == 200


# ---------------------------------------------------------------------------------------------------- run


def write_notebook(path: Path, *cells: tuple[str, str]) -> None:
    """A notebook as JupyterLab saves one (nbformat 4), each cell (tag, source); owned by the workspace user."""
    path.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 4,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "cells": [
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "outputs": [],
                        "source": textwrap.dedent(source),
                        "metadata": {"tags": [tag]} if tag else {},
                    }
                    for tag, source in cells
                ],
            }
        )
    )
    shutil.chown(path, 1000, 100)


def outputs(path: Path) -> list[list[dict]]:
    """Each code cell's outputs (papermill adds markdown cells that point at an error)."""
    return [cell["outputs"] for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]


def test_run_executes_a_notebook_with_parameters(workspaces, host_workspace):
    folder = host_workspace / "analysis"
    folder.mkdir()
    shutil.chown(folder, 1000, 100)
    write_notebook(
        folder / "report.ipynb",
        ("parameters", "alpha = 1\nlabel = 'x'"),
        (
            "",
            "from pathlib import Path\nPath('result.txt').write_text(f'{label}:{alpha * 2}')\n"
            "print('doubled', alpha * 2)",
        ),
    )
    container = workspaces.create(
        {},
        workspace_dir=host_workspace,
        command=["run", "analysis/report.ipynb", "-p", "alpha", "21", "-p", "label", "run"],
    )
    status, log = exit_status_and_log(container, timeout=JOB_SECONDS)
    assert status == 0, log
    assert (folder / "result.txt").read_text() == "run:42"
    texts = ["".join(output.get("text", "")) for cell in outputs(folder / "report.output.ipynb") for output in cell]
    assert "doubled 42\n" in texts
    assert (folder / "report.output.ipynb").stat().st_uid == 1000  # the user's file, not root's


def test_run_fails_with_the_failing_cells_error(workspaces, host_workspace):
    write_notebook(host_workspace / "broken.ipynb", ("", "x = 1"), ("", "x / 0"), ("", "print('never')"))
    (host_workspace / "out").mkdir()
    shutil.chown(host_workspace / "out", 1000, 100)
    container = workspaces.create(
        {}, workspace_dir=host_workspace, command=["run", "broken.ipynb", "-o", "out/broken-run.ipynb"]
    )
    status, log = exit_status_and_log(container, timeout=JOB_SECONDS)
    assert status != 0
    assert "run: error: cell 2 of broken.ipynb failed: ZeroDivisionError: division by zero" in log
    executed = outputs(host_workspace / "out" / "broken-run.ipynb")
    assert executed[1][0]["ename"] == "ZeroDivisionError"
    assert not executed[2]


def test_run_runs_a_script_with_its_arguments(workspaces, host_workspace):
    (host_workspace / "hello.py").write_text("import sys, os\nprint('args', sys.argv[1:], 'uid', os.getuid())\n")
    container = workspaces.create({}, workspace_dir=host_workspace, command=["run", "hello.py", "a b", "-c"])
    status, log = exit_status_and_log(container, timeout=JOB_SECONDS)
    assert status == 0, log
    assert "args ['a b', '-c'] uid 1000" in log
