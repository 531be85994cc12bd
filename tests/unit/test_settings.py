"""The environment contract: good values parse, every bad value names its variable and what is allowed."""

import re
from pathlib import Path

import pytest

from render_variants import SPAWNED
from workbench.contracts import settings as contract
from workbench.contracts.settings import ConfigError, load, parse_notebook_args


def test_defaults_generate_a_token_and_serve_at_root_on_8080():
    settings = load({})
    assert settings.token_generated and len(settings.token) >= 32
    assert (settings.base_url, settings.port, settings.nb_user, settings.nb_uid, settings.nb_gid) == (
        "/",
        8080,
        "jovyan",
        1000,
        100,
    )
    assert settings.grant_sudo
    assert settings.login_url() == f"http://localhost:8080/?token={settings.token}"


def test_each_start_generates_a_different_token():
    assert load({}).token != load({}).token


def test_true_means_a_random_token_and_false_disables_auth():
    assert load({"AUTHENTICATE_VIA_JUPYTER": "true"}).token_generated
    off = load({"AUTHENTICATE_VIA_JUPYTER": "False"})
    assert off.token is None and not off.auth_enabled


def test_a_given_token_is_used_and_not_printed_in_the_login_url():
    settings = load({"AUTHENTICATE_VIA_JUPYTER": "my-Secret_token.1"})
    assert settings.token == "my-Secret_token.1" and not settings.token_generated
    assert "token" not in settings.login_url()


@pytest.mark.parametrize(
    "env, message",
    [
        ({"WORKSPACE_SSL_ENABLED": "true", "WORKSPACE_SSL_CERT": "/c.pem"}, "must come with WORKSPACE_SSL_KEY"),
        ({"WORKSPACE_SSL_ENABLED": "true", "WORKSPACE_SSL_KEY": "/k.pem"}, "must come with WORKSPACE_SSL_CERT"),
        (
            {"WORKSPACE_SSL_ENABLED": "true", "WORKSPACE_SSL_CERT": "c.pem", "WORKSPACE_SSL_KEY": "/k.pem"},
            "must be the absolute path of a PEM file",
        ),
    ],
)
def test_a_certificate_needs_its_key_and_absolute_paths(env, message):
    with pytest.raises(ConfigError, match=message):
        load(env)


def test_tls_turns_the_login_url_to_https():
    settings = load({"WORKSPACE_SSL_ENABLED": "yes"})
    assert settings.tls and settings.tls_cert is None
    assert load({"GEN_CERT": "yes"}).tls  # docker-stacks' name
    assert settings.login_url().startswith("https://localhost:8080/?token=")
    assert settings.healthz_url() == "http://127.0.0.1:8080/healthz"  # probes speak HTTP; it answers on both


def test_the_hosts_answered_are_any_with_a_token_and_only_local_ones_without():
    own = ("c0ffee123456",)
    assert load({}).answered_hosts(own) == ()
    assert load({"AUTHENTICATE_VIA_JUPYTER": "false"}).answered_hosts(own) == (
        "localhost",
        "127.0.0.1",
        "[::1]",
        "c0ffee123456",
    )
    added = load(
        {"AUTHENTICATE_VIA_JUPYTER": "false", "WORKSPACE_ALLOWED_HOSTS": " WS.Example.com,.corp.test,[fe80::1]"}
    )
    assert added.answered_hosts(own)[-3:] == ("ws.example.com", ".corp.test", "[fe80::1]")
    assert load({"AUTHENTICATE_VIA_JUPYTER": "false", "WORKSPACE_ALLOWED_HOSTS": "*"}).answered_hosts(own) == ()
    # Set with a token, the list is enforced too.
    assert "ws.example.com" in load({"WORKSPACE_ALLOWED_HOSTS": "ws.example.com"}).answered_hosts(own)


@pytest.mark.parametrize(
    "raw, expected", [("/", "/"), ("/ws", "/ws/"), ("/team/ws/", "/team/ws/"), ("/user/a.b@c", "/user/a.b@c/")]
)
def test_base_url_is_normalised_with_a_trailing_slash(raw, expected):
    settings = load({"WORKSPACE_BASE_URL": raw, "WORKSPACE_PORT": "9000"})
    assert settings.base_url == expected
    assert settings.healthz_url() == f"http://127.0.0.1:9000{expected}healthz"


