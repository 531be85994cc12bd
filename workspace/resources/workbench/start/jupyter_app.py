"""Jupyter's entry point (supervisord's `jupyter` program): the token-protected Jupyter Server, or, when a
JupyterHub spawner started the workspace, the hub's single-user server, which lets in whom the hub's OAuth allows."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import types

from ..contracts.settings import in_hub
from ..facts.paths import JUPYTER_ARGS_FILE, JUPYTER_START_CONFIG_DIR

# Jupyter listens on a unix socket (jupyter_server_config.py), and Jupyter Server accepts --sock only with its default
# port; the single-user extension would otherwise take the hub's port from JUPYTERHUB_SERVICE_URL, which is nginx's.
SOCKET_COMPATIBLE_PORT = "--ServerApp.port=8888"


def defer_iri_checks() -> None:
    """jsonschema, imported with Jupyter Server (by jupyter_events), imports rfc3987_syntax, which builds 35 Earley
    parsers as it is imported: 0.85 s and 16 MiB of every start, for checking the "iri" format, which no schema of
    Jupyter's uses (jupyter_server#1559). A stand-in takes its place; the first check of that format imports the real
    module and hands every check on to it."""
    if importlib.util.find_spec("rfc3987_syntax") is None:
        return
    real = None

    def is_valid_syntax(term: str, value: str) -> bool:
        nonlocal real
        if real is None:
            sys.modules.pop("rfc3987_syntax", None)
            real = importlib.import_module("rfc3987_syntax").is_valid_syntax
        return real(term, value)

    stand_in = types.ModuleType("rfc3987_syntax", "Stands in until used (workbench.start.jupyter_app).")
    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules.setdefault("rfc3987_syntax", stand_in)


def main() -> int:
    defer_iri_checks()
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
