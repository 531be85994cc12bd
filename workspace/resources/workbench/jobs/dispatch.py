"""`docker run IMAGE train` and `docker run IMAGE serve`: the image as a SageMaker training or model-serving container.

SageMaker runs the image as root with exactly `train` or `serve` as the command and the job's files under /opt/ml.
In these modes nothing of the workspace starts (no Jupyter, desktop, sshd, token, start hooks): the container does
the job, and its log says first which program does it and why.

Which program, one rule (docs/jobs.md):
1. a `train` or `serve` executable that an image built on this one puts on PATH, outside the image's own folders
   (SageMaker's "bring your own container" layout: /opt/program on PATH), runs as the job, with the arguments that
   follow the word;
2. otherwise the image's own: SageMaker's training toolkit in script mode (workbench/jobs/training.py), or nginx in
   front of gunicorn's workers holding the model (workbench/jobs/serving.py, workbench/jobs/model_server.py).

A container started with the image's default command inside a SageMaker training run (the SageMaker Python SDK v3's
local mode passes no command when it has no SourceCode) is a `train` job too; a spawner or a plain `docker run`
never sets what such a run sets.

What can be checked before the built-in job starts is checked here, so that a mistake is one line in the log (and in
/opt/ml/output/failure, which SageMaker shows as the job's FailureReason), not a traceback or a 15-minute wait.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..contracts import rendering, start_command
from ..facts import paths
from . import serving

TRAIN = "train"
SERVE = "serve"
COMMANDS = (TRAIN, SERVE)
CONFIG_FILES = ("hyperparameters.json", "inputdataconfig.json", "resourceconfig.json")
# Folders of the image's own programs: sagemaker-training installs a `train` console script into the environment,
# which is the toolkit's, not a program of the user's.
IMAGE_PROGRAM_DIRS = (paths.VENV_DIR / "bin", paths.INSTALL_DIR / "bin")
# What every SageMaker training container is given (SageMaker, and the SDK's local mode), and a spawner or a
# workspace started by hand is not.
TRAINING_JOB_VARIABLE = "TRAINING_JOB_NAME"
# The channel SageMaker's SDK v3 ships a job's code in (ModelTrainer's SourceCode; by hand: a channel named "code").
CODE_CHANNEL = "code"


class JobError(Exception):
    """The job cannot start as given; the message says what to change."""


@dataclass(frozen=True)
class Job:
    name: str  # TRAIN or SERVE
    args: tuple[str, ...] = ()  # what followed the word
    why: str = ""  # said in the log when the command was not the word itself


def started_by_sagemaker_training(environ: dict[str, str]) -> bool:
    return bool(environ.get(TRAINING_JOB_VARIABLE)) and (paths.ML_CONFIG_DIR / "resourceconfig.json").is_file()


def job_of(argv: list[str], environ: dict[str, str]) -> Job | None:
    """`train ...` or `serve ...`; the image's default command inside a SageMaker training run; else None (the
    workspace, or a command of the user's)."""
    if argv and argv[0] in COMMANDS:
        return Job(argv[0], tuple(argv[1:]))
    if tuple(argv) == start_command.IMAGE_COMMAND and started_by_sagemaker_training(environ):
        return Job(
            TRAIN,
            why=f"started with the image's default command in a SageMaker training run: {TRAINING_JOB_VARIABLE} and "
            f"{paths.ML_CONFIG_DIR} are there, as when the SageMaker Python SDK v3 starts a job without a SourceCode",
        )
    return None


def programs_on_path(name: str, environ: dict[str, str]) -> list[Path]:
    """The files called `name` on PATH, in its order, outside the image's own folders."""
    own = {folder.resolve() for folder in IMAGE_PROGRAM_DIRS}
    folders = [Path(folder) for folder in environ.get("PATH", "").split(os.pathsep) if folder]
    return [folder / name for folder in folders if folder.resolve() not in own and (folder / name).is_file()]


def own_program(name: str, environ: dict[str, str]) -> Path | None:
    """The first executable called `name` on PATH that is not one of the image's own. A file of that name that cannot
    be executed is a mistake to report, not a reason to run something else."""
    for candidate in programs_on_path(name, environ):
        if os.access(candidate, os.X_OK):
            return candidate
        raise JobError(
            f"{candidate} is on PATH but not executable: make it so (chmod +x, or RUN chmod +x in the Dockerfile), "
            f"since SageMaker runs it as `{name}`"
        )
    return None


# ------------------------------------------------------------------ the built-in training job


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


def hyperparameter(hyperparameters: dict, name: str) -> str | None:
    """sagemaker_program and friends: the SDK writes them as JSON-encoded strings among the hyperparameters."""
    value = hyperparameters.get(name)
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
            value = decoded if isinstance(decoded, str) else value
        except json.JSONDecodeError:
            pass
    return value if isinstance(value, str) and value else None


def sagemaker_setting(hyperparameters: dict, name: str) -> str | None:
    """The upper-case variable of the same name wins over the hyperparameter, as SageMaker's toolkit decides for
    sagemaker_program."""
    return os.environ.get(name.upper(), "").strip() or hyperparameter(hyperparameters, name)


def has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