BAD_VALUES = [
    ("AUTHENTICATE_VIA_JUPYTER", ""),
    ("AUTHENTICATE_VIA_JUPYTER", "yes"),
    ("AUTHENTICATE_VIA_JUPYTER", "0"),
    ("AUTHENTICATE_VIA_JUPYTER", "short"),
    ("AUTHENTICATE_VIA_JUPYTER", "has space in it"),
    ("AUTHENTICATE_VIA_JUPYTER", "amp&ersand-token"),
    ("AUTHENTICATE_VIA_JUPYTER", "password"),
    ("AUTHENTICATE_VIA_JUPYTER", "12345678"),
    ("AUTHENTICATE_VIA_JUPYTER", "fifteen-chars-x"),
    ("WORKSPACE_ALLOWED_HOSTS", "evil.example/path"),
    ("WORKSPACE_ALLOWED_HOSTS", "a b"),
    ("WORKSPACE_ALLOWED_HOSTS", "host:8080"),
    ("WORKSPACE_ALLOWED_HOSTS", "-lead.example"),
    ("WORKSPACE_ALLOWED_HOSTS", "*.*.example"),
    ("WORKSPACE_ALLOWED_HOSTS", "a;b"),
    ("WORKSPACE_SSL_ENABLED", "sometimes"),
    ("WORKSPACE_SSL_CERT", "/certs/cert.pem"),
    ("WORKSPACE_SSL_KEY", "/certs/key.pem"),
    ("WORKSPACE_BASE_URL", ""),
    ("WORKSPACE_BASE_URL", "ws"),
    ("WORKSPACE_BASE_URL", "/a//b"),
    ("WORKSPACE_BASE_URL", "/a/../b"),
    ("WORKSPACE_BASE_URL", "/a b"),
    ("WORKSPACE_BASE_URL", "/a?b"),
    ("WORKSPACE_BASE_URL", "/" + "x" * 250),
    ("WORKSPACE_PORT", "0"),
    ("WORKSPACE_PORT", "65536"),
    ("WORKSPACE_PORT", "-1"),
    ("WORKSPACE_PORT", "80a"),
    ("WORKSPACE_PORT", ""),
    ("NB_USER", "root"),
    ("NB_USER", "Alice"),
    ("NB_USER", "1abc"),
    ("NB_USER", "a" * 33),
    ("NB_USER", ""),
    ("NB_UID", "0"),
    ("NB_UID", "abc"),
    ("NB_UID", "-5"),
    ("NB_UID", "99999999999"),
    ("NB_GID", "0"),
    ("NB_GID", "users"),
    ("GRANT_SUDO", "maybe"),
    ("GRANT_SUDO", ""),
    ("TENSORBOARD_LOGDIR", "logs"),
    ("TENSORBOARD_LOGDIR", "/workspace/../etc"),
    ("TENSORBOARD_LOGDIR", "/a\nb"),
    ("VNC_RESOLUTION", "1600"),
    ("VNC_RESOLUTION", "1600X900"),
    ("VNC_RESOLUTION", "100x100"),
    ("VNC_RESOLUTION", "9000x900"),
    ("VNC_RESOLUTION", "1600x900x24"),
    ("VNC_RESOLUTION", ""),
    ("WORKSPACE_TOOLS_START", "lazy"),
    ("WORKSPACE_TOOLS_START", "On-Demand"),
    ("WORKSPACE_TOOLS_START", ""),
    ("WORKSPACE_TOOLS_IDLE_TIMEOUT", "-1"),
    ("WORKSPACE_LOG_LEVEL", "verbose"),
    ("WORKSPACE_LOG_LEVEL", ""),
    ("WORKSPACE_TOOLS_IDLE_TIMEOUT", "1h"),
    ("WORKSPACE_TOOLS_IDLE_TIMEOUT", "86401"),
    ("WORKSPACE_TOOLS_IDLE_TIMEOUT", ""),
    ("JUPYTER_PORT", "70000"),
    ("JUPYTER_PORT", "8888a"),
    ("NB_GROUP", "Data Team"),
    ("NB_GROUP", "root"),
    ("NB_UMASK", "0x22"),
    ("NB_UMASK", "999"),
    ("NB_UMASK", "22"),
    ("CHOWN_HOME", "sometimes"),
    ("CHOWN_HOME_OPTS", "-R; rm -rf /"),
    ("CHOWN_HOME_OPTS", "--reference=/etc"),
    ("CHOWN_EXTRA", "data"),
    ("CHOWN_EXTRA", "/data,../etc"),
    ("CHOWN_EXTRA_OPTS", "-Z"),
    ("JUPYTER_ENV_VARS_TO_UNSET", "A B"),
    ("JUPYTER_ENV_VARS_TO_UNSET", "SECRET,1X"),
]


