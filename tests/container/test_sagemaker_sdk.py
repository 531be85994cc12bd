"""SageMaker's own Python SDK runs the images in local mode (Docker Compose, /opt/ml laid out by the SDK), with local
data and no AWS: v2 trains and serves an image made by `build.py package`, as docs/jobs.md shows; v3 (ModelTrainer,
Mode.LOCAL_CONTAINER) trains on the workspace image and on the packaged one, with a SourceCode (its own driver
replaces the entrypoint) and without one (no command at all: the image must train instead of starting the
workspace), and runs a job on two hosts."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from ml_jobs import CLASSES, POINTS, RENDEZVOUS_SCRIPT, SCRIPT, TORCH_RENDEZVOUS_SCRIPT, training_data
from sagemaker_v3 import SDK_CONFIG, invoke_with_sdk_v3, train_with_sdk_v3
from workbench_client import free_port
from workspaces import removing_what_others_start

pytestmark = pytest.mark.container

# Both SDKs put their containers on this network and leave it behind.
LOCAL_MODE_NETWORK = "sagemaker-local"


@pytest.fixture
def local_mode(docker_client, image, job_image):
    """What the SDK's Docker Compose starts for a test (containers, its network) is removed after it, pass or fail."""
    with removing_what_others_start(docker_client, (image, job_image), (LOCAL_MODE_NETWORK,)):
        yield


def data_folder(parent: Path) -> Path:
    data = parent / "data"
    data.mkdir()
    (data / "train.csv").write_text(training_data())
    return data


def test_sagemaker_sdk_v2_local_mode_trains_and_serves_the_packaged_image(job_image, local_mode, tmp_path, monkeypatch):
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text(SDK_CONFIG)
    monkeypatch.setenv("SAGEMAKER_USER_CONFIG_OVERRIDE", str(config))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.estimator import Estimator
    from sagemaker.local import LocalSession
    from sagemaker.serializers import CSVSerializer

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
    estimator.fit({"train": f"file://{data_folder(tmp_path)}"})

    assert estimator.model_data == f"file://{tmp_path}/out/model.tar.gz"
    with tarfile.open(tmp_path / "out" / "model.tar.gz") as model:
        assert "model.joblib" in model.getnames()

    predictor = estimator.deploy(
        initial_instance_count=1, instance_type="local", serializer=CSVSerializer(), deserializer=JSONDeserializer()
    )
    try:
        assert predictor.predict([list(point) for point in POINTS]) == CLASSES
        # What the predict_fn of the script answers to SageMaker's custom attributes, through the SDK's endpoint.
        answer = session.sagemaker_runtime_client.invoke_endpoint(
            EndpointName=predictor.endpoint_name,
            Body="5,5\n",
            ContentType="text/csv",
            CustomAttributes="trace-id=7",
        )
        assert answer["Body"].headers["X-Amzn-SageMaker-Custom-Attributes"] == "seen trace-id=7"
        assert json.loads(answer["Body"].read()) == [1.0]
    finally:
        predictor.delete_endpoint()


# (image, how the code arrives): the workspace image knows nothing of the job; the packaged one has it baked in.
V3_CASES = [
    ("workspace", "source code"),  # the SDK's own driver (sm_train.sh) replaces the entrypoint
    ("workspace", "code channel"),  # no command: the image's toolkit runs the 'code' channel's train.py
    ("workspace", "submit directory"),  # no command: sagemaker_submit_directory names the channel's folder
    ("packaged", "source code"),
]  # and the packaged image with its code baked in: test_sagemaker_sdk_v3_trains_and_serves_the_packaged_image


