"""The Jupyter Server configuration files a user or an image brings, read into this start's configuration.

Jupyter is started with --config (the file render.py writes), and Jupyter reads only the file given with --config
(jupyter_core's JupyterApp.load_config_file). That file calls `merge_standard_files` first, so that the files
`jupyter server` reads on its own count as they would: jupyter_server_config.py and .json in each folder `jupyter
--paths` lists for config (~/.jupyter, the environment's etc/jupyter, /etc/jupyter where docker-stacks images put
theirs), in Jupyter's order. The start's own settings follow them in the file, and win; in a setting that is a dict,
the start sets its keys and the others stay (`set_starts_keys`)."""

from __future__ import annotations

import logging

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Application, Config, LazyConfigValue

SERVER_CONFIG_NAME = "jupyter_server_config"


def merge_standard_files(config: Config) -> None:
    # Jupyter's own logging is not set up yet: an error in a user's file goes to stderr, with its traceback, and
    # the rest of the start goes on without that file, as Jupyter does.
    log = logging.getLogger("ServerApp")
    for loaded, _ in Application._load_config_files(SERVER_CONFIG_NAME, path=jupyter_config_path(), log=log):
        config.merge(loaded)


def set_starts_keys(section: Config, name: str, starts: dict) -> None:
    """Sets a dict setting to the start's keys and every other key users' files put in it, assigned or updated
    (`c.ServerApp.tornado_settings.update(...)`). It stays a plain dict, not traitlets' pending update: the hub's
    single-user extension looks into ServerApp.tornado_settings with `in`, which a pending update fails."""
    theirs = section.get(name, {})
    if isinstance(theirs, LazyConfigValue):
        theirs = theirs.get_value({})  # each of these settings is empty unless configured
    section[name] = {**theirs, **starts}
