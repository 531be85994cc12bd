# The Flask app of AWS's scikit_bring_your_own example, loading the benchmark's joblib model.
import io
import os

import flask
import joblib
import pandas as pd

model_path = "/opt/ml/model"


class ScoringService:
    model = None

    @classmethod
    def get_model(cls):
        if cls.model is None:
            cls.model = joblib.load(os.path.join(model_path, "model.joblib"))
        return cls.model

    @classmethod
    def predict(cls, input):
        return cls.get_model().predict(input)


app = flask.Flask(__name__)


@app.route("/ping", methods=["GET"])
def ping():
    health = ScoringService.get_model() is not None
    status = 200 if health else 404
    return flask.Response(response="\n", status=status, mimetype="application/json")


@app.route("/invocations", methods=["POST"])
def transformation():
    if flask.request.content_type == "text/csv":
        data = flask.request.data.decode("utf-8")
        data = pd.read_csv(io.StringIO(data), header=None)
    else:
        return flask.Response(response="This predictor only supports CSV data", status=415, mimetype="text/plain")
    predictions = ScoringService.predict(data.to_numpy())
    out = io.StringIO()
    pd.DataFrame({"results": predictions}).to_csv(out, header=False, index=False)
    return flask.Response(response=out.getvalue(), status=200, mimetype="text/csv")
