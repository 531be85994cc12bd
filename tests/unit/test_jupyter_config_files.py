"""The Jupyter configuration files users and images bring (workbench/start/jupyter_config_files.py) count under the
start's --config file, as `jupyter server` reads them; the start's own settings win where both set something, and a
dict both set holds the keys of both."""

import logging

import pytest
from traitlets.config import Config

from workbench.contracts import render
from workbench.contracts.settings import DEFAULT_LANGUAGE_SERVER_IDLE_TIMEOUT, load
from workbench.facts import paths
from workbench.server import idle_language_server


@pytest.fixture
def config_folders(tmp_path, monkeypatch):
    """~/.jupyter and an image's folder (as docker-stacks' /etc/jupyter), each with its files."""
    home, image = tmp_path / "home-jupyter", tmp_path / "image-jupyter"
    home.mkdir()
    image.mkdir()
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(home))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(image))
    return home, image


def started_config() -> Config:
    config = Config()
    exec(
        compile(render.render("jupyter_server_config.py.j2", load({})), "config", "exec"),
        {"get_config": lambda: config},
    )
    return config


def test_the_users_and_the_images_files_count_and_the_starts_settings_win(config_folders):
    home, image = config_folders
    (home / "jupyter_server_config.py").write_text(
        'c.ServerApp.contents_manager_class = "my_contents.Manager"\nc.ServerApp.sock = "/tmp/mine.sock"\n'
    )
    (home / "jupyter_server_config.json").write_text('{"ContentsManager": {"allow_hidden": true}}')
    (image / "jupyter_server_config.py").write_text('c.ServerApp.terminado_settings = {"shell_command": ["zsh"]}\n')
    config = started_config()
    assert config.ServerApp.contents_manager_class == "my_contents.Manager"
    assert config.ContentsManager.allow_hidden is True
    assert config.ServerApp.sock == str(paths.JUPYTER_SOCKET)  # the door's socket is the start's
    assert config.ServerApp.terminado_settings == {"shell_command": ["/bin/bash", "-l"]}


def test_a_broken_file_is_said_and_left_out(config_folders, caplog):
    home, _ = config_folders
    (home / "jupyter_server_config.py").write_text("c.ServerApp.open_browser = True\nraise ValueError('typo')\n")
    with caplog.at_level(logging.ERROR):
        config = started_config()
    assert "Exception while loading config file" in caplog.text and "jupyter_server_config.py" in caplog.text
    assert config.ServerApp.open_browser is False


def test_a_dict_a_users_file_sets_keeps_its_keys_beside_the_starts(config_folders):
    """A header for embedding the workspace in a portal (docker-stacks' documented tornado_settings), an extension
    turned on, another language server, a cookie option: set by assignment or by update, they stay. Each setting is a
    plain dict, as the hub's single-user extension reads tornado_settings (`"log_function" in ...`)."""
    home, image = config_folders
    (home / "jupyter_server_config.py").write_text(
        "c.ServerApp.tornado_settings.update({'headers': {'Content-Security-Policy': \"frame-ancestors portal\"}})\n"
        "c.LanguageServerManager.language_servers = {'r-languageserver': {'argv': ['R'], 'languages': ['r']}}\n"
        "c.IdentityProvider.cookie_options = {'secure': True}\n"
    )
    (image / "jupyter_server_config.py").write_text("c.ServerApp.jpserver_extensions = {'my_extension': True}\n")
    config = started_config()
    settings = ("tornado_settings", "jpserver_extensions", "terminado_settings")
    assert all(type(config.ServerApp[name]) is dict for name in settings)
    assert type(config.LanguageServerManager.language_servers) is dict
    assert type(config.IdentityProvider.cookie_options) is dict
    tornado_settings = config.ServerApp.tornado_settings
    assert tornado_settings["headers"] == {"Content-Security-Policy": "frame-ancestors portal"}
    assert tornado_settings["xsrf_cookie_kwargs"]["samesite"] == "Lax"
    extensions = config.ServerApp.jpserver_extensions
    assert extensions["my_extension"] is True and extensions["jupyter_server_ydoc"] is False, extensions
    ours = idle_language_server.jupyter_lsp_specs(DEFAULT_LANGUAGE_SERVER_IDLE_TIMEOUT)  # none without pylsp installed
    language_servers = config.LanguageServerManager.language_servers
    assert language_servers == {"r-languageserver": {"argv": ["R"], "languages": ["r"]}, **ours}, language_servers
    assert config.IdentityProvider.cookie_options == {"secure": True, "samesite": "Lax"}
