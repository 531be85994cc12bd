"""Tools an image built on this one declares in JSON files (workbench/facts/declarations.py): what a declaration
becomes, and the one-line fault for each way one can be wrong."""

import json

import pytest

from workbench.contracts import render
from workbench.contracts.settings import load
from workbench.facts import catalogue, declarations, paths, tools
from workbench.facts.programs import COMMON_PLACEHOLDERS, CORE_PLACEHOLDERS, TOOL_PLACEHOLDERS

AIM = {
    "name": "aim",
    "title": "Aim",
    "description": "Experiments and models",
    "command": "{venv}/bin/aim up --host 127.0.0.1 --port {port} --base-path {path_prefix}",
    "port": 5000,
    "health": "health",
}


def declare(folder, file_name: str, declaration: dict) -> None:
    (folder / file_name).write_text(json.dumps(declaration))


def test_a_declaration_becomes_a_tool_that_starts_when_opened(tmp_path):
    declare(tmp_path, "aim.json", AIM)
    (aim,) = declarations.load_declared(tmp_path)
    assert (aim.name, aim.title, aim.description, aim.path) == (
        "aim",
        "Aim",
        "Experiments and models",
        "tools/aim/",
    )
    assert aim.starts_on_demand and aim.program_names == ("aim",) and aim.ports == (5000,)
    assert not aim.strip_path and aim.icon_url == f"{tools.ICONS_URL}/{tools.GENERIC_ICON}"
    assert tools.probe_url(aim, "/user/a/") == "http://127.0.0.1:5000/user/a/tools/aim/health"
    command = render.program_command(aim.programs[0], render.command_values(aim, load({})))
    assert command == "/opt/venv/bin/aim up --host 127.0.0.1 --port 5000 --base-path /tools/aim"


def test_a_declaration_may_bring_its_icon_and_leave_out_what_has_a_default(tmp_path):
    (tmp_path / "files.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    files = {"name": "files", "command": "python3 -m http.server {port}", "port": 8000, "icon": "files.svg"}
    declare(tmp_path, "files.json", files)
    (files,) = declarations.load_declared(tmp_path)
    assert (files.title, files.description, files.health, files.strip_path) == ("files", "", "", False)
    assert files.icon_url == f"{tools.DECLARED_ICONS_URL}/files.svg"
    assert files.programs[0].purpose == f"files, declared in {tmp_path / 'files.json'}"


def test_declarations_are_read_in_the_order_of_their_file_names_and_clash_with_each_other(tmp_path):
    declare(tmp_path, "20-b.json", {**AIM, "name": "b", "port": 5001})
    declare(tmp_path, "10-a.json", {**AIM, "name": "a"})
    assert [tool.name for tool in declarations.load_declared(tmp_path)] == ["a", "b"]
    declare(tmp_path, "30-c.json", {**AIM, "name": "c"})
    with pytest.raises(declarations.DeclarationError, match=r"30-c\.json: port 5000 must be"):
        declarations.load_declared(tmp_path)


def test_no_folder_declares_nothing(tmp_path):
    assert declarations.load_declared(tmp_path / "missing") == ()


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("{", "cannot be read as JSON"),
        ("[]", "must be a JSON object"),
        (json.dumps({**AIM, "url": "x"}), "unknown key 'url'"),
        (json.dumps({**AIM, "port": "5000"}), "port must be a JSON int"),
        (json.dumps({**AIM, "strip_path": "yes"}), "strip_path must be a JSON bool"),
        (json.dumps({"name": "aim"}), "command, port missing"),
        (json.dumps({**AIM, "name": "Aim"}), "name 'Aim' must be lower-case"),
        (json.dumps({**AIM, "name": "vscode", "port": 5000}), "name 'vscode' is taken"),
        (json.dumps({**AIM, "name": "nginx"}), "name 'nginx' is taken"),
        (json.dumps({**AIM, "name": "desktop-display"}), "name 'desktop-display' is taken"),
        (json.dumps({**AIM, "name": "absport"}), "name 'absport' is taken by the door's tools/absport/ route"),
        (json.dumps({**AIM, "name": "port"}), "name 'port' is taken by the door's tools/port/ route"),
        (json.dumps({**AIM, "name": "ssh"}), "name 'ssh' is taken by the door's tools/ssh/ route"),
        (json.dumps({**AIM, "port": 13337}), "port 13337 must be"),
        (json.dumps({**AIM, "port": paths.SSHD_PORT}), f"port {paths.SSHD_PORT} must be"),
        (json.dumps({**AIM, "port": 80}), "port 80 must be from 1024 to 65535"),
        (json.dumps({**AIM, "command": "serve --port {prot}"}), "placeholders are among {venv}"),
        (json.dumps({**AIM, "command": "serve --json {'a': 1}"}), "placeholders are among"),
        (json.dumps({**AIM, "command": "serve }"}), "write a brace as"),
        (json.dumps({**AIM, "command": "  "}), "command must be a command line"),
        (json.dumps({**AIM, "health": "/health"}), "health must be a URL relative"),
        (json.dumps({**AIM, "icon": "aim.svg"}), "icon 'aim.svg' must be an .svg file beside it"),
        (json.dumps({**AIM, "icon": "../icons/lab.svg"}), "icon '../icons/lab.svg' must be"),
    ],
)
def test_each_fault_is_one_line_that_names_the_file(tmp_path, text, fault):
    (tmp_path / "aim.json").write_text(text)
    with pytest.raises(declarations.DeclarationError) as raised:
        declarations.load_declared(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'aim.json'}: ") and fault in message and "\n" not in message


def test_a_fault_found_when_the_declarations_were_read_is_raised_by_the_start(monkeypatch):
    catalogue.check_declarations()  # none here
    monkeypatch.setattr(catalogue, "declared", lambda: ((), "/etc/workbench/tools.d/x.json: must be a JSON object"))
    with pytest.raises(declarations.DeclarationError, match="x.json: must be a JSON object"):
        catalogue.check_declarations()


def test_the_placeholders_a_declaration_may_use_are_those_a_tool_gets():
    plain = tools.Tool("plain", "Plain", "", "tool.svg", "tools/plain/", port=5000)
    assert set(render.command_values(plain, load({}))) == set(COMMON_PLACEHOLDERS + TOOL_PLACEHOLDERS)
    assert set(render.command_values(None, load({}))) == set(COMMON_PLACEHOLDERS + CORE_PLACEHOLDERS)
