"""The whole path the README gives: `build.py package` a folder, then SageMaker's own Python SDK trains with the image
and serves the model in local mode (docker compose, /opt/ml laid out by the SDK), with local data and no AWS."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ml_jobs import CLASSES, POINTS, SCRIPT, training_data
from workbench_client import free_port

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
JOB_TAG = "workbench-test-job:latest"
# Local mode needs no AWS account; only the SDK's telemetry would try to reach one.
SDK_CONFIG = """\
SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
"""


@pytest.fixture
def job_image(docker_client, image, tmp_path, pytestconfig):
    """The README's first step: a folder with a training script and its requirements, packaged."""
    code = tmp_path / "churn-model"
    code.mkdir()
    (code / "train.py").write_text(SCRIPT)
    (code / "requirements.txt").write_text("# nothing beyond the image's own libraries\n")
    command = [
        sys.executable,
        str(ROOT / "build.py"),
        "package",
        str(code),
        "--tag",
        JOB_TAG,
        "--flavor",
        pytestconfig.getoption("flavor"),
    ]
    if pytestconfig.getoption("ca_cert"):
        command.append(f"--ca-cert={pytestconfig.getoption('ca_cert')}")
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SAGEMAKER_PROGRAM=train.py" in result.stdout
    yield JOB_TAG
    # docker compose started these for the SDK: removed here, pass or fail.
    for container in docker_client.containers.list(all=True, filters={"ancestor": JOB_TAG}):
        container.remove(force=True)
    docker_client.images.remove(JOB_TAG, force=True)


def test_sagemaker_sdk_local_mode_trains_and_serves_the_packaged_image(job_image, tmp_path, monkeypatch):
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text(SDK_CONFIG)
    monkeypatch.setenv("SAGEMAKER_USER_CONFIG_OVERRIDE", str(config))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.estimator import Estimator
    from sagemaker.local import LocalSession
    from sagemaker.serializers import CSVSerializer

    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text(training_data())
    session = LocalSession()
    session.config = {"local": {"local_code": True, "serving_port": free_port(), "container_root": str(tmp_path)}}
    estimator = Estimator(
        image_uri=job_image,
        role="arn:aws:iam::111111111111:role/SageMakerRole",
        instance_count=1,
        instance_type="local",
        sagemaker_session=session,
        output_path=f"file://{tmp_path}/out",
        hyperparameters={"strength": 0.5, "mode": "fit"},
    )
    estimator.fit({"train": f"file://{data}"})

    assert estimator.model_data == f"file://{tmp_path}/out/model.tar.gz"
    with tarfile.open(tmp_path / "out" / "model.tar.gz") as model:
        assert "model.joblib" in model.getnames()

    predictor = estimator.deploy(
        initial_instance_count=1, instance_type="local", serializer=CSVSerializer(), deserializer=JSONDeserializer()
    )
    try:
        assert predictor.predict([list(point) for point in POINTS]) == CLASSES
    finally:
        predictor.delete_endpoint()
