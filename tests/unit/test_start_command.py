"""What `docker run IMAGE [COMMAND...]` starts: docker-stacks' and JupyterHub's commands start the workspace with
their arguments for Jupyter, start.sh runs a command as the user, anything else runs as it is."""

import pytest

from workbench.contracts.settings import ConfigError, load
from workbench.contracts.start_command import ArgumentError, blame, parse, read
from workbench.facts import paths


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["start-notebook.py"],
        ["start-notebook.sh"],
        ["start-singleuser.py"],
        ["start-singleuser.sh"],
        ["jupyterhub-singleuser"],
        ["/usr/local/bin/start.sh"],
        ["workbench-start"],
    ],
)
def test_docker_stacks_and_hub_commands_start_the_workspace(argv):
    command = parse(argv)
    assert command.starts_workspace and command.jupyter_args == ()


def test_arguments_after_a_start_command_go_to_jupyter_after_notebook_args():
    command = parse(["start-notebook.py", "--ContentsManager.allow_hidden=True"], ("--ServerApp.log_level=DEBUG",))
    assert command.starts_workspace
    assert command.jupyter_args == ("--ServerApp.log_level=DEBUG", "--ContentsManager.allow_hidden=True")


@pytest.mark.parametrize(
    "argv, program",
    [
        (["start.sh", "id", "-un"], ("id", "-un")),
        (["bash"], ("bash",)),
        (["python3", "-c", "print(1)"], ("python3", "-c", "print(1)")),
        (["jupyter", "lab", "--port=9999"], ("jupyter", "lab", "--port=9999")),  # the user's own Jupyter: their choice
    ],
)
def test_start_sh_and_any_other_command_run_instead_of_the_workspace(argv, program):
    command = parse(argv, ("--ServerApp.log_level=DEBUG",))
    assert not command.starts_workspace and command.program == program


@pytest.mark.parametrize(
    "arg, setting",
    [
        ("--port=9999", "WORKSPACE_PORT"),
        ("--ServerApp.port=9999", "WORKSPACE_PORT"),
        ("--ip=0.0.0.0", "WORKSPACE_PORT"),
        ("--NotebookApp.ip=*", "WORKSPACE_PORT"),
        ("--sock=/tmp/j.sock", "WORKSPACE_PORT"),
        ("--ServerApp.password=sha1:abc", "AUTHENTICATE_VIA_JUPYTER"),
        ("--ServerApp.certfile=/c.pem", "WORKSPACE_SSL_CERT"),
        ("--ServerApp.base_url", "WORKSPACE_BASE_URL"),  # no value
    ],
)
def test_arguments_that_would_move_the_door_are_refused_naming_the_setting(arg, setting):
    with pytest.raises(ArgumentError) as refused:
        parse(["start-notebook.py", arg])
    assert f"start-notebook.py: {arg!r} cannot be used" in str(refused.value)
    assert setting in str(refused.value) and len(str(refused.value).splitlines()) == 1
    with pytest.raises(ArgumentError, match="NOTEBOOK_ARGS"):
        parse([], (arg,))


@pytest.mark.parametrize(
    "arg",
    [
        "--ServerApp.root_dir=/workspace/project",
        "--LabApp.default_url=/lab/tree",
        "--ServerApp.token_refresh=1",
        "--debug",
        "--ContentsManager.allow_hidden=True",
    ],
)
def test_other_jupyter_arguments_pass(arg):
    assert parse(["start-singleuser.sh", arg]).jupyter_args == (arg,)


def test_run_runs_a_notebook_or_script_job_as_the_user():
    command = parse(["run", "report.ipynb", "-p", "alpha", "1"])
    assert command.program == (
        str(paths.VENV_PYTHON),
        "-m",
        "workbench.jobs.notebook_job",
        "report.ipynb",
        "-p",
        "alpha",
        "1",
    )


@pytest.mark.parametrize(
    "args, variable, value",
    [
        (["--IdentityProvider.token="], "AUTHENTICATE_VIA_JUPYTER", "false"),  # docker-stacks: token=''
        (["--NotebookApp.token=", "--NotebookApp.password="], "AUTHENTICATE_VIA_JUPYTER", "false"),
        (["--ServerApp.token", ""], "AUTHENTICATE_VIA_JUPYTER", "false"),
        (["--ServerApp.token=0123456789abcdef0123"], "AUTHENTICATE_VIA_JUPYTER", "0123456789abcdef0123"),
        (["--ServerApp.base_url=/x/"], "WORKSPACE_BASE_URL", "/x/"),
        (["--base-url", "/team/x"], "WORKSPACE_BASE_URL", "/team/x"),
    ],
)
def test_the_token_and_base_url_arguments_set_the_workspace_settings(args, variable, value):
    for argv, environ in ((["start-notebook.py", *args], {}), ([], {"NOTEBOOK_ARGS": " ".join(map(repr, args))})):
        command, settings_environ = read(argv, environ)
        assert command.starts_workspace and command.jupyter_args == ()
        assert settings_environ[variable] == value


def test_a_setting_given_twice_must_agree():
    assert read(["start-notebook.py", "--ServerApp.token="], {"AUTHENTICATE_VIA_JUPYTER": "false"})[1] == {
        "AUTHENTICATE_VIA_JUPYTER": "false"
    }
    with pytest.raises(ArgumentError) as refused:
        read(["start-notebook.py", "--ServerApp.base_url=/x"], {"WORKSPACE_BASE_URL": "/y"})
    assert str(refused.value) == (
        "start-notebook.py: '--ServerApp.base_url=/x' contradicts WORKSPACE_BASE_URL='/y'; set only one of them"
    )


def test_a_hub_owns_the_login_and_the_prefix():
    hub = {"JUPYTERHUB_API_TOKEN": "t"}
    with pytest.raises(ArgumentError, match="when JupyterHub starts the workspace"):
        read(["jupyterhub-singleuser", "--ServerApp.token="], hub)


def test_a_bad_value_from_an_argument_is_told_as_that_argument():
    command, environ = read(["start-notebook.py", "--ServerApp.base_url", "/a/../b"], {})
    with pytest.raises(ConfigError) as refused:
        load(environ)
    assert blame(refused.value, command) == (
        "start-notebook.py: '--ServerApp.base_url /a/../b' is not valid: must be a URL path like /ws or /team/ws: "
        "starting with '/', segments of A-Z a-z 0-9 . _ ~ @ + -, no empty, '.' or '..' segments"
    )
    with pytest.raises(ConfigError) as direct:
        load({"WORKSPACE_BASE_URL": "/a/../b"})
    plain = read(["start-notebook.py"], {})[0]
    assert blame(direct.value, plain) == str(direct.value)  # not from an argument: told as the variable
