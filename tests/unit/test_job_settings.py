"""The checks and choices of SageMaker's modes that need no container: which commands are jobs, SageMaker's
variables for serve, how the model server reads Content-Type and Accept, notebook parameters."""

import json
from pathlib import Path

import pytest

from workbench.facts import paths
from workbench.jobs import dispatch
from workbench.jobs.model_server import RequestContext, call_handler, choose_accept, log_level, media_type
from workbench.jobs.notebook_job import UsageError, parameter_value, parse_notebook_options
from workbench.jobs.serving import ServeError, ServeSettings


@pytest.mark.parametrize(
    "argv, job",
    [
        (["train"], dispatch.Job("train")),
        (["serve"], dispatch.Job("serve")),
        (["train", "--epochs", "3"], dispatch.Job("train", ("--epochs", "3"))),  # passed on to the program
        (["/usr/local/bin/train"], None),  # a path is a command of the user's
        ([], None),
        (["start-notebook.py"], None),
    ],
)
def test_train_and_serve_are_jobs(argv, job):
    assert dispatch.job_of(argv, {"PATH": "/usr/bin"}) == job


@pytest.fixture
def ml(tmp_path, monkeypatch):
    """/opt/ml and the packaged code's folder in a temporary folder."""
    root = tmp_path / "ml"
    monkeypatch.setattr(paths, "ML_DIR", root)
    monkeypatch.setattr(paths, "ML_CODE_DIR", root / "code")
    monkeypatch.setattr(paths, "ML_CONFIG_DIR", root / "input" / "config")
    monkeypatch.setattr(paths, "ML_DATA_DIR", root / "input" / "data")
    monkeypatch.setattr(paths, "PACKAGED_CODE_DIR", tmp_path / "job" / "code")
    monkeypatch.delenv("SAGEMAKER_PROGRAM", raising=False)
    monkeypatch.delenv("SAGEMAKER_SUBMIT_DIRECTORY", raising=False)
    (root / "input" / "config").mkdir(parents=True)
    return root


def test_the_default_command_in_a_sagemaker_training_run_is_a_training_job(ml):
    """SDK v3's local mode without a SourceCode passes no command; a hub or docker run never sets both."""
    (ml / "input" / "config" / "resourceconfig.json").write_text("{}")
    job = dispatch.job_of(["start-notebook.py"], {"TRAINING_JOB_NAME": "job-1"})
    assert job is not None and job.name == "train" and "TRAINING_JOB_NAME" in job.why
    assert dispatch.job_of(["start-notebook.py"], {}) is None
    assert dispatch.job_of(["jupyterhub-singleuser"], {"TRAINING_JOB_NAME": "job-1"}) is None
    (ml / "input" / "config" / "resourceconfig.json").unlink()
    assert dispatch.job_of(["start-notebook.py"], {"TRAINING_JOB_NAME": "job-1"}) is None


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_a_train_program_on_path_outside_the_images_folders_is_the_job(tmp_path, monkeypatch):
    image_bin = tmp_path / "venv" / "bin"
    monkeypatch.setattr(dispatch, "IMAGE_PROGRAM_DIRS", (image_bin,))
    executable(image_bin / "train")  # the toolkit's console script: the image's own
    program_dir = tmp_path / "opt" / "program"
    assert dispatch.own_program("train", {"PATH": f"{image_bin}:{program_dir}"}) is None
    users = executable(program_dir / "train")
    assert dispatch.own_program("train", {"PATH": f"{image_bin}:{program_dir}"}) == users
    assert dispatch.own_program("serve", {"PATH": f"{image_bin}:{program_dir}"}) is None
    (program_dir / "serve").write_text("#!/bin/sh\n")  # copied without its mode: said, not passed over
    with pytest.raises(dispatch.JobError, match="serve is on PATH but not executable: make it so"):
        dispatch.own_program("serve", {"PATH": f"{image_bin}:{program_dir}"})


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def test_training_code_comes_from_one_place_in_a_fixed_order(ml, monkeypatch):
    """What the pre-check approves is what workbench.jobs.training hands the toolkit."""
    hyperparameters = {"sagemaker_program": json.dumps("train.py")}
    input_data = {"code": {"TrainingInputMode": "File"}}
    assert dispatch.training_code(hyperparameters, input_data).why == "no code was given"
    executable(ml / "input" / "data" / "code" / "train.py")
    assert dispatch.training_code(hyperparameters, input_data).source == str(ml / "input" / "data" / "code")
    assert dispatch.training_code(hyperparameters, {}).why == "no code was given"  # not a channel of this job
    executable(paths.PACKAGED_CODE_DIR / "train.py")
    assert dispatch.training_code(hyperparameters, input_data).source == str(paths.PACKAGED_CODE_DIR)
    monkeypatch.setenv("SAGEMAKER_SUBMIT_DIRECTORY", "/somewhere")
    assert dispatch.training_code(hyperparameters, input_data).source == "/somewhere"
    hyperparameters["sagemaker_submit_directory"] = json.dumps("s3://bucket/code.tar.gz")
    assert dispatch.training_code(hyperparameters, input_data).source == "s3://bucket/code.tar.gz"
    executable(ml / "code" / "train.py")
    code = dispatch.training_code(hyperparameters, input_data)
    assert (code.program, code.source) == ("train.py", str(ml / "code"))


