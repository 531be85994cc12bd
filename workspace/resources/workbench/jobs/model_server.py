"""The model server of `serve`: a WSGI app that gunicorn's workers run behind nginx (workbench/jobs/serving.py).

It follows SageMaker's framework containers (scikit-learn, PyTorch, XGBoost): the inference script named by
SAGEMAKER_PROGRAM may define model_fn(model_dir), input_fn(body, content_type), predict_fn(data, model) and
output_fn(prediction, accept), or transform_fn(model, body, content_type, accept) for all but the first; whatever
it leaves out is done by the defaults below. Each worker loads the model when it starts, so /ping answers 200 only
from a worker that holds the model. As in SageMaker's inference toolkit, a handler that takes one argument more is
given the request's context last (RequestContext): the headers, among them SageMaker's custom attributes, and the
answer's headers to set.

Runs in the image's Python environment (/opt/venv), where the user's libraries are.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from inspect import signature
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

from ..facts.paths import ML_CODE_DIR, ML_MODEL_DIR, PACKAGED_CODE_DIR

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
SUPPORTED = (JSON, CSV, NPY)
# Bodies of these types reach input_fn as text, as in SageMaker's inference toolkit; others as bytes.
TEXT_TYPES = (JSON, CSV)
# What a client of InvokeEndpoint sends as CustomAttributes, and reads back when the handlers set it on the answer.
CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
# SageMaker's log level variable for its containers: a number of Python's logging (the SDK's container_log_level).
LOG_LEVEL_VARIABLE = "SAGEMAKER_CONTAINER_LOG_LEVEL"
LOG_LEVELS = {name: logging.getLevelName(name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}
# Model files the default model_fn loads when no inference script says how (joblib: scikit-learn's own advice).
DEFAULT_MODEL_FILES = ("model.joblib", "model.pkl", "model.pickle")

log = logging.getLogger(__name__)


class RequestError(Exception):
    """The request cannot be answered as sent: a 4xx with this message."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def media_type(header: str | None) -> str:
    """'text/csv; charset=utf-8' -> 'text/csv'."""
    return (header or "").split(";", 1)[0].strip().lower()


