"""Every command of the Jobs page (docs/jobs.md), run by bash as a user types it, in a folder laid out as the page
describes: train, serve (and the curl lines, whose output must be what their comments say), a processing job, the
three `run` lines, and `build.py package` with its image trained and served with /opt/ml mounted whole; and its
SageMaker SDK v3 example, run by Python as written.

Only what cannot run here changes: the host port of `-p 8080:8080` (a free one; the curl lines follow it), the image
when the flavor under test is not minimal, and build.py's path. The lines that need AWS (ECR login, tag, push) are
the only ones left out, and the test checks that they are the only ones."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests

from ml_jobs import CLASSES, POINTS, PREPROCESS, SCRIPT, answers_ping, ml_tree, training_data
from sagemaker_v3 import SDK_V3_PYTHON, sdk_environment
from workbench_client import free_port, wait_until
from workspaces import removing_what_others_start

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
JOB_SECONDS = 300
NEEDS_AWS = ("aws ecr ", "docker tag ", "docker push ")
DOCUMENTED_IMAGE = "workbench:minimal"
PACKAGED_TAG = "my-model:1"
NOTEBOOK_PARAMETERS = "alpha = 1.0\nlabel = 'none'\n"
NOTEBOOK_WORK = "print('alpha is', alpha, label)\n"
ETL_SCRIPT = "import sys\nprint('etl for', sys.argv[1:])\n"


def jobs_section() -> str:
    return (ROOT / "docs" / "jobs.md").read_text()


def readme_lines() -> list[tuple[str, str]]:
    """(command, comment) for every command line of the section's bash blocks, continuation lines joined."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", jobs_section(), re.DOTALL):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            command, _, comment = line.partition("  #")
            lines.append((command.strip(), comment.strip()))
    return lines


def lay_out(folder: Path) -> None:
    """What the page's commands expect in the current folder, owned by uid 1000 for the `run` lines (the
    workspace's user, as a laptop's first user)."""
    ml = ml_tree(folder, {"strength": 0.5, "mode": "fit"})
    shutil.rmtree(ml / "code")  # "ml/ laid out as SageMaker lays out /opt/ml": SageMaker's has no code
    (folder / "src").mkdir()
    (folder / "src" / "train.py").write_text(SCRIPT)
    processing = folder / "processing"
    for part in ("input/code", "input/data", "output/train", "output/test"):
        (processing / part).mkdir(parents=True)
    (processing / "input" / "code" / "preprocess.py").write_text(PREPROCESS)
    (processing / "input" / "data" / "train.csv").write_text(training_data())
    (folder / "analysis").mkdir()
    (folder / "results").mkdir()
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "code", "execution_count": None, "outputs": [], "source": NOTEBOOK_PARAMETERS,
             "metadata": {"tags": ["parameters"]}},
            {"cell_type": "code", "execution_count": None, "outputs": [], "source": NOTEBOOK_WORK, "metadata": {}},
        ],
    }  # fmt: skip
    (folder / "analysis" / "report.ipynb").write_text(json.dumps(notebook))
    (folder / "scripts").mkdir()
    (folder / "scripts" / "etl.py").write_text(ETL_SCRIPT)
    (folder / "my-model").mkdir()
    (folder / "my-model" / "train.py").write_text(SCRIPT)
    (folder / "my-model" / "requirements.txt").write_text("# nothing beyond the image's own libraries\n")
    for path in [folder, *folder.rglob("*")]:
        if "ml" not in path.relative_to(folder).parts[:1]:
            os.chown(path, 1000, 100)


