"""Notebook jobs from Lab (jupyter-scheduler): the environment a job runs in, as its dialog offers it. The
scheduler's own default asks `conda env list`, which this image answers with an error (there is no conda), before
it falls back to Jupyter's Python; a job runs its notebook on the notebook's own kernel either way."""

from __future__ import annotations

from jupyter_scheduler.environments import EnvironmentManager
from jupyter_scheduler.models import RuntimeEnvironment

from ..facts import paths

OUTPUT_FORMATS = {"ipynb": "Notebook", "html": "HTML"}


class WorkspaceEnvironments(EnvironmentManager):
    def list_environments(self) -> list[RuntimeEnvironment]:
        return [
            RuntimeEnvironment(
                name="workspace",
                label="Workspace",
                description="The workspace's Python, on the notebook's own kernel",
                file_extensions=["ipynb"],
                output_formats=list(OUTPUT_FORMATS),
                metadata={"path": str(paths.VENV_PYTHON)},
            )
        ]

    def manage_environments_command(self) -> str:
        return ""

    def output_formats_mapping(self) -> dict[str, str]:
        return dict(OUTPUT_FORMATS)
