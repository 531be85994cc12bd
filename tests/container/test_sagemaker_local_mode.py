"""SageMaker's local mode from a notebook in the workspace, against the host's engine (its socket mounted): the
"Python (SageMaker)" kernel trains a packaged image on data under /workspace, deploys it and gets predictions, as the
SDK does on a host. The workspace's docker-compose names the host's folders and carries the endpoint to the
workspace's loopback; the containers the notebook started are gone once it ends (the SDK alone leaves them)."""

from __future__ import annotations

import json
import os
import tarfile

import pytest

from kernels import execute, start_kernel
from ml_jobs import CLASSES, POINTS, training_data
from sagemaker_v3 import SDK_CONFIG
from workspaces import WorkspaceFactory, removing_what_others_start, user_folder

pytestmark = pytest.mark.container

DOCKER_SOCKET = "/var/run/docker.sock"
NETWORK = "sagemaker-local"

# What a user writes in a notebook cell, with the SDK's settings of the image's home (~/.sagemaker/config.yaml).
NOTEBOOK = """
import json
from sagemaker.deserializers import JSONDeserializer
from sagemaker.estimator import Estimator
from sagemaker.local import LocalSession
from sagemaker.serializers import CSVSerializer

estimator = Estimator(
    image_uri={image!r},
    role="arn:aws:iam::111111111111:role/SageMakerRole",
    instance_count=1,
    instance_type="local",
    sagemaker_session=LocalSession(),
    output_path="file:///workspace/models",
    hyperparameters={{"strength": 0.5, "mode": "fit"}},
)
estimator.fit({{"train": "file:///workspace/data"}})
predictor = estimator.deploy(
    initial_instance_count=1, instance_type="local", serializer=CSVSerializer(), deserializer=JSONDeserializer()
)
try:
    predictions = predictor.predict({points!r})
finally:
    predictor.delete_endpoint()
print(json.dumps({{"model": estimator.model_data, "predictions": predictions}}))
"""


@pytest.fixture(scope="module")
def host_workspace(tmp_path_factory):
    folder = user_folder(tmp_path_factory.mktemp("local-mode"))
    (folder / "data").mkdir()
    (folder / "data" / "train.csv").write_text(training_data())
    (folder / "sagemaker-defaults.yaml").write_text(SDK_CONFIG)  # telemetry off: no AWS to reach here
    for path in (folder / "data", folder / "data" / "train.csv", folder / "sagemaker-defaults.yaml"):
        os.chown(path, 1000, 100)
    return folder


@pytest.fixture(scope="module")
def with_the_engine(docker_client, sagemaker_kernel_image, host_workspace, job_image):
    with WorkspaceFactory(docker_client, sagemaker_kernel_image) as factory:
        yield factory.start(
            env={
                "AWS_DEFAULT_REGION": "us-east-1",
                "SAGEMAKER_USER_CONFIG_OVERRIDE": "/workspace/sagemaker-defaults.yaml",
            },
            workspace_dir=host_workspace,
            volumes_extra={DOCKER_SOCKET: {"bind": DOCKER_SOCKET, "mode": "rw"}},
        )


def test_a_notebook_trains_deploys_and_predicts_in_local_mode_and_leaves_no_container(
    docker_client, with_the_engine, host_workspace, job_image
):
    def jobs_containers() -> list:
        return docker_client.containers.list(all=True, filters={"ancestor": job_image})

    with removing_what_others_start(docker_client, (job_image,), (NETWORK,)):
        kernel = start_kernel(with_the_engine, name="sagemaker")
        code = NOTEBOOK.format(image=job_image, points=[list(point) for point in POINTS])
        printed = execute(with_the_engine, code, kernel_id=kernel, timeout=600)
        result = json.loads(printed.strip().splitlines()[-1])
        assert result == {"model": "file:///workspace/models/model.tar.gz", "predictions": CLASSES}, printed[-3000:]
        with tarfile.open(host_workspace / "models" / "model.tar.gz") as model:
            assert "model.joblib" in model.getnames()
        assert jobs_containers() == []


def test_compose_refuses_a_folder_the_engine_cannot_see_in_one_line(with_the_engine):
    # What the SDK would write with its own default working folder, /tmp, which is the workspace container's alone.
    compose_file = "services:\n  train:\n    image: busybox\n    volumes: ['/tmp/tmpq1/input:/opt/ml/input']\n"
    result = with_the_engine.container.exec_run(
        ["sh", "-c", "printf '%s' \"$0\" > /tmp/c.yaml && docker-compose -f /tmp/c.yaml up", compose_file],
        user="jovyan",
    )
    assert result.exit_code == 2, result.output.decode()
    said = result.output.decode().splitlines()
    assert said[0] == (
        "docker-compose: /tmp/tmpq1/input is inside this container, where the Docker engine cannot see it: keep what "
        "a container mounts under /workspace (or another mount); /opt/docker-compose/bin/docker-compose passes paths "
        "unchanged"
    ), said


def test_an_endpoint_port_the_workspace_uses_is_refused_in_one_line(with_the_engine):
    # The SDK's own serving port, 8080, is the door's inside the workspace.
    compose_file = (
        "version: '2.3'\nservices:\n  algo-1-ab12c:\n    image: busybox\n    ports: ['8080:8080']\n"
        "    networks: {sagemaker-local: {}}\nnetworks:\n  sagemaker-local: {name: sagemaker-local}\n"
    )
    result = with_the_engine.container.exec_run(
        ["sh", "-c", "printf '%s' \"$0\" > /workspace/.workbench/c.yaml && docker-compose -f "
         "/workspace/.workbench/c.yaml up", compose_file],
        user="jovyan",
    )  # fmt: skip
    assert result.exit_code == 2, result.output.decode()
    assert (
        result.output.decode()
        .splitlines()[0]
        .startswith(
            "docker-compose: port 8080 of this workspace is taken (Address already in use), so the endpoint cannot "
            "answer there: set local.serving_port in ~/.sagemaker/config.yaml to a free port (the workspace's is 8081)"
        )
    ), result.output.decode()