class Runner:
    """Runs the page's lines with bash in one folder, as they are written but for what the module says."""

    def __init__(self, folder: Path, image: str, flavor: str, ca_cert: str | None):
        self.folder, self.image, self.flavor, self.ca_cert = folder, image, flavor, ca_cert
        self.port = free_port()
        self.servers: list[subprocess.Popen] = []

    def adapt(self, command: str) -> str:
        command = command.replace("-p 8080:8080", f"-p 127.0.0.1:{self.port}:8080")
        command = command.replace("localhost:8080", f"localhost:{self.port}")
        command = command.replace(DOCUMENTED_IMAGE, self.image)
        if command.startswith("python3 build.py "):
            command = command.replace("build.py", str(ROOT / "build.py"), 1)
            if self.flavor != "minimal":
                command += f" --flavor {self.flavor}"
            if self.ca_cert:
                command += f" --ca-cert={self.ca_cert}"
        return command

    def run(self, command: str) -> str:
        result = subprocess.run(
            ["bash", "-c", self.adapt(command)], cwd=self.folder, capture_output=True, text=True, timeout=JOB_SECONDS
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
        return result.stdout

    def start_server(self, command: str) -> str:
        """A `serve` line runs in the foreground until stopped: started, then waited for as SageMaker waits."""
        server = subprocess.Popen(
            ["bash", "-c", f"exec {self.adapt(command)}"],
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.servers.append(server)
        url = f"http://localhost:{self.port}"
        wait_until(lambda: answers_ping(url) or server.poll() is not None, timeout=120)
        assert server.poll() is None, f"{command}\n{server.stdout.read()}"
        return url

    def stop_servers(self) -> None:
        """docker run passes the signal on to the container, which stops serve; --rm removes it."""
        for server in self.servers:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)
        self.servers.clear()


@pytest.fixture
def runner(docker_client, image, tmp_path, pytestconfig):
    folder = tmp_path / "project"
    folder.mkdir()
    lay_out(folder)
    runner = Runner(folder, image, pytestconfig.getoption("flavor"), pytestconfig.getoption("ca_cert"))
    # --rm removes what ran to its end; whatever a failure left is removed here, and so is the packaged image.
    with removing_what_others_start(docker_client, (image, PACKAGED_TAG)):
        try:
            yield runner
        finally:
            runner.stop_servers()
    if docker_client.images.list(name=PACKAGED_TAG):
        docker_client.images.remove(PACKAGED_TAG, force=True)


def test_every_jobs_command_of_the_readme_runs_as_written(runner):
    lines = readme_lines()
    skipped = [command for command, _ in lines if command.startswith(NEEDS_AWS)]
    assert len(skipped) == 3, skipped
    folder = runner.folder
    served = []
    for command, comment in lines:
        if command.startswith(NEEDS_AWS):
            continue
        if command.startswith("curl "):
            printed = runner.run(command)
            if comment.startswith("["):  # the answer the page shows
                assert json.loads(printed) == json.loads(comment), (command, printed)
            continue
        if command.endswith(" serve"):
            runner.stop_servers()
            url = runner.start_server(command)
            answer = requests.post(
                f"{url}/invocations",
                data="".join(f"{x},{y}\n" for x, y in POINTS),
                headers={"Content-Type": "text/csv"},
            )
            assert answer.json() == CLASSES, answer.text
            served.append(command)
            continue
        if " train" in command and "package" not in command:
            # Each training run starts from an empty model folder, as SageMaker's jobs do.
            for leftover in (folder / "ml" / "model").iterdir():
                leftover.unlink()
        printed = runner.run(command)
        if " run scripts/etl.py" in command:
            assert "etl for ['--day', '2026-11-23']" in printed, printed
        if command.endswith(" train"):
            assert (folder / "ml" / "model" / "model.joblib").stat().st_size > 0, command
    runner.stop_servers()
    assert len(served) == 2, served
    # What the other lines made, where the page says they put it.
    assert len((folder / "processing" / "output" / "train" / "part.csv").read_text().splitlines()) == 200
    assert (folder / "analysis" / "report.output.ipynb").is_file()
    assert (folder / "results" / "report-run.ipynb").is_file()
    executed = json.loads((folder / "analysis" / "report.output.ipynb").read_text())
    printed = "".join("".join(output.get("text", "")) for cell in executed["cells"] for output in cell["outputs"])
    assert "alpha is 0.5 test" in printed, printed
    # The packaged image trained from its own code, though /opt/ml was mounted whole: the toolkit copied it in.
    assert (folder / "ml" / "code" / "train.py").read_text() == SCRIPT
    assert not (folder / "ml" / "output" / "failure").exists()


def test_the_readmes_sdk_v3_example_trains_as_written(docker_client, image, tmp_path):
    examples = [
        block
        for block in re.findall(r"```python\n(.*?)```", jobs_section(), re.DOTALL)
        if "from sagemaker.train import" in block
    ]
    assert len(examples) == 1, examples
    folder = tmp_path / "project"
    for part in ("src", "data"):
        (folder / part).mkdir(parents=True)
    (folder / "src" / "train.py").write_text(SCRIPT)
    (folder / "data" / "train.csv").write_text(training_data())
    reported = re.search(r"# the model: (\S+)", examples[0])  # where the example's last comment says it is
    assert reported, examples[0]
    with removing_what_others_start(docker_client, (image,), ("sagemaker-local",)):
        result = subprocess.run(
            [str(SDK_V3_PYTHON), "-c", examples[0].replace(DOCUMENTED_IMAGE, image)],
            cwd=folder,
            env=sdk_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=JOB_SECONDS,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "trained LogisticRegression on 400 rows" in result.stdout + result.stderr
    with tarfile.open(folder / reported.group(1)) as model:
        assert model.getnames() == ["model.joblib"]
