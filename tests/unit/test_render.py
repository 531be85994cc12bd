"""Rendering: the configuration nginx, Jupyter and supervisord get (the image's own nginx checks it too:
tests/container/test_rendered_configs.py)."""

import ast
import json
import re
import shutil
import subprocess

import pytest

from render_variants import VARIANTS
from workbench.contracts import pages, render
from workbench.contracts.settings import load
from workbench.facts import catalogue, paths, tools
from workbench.facts.programs import CORE_PROGRAMS


@pytest.mark.parametrize("variant", VARIANTS)
def test_jupyter_config_is_valid_python_with_the_settings(variant):
    settings = load(VARIANTS[variant])
    text = render.render("jupyter_server_config.py.j2", settings)
    ast.parse(text)
    assert f"c.ServerApp.base_url = {settings.base_url!r}" in text
    if variant == "hub":
        # jupyterhub-singleuser brings the hub's identity provider; a token of our own would be a second way in.
        assert "IdentityProvider.token" not in text
    else:
        assert f"c.IdentityProvider.token = {(settings.token or '')!r}" in text
    assert f"c.ServerApp.sock = '{paths.JUPYTER_SOCKET}'" in text
    assert "allow_unauthenticated_access = False" in text
    assert "disable_check_xsrf" not in text


def servers(text: str) -> list[str]:
    return re.findall(r"^    server \{\n(.*?)^    \}", text, re.M | re.S)


def locations(text: str, server: str | None = None) -> dict[str, str]:
    """The locations of the public door's server (the one behind the auth check), or of the server given."""
    if server is None:
        (server,) = [block for block in servers(text) if "auth_request /.workbench/auth;" in block]
        assert "auth_request /.workbench/auth;" in server[: server.index("        location")]
    return dict(re.findall(r"^        location (.+?) \{\n(.*?)^        \}", server, re.M | re.S))


def test_the_loopback_door_serves_the_tools_alone_on_loopback_and_vouches_with_the_starts_secret():
    text = render.render("nginx.conf.j2", load({"WORKSPACE_BASE_URL": "/p"}))
    (loopback,) = [block for block in servers(text) if f"listen 127.0.0.1:{paths.LOOPBACK_DOOR_PORT};" in block]
    assert "auth_request" not in loopback and loopback.count("listen") == 1
    blocks = locations(text, loopback)
    served = [f"/p/{tool.path}" for tool in catalogue.with_programs()]
    assert sorted(blocks) == sorted(served + [f"@wake_{tool.name}" for tool in catalogue.with_programs()] + ["/"])
    assert "return 404;" in blocks["/"]
    secret = re.search(rf'proxy_set_header {paths.LOOPBACK_DOOR_HEADER} "([A-Za-z0-9_-]{{40,}})";', loopback).group(1)
    assert all(
        f"/{tool.name}/wake-loopback$is_args" in blocks[f"@wake_{tool.name}"] for tool in catalogue.with_programs()
    )
    # A new secret at every start, and the same one in Jupyter's configuration.
    settings = load({"WORKSPACE_BASE_URL": "/p"})
    values = render.context(settings)
    again = render.render("nginx.conf.j2", settings)
    assert secret not in again and values["loopback_door_secret"] != secret


def test_the_workspaces_processes_log_to_mlflow_through_the_loopback_door():
    (mlflow,) = [tool for tool in catalogue.all_tools() if tool.name == "mlflow"]
    assert tools.tool_environment((mlflow,), "/user/a/") == {
        "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{paths.LOOPBACK_DOOR_PORT}/user/a/tools/mlflow"
    }
    environ = {"MLFLOW_TRACKING_URI": "http://x", "HOME": "/home/jovyan"}
    assert dict(render.session_environment(environ)) == {"MLFLOW_TRACKING_URI": "http://x"}


def unauthenticated(blocks: dict[str, str]) -> list[str]:
    return [where for where, body in blocks.items() if "auth_request off;" in body]


# nginx's own answers, reached only by its internal redirects: a request from another origin, a throttled guesser,
# and what it says while Jupyter cannot answer the auth check.
OWN_ANSWERS = [
    "= /.workbench/foreign-origin",
    "= /.workbench/too-many-guesses",
    "= /.workbench/starting.html",
    "= /.workbench/starting.json",
]
REFUSERS = ["@jupyter_unavailable", "@guessing_throttled", "@auth_refused"]
# Public, so taking only paths that are what nginx matched.
PLAIN_PATHS_ONLY = "if ($path_is_plain = 0) {"
# Where Jupyter's downloads are sent from, reached only by Jupyter's internal redirect (its auth check was asked).
DOOR_FILES = paths.DOOR_FILES_PREFIX


