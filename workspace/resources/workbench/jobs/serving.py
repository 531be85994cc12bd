"""`serve`: nginx on SageMaker's port in front of gunicorn's workers, each holding the model
(workbench/jobs/model_server.py).

This process stays their parent: it stops both on SIGTERM (gracefully, well inside the 30 seconds SageMaker waits)
and stops the other when one of them dies, so the container never half-serves. A worker that dies (a crash, kill -9,
its timeout) is replaced by gunicorn's master.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

from ..contracts.rendering import check_config, ipv6_available, render_template
from ..facts import paths, usage
from .model_server import LOG_LEVEL_VARIABLE, code_dirs, find_program, log_level

# SageMaker's own defaults for its framework containers' model servers.
DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_MAX_PAYLOAD_MB = 6
# How long a worker may finish its request after SIGTERM: SageMaker kills the container 30 s after asking.
GRACEFUL_SECONDS = 20
GUNICORN = paths.VENV_DIR / "bin" / "gunicorn"


class ServeError(Exception):
    """serve cannot start as configured; the message says what to change."""


def positive_int(environ: dict[str, str], name: str, default: int, maximum: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ServeError(f"{name}={raw!r} must be a whole number from 1 to {maximum}")
    return int(raw)


@dataclass(frozen=True)
class ServeSettings:
    port: int
    workers: int
    timeout: int
    max_payload_mb: int
    log_level: int = logging.INFO

    @classmethod
    def from_environ(cls, environ: dict[str, str]) -> ServeSettings:
        try:
            level = log_level(environ.get(LOG_LEVEL_VARIABLE))
        except ValueError as error:
            raise ServeError(str(error)) from None
        return cls(
            port=positive_int(environ, "SAGEMAKER_BIND_TO_PORT", paths.SERVE_PORT, 65535),
            workers=positive_int(environ, "SAGEMAKER_MODEL_SERVER_WORKERS", max(1, round(usage.cpu_cores())), 256),
            timeout=positive_int(environ, "SAGEMAKER_MODEL_SERVER_TIMEOUT", DEFAULT_TIMEOUT_SECONDS, 3600),
            max_payload_mb=positive_int(environ, "SAGEMAKER_MAX_PAYLOAD_IN_MB", DEFAULT_MAX_PAYLOAD_MB, 1024),
            log_level=level,
        )

    @property
    def execution_parameters(self) -> dict:
        """What SageMaker's batch transform asks (GET /execution-parameters) before it sends a job's records: one
        request per worker at a time, many records per request (the default input_fn reads every row)."""
        return {
            "MaxConcurrentTransforms": self.workers,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": self.max_payload_mb,
        }


def check_model(environ: dict[str, str]) -> None:
    model_dir = paths.ML_MODEL_DIR
    if not model_dir.is_dir() or not any(model_dir.iterdir()):
        raise ServeError(
            f"{model_dir} is {'empty' if model_dir.is_dir() else 'missing'}: SageMaker unpacks the model "
            f"there (model.tar.gz); locally, mount the training job's model folder: "
            f"-v /path/to/model:{model_dir}"
        )
    program = environ.get("SAGEMAKER_PROGRAM", "").strip()
    if program and find_program(program, code_dirs(environ)) is None:
        raise ServeError(
            f"the inference script {program!r} (SAGEMAKER_PROGRAM) is not in "
            f"{' or '.join(map(str, code_dirs(environ)))}"
        )


def prepare_run_dir() -> None:
    """nginx's workers (nobody) reach the model server's socket here; nothing else of the workspace runs."""
    shutil.rmtree(paths.RUN_DIR, ignore_errors=True)
    paths.RUN_DIR.mkdir(mode=0o711, parents=True)
    paths.RUN_DIR.chmod(0o711)
    (paths.RUN_DIR / "serve-nginx").mkdir(mode=0o755)  # nginx makes its temp folders in here, owned by its workers


def serve_nginx_config(*, port: int, timeout: int, max_payload_mb: int, execution_parameters: str) -> str:
    """nginx for `serve` (workbench/jobs/serving.py): SageMaker's port, in front of the model server's socket."""
    return render_template(
        "serve-nginx.conf.j2",
        port=port,
        timeout=timeout,
        max_payload_mb=max_payload_mb,
        execution_parameters=execution_parameters,
        ipv6=ipv6_available(),
        run_dir=str(paths.RUN_DIR),
        model_server_socket=str(paths.MODEL_SERVER_SOCKET),
    )


def write_nginx_config(settings: ServeSettings) -> str:
    config = paths.RUN_DIR / "serve-nginx.conf"
    config.write_text(
        serve_nginx_config(
            port=settings.port,
            timeout=settings.timeout,
            max_payload_mb=settings.max_payload_mb,
            execution_parameters=json.dumps(settings.execution_parameters),
        )
    )
    return str(config)


def gunicorn_command(settings: ServeSettings) -> list[str]:
    return [
        str(GUNICORN),
        "--workers",
        str(settings.workers),
        "--timeout",
        str(settings.timeout),
        "--graceful-timeout",
        str(GRACEFUL_SECONDS),
        "--bind",
        f"unix:{paths.MODEL_SERVER_SOCKET}",
        "--umask",
        "0o000",  # nginx's workers run as nobody
        "--no-control-socket",  # gunicorn's runtime control, which nothing here uses, would write into /root
        "--worker-tmp-dir",
        "/dev/shm",
        "--log-level",
        logging.getLevelName(settings.log_level).lower(),
        "--chdir",
        str(paths.ML_MODEL_DIR),
        "workbench.jobs.model_server:create_app()",
    ]


class Services:
    """gunicorn and nginx, started and stopped together."""

    def __init__(self, settings: ServeSettings, nginx_config: str):
        self.stopping = False
        self.gunicorn = subprocess.Popen(gunicorn_command(settings), env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.nginx = subprocess.Popen(["nginx", "-c", nginx_config])
        self.processes = {self.gunicorn: "the model server (gunicorn)", self.nginx: "nginx"}

    def stop(self, *_signal_args) -> None:
        if not self.stopping:
            self.stopping = True
            self.signal(self.gunicorn, signal.SIGTERM)  # gunicorn: graceful; nginx: SIGQUIT is graceful
            self.signal(self.nginx, signal.SIGQUIT)

    @staticmethod
    def signal(process: subprocess.Popen, signum: int) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    def wait(self) -> int:
        """0 after a stop that was asked for; 1 when a service ended by itself."""
        failed, deadline = None, None
        while any(process.poll() is None for process in self.processes):
            if failed is None and not self.stopping:
                failed = next((process for process in self.processes if process.poll() is not None), None)
                if failed is not None:
                    print(
                        f"workbench: error: serve: {self.processes[failed]} stopped (exit status "
                        f"{failed.returncode}); its log above says why",
                        flush=True,
                    )
                    self.stop()
            if self.stopping and deadline is None:
                deadline = time.monotonic() + GRACEFUL_SECONDS + 5
            if deadline is not None and time.monotonic() > deadline:
                for process in self.processes:
                    self.signal(process, signal.SIGKILL)
            time.sleep(0.1)
        if failed is None and not self.stopping:  # both ended in the same tenth of a second
            failed = self.gunicorn
        return 1 if failed is not None else 0


def check(environ: dict[str, str]) -> ServeSettings:
    """Everything that can be wrong before a process starts."""
    settings = ServeSettings.from_environ(environ)
    check_model(environ)
    return settings


def serve(settings: ServeSettings) -> int:
    prepare_run_dir()
    # The image's HEALTHCHECK asks the URL in this file: in serve mode, SageMaker's own health check.
    paths.HEALTHZ_URL_FILE.write_text(f"http://127.0.0.1:{settings.port}/ping\n")
    nginx_config = write_nginx_config(settings)
    check_config(["nginx", "-t", "-q", "-e", "stderr", "-c", nginx_config], "nginx")
    print(
        f"serve: {settings.workers} workers, timeout {settings.timeout} s, payloads up to "
        f"{settings.max_payload_mb} MB, on port {settings.port}",
        flush=True,
    )
    services = Services(settings, nginx_config)
    signal.signal(signal.SIGTERM, services.stop)
    signal.signal(signal.SIGINT, services.stop)
    return services.wait()
