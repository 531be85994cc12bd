"""Container start: validate the environment, fit the account, render the configuration, then become
supervisord (or run the command given to `docker run`) as the workspace user.

Nothing starts unless everything checks out, so a bad setting never leaves a half-running workspace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .. import __version__
from ..contracts import render, rendering, start_command, trust
from ..contracts.settings import CONSUMED_VARIABLES, ConfigError, LogLevel, Settings, load, thread_count
from ..contracts.start_command import ArgumentError
from ..facts import catalogue, declarations, paths, ssh_keys, stacks_log, start_timeline, threads, tools
from ..facts.supervisor_client import supervisor_running
from ..jobs import dispatch
from . import home, hooks, tls
from .account import (
    AccountError,
    check_workspace_writable,
    current_account,
    drop_privileges,
    lend_account,
    prepare_as_root,
)


def fail(message: str) -> int:
    print(f"workbench: error: {message}", file=sys.stderr, flush=True)
    return 1


def clear_run_dir(uid: int, gid: int) -> None:
    """Stale sockets and pid files from a previous start (docker restart) would stop the services binding. The
    folder becomes the user's alone where the start can make it so (as root, or as its owner); otherwise (a uid the
    image has no account for) it stays the image's sticky one, and what holds a secret is written private."""
    paths.RUN_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    for entry in paths.RUN_DIR.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if os.geteuid() == 0:
        os.chown(paths.RUN_DIR, uid, gid)
    if paths.RUN_DIR.stat().st_uid == uid:
        paths.RUN_DIR.chmod(0o700)


def hand_over_log_streams(uid: int, gid: int) -> None:
    """supervisord, running as the user, reopens /dev/stdout for the services' logs; the pipes docker gave PID 1,
    and the terminal of `docker run -t`, belong to root, so give them to the user (/dev/null is left alone)."""
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd) or os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                os.fchown(fd, uid, gid)
        except OSError:
            pass


def prepare_state_dir(settings: Settings) -> None:
    """/workspace/.workbench holds what the workspace keeps for the user (host keys, pip --user packages, extra
    environments): private to the user, and ignored by git when /workspace is a repository."""
    try:
        paths.STATE_DIR.mkdir(mode=0o700, exist_ok=True)
        paths.STATE_DIR.chmod(0o700)
        paths.SCHEDULER_DIR.mkdir(exist_ok=True)  # its database is opened when Jupyter starts
        if paths.SAGEMAKER_KERNEL_DIR.is_dir():  # the SDK makes its local mode's folders in it, and not it
            paths.SAGEMAKER_LOCAL_ROOT.mkdir(exist_ok=True)
        if settings.collaboration:  # its databases are opened when Jupyter starts
            paths.COLLABORATION_DIR.mkdir(exist_ok=True)
        ignore = paths.STATE_DIR / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Workbench's own files (SSH host keys, user packages, environments): not for git.\n*\n")
    except OSError as error:
        raise AccountError(f"cannot prepare {paths.STATE_DIR}: {error}") from None


def prepare_ssh(settings: Settings) -> None:
    """Host keys on the first start (kept in /workspace), the keys given in SSH_AUTHORIZED_KEYS, then sshd's own
    check of its configuration."""
    try:
        ssh_keys.ensure_host_keys()
    except (OSError, subprocess.CalledProcessError) as error:
        raise AccountError(f"cannot create the SSH host keys in {paths.SSH_STATE_DIR}: {error}") from None
    ssh_keys.write_start_keys(list(settings.ssh_authorized_keys))
    rendering.check_config(["/usr/sbin/sshd", "-t", "-f", str(paths.RUN_DIR / "sshd_config")], "sshd")


def gpu_note() -> str | None:
    """The gpu flavor asks the NVIDIA runtime for GPUs; when none came, say so once rather than fail."""
    if not os.environ.get("NVIDIA_VISIBLE_DEVICES") or Path("/dev/nvidiactl").exists():
        return None
    return (
        "NOTE: no GPU is visible in this container, so PyTorch and TensorFlow run on the CPU. On a host with an "
        "NVIDIA GPU, start it with --gpus all (NVIDIA Container Toolkit)."
    )


def announce(settings: Settings) -> None:
    """What the log says at start; the login URL follows once the workspace answers (workbench.server.announce)."""
    if settings.hub:
        lines = [
            f"Workbench {__version__} is starting for JupyterHub user {settings.hub.user} at "
            f"{settings.base_url} (port {settings.port}); the hub's login guards every tool."
        ]
    else:
        lines = [f"Workbench {__version__} is starting; the address to open follows once it is ready."]
        ready = ["Workbench is ready; open it at:", f"    {settings.login_url()}"]
        if settings.auth_enabled and not settings.token_generated:
            ready.append("    and log in with the token set in AUTHENTICATE_VIA_JUPYTER.")
        rendering.write_private(paths.ANNOUNCEMENT_FILE, "\n".join(ready) + "\n")
    note = gpu_note()
    if note:
        lines.append(note)
    if not settings.auth_enabled:
        lines.insert(
            0,
            "WARNING: authentication is disabled (AUTHENTICATE_VIA_JUPYTER=false, or an empty Jupyter token): anyone "
            f"who can reach port {settings.port} can run code and read /workspace as {os.environ['USER']}.",
        )
    print("\n".join(lines), flush=True)