@pytest.mark.parametrize("variable, value", BAD_VALUES)
def test_bad_value_names_the_variable_and_what_is_allowed(variable, value):
    with pytest.raises(ConfigError) as error:
        load({variable: value})
    message = str(error.value)
    assert error.value.variable == variable
    assert message.startswith(f"{variable}={value!r} is not valid: ")
    assert len(message.splitlines()) == 1
    assert any(word in message for word in ("must", "ambiguous"))


@pytest.mark.parametrize("raw", ["1600x900", "320x320", "8192x8192", "1024x768"])
def test_vnc_resolution_accepts_width_by_height(raw):
    assert load({"VNC_RESOLUTION": raw}).tool_settings["VNC_RESOLUTION"] == raw


def test_vnc_resolution_defaults_to_1600x900():
    assert load({}).tool_settings["VNC_RESOLUTION"] == "1600x900"


def test_heavy_tools_start_when_opened_and_stop_after_an_hour_unused_by_default():
    settings = load({})
    assert (settings.tools_start, settings.tools_at_start, settings.tools_idle_timeout) == ("on-demand", False, 3600)


@pytest.mark.parametrize("start, timeout", [("at-start", "0"), ("on-demand", "1"), ("at-start", "86400")])
def test_tools_can_start_with_the_container_and_never_stop(start, timeout):
    settings = load({"WORKSPACE_TOOLS_START": start, "WORKSPACE_TOOLS_IDLE_TIMEOUT": timeout})
    assert (settings.tools_at_start, settings.tools_idle_timeout) == (start == "at-start", int(timeout))


def test_a_spawner_decides_the_prefix_the_port_and_the_login():
    settings = load(SPAWNED)
    assert (settings.base_url, settings.port, settings.token) == ("/user/alice/", 8888, None)
    assert settings.hub.user == "alice" and settings.auth_enabled
    assert settings.healthz_url() == "http://127.0.0.1:8888/user/alice/healthz"


@pytest.mark.parametrize(
    "variable",
    ["AUTHENTICATE_VIA_JUPYTER", "WORKSPACE_BASE_URL", "WORKSPACE_PORT", "JUPYTER_PORT", "WORKSPACE_SSL_ENABLED"],
)
def test_a_setting_the_hub_owns_is_refused_when_a_spawner_starts_the_workspace(variable):
    with pytest.raises(ConfigError) as refused:
        load({**SPAWNED, variable: "x"})
    assert refused.value.variable == variable and "JupyterHub starts the workspace" in str(refused.value)


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("JUPYTERHUB_SERVICE_URL", "", "must be set"),
        ("JUPYTERHUB_SERVICE_URL", "unix:/tmp/sock", "http(s) URL"),
        ("JUPYTERHUB_SERVICE_URL", "http://0.0.0.0:13337/user/alice/", "used inside the workspace"),
        ("JUPYTERHUB_SERVICE_PREFIX", "/user/al ice/", "user names with characters"),
    ],
)
def test_a_spawner_environment_the_workspace_cannot_serve_is_refused(variable, value, message):
    with pytest.raises(ConfigError) as refused:
        load({**SPAWNED, variable: value})
    assert refused.value.variable == variable and message in str(refused.value)


def test_jupyter_port_is_docker_stacks_name_for_the_one_port():
    assert load({"JUPYTER_PORT": "8888"}).port == 8888
    assert load({"JUPYTER_PORT": "8888", "WORKSPACE_PORT": "8888"}).port == 8888
    with pytest.raises(ConfigError) as refused:
        load({"JUPYTER_PORT": "8888", "WORKSPACE_PORT": "8080"})
    assert refused.value.variable == "JUPYTER_PORT" and "set only one of them" in str(refused.value)


TOKEN = "0123456789abcdef0123"