def default_accept() -> str:
    return media_type(os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT")) or JSON


def choose_accept(header: str | None) -> str:
    """The first type the client accepts; the default when it accepts anything. A type the defaults cannot write
    is still passed on: an output_fn of the user's may know it."""
    for part in (header or "").split(","):
        candidate = media_type(part)
        if candidate and candidate not in ("*/*", "application/*", "text/*"):
            return candidate
    return default_accept()


# ------------------------------------------------------------------ defaults, as in SageMaker's framework containers


def default_model_fn(model_dir: str) -> Any:
    for name in DEFAULT_MODEL_FILES:
        if (Path(model_dir) / name).is_file():
            import joblib

            return joblib.load(Path(model_dir) / name)
    raise RuntimeError(
        f"no model_fn in the inference script and none of {', '.join(DEFAULT_MODEL_FILES)} in "
        f"{model_dir}: define model_fn(model_dir) in the script SAGEMAKER_PROGRAM names"
    )


def default_input_fn(body: str | bytes, content_type: str) -> Any:
    import numpy as np

    try:
        if content_type == JSON:
            data = json.loads(body)
            if isinstance(data, dict) and "instances" in data:
                data = data["instances"]
            return np.atleast_2d(np.asarray(data, dtype=float))
        if content_type == CSV:
            rows = [line for line in body.splitlines() if line.strip()]
            if not rows:
                raise ValueError("the body has no rows")
            return np.atleast_2d(np.loadtxt(rows, delimiter=",", dtype=float, ndmin=2))
        if content_type == NPY:
            return np.load(io.BytesIO(body), allow_pickle=False)  # never unpickle what a client sent
    except ValueError as error:
        raise RequestError("400 Bad Request", f"cannot read the body as {content_type}: {error}") from None
    raise RequestError(
        "415 Unsupported Media Type",
        f"content type {content_type or '(none)'!r} is not supported: send {', '.join(SUPPORTED)}, "
        "or define input_fn in the inference script",
    )


def default_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def default_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    import numpy as np

    if hasattr(prediction, "to_numpy"):  # pandas
        prediction = prediction.to_numpy()
    if accept == JSON:
        values = prediction.tolist() if isinstance(prediction, np.ndarray) else prediction
        return json.dumps(
            values, default=lambda value: value.item() if hasattr(value, "item") else str(value)
        ).encode(), JSON
    array = np.asarray(prediction)
    if accept == CSV:
        out = io.StringIO()
        np.savetxt(out, array if array.ndim else array.reshape(1), delimiter=",", fmt="%s")
        return out.getvalue().encode(), CSV
    if accept == NPY:
        out = io.BytesIO()
        np.save(out, array, allow_pickle=False)
        return out.getvalue(), NPY
    raise RequestError(
        "406 Not Acceptable",
        f"cannot answer in {accept!r}: accept one of {', '.join(SUPPORTED)}, "
        "or define output_fn in the inference script",
    )


# ------------------------------------------------------------------ the inference script


def find_program(program: str, code_dirs: list[Path]) -> Path | None:
    for folder in code_dirs:
        candidate = folder / program
        if candidate.is_file():
            return candidate
    return None


def code_dirs(environ: dict[str, str] = os.environ) -> list[Path]:
    """Where SageMaker puts an inference script: with the model (model.tar.gz's code/), or as the code of the
    submit directory or of the image (/opt/ml/code, or where `build.py package` put it, which a mount of the whole of
    /opt/ml cannot hide)."""
    dirs = [ML_MODEL_DIR / "code"]
    submit = environ.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    if submit.startswith("/"):
        dirs.append(Path(submit))
    dirs += [ML_CODE_DIR, PACKAGED_CODE_DIR]
    return list(dict.fromkeys(dirs))


def load_script(environ: dict[str, str] = os.environ) -> Any | None:
    program = environ.get("SAGEMAKER_PROGRAM", "").strip()
    if not program:
        return None
    path = find_program(program, code_dirs(environ))
    if path is None:  # serving.py checks this before any worker starts; a worker only re-checks
        raise RuntimeError(f"SAGEMAKER_PROGRAM {program!r} is not in {', '.join(map(str, code_dirs(environ)))}")
    sys.path.insert(0, str(path.parent))  # the script's own modules, as SageMaker's containers allow
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Handlers:
    model_fn: Callable = default_model_fn
    input_fn: Callable = default_input_fn
    predict_fn: Callable = default_predict_fn
    output_fn: Callable = default_output_fn
    transform_fn: Callable | None = None

    @classmethod
    def of(cls, script: Any | None) -> Handlers:
        handlers = cls()
        for name in ("model_fn", "input_fn", "predict_fn", "output_fn", "transform_fn"):
            if script is not None and callable(getattr(script, name, None)):
                setattr(handlers, name, getattr(script, name))
        return handlers

    @property
    def want_context(self) -> bool:
        """Whether a request's handlers ask for its context, which costs a little to make."""
        if self.transform_fn is not None:
            return takes_context(self.transform_fn, 4)
        return any(takes_context(handler, 2) for handler in (self.input_fn, self.predict_fn, self.output_fn))

    def transform(
        self, model: Any, body: str | bytes, content_type: str, accept: str, context: RequestContext
    ) -> tuple[bytes, str]:
        if self.transform_fn is not None:
            result = call_handler(self.transform_fn, context, model, body, content_type, accept)
        else:
            data = call_handler(self.input_fn, context, body, content_type)
            result = call_handler(self.output_fn, context, call_handler(self.predict_fn, context, data, model), accept)
        body_out, type_out = result if isinstance(result, tuple) else (result, accept)
        return (body_out.encode() if isinstance(body_out, str) else bytes(body_out)), type_out


class RequestContext:
    """The `context` SageMaker's inference toolkit gives a handler that asks for it, with the calls its handlers use
    (the model server's Context: request_processor[0].get_request_properties(), get_request_header,
    set_response_header, system_properties), and `custom_attributes` for short."""

    def __init__(self, request_headers: Headers | None = None):
        self.request_headers = request_headers or Headers([])
        self.response_headers = Headers([])
        self.system_properties = {"model_dir": str(ML_MODEL_DIR), "gpu_id": None, "batch_size": 1}
        self.request_processor = [self]

    @classmethod
    def of(cls, environ: dict) -> RequestContext:
        headers = [
            (name[5:].replace("_", "-").title(), value) for name, value in environ.items() if name.startswith("HTTP_")
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        return cls(Headers(headers))

    @property
    def custom_attributes(self) -> str | None:
        return self.request_headers.get(CUSTOM_ATTRIBUTES)

    def get_request_properties(self) -> Headers:
        return self.request_headers

    def get_request_header(self, _index: int, name: str) -> str | None:
        return self.request_headers.get(name)

    def set_response_header(self, _index: int, name: str, value: str) -> None:
        self.response_headers[name] = str(value)

    def set_response_content_type(self, _index: int, value: str) -> None:
        self.response_headers["Content-Type"] = value


@lru_cache(maxsize=64)
def takes_context(handler: Callable, arguments: int) -> bool:
    """Asked once per handler, not per request: inspect.signature costs more than a small prediction."""
    try:
        return len(signature(handler).parameters) == arguments + 1
    except (TypeError, ValueError):  # a builtin or C function without a signature takes what it is given
        return False


def call_handler(handler: Callable, context: RequestContext, *args: Any) -> Any:
    """A handler of SageMaker's inference toolkit takes its arguments, or one more: the request's context."""
    return handler(*args, context) if takes_context(handler, len(args)) else handler(*args)


# ------------------------------------------------------------------ the WSGI app


def answer(
    start_response: Callable,
    status: str,
    body: bytes,
    content_type: str = "text/plain; charset=utf-8",
    headers: Headers | None = None,
):
    extra = [(name, value) for name, value in (headers or Headers([])).items() if name.lower() != "content-type"]
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra])
    return [body]


