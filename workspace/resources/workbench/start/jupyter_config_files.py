"""The Jupyter Server configuration files a user or an image brings, read into this start's configuration.

Jupyter is started with --config (the file render.py writes), and Jupyter reads only the file given with --config
(jupyter_core's JupyterApp.load_config_file). That file calls `merge_standard_files` first, so that the files
`jupyter server` reads on its own count as they would: jupyter_server_config.py and .json in each folder `jupyter
--paths` lists for config (~/.jupyter, the environment's etc/jupyter, /etc/jupyter where docker-stacks images put
theirs), in Jupyter's order. The start's own settings follow them in the file, and win."""

from __future__ import annotations

import logging

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Application, Config

SERVER_CONFIG_NAME = "jupyter_server_config"


def merge_standard_files(config: Config) -> None:
    # Jupyter's own logging is not set up yet: an error in a user's file goes to stderr, with its traceback, and
    # the rest of the start goes on without that file, as Jupyter does.
    log = logging.getLogger("ServerApp")
    for loaded, _ in Application._load_config_files(SERVER_CONFIG_NAME, path=jupyter_config_path(), log=log):
        config.merge(loaded)
