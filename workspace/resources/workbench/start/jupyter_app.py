"""Jupyter's entry point (supervisord's `jupyter` program): the token-protected Jupyter Server, or, when a
JupyterHub spawner started the workspace, the hub's single-user server, which lets in whom the hub's OAuth allows."""

from __future__ import annotations

import json
import os
import sys

from ..contracts.settings import in_hub
from ..facts.paths import JUPYTER_ARGS_FILE, JUPYTER_START_CONFIG_DIR

# Jupyter listens on a unix socket (jupyter_server_config.py), and Jupyter Server accepts --sock only with its default
# port; the single-user extension would otherwise take the hub's port from JUPYTERHUB_SERVICE_URL, which is nginx's.
SOCKET_COMPATIBLE_PORT = "--ServerApp.port=8888"


def main() -> int:
    # After the --config of supervisord's command line: arguments win over configuration files, as in docker-stacks.
    sys.argv += json.loads(JUPYTER_ARGS_FILE.read_text())
    # This start's page configuration for JupyterLab and Notebook (labconfig/page_config.json, from
    # workbench.contracts.render): ahead of the environment's, behind the user's own ~/.jupyter. Kernels and terminals
    # inherit the variable; the folder holds nothing else.
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        [str(JUPYTER_START_CONFIG_DIR), *filter(None, [os.environ.get("JUPYTER_CONFIG_PATH")])]
    )
    if in_hub(os.environ):
        from jupyterhub.singleuser import main as app

        sys.argv.append(SOCKET_COMPATIBLE_PORT)
    else:
        from jupyter_server.serverapp import main as app
    return app()


if __name__ == "__main__":
    sys.exit(main())