def test_nginx_config_authenticates_by_default_and_opens_only_health_and_login():
    blocks = locations(render.render("nginx.conf.j2", load({"WORKSPACE_BASE_URL": "/p"})))
    assert all("internal;" in blocks[page] for page in OWN_ANSWERS + ["= /.workbench/auth"])
    assert unauthenticated(blocks) == [
        "= /.workbench/auth",
        *OWN_ANSWERS,
        "@denied",
        "= /p/healthz",
        "@unhealthy",
        "= /p/api",
        r"~ ^/p/(login|logout)$",
        r"~ ^/p/static/(style/|logo/|favicons/|favicon\.ico)",
        DOOR_FILES,
        "= /p",
        "= /",
        "/",
    ]
    assert "internal;" in blocks[DOOR_FILES]
    # Those that hand a request to Jupyter without the check take only plain paths.
    assert [where for where in unauthenticated(blocks) if "proxy_pass http://jupyter;" in blocks[where]] == [
        "= /p/api",
        r"~ ^/p/(login|logout)$",
        r"~ ^/p/static/(style/|logo/|favicons/|favicon\.ico)",
    ]
    assert all(
        PLAIN_PATHS_ONLY in blocks[where]
        for where in (
            "= /p/healthz",
            "= /p/api",
            r"~ ^/p/(login|logout)$",
            r"~ ^/p/static/(style/|logo/|favicons/|favicon\.ico)",
        )
    )
    # Outside the base path: the bare root and /p redirect to /p/, everything else is 404.
    assert blocks["/"].strip().endswith("return 404;")
    assert "return 302 /p/;" in blocks["= /"]
    # Jupyter's version answer is all that is open under api/: the hub polls it, nothing else there is public.
    assert "proxy_pass http://jupyter;" in blocks["= /p/api"]


def test_nginx_config_with_a_hub_opens_only_the_oauth_handshake():
    blocks = locations(render.render("nginx.conf.j2", load(VARIANTS["hub"])))
    assert unauthenticated(blocks) == [
        "= /.workbench/auth",
        *OWN_ANSWERS,
        "@denied",
        "= /user/alice/healthz",
        "@unhealthy",
        "= /user/alice/api",
        r"~ ^/user/alice/(api/workbench/login|oauth_callback|logout)$",
        r"~ ^/user/alice/static/(style/|logo/|favicons/|favicon\.ico)",
        DOOR_FILES,
        "= /user/alice",
        "= /",
        "/",
    ]
    assert "return 302 /user/alice/api/workbench/login?next=$raw_path;" in blocks["@denied"]


def test_tool_commands_quote_every_value_for_supervisord():
    settings = load({"TENSORBOARD_LOGDIR": "/workspace/my runs/100%", "WORKSPACE_BASE_URL": "/ws"})
    tensorboard = catalogue.by_name("tensorboard")
    command = render.program_command(tensorboard.programs[0], render.command_values(tensorboard, settings))
    assert "--logdir '/workspace/my runs/100%%'" in command
    assert "--path_prefix /ws/tools/tensorboard " in command


def test_desktop_programs_share_the_display_and_the_vnc_port():
    desktop = catalogue.by_name("desktop")
    values = render.command_values(desktop, load({"VNC_RESOLUTION": "1024x768"}))
    display, session, websockify = (render.program_command(program, values) for program in desktop.programs)
    assert display.startswith("/usr/bin/Xvnc :1 -geometry 1024x768 ") and "-localhost -rfbport 5901 " in display
    assert session.endswith("workbench-desktop-session :1")
    assert websockify.endswith("websockify --web /opt/novnc 127.0.0.1:6080 127.0.0.1:5901")


def test_each_program_gets_a_supervisord_program_and_each_tool_a_location(tmp_path):
    settings = load({})
    written = render.write_configs(settings, tmp_path)
    nginx = written["nginx.conf"].read_text()
    supervisord = written["supervisord.conf"].read_text()
    assert (
        f"file={tmp_path}/supervisor.sock\n" in supervisord and f"files = {tmp_path}/supervisor/*.conf" in supervisord
    )
    for program in CORE_PROGRAMS:
        text = written[f"supervisor/{program.name}.conf"].read_text()
        assert f"command={render.program_command(program, render.command_values(None, settings, tmp_path))}\n" in text
        assert "autostart=true" in text and str(tmp_path) in text
    for declared in catalogue.with_programs():
        values = render.command_values(declared, settings, tmp_path)
        for program in declared.programs:
            text = (tmp_path / "supervisor" / f"{program.name}.conf").read_text()
            assert f"[program:{program.name}]" in text
            assert f"command={render.program_command(program, values)}\n" in text
            assert (tmp_path / program.name).is_dir() == program.state_dir
        upstream = f"http://127.0.0.1:{declared.port}" + ("/" if declared.strip_path else "")
        assert f"location /{declared.path} {{\n            proxy_pass {upstream};" in nginx


