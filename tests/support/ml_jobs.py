"""What the SageMaker job tests share: a training script in SageMaker's script mode, data it learns, and /opt/ml as
SageMaker lays it out."""

from __future__ import annotations

import json
from pathlib import Path

import requests

# One script for both jobs, as SageMaker's scikit-learn examples write it: training under __main__, model_fn for
# serving. The modes are hyperparameters, so every training test runs the same code.
SCRIPT = """
import argparse, json, os, signal, sys, time
from pathlib import Path

import joblib
import numpy as np


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def processes():
    names = []
    for status in Path("/proc").glob("[0-9]*/comm"):
        try:
            names.append(status.read_text().strip())
        except OSError:
            pass
    return names


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--strength", type=float)
    parser.add_argument("--mode")
    parser.add_argument("--note")
    args = parser.parse_args()
    seen = {"args": vars(args), "uid": os.getuid(), "processes": processes(),
            "env": {name: value for name, value in os.environ.items() if name.startswith("SM_")}}
    Path(os.environ["SM_OUTPUT_DATA_DIR"], "seen.json").write_text(json.dumps(seen))
    if args.mode == "fail":
        raise ValueError("the learning rate must be positive")
    if args.mode == "wait":
        def checkpoint(signum, frame):
            Path("/opt/ml/checkpoints/checkpoint.json").write_text(json.dumps({"signal": signum}))
            sys.exit(0)
        signal.signal(signal.SIGTERM, checkpoint)
        print("waiting for SIGTERM", flush=True)
        while True:
            time.sleep(0.2)
    data = np.loadtxt(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"), delimiter=",")
    if args.mode == "xgboost":
        from xgboost import XGBClassifier
        model = XGBClassifier(n_estimators=20, max_depth=2)
    else:
        from sklearn.linear_model import LogisticRegression
        model = LogisticRegression(C=args.strength)
    model.fit(data[:, 1:], data[:, 0])
    joblib.dump(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.joblib"))
    # One write: the toolkit relays output in chunks, and unbuffered print() writes each argument on its own.
    print(f"trained {type(model).__name__} on {len(data)} rows", flush=True)
"""
# Two clusters far apart: any sensible model puts (-5, -5) in class 0 and (5, 5) in class 1.
POINTS = [(-5.0, -5.0), (5.0, 5.0), (-4.0, -6.0), (6.0, 4.0)]
CLASSES = [0.0, 1.0, 0.0, 1.0]


def training_data() -> str:
    rows = []
    for i in range(200):
        offset = (i % 7) / 7
        rows.append(f"0,{-3 - offset},{-3 + offset}")
        rows.append(f"1,{3 + offset},{3 - offset}")
    return "\n".join(rows) + "\n"


def ml_tree(parent: Path, hyperparameters: dict, program: str = "train.py", script: str = SCRIPT) -> Path:
    """/opt/ml as SageMaker creates it for a job with one channel, "train": root-owned, hyperparameters as strings."""
    ml = parent / "ml"
    config = ml / "input" / "config"
    config.mkdir(parents=True)
    strings = {name: str(value) for name, value in hyperparameters.items()}
    (config / "hyperparameters.json").write_text(json.dumps(strings))
    (config / "inputdataconfig.json").write_text(
        json.dumps(
            {
                "train": {
                    "TrainingInputMode": "File",
                    "S3DistributionType": "FullyReplicated",
                    "RecordWrapperType": "None",
                }
            }
        )
    )
    (config / "resourceconfig.json").write_text(
        json.dumps({"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"})
    )
    (ml / "input" / "data" / "train").mkdir(parents=True)
    (ml / "input" / "data" / "train" / "train.csv").write_text(training_data())
    (ml / "code").mkdir()
    (ml / "code" / program).write_text(script)
    for folder in ("model", "output/data", "checkpoints"):
        (ml / folder).mkdir(parents=True)
    return ml


def answers_ping(url: str) -> bool:
    """A model server's readiness as SageMaker asks it: GET /ping is 200."""
    try:
        return requests.get(f"{url}/ping", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False
