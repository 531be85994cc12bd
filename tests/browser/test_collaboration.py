"""Real-time collaboration (WORKSPACE_COLLABORATION=true): two browsers on one notebook see each other's edits as
they type. Off, as by default, its front-end and server extensions are not loaded and a notebook opens and saves as
in plain JupyterLab."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from browsers import log_in
from waiting import wait_until
from workbench.facts import paths
from workspaces import WorkspaceFactory, user_folder

pytestmark = pytest.mark.container

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [], "source": "x = 1"}
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
FIRST_CELL = ".jp-Notebook .jp-Cell .cm-content"


@pytest.fixture(scope="module")
def factory(docker_client, image):
    with WorkspaceFactory(docker_client, image) as started:
        yield started


def folder_with_a_notebook(parent: Path) -> Path:
    folder = user_folder(parent)
    notebook = folder / "shared.ipynb"
    notebook.write_text(json.dumps(NOTEBOOK))
    os.chown(notebook, 1000, 100)
    return folder


def open_notebook(page, workspace) -> None:
    log_in(page, workspace)
    page.goto(workspace.url + "lab/tree/shared.ipynb")
    page.wait_for_selector(f"{FIRST_CELL} >> text=x = 1", timeout=120_000)


def test_two_browsers_on_one_notebook_see_each_others_edits(factory, browser, contexts, tmp_path, screenshot):
    workspace = factory.start({"WORKSPACE_COLLABORATION": "true"}, folder_with_a_notebook(tmp_path))
    assert workspace.get("api/collaboration/session/shared.ipynb").status_code == 405  # its route, which takes a PUT
    ann, bob = contexts.open(browser).new_page(), contexts.open(browser).new_page()
    open_notebook(ann, workspace)
    open_notebook(bob, workspace)
    ann.click(FIRST_CELL)
    ann.keyboard.press("End")
    ann.keyboard.type(" + 41  # from Ann")
    bob.wait_for_selector(f"{FIRST_CELL} >> text=x = 1 + 41  # from Ann", timeout=60_000)
    bob.click(FIRST_CELL)
    bob.keyboard.press("Home")
    bob.keyboard.type("y = 0; ")
    ann.wait_for_selector(f"{FIRST_CELL} >> text=y = 0; x = 1 + 41  # from Ann", timeout=60_000)
    screenshot(ann, "ann")
    screenshot(bob, "bob")
    # The shared state is kept with the workspace's, not beside the notebook (Jupyter's own checkpoints are).
    listing = set(workspace.container.exec_run(["ls", "-A", "/workspace"]).output.decode().split())
    assert listing - {".ipynb_checkpoints"} == {".workbench", "shared.ipynb"}, listing
    kept = workspace.container.exec_run(["ls", "-A", str(paths.COLLABORATION_DIR)]).output.decode().split()
    assert {"ystore.db", "file_id_manager.db", "collaboration_sessions.json"} <= set(kept), kept


def test_off_by_default_a_notebook_opens_and_saves_as_in_plain_jupyterlab(factory, page, tmp_path, screenshot):
    workspace = factory.start(workspace_dir=folder_with_a_notebook(tmp_path))
    # Neither its server extension (its routes) nor its front-end (left out by the page configuration).
    assert workspace.get("api/collaboration/session/shared.ipynb").status_code == 404
    lab = workspace.get("lab").text
    assert '"@jupyter/docprovider-extension"' in lab.partition('"disabledExtensions"')[2][:300], lab[:2000]
    open_notebook(page, workspace)
    page.click(FIRST_CELL)
    page.keyboard.press("End")
    page.keyboard.type(" + 1")
    page.keyboard.press("Control+s")

    def saved() -> str:
        # Jupyter saves a notebook in place (after a backup copy): a read in between finds it half written, a 400.
        answer = workspace.get("api/contents/shared.ipynb")
        if answer.status_code != 200:
            return f"{answer.status_code} {answer.text}"
        return answer.json()["content"]["cells"][0]["source"]

    wait_until(lambda: saved() == "x = 1 + 1", timeout=30, failure=saved)
    screenshot(page, "saved")
