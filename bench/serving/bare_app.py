"""The floor of the serving benchmark: the model in a bare FastAPI app, logging nothing.

    BENCH_MODEL_PATH=bench/out/serving/mlserver/credit/model.joblib BENCH_MODEL_NAME=credit \\
        .venv/bin/uvicorn bare_app:app --app-dir bench/serving --port 8000 --no-access-log

It does the same inference work as driftline's server (one ``predict_proba`` call, labels from
the most probable class, both outputs returned) and nothing else, so the difference between the
two is the cost of validation and durable logging. It speaks just enough of the Open Inference
Protocol v2 for the benchmark: ``POST
/v2/models/{name}/infer`` with one input per column (MLServer's pandas codec) and ``GET
/v2/models/{name}/ready``. The model is loaded once at import and predicts on the event loop,
as MLServer does with ``parallel_workers: 0``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import joblib
import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

DTYPES = {"BOOL": bool, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
          "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
          "FP16": np.float16, "FP32": np.float32, "FP64": np.float64, "BYTES": object}

MODEL_NAME = os.environ.get("BENCH_MODEL_NAME", "credit")
MODEL = joblib.load(os.environ["BENCH_MODEL_PATH"])
app = FastAPI()


def decode(body: dict[str, Any]) -> pd.DataFrame:
    """One column per OIP input; shapes ``[n]`` and ``[n, 1]`` both give n rows."""
    columns = {}
    for inp in body["inputs"]:
        data = [v[0] if isinstance(v, list) else v for v in inp["data"]]
        columns[inp["name"]] = np.asarray(data, dtype=DTYPES[inp["datatype"]])
    return pd.DataFrame(columns)


def _unknown(name: str) -> JSONResponse:
    return JSONResponse({"error": f"model {name!r} is not served here"}, status_code=404)


@app.get("/v2/models/{name}/ready")
async def ready(name: str) -> JSONResponse:
    return JSONResponse({"name": name, "ready": True}) if name == MODEL_NAME else _unknown(name)


@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request) -> JSONResponse:
    if name != MODEL_NAME:
        return _unknown(name)
    try:
        frame = decode(json.loads(await request.body()))
    except (KeyError, TypeError, ValueError) as exc:
        return JSONResponse({"error": "bad request", "detail": str(exc)}, status_code=422)
    # The same inference work as driftline's server, which answers with both outputs from one
    # predict_proba call: the labels are the classes of highest probability.
    proba = np.asarray(MODEL.predict_proba(frame), dtype=np.float64)
    predictions = MODEL.classes_[np.argmax(proba, axis=1)]
    return JSONResponse({
        "model_name": MODEL_NAME,
        "outputs": [{"name": "predict", "shape": [len(predictions), 1], "datatype": "INT64",
                     "data": predictions.astype(np.int64).tolist()},
                    {"name": "predict_proba", "shape": list(proba.shape), "datatype": "FP64",
                     "data": proba.ravel().tolist()}],
    })
