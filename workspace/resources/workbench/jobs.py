"""`docker run IMAGE train` and `docker run IMAGE serve`: the image as a SageMaker training or model-serving container.

SageMaker runs the image as root with exactly `train` or `serve` as the command and the job's files under /opt/ml.
In these modes nothing of the workspace starts (no Jupyter, desktop, sshd, token, start hooks): the container does
the job, and its log says so first. Training runs SageMaker's own training toolkit in script mode
(workbench/training.py); serving is nginx in front of gunicorn's workers (workbench/serving.py,
workbench/model_server.py).

What can be checked before the job starts is checked here, so that a mistake is one line in the log (and in
/opt/ml/output/failure, which SageMaker shows as the job's FailureReason), not a traceback or a 15-minute wait.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from . import __version__, paths, render, serving

TRAIN = "train"
SERVE = "serve"
COMMANDS = (TRAIN, SERVE)
CONFIG_FILES = ("hyperparameters.json", "inputdataconfig.json", "resourceconfig.json")


class JobError(Exception):
    """The job cannot start as given; the message says what to change."""


def job_of(argv: list[str]) -> str | None:
    """SageMaker passes the bare word as the command; anything else is the workspace's business."""
    return argv[0] if len(argv) == 1 and argv[0] in COMMANDS else None


def read_config(name: str) -> dict:
    path = paths.ML_CONFIG_DIR / name
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise JobError(f"cannot read {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise JobError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise JobError(f"{path} must hold a JSON object, not {type(value).__name__}")
    return value


def sagemaker_setting(hyperparameters: dict, name: str) -> str | None:
    """sagemaker_program and friends: the SDK writes them as JSON-encoded strings among the hyperparameters; the
    upper-case variable of the same name wins, as in SageMaker's toolkit."""
    from_env = os.environ.get(name.upper(), "").strip()
    if from_env:
        return from_env
    value = hyperparameters.get(name)
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
            value = decoded if isinstance(decoded, str) else value
        except json.JSONDecodeError:
            pass
    return value if isinstance(value, str) and value else None


def check_training() -> None:
    configs = {name: read_config(name) for name in CONFIG_FILES}
    program = sagemaker_setting(configs["hyperparameters.json"], "sagemaker_program")
    if not program:
        raise JobError(
            "no training script is named: set SAGEMAKER_PROGRAM (or the sagemaker_program hyperparameter) "
            f"to your script in {paths.ML_CODE_DIR} (python3 build.py package puts your folder there)"
        )
    submit_dir = sagemaker_setting(configs["hyperparameters.json"], "sagemaker_submit_directory")
    # SageMaker's toolkit runs the code already in /opt/ml/code, and copies the submit directory there only when
    # it is empty; an s3:// submit directory is its own to fetch.
    code_dir = paths.ML_CODE_DIR
    if not (code_dir.is_dir() and any(code_dir.iterdir())) and submit_dir and submit_dir.startswith("/"):
        code_dir = Path(submit_dir)
    if "://" not in (submit_dir or "") and not (code_dir / program).exists():
        raise JobError(f"the training script {program!r} (SAGEMAKER_PROGRAM) is not in {code_dir}")
    resources = configs["resourceconfig.json"]
    hosts, current = resources.get("hosts") or [], resources.get("current_host")
    if hosts == [current] and current and not resolves(current):
        raise JobError(
            f"resourceconfig.json names this container {current!r}, which does not resolve here: start it "
            f"with --hostname {current}, as SageMaker does"
        )


def resolves(host: str) -> bool:
    try:
        socket.gethostbyname(host)
    except OSError:
        return False
    return True


def report_failure(message: str) -> None:
    """SageMaker reads the first 1024 characters of this file as the job's FailureReason."""
    try:
        paths.ML_FAILURE_FILE.parent.mkdir(parents=True, exist_ok=True)
        if not paths.ML_FAILURE_FILE.exists():
            paths.ML_FAILURE_FILE.write_text(message + "\n")
    except OSError:
        pass


def announce(job: str) -> None:
    what = {TRAIN: "a SageMaker training job", SERVE: "a SageMaker model server"}[job]
    print(
        f"Workbench {__version__}: running {what} (`{job}`); the workspace (Jupyter, desktop, SSH, login token) "
        "does not start in this mode.",
        flush=True,
    )


def main(job: str) -> int:
    """Called by the entrypoint for `train` and `serve`, as root, before anything of the workspace happens. The log
    says what runs once the checks pass, so that a mistake is the log's only line."""
    try:
        if job == TRAIN:
            check_training()
            announce(job)
            os.environ["PYTHONUNBUFFERED"] = "1"  # the toolkit relays the script's output line by line
            os.execv(str(paths.VENV_PYTHON), [str(paths.VENV_PYTHON), "-m", "workbench.training"])
        settings = serving.check(dict(os.environ))
        announce(job)
        return serving.serve(settings)
    except (JobError, serving.ServeError, render.RenderError) as error:
        message = f"{job}: {error}"
        if job == TRAIN:
            report_failure(message)
        print(f"workbench: error: {message}", file=sys.stderr, flush=True)
        return 1
