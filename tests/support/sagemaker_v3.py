"""SageMaker's Python SDK v3 (sagemaker-train) training in local mode, as its users call it: ModelTrainer with
training_mode=Mode.LOCAL_CONTAINER, through Docker Compose, with local data and no AWS account.

v3 installs a package called `sagemaker`, as v2 (the tests' environment) does, so it runs in an environment of its
own (.venv-sagemaker-v3, made by `python3 build.py test`): the tests call train_with_sdk_v3(), which runs this file
there with the job as JSON; main() is that side.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SDK_V3_PYTHON = ROOT / ".venv-sagemaker-v3" / "bin" / "python"
# The SDK's telemetry is the only thing that would try to reach AWS in local mode (v2 reads the same file).
SDK_CONFIG = """\
SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
"""
# Local mode never assumes it, but ModelTrainer would look one up in AWS without it.
ROLE = "arn:aws:iam::111111111111:role/SageMakerRole"
# How the SDK reports where a local training job's model went.
ARTIFACT_REPORT = re.compile(r"output artifacts saved to file://(\S+)")


def sdk_environment(home: Path) -> dict[str, str]:
    """What a user's shell has for the SDK in local mode: any region, telemetry off (its config file in `home`)."""
    config = home / "sagemaker-config.yaml"
    config.write_text(SDK_CONFIG)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(config),
    }


def run_in_sdk_v3(job: dict, timeout: float = 600) -> tuple[dict, str]:
    """The job in the v3 environment: what main() printed last (JSON) and everything the SDK and the containers
    printed; a failure raises AssertionError with that output."""
    result = subprocess.run(
        [str(SDK_V3_PYTHON), __file__, json.dumps(job)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=sdk_environment(Path(job["root"])),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return json.loads(result.stdout.strip().splitlines()[-1]), output


def train_with_sdk_v3(job: dict) -> tuple[Path, str]:
    """job: image, root (the local container root), channels {name: folder}, hyperparameters, environment,
    instance_count, and optionally source_code {source_dir, entry_script}. Returns the model artifact where the SDK
    says it saved it, and the whole output (the containers' logs among it)."""
    _, output = run_in_sdk_v3({**job, "action": "train"})
    reported = ARTIFACT_REPORT.findall(output)
    assert reported, output
    return Path(reported[-1]), output


def invoke_with_sdk_v3(job: dict) -> tuple[dict, str]:
    """job: image, root, model_data (file://...model.tar.gz), environment, port, body (CSV), custom_attributes. An
    endpoint through v3's LocalSession (create_model, create_endpoint_config, create_endpoint), invoked once and
    deleted: returns the answer's body, content type and custom attributes."""
    return run_in_sdk_v3({**job, "action": "serve"})


def train(job: dict) -> dict:
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, SourceCode
    from sagemaker.train.model_trainer import Mode

    source_code = SourceCode(**job["source_code"]) if job.get("source_code") else None
    trainer = ModelTrainer(
        training_image=job["image"],
        training_mode=Mode.LOCAL_CONTAINER,
        role=ROLE,
        base_job_name="workbench-test",
        source_code=source_code,
        compute=Compute(instance_type="local_cpu", instance_count=job.get("instance_count", 1)),
        hyperparameters=job.get("hyperparameters") or None,
        environment=job.get("environment") or None,
        local_container_root=job["root"],
    )
    channels = [InputData(channel_name=name, data_source=folder) for name, folder in job["channels"].items()]
    trainer.train(input_data_config=channels, wait=True)
    return {}


def serve(job: dict) -> dict:
    from sagemaker.core.local import LocalSession

    session = LocalSession()
    session.config = {"local": {"serving_port": job["port"], "container_root": job["root"]}}
    client, name = session.sagemaker_client, "workbench-test"
    client.create_model(
        ModelName=name,
        PrimaryContainer={"Image": job["image"], "ModelDataUrl": job["model_data"], "Environment": job["environment"]},
    )
    client.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "local"}
        ],
    )
    client.create_endpoint(EndpointName=name, EndpointConfigName=name)
    try:
        answer = session.sagemaker_runtime_client.invoke_endpoint(
            EndpointName=name, Body=job["body"], ContentType="text/csv", CustomAttributes=job["custom_attributes"]
        )
        headers = {name.lower(): value for name, value in answer["ResponseMetadata"]["HTTPHeaders"].items()}
        return {
            "body": answer["Body"].read().decode(),
            "content_type": answer["ContentType"],
            "custom_attributes": headers.get("x-amzn-sagemaker-custom-attributes"),
        }
    finally:
        client.delete_endpoint(EndpointName=name)


def main(job: dict) -> None:
    logging.basicConfig(level=logging.INFO)  # the SDK says where a model went only at this level
    result = {"train": train, "serve": serve}[job["action"]](job)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
