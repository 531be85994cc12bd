"""Rendering: the configuration nginx and Jupyter get, checked by the image's own nginx (nginx -t)."""
import ast
import re

import pytest

from workbench import render, tools
from workspaces import TEST_LABEL
from workbench.settings import load

VARIANTS = {
    "default": {},
    "prefix": {"WORKSPACE_BASE_URL": "/team/a.b+c/ws"},
    "open": {"AUTHENTICATE_VIA_JUPYTER": "false", "WORKSPACE_PORT": "9000"},
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_jupyter_config_is_valid_python_with_the_settings(variant):
    settings = load(VARIANTS[variant])
    text = render.render("jupyter_server_config.py.j2", settings)
    ast.parse(text)
    assert f"c.ServerApp.base_url = {settings.base_url!r}" in text
    assert f"c.IdentityProvider.token = {(settings.token or '')!r}" in text
    assert "c.ServerApp.sock = '/run/workbench/jupyter.sock'" in text
    assert "allow_unauthenticated_access = False" in text
    assert "disable_check_xsrf" not in text


def test_nginx_config_authenticates_by_default_and_opens_only_health_and_login():
    text = render.render("nginx.conf.j2", load({"WORKSPACE_BASE_URL": "/p"}))
    server = text[text.index("    server {"):]
    blocks = re.findall(r"^        location (.+?) \{\n(.*?)^        \}", server, re.M | re.S)
    assert "auth_request /.workbench/auth;" in server[:server.index("        location")]
    opened = [where for where, body in blocks if "auth_request off;" in body]
    assert opened == ["= /.workbench/auth", "@denied", "= /p/healthz", "@unhealthy",
                      r"~ ^/p/(login|logout)$", r"~ ^/p/static/(style/|logo/|favicons/|favicon\.ico)",
                      "= /p", "= /", "/"]
    # Outside the base path: the bare root and /p redirect to /p/, everything else is 404.
    assert dict(blocks)["/"].strip().endswith("return 404;")
    assert "return 302 /p/;" in dict(blocks)["= /"]


@pytest.mark.container
def test_image_nginx_accepts_every_rendered_variant(docker_client, image, tmp_path):
    for name, env in VARIANTS.items():
        (tmp_path / f"{name}.conf").write_text(render.render("nginx.conf.j2", load(env)))
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "nginx" / temp).mkdir(parents=True)
    script = "for f in /run/workbench/*.conf; do nginx -t -q -e stderr -c $f || { echo FAILED $f; exit 1; }; done"
    output = docker_client.containers.run(
        image, entrypoint=["/bin/sh", "-c", script], remove=True, stderr=True,
        volumes={str(tmp_path): {"bind": "/run/workbench", "mode": "rw"}}, labels={TEST_LABEL: "1"})
    assert b"FAILED" not in output


def test_tool_commands_quote_every_value_for_supervisord():
    settings = load({"TENSORBOARD_LOGDIR": "/workspace/my runs/100%", "WORKSPACE_BASE_URL": "/ws"})
    tensorboard = next(tool for tool in tools.TOOLS if tool.name == "tensorboard")
    command = render.tool_command(tensorboard, settings)
    assert "--logdir '/workspace/my runs/100%%'" in command
    assert "--path_prefix /ws/tools/tensorboard " in command


def test_each_tool_with_a_service_gets_a_program_and_a_location(tmp_path):
    settings = load({})
    written = render.write_configs(settings, tmp_path)
    nginx = written["nginx.conf"].read_text()
    for tool in tools.own_services():
        program = (tmp_path / "supervisor" / f"{tool.service}.conf").read_text()
        assert f"[program:{tool.service}]" in program
        assert f"command={render.tool_command(tool, settings)}\n" in program
        upstream = f"http://127.0.0.1:{tool.port}" + ("/" if tool.strip_path else "")
        assert f"location /{tool.path} {{\n            proxy_pass {upstream};" in nginx