def test_program_names_are_unique_and_ports_distinct():
    names = [program.name for program in CORE_PROGRAMS]
    names += [program.name for declared in catalogue.with_programs() for program in declared.programs]
    assert len(names) == len(set(names))
    ports = [declared.port for declared in catalogue.with_programs()] + [tools.VNC_PORT]
    assert len(ports) == len(set(ports))


@pytest.mark.parametrize("transport", list(pages.SshTransport))
def test_the_ssh_setup_script_passes_shellcheck(transport):
    if not shutil.which("shellcheck"):
        pytest.skip("ShellCheck is not installed (python3 build.py test installs it)")
    script = pages.ssh_setup_script(
        alias="workbench-h-8080",
        url="https://h:8080/",
        token="t" * 24,
        host="h",
        port=8080,
        user="jovyan",
        host_keys=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== host"],
        transport=transport,
        tls_pin="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    )
    checked = subprocess.run(["shellcheck", "-s", "sh", "-"], input=script, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    assert ("wss://h:8080/tools/ssh" in script) == (transport is pages.SshTransport.WEBSOCKET)


def test_apps_on_a_port_are_served_with_the_prefix_stripped_or_kept():
    blocks = locations(render.render("nginx.conf.j2", load({"WORKSPACE_BASE_URL": "/p"})))
    stripped = blocks['~ "^/p/tools/port/(?<proxied_port>[0-9]{1,5})/"']
    assert "proxy_pass http://127.0.0.1:$proxied_port$proxied_path$is_args$args;" in stripped
    kept = blocks['~ "^/p/tools/absport/(?<proxied_port>[0-9]{1,5})(/|$)"']
    # No URI after the port: nginx passes the request URI as the client sent it, query and all.
    assert "proxy_pass http://127.0.0.1:$proxied_port;" in kept
    assert "proxy_set_header Upgrade $http_upgrade;" in kept
    assert "auth_request off;" not in stripped + kept


def test_downloads_are_decided_by_jupyter_and_sent_by_the_door():
    blocks = locations(render.render("nginx.conf.j2", load({"WORKSPACE_BASE_URL": "/p"})))
    asked = blocks["/p/files/"]
    assert "proxy_pass http://jupyter;" in asked and "auth_request off;" not in asked
    assert f"proxy_set_header {paths.DOOR_FILES_HEADER} 1;" in asked
    sent = blocks[DOOR_FILES]
    assert f"alias {paths.WORKSPACE_DIR}/;" in sent
    assert "add_header Content-Security-Policy $upstream_http_x_workbench_files_csp always;" in sent
    text = render.render("jupyter_server_config.py.j2", load({}))
    assert 'c.FileContentsManager.files_handler_class = "workbench.server.door_files.DoorFileHandler"' in text
    # The public port's hop copies every byte: buffers larger than the default 16k.
    public = render.render("nginx.conf.j2", load({}))
    assert "proxy_buffer_size 128k;" in public[public.index("listen 8080;") : public.index("http {")]


@pytest.mark.parametrize("asked", [False, True])
def test_collaboration_is_loaded_only_when_asked_for_front_end_and_server_alike(asked, tmp_path):
    from traitlets.config import Config

    from workbench.facts import collaboration

    settings = load({"WORKSPACE_COLLABORATION": "true"} if asked else {})
    written = render.write_configs(settings, tmp_path)
    page_config = json.loads(written["page_config.json"].read_text())
    assert page_config["disabledExtensions"] == ({} if asked else dict.fromkeys(collaboration.LAB_EXTENSIONS, True))
    assert (
        written["page_config.json"] == tmp_path / paths.JUPYTER_START_CONFIG_DIR.name / "labconfig" / "page_config.json"
    )
    config = Config()
    exec(compile(written["jupyter_server_config.py"].read_text(), "config", "exec"), {"get_config": lambda: config})
    extensions = config.ServerApp.get("jpserver_extensions", {})
    assert extensions == ({} if asked else dict.fromkeys(collaboration.SERVER_EXTENSIONS, False))
    if asked:  # its databases with the workspace's state, not beside the notebooks
        kept = [config.SQLiteYStore.db_path, config.BaseFileIdManager.db_path, config.YDocExtension.session_store_path]
        assert all(path.startswith(f"{paths.COLLABORATION_DIR}/") for path in kept), kept