@pytest.mark.parametrize("which, code", V3_CASES, ids=[f"{which}, {code}" for which, code in V3_CASES])
def test_sagemaker_sdk_v3_local_mode_trains(image, job_image, local_mode, tmp_path, which, code):
    source = tmp_path / "source"
    source.mkdir()
    (source / "train.py").write_text(SCRIPT)
    job = {
        "image": image if which == "workspace" else job_image,
        "root": str(tmp_path),
        "channels": {"train": str(data_folder(tmp_path))},
        "hyperparameters": {"strength": 0.5, "mode": "fit"},
    }
    if code == "source code":
        job["source_code"] = {"source_dir": str(source), "entry_script": "train.py"}
    elif code in ("code channel", "submit directory"):
        job["channels"]["code"] = str(source)
        job["hyperparameters"]["sagemaker_program"] = "train.py"
        if code == "submit directory":
            job["channels"]["src"] = job["channels"].pop("code")
            job["hyperparameters"]["sagemaker_submit_directory"] = "/opt/ml/input/data/src"
    artifact, output = train_with_sdk_v3(job)
    with tarfile.open(artifact) as model:
        assert model.getnames() == ["model.joblib"], output
    assert "trained LogisticRegression on 400 rows" in output
    if code != "source code":
        assert "runs SageMaker's training toolkit in script mode: train.py from " in output
        assert "Workbench is ready" not in output


def test_sagemaker_sdk_v3_trains_and_serves_the_packaged_image(job_image, local_mode, tmp_path):
    """No SourceCode, no program named: the packaged code trains; v3's LocalSession then serves the model."""
    job = {
        "image": job_image,
        "root": str(tmp_path),
        "channels": {"train": str(data_folder(tmp_path))},
        "hyperparameters": {"strength": 0.5, "mode": "fit"},
    }
    artifact, output = train_with_sdk_v3(job)
    assert "train.py from the code packaged in the image (/opt/job/code)" in output
    answer, output = invoke_with_sdk_v3(
        {
            "image": job_image,
            "root": str(tmp_path),
            "model_data": f"file://{artifact}",
            "environment": {},
            "port": free_port(),
            "body": "".join(f"{x},{y}\n" for x, y in POINTS),
            "custom_attributes": "trace-id=8",
        }
    )
    assert json.loads(answer["body"]) == CLASSES, output
    assert answer["content_type"] == "application/json"
    assert answer["custom_attributes"] == "seen trace-id=8"


def rendezvous_job(image: str, root: Path, script: str) -> dict:
    code = root / "code"
    code.mkdir()
    (code / "rendezvous.py").write_text(script)
    return {
        "image": image,
        "root": str(root),
        "channels": {"train": str(data_folder(root)), "code": str(code)},
        "hyperparameters": {"sagemaker_program": "rendezvous.py"},
        "instance_count": 2,
    }


def outputs_of_every_host(output_archive: Path) -> dict[str, dict]:
    with tarfile.open(output_archive) as archive:
        return {
            Path(member.name).stem: json.load(archive.extractfile(member))
            for member in archive.getmembers()
            if Path(member.name).name.startswith("rendezvous-")
        }


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(RENDEZVOUS_SCRIPT, id="sockets"),
        pytest.param(TORCH_RENDEZVOUS_SCRIPT, id="torch.distributed", marks=pytest.mark.flavor("full")),
    ],
)
def test_a_job_on_two_hosts_runs_on_both(image, local_mode, tmp_path, script):
    artifact, output = train_with_sdk_v3(rendezvous_job(image, tmp_path, script))
    seen = outputs_of_every_host(artifact.parent / "output.tar.gz")
    assert set(seen) == {"rendezvous-algo-1", "rendezvous-algo-2"}, output
    for host, other in (("algo-1", "algo-2"), ("algo-2", "algo-1")):
        record = seen[f"rendezvous-{host}"]
        assert record["me"] == host
        if script == RENDEZVOUS_SCRIPT:
            assert record["hosts"] == ["algo-1", "algo-2"]
            assert record["heard"] == [other]  # each reached the other by its name
        else:
            assert record["sum"] == 3.0  # 1 + 2: both ranks took part in the all-reduce
    with tarfile.open(artifact) as model:
        assert model.getnames() == ["model.json"]  # written once, by the first host
        assert json.load(model.extractfile("model.json"))["me"] == "algo-1"
