"""The full and gpu flavors: the deep-learning frameworks in a kernel reached through port 8080, each training a
tiny model for a few steps with the loss falling, plus the desktop's browser and the docker CLI. Skipped for
minimal (python3 build.py test --flavor full runs them)."""

from __future__ import annotations

import json

import pytest

from kernels import execute

pytestmark = [pytest.mark.container, pytest.mark.flavor("full")]

TORCH = """
import json, torch
torch.manual_seed(0)
x = torch.randn(256, 8)
y = x @ torch.randn(8, 1) + 0.1 * torch.randn(256, 1)
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
losses = []
for step in range(60):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(json.dumps({"losses": losses[::10] + [losses[-1]], "cuda": torch.cuda.is_available()}))
"""

TENSORFLOW = """
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np, tensorflow as tf
tf.random.set_seed(0)
x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Dense(16, activation="relu"),
                             tf.keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="binary_crossentropy")
history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
print(json.dumps({"losses": history.history["loss"], "gpus": len(tf.config.list_physical_devices("GPU"))}))
"""

BOOSTING_AND_TRANSFORMERS = """
import json, numpy as np, xgboost, lightgbm, transformers, torch
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=500, random_state=0)
booster = xgboost.XGBClassifier(n_estimators=20, eval_metric="logloss").fit(X, y, eval_set=[(X, y)], verbose=False)
xgb_losses = booster.evals_result()["validation_0"]["logloss"]
lgbm = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y, eval_set=[(X, y)], eval_names=["train"])
lgbm_losses = lgbm.evals_result_["train"]["binary_logloss"]
# A tiny BERT made from a config: no download from a model hub.
config = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                 intermediate_size=64, num_labels=2)
bert = transformers.BertForSequenceClassification(config)
optimizer = torch.optim.AdamW(bert.parameters(), lr=1e-3)
ids, labels = torch.randint(0, 100, (16, 12)), torch.randint(0, 2, (16,))
bert_losses = []
for step in range(15):
    optimizer.zero_grad()
    loss = bert(input_ids=ids, labels=labels).loss
    loss.backward()
    optimizer.step()
    bert_losses.append(loss.item())
print(json.dumps({"xgboost": xgb_losses, "lightgbm": lgbm_losses, "bert": bert_losses}))
"""


def run(workspace, code: str) -> dict:
    """The JSON the code prints last (frameworks log to stderr, which the kernel streams too)."""
    return json.loads(execute(workspace, code, timeout=300).strip().splitlines()[-1])


def falls(losses: list[float], by: float = 0.8) -> bool:
    return losses[-1] < by * losses[0]


def test_pytorch_trains_and_the_loss_falls(workspace):
    result = run(workspace, TORCH)
    assert falls(result["losses"]), result
    assert result["cuda"] is False  # no GPU on this machine: it runs on the CPU


def test_tensorflow_trains_and_the_loss_falls(workspace):
    result = run(workspace, TENSORFLOW)
    assert falls(result["losses"]), result


def test_boosting_and_transformers_train_and_their_losses_fall(workspace):
    result = run(workspace, BOOSTING_AND_TRANSFORMERS)
    assert falls(result["xgboost"]) and falls(result["lightgbm"]) and falls(result["bert"], by=0.9), result


def test_desktop_has_a_browser_and_the_workspace_has_the_docker_cli(workspace):
    firefox = workspace.container.exec_run(["firefox-esr", "--version"], user="jovyan")
    assert firefox.exit_code == 0 and b"Mozilla Firefox" in firefox.output
    docker = workspace.container.exec_run(["docker", "--version"], user="jovyan")
    assert docker.exit_code == 0 and b"Docker version" in docker.output


@pytest.mark.flavor("gpu")
def test_gpu_flavor_without_a_gpu_starts_on_the_cpu_and_says_so(workspace):
    assert "NOTE: no GPU is visible in this container" in workspace.logs()
    assert workspace.container.attrs["Config"]["Env"].count("NVIDIA_VISIBLE_DEVICES=all") == 1
    assert workspace.get("api/workbench/status").json()["resources"]["gpus"] == []