def error_body(message: str) -> bytes:
    return (json.dumps({"message": message}) + "\n").encode()


class ModelServer:
    def __init__(self, environ: dict[str, str] = os.environ):
        self.handlers = Handlers.of(load_script(environ))
        self.want_context = self.handlers.want_context
        self.model = call_handler(self.handlers.model_fn, RequestContext(), str(ML_MODEL_DIR))
        log.info("model loaded from %s in worker %d", ML_MODEL_DIR, os.getpid())

    def __call__(self, environ: dict, start_response: Callable):
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path == "/ping":
            return answer(start_response, "200 OK", b"")  # a worker exists only once its model has loaded
        if path != "/invocations":
            return answer(
                start_response,
                "404 Not Found",
                error_body("not found: a model server answers GET /ping and POST /invocations"),
                JSON,
            )
        if method != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Length", "0")])
            return [b""]
        return self.invoke(environ, start_response)

    def invoke(self, environ: dict, start_response: Callable):
        content_type = media_type(environ.get("CONTENT_TYPE")) or JSON
        accept = choose_accept(environ.get("HTTP_ACCEPT"))
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        context = RequestContext.of(environ) if self.want_context else RequestContext()
        try:
            if content_type in TEXT_TYPES or content_type.startswith("text/"):
                try:
                    body = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise RequestError("400 Bad Request", f"the {content_type} body is not UTF-8") from None
            output, output_type = self.handlers.transform(self.model, body, content_type, accept, context)
        except RequestError as error:
            return answer(start_response, error.status, error_body(str(error)), JSON)
        except (ValueError, TypeError, KeyError) as error:  # the model or the script could not use this input
            log.warning("invocation refused: %s: %s", type(error).__name__, error)
            return answer(
                start_response,
                "400 Bad Request",
                error_body(f"the model cannot use this input: {type(error).__name__}: {error}"),
                JSON,
            )
        except Exception as error:  # noqa: BLE001 - a bug in the script answers 500; the worker lives on
            log.error("invocation failed:\n%s", traceback.format_exc())
            return answer(
                start_response,
                "500 Internal Server Error",
                error_body(f"the inference script failed: {type(error).__name__}: {error}"),
                JSON,
            )
        output_type = context.response_headers.get("Content-Type") or output_type
        return answer(start_response, "200 OK", output, output_type, context.response_headers)


def log_level(raw: str | None) -> int:
    """SAGEMAKER_CONTAINER_LOG_LEVEL: a number (the SDK writes logging.INFO as 20) or a level's name; INFO unset."""
    value = (raw or "").strip()
    if not value:
        return logging.INFO
    if value.isdigit() and int(value) in LOG_LEVELS.values():
        return int(value)
    if value.upper() in LOG_LEVELS:
        return LOG_LEVELS[value.upper()]
    raise ValueError(
        f"{LOG_LEVEL_VARIABLE}={raw!r} must be one of Python's logging levels: "
        f"{', '.join(map(str, LOG_LEVELS.values()))} or {', '.join(LOG_LEVELS)}"
    )


def create_app() -> ModelServer:
    logging.basicConfig(
        level=log_level(os.environ.get(LOG_LEVEL_VARIABLE)), format="model server: %(message)s", stream=sys.stderr
    )
    return ModelServer()
