"""Tools an image built on this one declares in JSON files (workbench/facts/declarations.py): what a declaration
becomes, and the one-line fault for each way one can be wrong."""

import json

import pytest

from workbench.contracts import render
from workbench.contracts.settings import load
from workbench.facts import catalogue, declarations, paths, tools
from workbench.facts.programs import COMMON_PLACEHOLDERS, CORE_PLACEHOLDERS, TOOL_PLACEHOLDERS

MLFLOW = {
    "name": "mlflow",
    "title": "MLflow",
    "description": "Experiments and models",
    "command": "{venv}/bin/mlflow ui --host 127.0.0.1 --port {port} --static-prefix {path_prefix}",
    "port": 5000,
    "health": "health",
}


def declare(folder, file_name: str, declaration: dict) -> None:
    (folder / file_name).write_text(json.dumps(declaration))


def test_a_declaration_becomes_a_tool_that_starts_when_opened(tmp_path):
    declare(tmp_path, "mlflow.json", MLFLOW)
    (mlflow,) = declarations.load_declared(tmp_path)
    assert (mlflow.name, mlflow.title, mlflow.description, mlflow.path) == (
        "mlflow",
        "MLflow",
        "Experiments and models",
        "tools/mlflow/",
    )
    assert mlflow.starts_on_demand and mlflow.program_names == ("mlflow",) and mlflow.ports == (5000,)
    assert not mlflow.strip_path and mlflow.icon_url == f"{tools.ICONS_URL}/{tools.GENERIC_ICON}"
    assert tools.probe_url(mlflow, "/user/a/") == "http://127.0.0.1:5000/user/a/tools/mlflow/health"
    command = render.program_command(mlflow.programs[0], render.command_values(mlflow, load({})))
    assert command == "/opt/venv/bin/mlflow ui --host 127.0.0.1 --port 5000 --static-prefix /tools/mlflow"


def test_a_declaration_may_bring_its_icon_and_leave_out_what_has_a_default(tmp_path):
    (tmp_path / "files.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    files = {"name": "files", "command": "python3 -m http.server {port}", "port": 8000, "icon": "files.svg"}
    declare(tmp_path, "files.json", files)
    (files,) = declarations.load_declared(tmp_path)
    assert (files.title, files.description, files.health, files.strip_path) == ("files", "", "", False)
    assert files.icon_url == f"{tools.DECLARED_ICONS_URL}/files.svg"
    assert files.programs[0].purpose == f"files, declared in {tmp_path / 'files.json'}"


def test_declarations_are_read_in_the_order_of_their_file_names_and_clash_with_each_other(tmp_path):
    declare(tmp_path, "20-b.json", {**MLFLOW, "name": "b", "port": 5001})
    declare(tmp_path, "10-a.json", {**MLFLOW, "name": "a"})
    assert [tool.name for tool in declarations.load_declared(tmp_path)] == ["a", "b"]
    declare(tmp_path, "30-c.json", {**MLFLOW, "name": "c"})
    with pytest.raises(declarations.DeclarationError, match=r"30-c\.json: port 5000 must be"):
        declarations.load_declared(tmp_path)


def test_no_folder_declares_nothing(tmp_path):
    assert declarations.load_declared(tmp_path / "missing") == ()


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("{", "cannot be read as JSON"),
        ("[]", "must be a JSON object"),
        (json.dumps({**MLFLOW, "url": "x"}), "unknown key 'url'"),
        (json.dumps({**MLFLOW, "port": "5000"}), "port must be a JSON int"),
        (json.dumps({**MLFLOW, "strip_path": "yes"}), "strip_path must be a JSON bool"),
        (json.dumps({"name": "mlflow"}), "command, port missing"),
        (json.dumps({**MLFLOW, "name": "MLflow"}), "name 'MLflow' must be lower-case"),
        (json.dumps({**MLFLOW, "name": "vscode", "port": 5000}), "name 'vscode' is taken"),
        (json.dumps({**MLFLOW, "name": "nginx"}), "name 'nginx' is taken"),
        (json.dumps({**MLFLOW, "name": "desktop-display"}), "name 'desktop-display' is taken"),
        (json.dumps({**MLFLOW, "name": "absport"}), "name 'absport' is taken by the door's tools/absport/ route"),
        (json.dumps({**MLFLOW, "name": "port"}), "name 'port' is taken by the door's tools/port/ route"),
        (json.dumps({**MLFLOW, "name": "ssh"}), "name 'ssh' is taken by the door's tools/ssh/ route"),
        (json.dumps({**MLFLOW, "port": 13337}), "port 13337 must be"),
        (json.dumps({**MLFLOW, "port": paths.SSHD_PORT}), f"port {paths.SSHD_PORT} must be"),
        (json.dumps({**MLFLOW, "port": 80}), "port 80 must be from 1024 to 65535"),
        (json.dumps({**MLFLOW, "command": "serve --port {prot}"}), "placeholders are among {venv}"),
        (json.dumps({**MLFLOW, "command": "serve --json {'a': 1}"}), "placeholders are among"),
        (json.dumps({**MLFLOW, "command": "serve }"}), "write a brace as"),
        (json.dumps({**MLFLOW, "command": "  "}), "command must be a command line"),
        (json.dumps({**MLFLOW, "health": "/health"}), "health must be a URL relative"),
        (json.dumps({**MLFLOW, "icon": "mlflow.svg"}), "icon 'mlflow.svg' must be an .svg file beside it"),
        (json.dumps({**MLFLOW, "icon": "../icons/lab.svg"}), "icon '../icons/lab.svg' must be"),
    ],
)
def test_each_fault_is_one_line_that_names_the_file(tmp_path, text, fault):
    (tmp_path / "mlflow.json").write_text(text)
    with pytest.raises(declarations.DeclarationError) as raised:
        declarations.load_declared(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'mlflow.json'}: ") and fault in message and "\n" not in message


def test_a_fault_found_when_the_declarations_were_read_is_raised_by_the_start(monkeypatch):
    catalogue.check_declarations()  # none here
    monkeypatch.setattr(catalogue, "declared", lambda: ((), "/etc/workbench/tools.d/x.json: must be a JSON object"))
    with pytest.raises(declarations.DeclarationError, match="x.json: must be a JSON object"):
        catalogue.check_declarations()


def test_the_placeholders_a_declaration_may_use_are_those_a_tool_gets():
    plain = tools.Tool("plain", "Plain", "", "tool.svg", "tools/plain/", port=5000)
    assert set(render.command_values(plain, load({}))) == set(COMMON_PLACEHOLDERS + TOOL_PLACEHOLDERS)
    assert set(render.command_values(None, load({}))) == set(COMMON_PLACEHOLDERS + CORE_PLACEHOLDERS)