def test_jupyters_token_variables_are_the_workspace_token(tmp_path):
    assert (load({"JUPYTER_TOKEN": TOKEN}).token, load({"JUPYTER_TOKEN": TOKEN}).token_generated) == (TOKEN, False)
    assert load({"JUPYTER_TOKEN": TOKEN, "AUTHENTICATE_VIA_JUPYTER": TOKEN}).token == TOKEN
    assert load({"JUPYTER_TOKEN": TOKEN, "AUTHENTICATE_VIA_JUPYTER": "true"}).token == TOKEN
    assert load({"JUPYTER_TOKEN": ""}).token_generated  # empty is unset, as in Jupyter
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert load({"JUPYTER_TOKEN_FILE": str(token_file)}).token == TOKEN
    assert load({"JUPYTER_TOKEN_FILE": str(token_file), "JUPYTER_TOKEN": "x" * 16}).token == "x" * 16


@pytest.mark.parametrize(
    "environ, variable, words",
    [
        ({"JUPYTER_TOKEN": "short"}, "JUPYTER_TOKEN", "must be a token of 16-256 characters"),
        ({"JUPYTER_TOKEN": TOKEN, "AUTHENTICATE_VIA_JUPYTER": "false"}, "JUPYTER_TOKEN", "set only one of them"),
        ({"JUPYTER_TOKEN": TOKEN, "AUTHENTICATE_VIA_JUPYTER": "y" * 16}, "JUPYTER_TOKEN", "set only one of them"),
        ({"JUPYTER_TOKEN_FILE": "/nonexistent/token"}, "JUPYTER_TOKEN_FILE", "must be a readable file"),
    ],
)
def test_jupyters_token_variables_are_checked_like_the_token(environ, variable, words):
    with pytest.raises(ConfigError) as refused:
        load(environ)
    assert refused.value.variable == variable and words in str(refused.value)


def test_notebook_args_are_quoted_as_in_a_shell():
    assert parse_notebook_args("--ServerApp.log_level=DEBUG --LabApp.collaborative='True'") == (
        "--ServerApp.log_level=DEBUG",
        "--LabApp.collaborative=True",
    )
    with pytest.raises(ConfigError) as refused:
        parse_notebook_args("'unclosed")
    assert refused.value.variable == "NOTEBOOK_ARGS" and "quoted as in a shell" in str(refused.value)


def test_docker_stacks_start_variables_parse_as_docker_stacks_documents_them():
    settings = load(
        {
            "NB_GROUP": "team",
            "NB_UMASK": "002",
            "CHOWN_HOME": "yes",
            "CHOWN_HOME_OPTS": "-R",
            "CHOWN_EXTRA": "/data, /opt/models",
            "CHOWN_EXTRA_OPTS": "-R -v",
            "JUPYTER_ENV_VARS_TO_UNSET": "AWS_SECRET_ACCESS_KEY,DB_PASSWORD",
        }
    )
    assert (settings.nb_group, settings.nb_umask, settings.chown_home) == ("team", 0o002, True)
    assert settings.chown_home_opts == ("-R",) and settings.chown_extra_opts == ("-R", "-v")
    assert settings.chown_extra == ("/data", "/opt/models")
    assert settings.unset_variables == ("AWS_SECRET_ACCESS_KEY", "DB_PASSWORD")


def test_docker_stacks_start_variables_default_to_changing_nothing():
    settings = load({"NB_GROUP": "", "NB_UMASK": ""})
    assert (settings.nb_group, settings.nb_umask, settings.chown_home, settings.chown_extra) == (None, None, False, ())
    assert settings.unset_variables == ()


def test_every_variable_the_start_reads_is_declared_once_with_its_meaning():
    """The table in settings.py is the one list: docs/variables.md is written from it (build.py docs)."""
    source = Path(contract.__file__).read_text()
    read = set(re.findall(r'environ(?:\.get\(|\[)"([A-Z_]+)"', source))
    read |= set(contract.CONSUMED_VARIABLES) | set(contract.HUB_OWNED)
    set_by_the_hub = {name for name in read if name.startswith("JUPYTERHUB_")}
    # Jupyter's port retries mean nothing behind the door: removed, not a setting.
    declared = [variable.name for variable in contract.VARIABLES]
    assert len(declared) == len(set(declared))
    assert read - set_by_the_hub - {"JUPYTER_PORT_RETRIES"} <= set(declared)
    assert all(variable.help for variable in contract.VARIABLES)
