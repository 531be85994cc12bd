"""Notebook jobs from Lab (jupyter-scheduler), driven through its REST API as Lab's dialog does: a notebook scheduled
every minute with a parameter runs with no browser open, and its runs, outputs and schedule outlive the container."""

from __future__ import annotations

import json

import pytest
import requests

from waiting import wait_until
from workspaces import WorkspaceFactory, user_folder

pytestmark = pytest.mark.container

# The scheduler's parameter goes in after the cell tagged "parameters", as papermill's does.
REPORT = {
    "cells": [
        {
            "cell_type": "code",
            "metadata": {"tags": ["parameters"]},
            "source": "x = 1",
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "metadata": {},
            "source": "print('doubled', int(x) * 2)",
            "outputs": [],
            "execution_count": None,
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
EVERY_MINUTE = {
    "input_uri": "report.ipynb",
    "runtime_environment_name": "workspace",
    "name": "report",
    "schedule": "* * * * *",
    "timezone": "UTC",
    "parameters": {"x": "21"},
    "output_formats": ["ipynb"],
}


def jobs_of(workspace, definition_id: str) -> list[dict]:
    answer = workspace.get(f"scheduler/jobs?job_definition_id={definition_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()["jobs"]


def completed(workspace, definition_id: str) -> list[dict]:
    return [job for job in jobs_of(workspace, definition_id) if job["status"] == "COMPLETED"]


def printed(folder, job: dict) -> str:
    """What the run's output notebook printed, from its files kept under /workspace/.workbench/scheduler."""
    (output,) = [
        path
        for path in (folder / ".workbench" / "scheduler" / "staging" / job["job_id"]).glob("*.ipynb")
        if path.name != "report.ipynb"
    ]
    cells = json.loads(output.read_text())["cells"]
    return "".join(text for cell in cells for out in cell.get("outputs", []) for text in out.get("text", ""))


def test_a_notebook_scheduled_every_minute_runs_twice_with_its_parameter_and_outlives_the_container(
    docker_client, image, tmp_path
):
    folder = user_folder(tmp_path)
    (folder / "report.ipynb").write_text(json.dumps(REPORT))
    with WorkspaceFactory(docker_client, image) as factory:
        workspace = factory.start(workspace_dir=folder)
        created = requests.post(
            workspace.url + "scheduler/job_definitions", json=EVERY_MINUTE, headers=workspace.auth_headers(), timeout=30
        )
        assert created.status_code == 200, created.text
        definition = created.json()["job_definition_id"]
        # Nobody has the workspace open in a browser: the server runs the schedule by itself.
        runs = wait_until(
            lambda: len(completed(workspace, definition)) >= 2 and completed(workspace, definition),
            timeout=300,
            interval=5,
            failure=lambda: jobs_of(workspace, definition),
        )
        assert all(job["parameters"] == {"x": "21"} for job in runs), runs
        assert all("doubled 42" in printed(folder, job) for job in runs)
        workspace.container.stop(timeout=30)

        again = factory.start(workspace_dir=folder)
        kept = {job["job_id"] for job in completed(again, definition)}
        assert {job["job_id"] for job in runs} <= kept
        described = again.get(f"scheduler/job_definitions/{definition}").json()
        assert (described["schedule"], described["active"]) == ("* * * * *", True), described
        # Stop the schedule, as a user pauses it in Lab.
        paused = requests.patch(
            again.url + f"scheduler/job_definitions/{definition}",
            json={"active": False},
            headers=again.auth_headers(),
            timeout=30,
        )
        assert paused.status_code in (200, 204), paused.text
