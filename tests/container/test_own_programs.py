"""An image built on the workspace image with programs of its own called `train` and `serve` on PATH (AWS's
scikit_bring_your_own layout, tests/resources/bring_your_own), started as SageMaker starts it: exactly
`docker run IMAGE train` and `docker run IMAGE serve`. Its programs run, not the workspace's built-in jobs."""

from __future__ import annotations

import json

import pytest
import requests

from built_images import build_options
from ml_jobs import CLASSES, POINTS, answers_ping, build_bring_your_own_image, ml_tree
from workbench_client import wait_until
from workspaces import TEST_LABELS, WorkspaceFactory, exit_status_and_log

pytestmark = pytest.mark.container
JOB_SECONDS = 300
OWN_PROGRAM_LINE = "runs /opt/program/{job}, the image's own program on PATH"


@pytest.fixture(scope="module")
def own_image(pytestconfig, docker_client, image) -> str:
    return build_bring_your_own_image(docker_client, image, build_options(pytestconfig).ca_cert, TEST_LABELS)


@pytest.fixture(scope="module")
def factory(docker_client, own_image):
    with WorkspaceFactory(docker_client, own_image) as jobs:
        yield jobs


def run_train(factory, ml) -> tuple[int, str]:
    """As SageMaker runs a training job: root, the word `train`, /opt/ml mounted whole."""
    container = factory.create(command=["train"], volumes_extra={str(ml): {"bind": "/opt/ml", "mode": "rw"}})
    return exit_status_and_log(container, timeout=JOB_SECONDS)


@pytest.fixture(scope="module")
def trained(factory, tmp_path_factory):
    ml = ml_tree(tmp_path_factory.mktemp("own-train"), {"max_leaf_nodes": 4})
    status, log = run_train(factory, ml)
    return ml, status, log


def test_the_images_own_train_program_runs_as_the_training_job(trained):
    ml, status, log = trained
    assert status == 0, log
    lines = log.splitlines()
    assert OWN_PROGRAM_LINE.format(job="train") in lines[0], log
    assert "Starting the training." in lines and "Training complete." in lines, log
    assert (ml / "model" / "model.joblib").stat().st_size > 0
    assert not (ml / "output" / "failure").exists()


def test_a_failing_own_train_program_leaves_its_own_failure_text(factory, tmp_path):
    ml = ml_tree(tmp_path, {"max_leaf_nodes": -1})  # refused by scikit-learn inside the program
    status, log = run_train(factory, ml)
    assert status == 255, log
    failure = (ml / "output" / "failure").read_text()
    assert failure.startswith("Exception during training: "), failure
    assert "max_leaf_nodes" in failure and "Traceback" in failure


def test_the_images_own_serve_program_serves_its_own_app(factory, trained):
    ml, status, log = trained
    assert status == 0, log
    container = factory.create(
        command=["serve"], volumes_extra={str(ml / "model"): {"bind": "/opt/ml/model", "mode": "ro"}}
    )
    container.reload()
    url = f"http://127.0.0.1:{container.ports['8080/tcp'][0]['HostPort']}"
    wait_until(lambda: answers_ping(url), timeout=120)
    body = "".join(f"{x},{y}\n" for x, y in POINTS)
    answer = requests.post(f"{url}/invocations", data=body, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert [float(line) for line in answer.text.split()] == CLASSES
    # The example's Flask app, not the built-in server: its own refusal of JSON, its own 404 body.
    refused = requests.post(
        f"{url}/invocations", data=json.dumps([[5, 5]]), headers={"Content-Type": "application/json"}
    )
    assert (refused.status_code, refused.text) == (415, "This predictor only supports CSV data")
    other = requests.get(f"{url}/execution-parameters")
    assert (other.status_code, other.text) == (404, "{}")
    logs = container.logs().decode()
    assert OWN_PROGRAM_LINE.format(job="serve") in logs.splitlines()[0], logs
    assert "serve: " not in logs  # the built-in server's settings line
