"""The Python a data scientist works in: the everyday stack in a kernel reached through port 8080, JupyterLab's
extensions, packages installed with `pip install --user` surviving a re-created container, and extra
environments as kernels (workbench-env)."""

from __future__ import annotations

import json

import pytest

from kernels import execute, start_kernel
from wheels import make_wheel

pytestmark = pytest.mark.container

TRAIN = """
import warnings
import numpy as np, pandas as pd, scipy, sklearn, matplotlib, seaborn, plotly, ipywidgets
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
model = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.001, random_state=0)
losses = []
for epoch in range(8):
    model.partial_fit(X, y, classes=[0, 1])
    losses.append(round(log_loss(y, model.predict_proba(X)), 4))
frame = pd.DataFrame({"epoch": range(8), "loss": losses})
seaborn.lineplot(data=frame, x="epoch", y="loss")
plt.savefig("/workspace/loss.png")
print(losses)
"""


def test_kernel_trains_a_scikit_learn_model_and_the_loss_falls(workspace):
    losses = json.loads(execute(workspace, TRAIN, timeout=120))
    assert len(losses) == 8 and losses[-1] < 0.8 * losses[0], losses
    assert all(later <= earlier + 1e-3 for earlier, later in zip(losses, losses[1:], strict=False)), losses
    plot = workspace.container.exec_run(["python3", "-c", "print(open('/workspace/loss.png','rb').read(8))"])
    assert b"PNG" in plot.output


def test_jupyterlab_extensions_are_installed_and_their_servers_answer(workspace):
    listed = workspace.container.exec_run(["jupyter", "labextension", "list"], user="jovyan").output.decode()
    for extension in (
        "@jupyterlab/git",
        "nbdime-jupyterlab",
        "@jupyter-widgets/jupyterlab-manager",
        "jupyterlab-plotly",
        "jupyter-matplotlib",
    ):
        assert extension in listed, listed
    git = workspace.get("git/settings")
    assert git.status_code == 200 and git.json()["serverVersion"] == "0.55.0" and git.json()["gitVersion"]


CYTHON_AND_WIDGETS = """
%load_ext Cython
"""
CYTHON_CELL = """%%cython
def triangle(int n):
    cdef long total = 0
    cdef int i
    for i in range(n + 1):
        total += i
    return total
"""
WIDGET_PLOT = """%matplotlib widget
import matplotlib.pyplot as plt
figure = plt.figure()
print(type(figure.canvas).__module__, triangle(100))
"""


def test_scipy_notebook_habits_cython_ipympl_and_pandoc(workspace):
    kernel = start_kernel(workspace)
    execute(workspace, CYTHON_AND_WIDGETS, kernel_id=kernel)
    execute(workspace, CYTHON_CELL, kernel_id=kernel, timeout=180)  # compiled with the image's C compiler
    assert execute(workspace, WIDGET_PLOT, kernel_id=kernel).split() == ["ipympl.backend_nbagg", "5050"]
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Results\n\nThe *loss* fell."},
            {"cell_type": "code", "metadata": {}, "source": "print(6 * 7)", "outputs": [], "execution_count": None},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    workspace.container.exec_run(
        ["sh", "-c", f"cat > /workspace/report.ipynb <<'EOF'\n{json.dumps(notebook)}\nEOF"], user="jovyan"
    )
    for target, expected in (("markdown", "# Results"), ("rst", "Results\n=======")):  # rst: through pandoc
        converted = workspace.container.exec_run(
            ["jupyter", "nbconvert", "--to", target, "--stdout", "/workspace/report.ipynb"], user="jovyan"
        )
        assert converted.exit_code == 0 and expected in converted.output.decode(), converted.output.decode()[-500:]
    font_cache = workspace.container.exec_run(["sh", "-c", "ls ~/.cache/matplotlib"], user="jovyan").output.decode()
    assert "fontlist-" in font_cache, font_cache


def test_user_packages_survive_recreating_the_container(workspaces, host_workspace):
    make_wheel(host_workspace, "kept_package", "still here")
    first = workspaces.start(workspace_dir=host_workspace)
    output = execute(
        first,
        "import subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-m', 'pip', 'install', '--user', '--no-index', "
        "'/workspace/kept_package-1.0-py3-none-any.whl'], capture_output=True, text=True)\n"
        "print(done.returncode, done.stderr[-300:])",
    )
    assert output.startswith("0 "), output
    first.container.remove(force=True)
    state = host_workspace / ".workbench"
    assert state.stat().st_mode & 0o777 == 0o700 and (state / ".gitignore").read_text().endswith("\n*\n")

    second = workspaces.start(workspace_dir=host_workspace)
    assert execute(second, "import kept_package; print(kept_package.VALUE, kept_package.__file__)") == (
        "still here /workspace/.workbench/python/lib/python3.11/site-packages/kept_package.py\n"
    )


def test_workbench_env_creates_a_kernel_that_runs_code_and_outlives_the_container(workspaces, host_workspace):
    make_wheel(host_workspace, "env_only", "from the env")
    first = workspaces.start(workspace_dir=host_workspace)
    created = first.container.exec_run(
        ["bash", "-lc", "workbench-env create analysis -- --no-index /workspace/env_only-1.0-py3-none-any.whl"],
        user="jovyan",
    )
    assert created.exit_code == 0, created.output.decode()
    assert 'kernel "Python (analysis)"' in created.output.decode()
    first.container.remove(force=True)

    second = workspaces.start(workspace_dir=host_workspace)
    specs = second.get("api/kernelspecs").json()["kernelspecs"]
    assert specs["analysis"]["spec"]["display_name"] == "Python (analysis)"
    kernel = start_kernel(second, name="analysis")
    output = execute(second, "import sys, env_only, sklearn; print(sys.prefix, env_only.VALUE)", kernel_id=kernel)
    assert output == "/workspace/.workbench/envs/analysis from the env\n"
    # The workspace's own environment does not see what went into the extra one.
    assert execute(second, "import importlib.util; print(importlib.util.find_spec('env_only'))") == "None\n"


@pytest.mark.parametrize(
    "command, message",
    [
        ("workbench-env create Bad/Name", "is not a valid name"),
        ("workbench-env remove nothing-here", "no environment named 'nothing-here'"),
    ],
)
def test_workbench_env_refuses_bad_input_with_a_clear_error(workspace, command, message):
    result = workspace.container.exec_run(["bash", "-lc", command], user="jovyan")
    assert result.exit_code == 1 and message in result.output.decode()