def test_the_pre_check_refuses_a_submit_directory_without_the_script(ml, monkeypatch):
    write_json(ml / "input" / "config" / "hyperparameters.json", {"sagemaker_program": '"train.py"'})
    monkeypatch.setenv("SAGEMAKER_SUBMIT_DIRECTORY", str(ml / "elsewhere"))
    with pytest.raises(dispatch.JobError, match="'train.py' .* is not in .*elsewhere \\(SAGEMAKER_SUBMIT_DIRECTORY\\)"):
        dispatch.check_training()
    executable(ml / "elsewhere" / "train.py")
    assert dispatch.check_training().source == str(ml / "elsewhere")


def test_serve_settings_follow_sagemakers_variables():
    settings = ServeSettings.from_environ(
        {
            "SAGEMAKER_MODEL_SERVER_WORKERS": "3",
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": "5",
            "SAGEMAKER_MAX_PAYLOAD_IN_MB": "20",
            "SAGEMAKER_BIND_TO_PORT": "9000",
        }
    )
    assert settings == ServeSettings(port=9000, workers=3, timeout=5, max_payload_mb=20)
    assert settings.execution_parameters == {
        "MaxConcurrentTransforms": 3,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 20,
    }
    defaults = ServeSettings.from_environ({})
    assert (defaults.port, defaults.timeout, defaults.max_payload_mb) == (paths.SERVE_PORT, 60, 6)
    assert defaults.workers >= 1


@pytest.mark.parametrize(
    "variable, value",
    [
        ("SAGEMAKER_MODEL_SERVER_WORKERS", "0"),
        ("SAGEMAKER_MODEL_SERVER_TIMEOUT", "1.5"),
        ("SAGEMAKER_MAX_PAYLOAD_IN_MB", "-1"),
        ("SAGEMAKER_BIND_TO_PORT", "70000"),
        ("SAGEMAKER_CONTAINER_LOG_LEVEL", "loud"),
        ("SAGEMAKER_CONTAINER_LOG_LEVEL", "25"),
    ],
)
def test_bad_serve_settings_name_the_variable(variable, value):
    with pytest.raises(ServeError, match=f"^{variable}="):
        ServeSettings.from_environ({variable: value})


@pytest.mark.parametrize(
    "header, chosen",
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/csv", "text/csv"),
        ("text/csv; charset=utf-8", "text/csv"),
        ("application/json, text/csv", "application/json"),
        ("*/*, text/csv", "text/csv"),
        ("image/png", "image/png"),
    ],
)
def test_accept_picks_the_first_named_type(header, chosen):
    assert choose_accept(header) == chosen


def test_the_default_accept_is_sagemakers_variable(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "text/csv")
    assert choose_accept("*/*") == "text/csv"
    assert media_type(" Text/CSV ; charset=utf-8") == "text/csv"


def test_the_log_level_is_sagemakers_number_or_a_name():
    assert [log_level(value) for value in (None, "", "10", "40", "warning")] == [20, 20, 10, 40, 30]


def test_handlers_that_ask_for_it_get_the_context_with_the_custom_attributes():
    context = RequestContext.of({"HTTP_X_AMZN_SAGEMAKER_CUSTOM_ATTRIBUTES": "trace=7", "CONTENT_TYPE": "text/csv"})
    assert context.custom_attributes == "trace=7"
    assert context.request_processor[0].get_request_properties()["content-type"] == "text/csv"

    def with_context(body, content_type, context):
        context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", context.custom_attributes + ";seen")
        return body

    assert call_handler(with_context, context, "1,2", "text/csv") == "1,2"
    assert context.response_headers["x-amzn-sagemaker-custom-attributes"] == "trace=7;seen"
    assert call_handler(lambda body, content_type: body.upper(), context, "a", "text/csv") == "A"


def test_sagemaker_settings_come_json_encoded_among_the_hyperparameters(monkeypatch):
    monkeypatch.delenv("SAGEMAKER_PROGRAM", raising=False)
    assert dispatch.sagemaker_setting({"sagemaker_program": json.dumps("train.py")}, "sagemaker_program") == "train.py"
    assert dispatch.sagemaker_setting({"sagemaker_program": "train.py"}, "sagemaker_program") == "train.py"
    monkeypatch.setenv("SAGEMAKER_PROGRAM", "other.py")
    assert dispatch.sagemaker_setting({"sagemaker_program": '"train.py"'}, "sagemaker_program") == "other.py"


@pytest.mark.parametrize(
    "text, value",
    [
        ("3", 3),
        ("0.5", 0.5),
        ("True", True),
        ("true", True),
        ("None", None),
        ("null", None),
        ("two words", "two words"),
        ("[1]", "[1]"),
        ("1e3", 1000.0),
    ],
)
def test_notebook_parameters_are_typed_as_papermill_types_them(text, value):
    assert parameter_value(text) == value


def test_notebook_options(tmp_path):
    notebook = tmp_path / "a.ipynb"
    assert parse_notebook_options(["-p", "alpha", "2", "-o", "b.ipynb"], notebook) == ({"alpha": 2}, Path("b.ipynb"))
    assert parse_notebook_options([], notebook)[1] == tmp_path / "a.output.ipynb"
    for bad in (["-p", "not-a-name", "1"], ["--frobnicate"], ["-o", str(notebook)]):
        with pytest.raises(UsageError):
            parse_notebook_options(bad, notebook)
