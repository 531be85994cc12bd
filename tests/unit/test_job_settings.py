"""The checks and choices of SageMaker's modes that need no container: which commands are jobs, SageMaker's
variables for serve, how the model server reads Content-Type and Accept, notebook parameters."""

import json
from pathlib import Path

import pytest

from workbench import jobs, paths
from workbench.model_server import choose_accept, media_type
from workbench.notebook_job import UsageError, parameter_value, parse_notebook_options
from workbench.serving import ServeError, ServeSettings


@pytest.mark.parametrize(
    "argv, job",
    [
        (["train"], "train"),
        (["serve"], "serve"),
        (["train", "--epochs", "3"], None),  # SageMaker passes the bare word: anything else is a command of the user's
        (["/usr/local/bin/train"], None),
        ([], None),
        (["start-notebook.py"], None),
    ],
)
def test_only_sagemakers_bare_words_are_jobs(argv, job):
    assert jobs.job_of(argv) == job


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


def test_sagemaker_settings_come_json_encoded_among_the_hyperparameters(monkeypatch):
    monkeypatch.delenv("SAGEMAKER_PROGRAM", raising=False)
    assert jobs.sagemaker_setting({"sagemaker_program": json.dumps("train.py")}, "sagemaker_program") == "train.py"
    assert jobs.sagemaker_setting({"sagemaker_program": "train.py"}, "sagemaker_program") == "train.py"
    monkeypatch.setenv("SAGEMAKER_PROGRAM", "other.py")
    assert jobs.sagemaker_setting({"sagemaker_program": '"train.py"'}, "sagemaker_program") == "other.py"


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