@dataclass(frozen=True)
class TrainingCode:
    program: str | None
    source: str  # a folder, or an s3:// address the toolkit fetches
    why: str


def training_code(hyperparameters: dict, input_data: dict) -> TrainingCode:
    """Which script runs and where its code comes from; workbench.jobs.training hands `source` to the toolkit, which
    runs the code in /opt/ml/code and copies `source` there first when that is empty. In order:
    code already in /opt/ml/code (mounted, or put there by SageMaker's SDK); the sagemaker_submit_directory
    hyperparameter (the SDK's source_dir); the SAGEMAKER_SUBMIT_DIRECTORY variable; the code `build.py package`
    put in the image; a channel named "code"."""
    program = sagemaker_setting(hyperparameters, "sagemaker_program")
    candidates = [
        (str(paths.ML_CODE_DIR), f"the code in {paths.ML_CODE_DIR}", has_files(paths.ML_CODE_DIR)),
        (
            hyperparameter(hyperparameters, "sagemaker_submit_directory"),
            "the sagemaker_submit_directory hyperparameter",
            True,
        ),
        (os.environ.get("SAGEMAKER_SUBMIT_DIRECTORY", "").strip(), "SAGEMAKER_SUBMIT_DIRECTORY", True),
        (str(paths.PACKAGED_CODE_DIR), "the code packaged in the image", has_files(paths.PACKAGED_CODE_DIR)),
        (
            str(paths.ML_DATA_DIR / CODE_CHANNEL),
            f"the {CODE_CHANNEL!r} channel",
            CODE_CHANNEL in input_data and has_files(paths.ML_DATA_DIR / CODE_CHANNEL),
        ),
    ]
    for source, why, usable in candidates:
        if source and usable:
            return TrainingCode(program, source, why)
    return TrainingCode(program, str(paths.ML_CODE_DIR), "no code was given")


def configured_training_code() -> TrainingCode:
    return training_code(read_config("hyperparameters.json"), read_config("inputdataconfig.json"))


def check_training() -> TrainingCode:
    configs = {name: read_config(name) for name in CONFIG_FILES}
    code = training_code(configs["hyperparameters.json"], configs["inputdataconfig.json"])
    if not code.program:
        raise JobError(
            "no training script is named: set SAGEMAKER_PROGRAM (or the sagemaker_program hyperparameter) "
            f"to your script in {paths.ML_CODE_DIR} (python3 build.py package puts your folder in the image), or put "
            "a program called train on PATH"
        )
    source = Path(code.source)
    # An s3:// address, or a tarball, is the toolkit's to fetch and unpack.
    if "://" not in code.source and not source.is_file() and not (source / code.program).is_file():
        raise JobError(f"the training script {code.program!r} (SAGEMAKER_PROGRAM) is not in {code.source} ({code.why})")
    resources = configs["resourceconfig.json"]
    hosts, current = resources.get("hosts") or [], resources.get("current_host")
    if hosts == [current] and current and not resolves(current):
        raise JobError(
            f"resourceconfig.json names this container {current!r}, which does not resolve here: start it "
            f"with --hostname {current}, as SageMaker does"
        )
    return code


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


# ------------------------------------------------------------------ running it


def announce(job: Job, what: str) -> None:
    why = f" ({job.why})" if job.why else ""
    print(
        f"Workbench {__version__}: the job `{job.name}`{why} runs {what}; the workspace (Jupyter, desktop, SSH, "
        "login token) does not start in this mode.",
        flush=True,
    )


def run_own_program(job: Job, program: Path) -> int:
    announce(job, f"{program}, the image's own program on PATH (SageMaker's bring-your-own-container contract)")
    try:
        os.execv(program, [job.name, *job.args])
    except OSError as error:
        raise JobError(f"cannot run {program}: {error.strerror}") from None
    return 1  # not reached


def run_training(job: Job) -> int:
    code = check_training()
    announce(job, f"SageMaker's training toolkit in script mode: {code.program} from {code.why} ({code.source})")
    os.environ["PYTHONUNBUFFERED"] = "1"  # the toolkit relays the script's output line by line
    python = str(paths.VENV_PYTHON)
    os.execv(python, [python, "-m", "workbench.jobs.training", *job.args])
    return 1  # not reached


def run_serving(job: Job) -> int:
    if job.args:
        raise JobError(
            f"the built-in model server takes no arguments ({' '.join(job.args)}): set SAGEMAKER_* variables "
            "instead, or put a program called serve on PATH"
        )
    settings = serving.check(dict(os.environ))
    announce(job, "the built-in model server (nginx and gunicorn's workers)")
    return serving.serve(settings)


def main(job: Job) -> int:
    """Called by the entrypoint for `train` and `serve`, as root, before anything of the workspace happens. The log
    says what runs once the checks pass, so that a mistake is the log's only line."""
    try:
        program = own_program(job.name, dict(os.environ))
        if program is not None:
            return run_own_program(job, program)
        return run_training(job) if job.name == TRAIN else run_serving(job)
    except (JobError, serving.ServeError, rendering.RenderError) as error:
        message = f"{job.name}: {error}"
        if job.name == TRAIN:
            report_failure(message)
        print(f"workbench: error: {message}", file=sys.stderr, flush=True)
        return 1
