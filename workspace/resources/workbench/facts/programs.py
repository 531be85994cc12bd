"""What supervisord runs: a Program declaration, and the programs every workspace runs (the door and Jupyter). The
tools' own programs are declared with their tool (workbench/facts/tools.py); render.py writes each into the run
directory with templates/supervisor-program.conf.j2, and supervisord.conf.j2 includes them."""

from __future__ import annotations

from dataclasses import dataclass

# What any program's command may refer to, and a tool's program besides its own values and settings (the values:
# render.command_values).
COMMON_PLACEHOLDERS = ("venv", "install_dir", "workspace", "run_dir", "display")
TOOL_PLACEHOLDERS = ("port", "path_prefix")
# ... and a core program's besides the common ones.
CORE_PLACEHOLDERS = ("door_sockets",)


@dataclass(frozen=True)
class Program:
    """A supervisord program run as the user in /workspace. Its command is formatted with render.command_values: the
    common values (venv, install_dir, workspace, run_dir, display; for a tool's program also port, path_prefix, the
    tool's `values`, and each of the tool's settings under its variable's name in lower case), each shell-quoted."""

    name: str
    command: str
    # True: the program keeps its files in a folder of its name in the run directory, made before it starts.
    state_dir: bool = False
    # Why it runs, for the rendered file (a tool's program says its tool).
    purpose: str = ""
    # Lower starts first.
    priority: int = 30
    # Seconds it must keep running to count as started.
    startsecs: int = 2
    stopsignal: str = "TERM"
    stopwaitsecs: int = 10
    # True: its children (XFCE's session, TensorBoard's data server) are stopped with it.
    stop_as_group: bool = True


# Started with the container, whatever WORKSPACE_TOOLS_START says.
CORE_PROGRAMS = (
    # -s: packages the user installed with pip --user (kernels see them) cannot break the server itself; -P: nor can a
    # file in /workspace (the working folder) shadow one of its modules.
    Program(
        "jupyter",
        "{venv}/bin/python -s -P -m workbench.start.jupyter_app --config={run_dir}/jupyter_server_config.py",
        purpose="Jupyter Server with JupyterLab and Notebook 7 (jupyterhub-singleuser when a hub started the "
        "workspace); also the identity provider behind nginx's auth check",
        priority=10,
        stopwaitsecs=15,
        stop_as_group=False,
    ),
    # nginx does not remove a unix socket a crash left behind, and would then fail to listen on it again.
    Program(
        "nginx",
        '/bin/sh -c \'rm -f "$0"/*.sock && exec /usr/sbin/nginx -e stderr -c "$1"\' '
        "{door_sockets} {run_dir}/nginx.conf",
        purpose="the one front door on WORKSPACE_PORT",
        priority=20,
        startsecs=1,
        stopsignal="QUIT",
        stop_as_group=False,
    ),
    Program(
        "sshd",
        "/usr/sbin/sshd -D -e -f {run_dir}/sshd_config",
        purpose="SSH, SFTP and tunnels for the workspace user, reached through the public port (nginx hands SSH "
        "clients over)",
        priority=20,
        startsecs=1,
        stop_as_group=False,
    ),
)
