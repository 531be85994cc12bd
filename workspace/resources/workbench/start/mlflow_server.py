"""The mlflow tool's program (facts/tools.py): `mlflow server` with its own options, checks and store set-up, except
that the web server it starts takes its place rather than running as its child.

`mlflow server` starts uvicorn as a second process and then only waits on it, to pass signals on and, when job
execution is on, to start the job runner. That wait kept every module `mlflow server` imports (MLflow, pandas, scipy,
SQLAlchemy: 187 MiB of its own memory) for the tool's whole life. Job execution is off here, so nothing is left for
it to do: the one call that starts the web server execs it instead."""

from __future__ import annotations

import os
import sys

# Its job runner (eight more Python processes, about 200 MB each) runs jobs a workspace has no use for.
JOB_EXECUTION_VARIABLE = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"


def exec_in_place(command: list[str], *, extra_env: dict[str, str] | None = None, **_how) -> None:
    """Stands in for mlflow.utils.process._exec_cmd where `mlflow server` starts its web server."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], [str(part) for part in command], {**os.environ, **(extra_env or {})})


def main() -> int:
    os.environ[JOB_EXECUTION_VARIABLE] = "false"
    import mlflow.server
    from mlflow.cli import cli

    if not callable(getattr(mlflow.server, "_exec_cmd", None)):
        sys.exit(
            "workbench.start.mlflow_server: this MLflow starts its web server in a way Workbench does not know "
            "(no mlflow.server._exec_cmd); see workspace/requirements/mlflow.in"
        )
    mlflow.server._exec_cmd = exec_in_place
    return cli.main(args=["server", *sys.argv[1:]], prog_name="mlflow")


if __name__ == "__main__":
    sys.exit(main())