def write_jupyter_args(args: tuple[str, ...]) -> None:
    """Read by workbench.start.jupyter_app, which supervisord starts."""
    paths.JUPYTER_ARGS_FILE.write_text(json.dumps(list(args)) + "\n")


def main(argv: list[str]) -> int:
    job = dispatch.job_of(argv, dict(os.environ))
    if job:  # SageMaker's train or serve: none of the workspace
        try:
            threads.fit(os.environ, thread_count(os.environ))
        except ConfigError as error:
            return fail(str(error))
        return dispatch.main(job)
    if supervisor_running():
        return fail(
            "the workspace is already running in this container; open it in the browser (docker logs show "
            "the address), or restart the container to start it afresh"
        )
    timeline = start_timeline.Timeline()
    timeline.mark("the entrypoint started", start_timeline.process_started(os.getpid()))
    failed_hooks = hooks.run(hooks.START_HOOKS)
    command = None
    try:
        catalogue.check_declarations()
        command, environ = start_command.read(argv, os.environ)
        settings = load(environ)
        timeline.mark("settings checked")
        for variable in settings.unset_variables:
            if os.environ.pop(variable, None) is not None:
                stacks_log.info(f"Unset {variable} due to JUPYTER_ENV_VARS_TO_UNSET")
        for variable in CONSUMED_VARIABLES:
            os.environ.pop(variable, None)
        threads.fit(os.environ, settings.max_num_threads)
        account = prepare_as_root(settings) if os.geteuid() == 0 else current_account(settings)
        failed_hooks += hooks.run(hooks.BEFORE_START_HOOKS)
        check_workspace_writable(account)
        timeline.mark("account fitted")
        clear_run_dir(account.uid, account.gid)
        if account.lent:
            stacks_log.warn(lend_account(account))
        # As root where the start is (the system's store), before anything that connects starts.
        trust.trust(settings.ca_certs, os.environ)
        if settings.tls_cert:  # still as root where the start is: a mounted key is often readable by root alone
            tls.serve_own(settings, account.uid, account.gid)
        if os.geteuid() == 0:
            hand_over_log_streams(account.uid, account.gid)
            drop_privileges(account)
        if settings.nb_umask is not None:
            os.umask(settings.nb_umask)
        os.environ.setdefault("DISPLAY", tools.DISPLAY)
        os.environ[tools.BASE_URL_VARIABLE] = settings.base_url
        if command.starts_workspace:
            for name, value in tools.tool_environment(catalogue.all_tools(), settings.base_url).items():
                os.environ.setdefault(name, value)
        render.write_configs(settings)
        if settings.tls and not settings.tls_cert:
            prepare_state_dir(settings)
            tls.serve_self_signed(account.uid, account.gid)
        paths.HEALTHZ_URL_FILE.write_text(settings.healthz_url() + "\n")
        rendering.check_config(["nginx", "-t", "-q", "-e", "stderr", "-c", str(paths.RUN_DIR / "nginx.conf")], "nginx")
        timeline.mark("configuration rendered and checked")
        if command.starts_workspace:
            write_jupyter_args(command.jupyter_args)
            prepare_state_dir(settings)
            prepare_ssh(settings)
            timeline.mark("SSH ready")
            home.keep(Path.home())
            home.install_defaults(Path.home())
            failed_hooks += hooks.run(hooks.WORKSPACE_HOOKS)
            paths.HOOK_FAILURES_FILE.write_text(json.dumps(failed_hooks) + "\n")
    except ConfigError as error:
        return fail(start_command.blame(error, command))
    except (
        declarations.DeclarationError,
        AccountError,
        ArgumentError,
        rendering.RenderError,
        tls.TlsError,
        trust.TrustError,
    ) as error:
        return fail(str(error))

    os.chdir(paths.WORKSPACE_DIR)
    if not command.starts_workspace:
        try:
            os.execvp(command.program[0], command.program)
        except OSError as error:
            return fail(f"cannot run {command.program[0]!r}: {error.strerror}")
    announce(settings)
    if settings.log_level == LogLevel.DEBUG:
        timeline.mark("supervisord starting")
        timeline.write()
    supervisord = [str(paths.SUPERVISORD), "-c", str(paths.SUPERVISOR_CONF)]
    if settings.nb_umask is not None:
        supervisord += ["--umask", f"{settings.nb_umask:03o}"]  # supervisord sets its own (022) otherwise
    os.execv(supervisord[0], supervisord)
    return 0  # not reached
