"""What the SageMaker job tests share: a training script in SageMaker's script mode, data it learns, and /opt/ml as
SageMaker lays it out."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from built_images import build_on_image

# AWS's scikit_bring_your_own layout built on the image under test: its own `train` and `serve` in /opt/program.
BRING_YOUR_OWN = Path(__file__).resolve().parent.parent / "resources" / "bring_your_own"

# One script for both jobs, as SageMaker's scikit-learn examples write it: training under __main__, model_fn and
# predict_fn for serving. The modes are hyperparameters, so every training test runs the same code.
SCRIPT = """
import argparse, json, os, signal, sys, time
from pathlib import Path

import joblib
import numpy as np


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


# As SageMaker's inference toolkit calls it when it asks for the context: custom attributes are answered.
def predict_fn(data, model, context):
    if context.custom_attributes:
        context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", f"seen {context.custom_attributes}")
    return model.predict(data)


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
# A job on every host of a SageMaker training cluster (SM_HOSTS): each finds the others by their names, the first
# host (the leader) takes every other's name over a plain socket and answers with its own, and each writes what it
# saw to its output; only the leader writes the model. The last two messages make every host wait until all have
# written, since local mode stops the whole cluster when one container exits.
RENDEZVOUS_SCRIPT = """
import json, os, socket, time
from pathlib import Path

hosts, me = json.loads(os.environ["SM_HOSTS"]), os.environ["SM_CURRENT_HOST"]
leader, port = hosts[0], 7777


def record(heard):
    seen = {"me": me, "hosts": hosts, "heard": sorted(heard), "addresses": {h: socket.gethostbyname(h) for h in hosts}}
    Path(os.environ["SM_OUTPUT_DATA_DIR"], f"rendezvous-{me}.json").write_text(json.dumps(seen))
    if me == leader:
        Path(os.environ["SM_MODEL_DIR"], "model.json").write_text(json.dumps(seen))


def message(connection):
    return connection.recv(100).decode()


if me == leader:
    server = socket.create_server(("0.0.0.0", port))
    server.settimeout(300)
    peers = []
    for _ in hosts[1:]:
        connection, _ = server.accept()
        peers.append((connection, message(connection)))
        connection.sendall(me.encode())
    record([name for _, name in peers])
    for connection, _ in peers:
        assert message(connection) == "written"
    for connection, _ in peers:
        connection.sendall(b"bye")
        connection.close()
else:
    deadline = time.monotonic() + 300
    while True:
        try:
            connection = socket.create_connection((leader, port), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # the leader's socket is not open yet
    connection.sendall(me.encode())
    record([message(connection)])
    connection.sendall(b"written")
    assert message(connection) == "bye"
print(f"rendezvous of {me} done", flush=True)
"""
# The same on the full flavor with PyTorch: a gloo process group across the hosts, and an all-reduce of each rank's
# number (1 + 2 = 3 on two hosts).
TORCH_RENDEZVOUS_SCRIPT = """
import json, os
from pathlib import Path

import torch
import torch.distributed as dist

hosts, me = json.loads(os.environ["SM_HOSTS"]), os.environ["SM_CURRENT_HOST"]
rank = hosts.index(me)
dist.init_process_group("gloo", init_method=f"tcp://{hosts[0]}:29500", rank=rank, world_size=len(hosts))
total = torch.tensor([rank + 1.0])
dist.all_reduce(total)
seen = {"me": me, "rank": rank, "sum": total.item()}
Path(os.environ["SM_OUTPUT_DATA_DIR"], f"rendezvous-{me}.json").write_text(json.dumps(seen))
if rank == 0:
    Path(os.environ["SM_MODEL_DIR"], "model.json").write_text(json.dumps(seen))
dist.barrier()  # every host has written before any exits
dist.destroy_process_group()
print(f"all-reduce of {me} done", flush=True)
"""
# A processing job's script, as ScriptProcessor runs it: /opt/ml/processing/input/data/train.csv split in two halves.
PREPROCESS = """
import pandas as pd
frame = pd.read_csv("/opt/ml/processing/input/data/train.csv", header=None)
half = len(frame) // 2
frame[:half].to_csv("/opt/ml/processing/output/train/part.csv", header=False, index=False)
frame[half:].to_csv("/opt/ml/processing/output/test/part.csv", header=False, index=False)
print("split", len(frame), "rows")
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


def build_bring_your_own_image(docker_client, base: str, ca_bundle: str | None, labels: dict | None = None) -> str:
    return build_on_image(docker_client, BRING_YOUR_OWN, "workbench-test-bring-your-own", base, ca_bundle, labels or {})
