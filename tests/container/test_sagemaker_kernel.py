"""The "Python (SageMaker)" kernel: SageMaker's SDK in an environment of its own over the workspace's packages, so
that its older protobuf and packaging never reach Jupyter; AWS credentials from a mounted ~/.aws."""

from __future__ import annotations

import json
import os

import pytest

from kernels import execute, start_kernel
from workspaces import TEST_LABELS, WorkspaceFactory

pytestmark = pytest.mark.container

KERNEL = "sagemaker"
ACCESS_KEY = "AKIAWORKBENCHTEST000"

WHAT_IT_SEES = """
import json, sys, boto3, sagemaker, google.protobuf, packaging, numpy, pandas
from sagemaker.estimator import Estimator
credentials = boto3.Session().get_credentials()
print(json.dumps({
    "python": sys.executable,
    "sagemaker": sagemaker.__version__,
    "protobuf": google.protobuf.__version__,
    "packaging": packaging.__version__,
    "access_key": credentials.access_key if credentials else None,
    "region": boto3.Session().region_name,
}))
"""
JUPYTERS_OWN = """
import json, sys, google.protobuf, packaging
print(json.dumps({"python": sys.executable, "protobuf": google.protobuf.__version__,
                  "packaging": packaging.__version__}))
"""


@pytest.fixture(scope="module")
def sagemaker_workspace(docker_client, sagemaker_kernel_image, tmp_path_factory):
    aws = tmp_path_factory.mktemp("aws")
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = not-a-real-secret\n"
    )
    (aws / "config").write_text("[default]\nregion = eu-west-1\n")
    # As a user's own ~/.aws is: theirs alone, and they are the workspace's user (uid 1000 here).
    for path in (aws, *aws.iterdir()):
        os.chown(path, 1000, 100)
        path.chmod(0o700 if path.is_dir() else 0o600)
    with WorkspaceFactory(docker_client, sagemaker_kernel_image) as factory:
        yield factory.start(
            volumes_extra={str(aws): {"bind": "/home/jovyan/.aws", "mode": "ro"}},
        )


def test_the_sagemaker_kernel_is_offered_by_name(sagemaker_workspace):
    specs = sagemaker_workspace.get("api/kernelspecs").json()["kernelspecs"]
    assert specs[KERNEL]["spec"]["display_name"] == "Python (SageMaker)", specs.keys()


def test_the_sdk_imports_with_its_own_protobuf_and_jupyters_keeps_its_own(sagemaker_workspace):
    # The SDK's own notices (its config search, v2's deprecation) come first, on stderr.
    printed = execute(sagemaker_workspace, WHAT_IT_SEES, kernel_id=start_kernel(sagemaker_workspace, name=KERNEL))
    seen = json.loads(printed.strip().splitlines()[-1])
    jupyters = json.loads(execute(sagemaker_workspace, JUPYTERS_OWN))
    assert seen["python"].startswith("/opt/sagemaker-kernel/") and seen["sagemaker"].startswith("2."), seen
    assert seen["protobuf"] != jupyters["protobuf"] and seen["packaging"] != jupyters["packaging"], (seen, jupyters)
    assert jupyters["python"].startswith("/opt/venv/"), jupyters
    # The mounted ~/.aws, read-only, is what boto3 (and so the SDK) uses.
    assert (seen["access_key"], seen["region"]) == (ACCESS_KEY, "eu-west-1"), seen


def test_jupyters_environment_is_the_same_with_or_without_the_kernel(docker_client, image, sagemaker_kernel_image):
    if image == sagemaker_kernel_image:
        pytest.skip("this flavor always has the kernel: there is no image without it to compare with")

    def frozen(tag: str) -> str:
        return docker_client.containers.run(
            tag, ["freeze", "--all"], entrypoint="/opt/venv/bin/pip", labels=TEST_LABELS, remove=True
        ).decode()

    with_kernel, without = frozen(sagemaker_kernel_image), frozen(image)
    assert "\nsagemaker==" not in "\n" + without and with_kernel == without
