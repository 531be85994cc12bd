"""The Jupyter configuration files users and images bring (workbench/start/jupyter_config_files.py) count under the
start's --config file, as `jupyter server` reads them; the start's own settings win where both set something."""

import logging

import pytest
from traitlets.config import Config

from workbench.contracts import render
from workbench.contracts.settings import load
from workbench.facts import paths


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
