"""The Open Inference Protocol v2 (KServe, Seldon, MLServer) for tabular models.

Rows follow MLServer's pandas-codec convention: one input per column, each with a ``name``,
a ``shape`` of ``[n]`` or ``[n, 1]``, a ``datatype`` and flat ``data``. The binary-data
extension (``binary_data_size``) is not supported; such requests get a 400 that says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import DriftlineError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DATATYPES", "InferRequest", "RequestError", "decode_columns", "decode_infer_request",
           "encode_infer_response"]

DATATYPES = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
    "UINT64": np.uint64, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
    "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
    "BYTES": object,
}


class RequestError(DriftlineError):
    """A request the service refuses: ``status`` is the HTTP status, ``detail`` the reason.

    Examples
    --------
    >>> RequestError(422, "too many rows", field="instances").to_dict()
    {'error': 'too many rows', 'field': 'instances'}
    """

    def __init__(self, status: int, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body: the problem and the field it is about (OIP's ``error`` key)."""
        return {"error": self.detail, "field": self.field}


@dataclass(frozen=True)
class InferRequest:
    """A decoded inference request: its id (if any) and the rows as a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> InferRequest("r1", pd.DataFrame({"x": [1.0]})).frame.columns.tolist()
    ['x']
    """

    id: str | None
    frame: pd.DataFrame


def _column(inp: Any, index: int) -> tuple[str, int, np.ndarray]:
    if not isinstance(inp, Mapping):
        raise RequestError(422, f"inputs[{index}] must be an object with name, shape, "
                                f"datatype and data; got {type(inp).__name__}.", field=f"inputs[{index}]")
    name = inp.get("name")
    if not isinstance(name, str) or not name:
        raise RequestError(422, f"inputs[{index}].name must be a non-empty string.",
                           field=f"inputs[{index}].name")
    if "binary_data_size" in (inp.get("parameters") or {}):
        raise RequestError(400, "the binary-data extension is not supported; send JSON data.",
                           field=f"inputs[{index}].parameters.binary_data_size")
    dtype = inp.get("datatype")
    if not isinstance(dtype, str) or dtype not in DATATYPES:
        raise RequestError(422, f"inputs[{index}] ({name}).datatype must be one of "
                                f"{', '.join(DATATYPES)}; got {dtype!r}.", field=f"inputs[{index}].datatype")
    shape = inp.get("shape")
    ok_shape = (isinstance(shape, list) and len(shape) in (1, 2)
                and all(isinstance(s, int) and s >= 0 for s in shape)
                and (len(shape) == 1 or shape[1] == 1))
    if not ok_shape:
        raise RequestError(422, f"inputs[{index}] ({name}).shape must be [n] or [n, 1] for a "
                                f"table column; got {shape!r}.", field=f"inputs[{index}].shape")
    data = inp.get("data")
    if not isinstance(data, list):
        raise RequestError(422, f"inputs[{index}] ({name}).data must be a list.",
                           field=f"inputs[{index}].data")
    flat = [x[0] if isinstance(x, list) and len(x) == 1 else x for x in data]
    if len(flat) != shape[0]:
        raise RequestError(422, f"inputs[{index}] ({name}) has {len(flat)} values but shape "
                                f"{shape} says {shape[0]}.", field=f"inputs[{index}].data")
    return name, shape[0], _values(flat, dtype, name)


def _values(flat: list[Any], dtype: str, name: str) -> np.ndarray:
    if dtype == "BYTES":
        if not all(v is None or isinstance(v, str) for v in flat):
            raise RequestError(422, f"input {name!r} is BYTES: its values must be strings.", field=name)
        return np.asarray(flat, dtype=object)
    if dtype == "BOOL":
        if not all(isinstance(v, bool) for v in flat):
            raise RequestError(422, f"input {name!r} is BOOL: its values must be true/false.", field=name)
        return np.asarray(flat, dtype=bool)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in flat):
        raise RequestError(422, f"input {name!r} is {dtype}: its values must be numbers.", field=name)
    if any(isinstance(v, float) and not math.isfinite(v) for v in flat):
        raise RequestError(422, f"input {name!r} holds a non-finite number (NaN or infinity).", field=name)
    try:
        return np.asarray(flat, dtype=DATATYPES[dtype])
    except OverflowError:
        raise RequestError(422, f"input {name!r} holds a value outside {dtype}'s range.",
                           field=name) from None


def decode_columns(body: Any, *, max_rows: int = 10_000) -> tuple[str | None, dict[str, np.ndarray]]:
    """Decode an OIP v2 ``/infer`` body into its request id and one array per column.

    Examples
    --------
    >>> rid, cols = decode_columns({"inputs": [
    ...     {"name": "x", "shape": [2], "datatype": "INT64", "data": [1, 2]}]})
    >>> rid, cols["x"].tolist()
    (None, [1, 2])
    """
    if not isinstance(body, Mapping):
        raise RequestError(422, "the body must be a JSON object with an 'inputs' list.", field="body")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestError(422, "'inputs' must be a non-empty list of columns.", field="inputs")
    rid = body.get("id")
    if rid is not None and not isinstance(rid, str):
        raise RequestError(422, f"'id' must be a string; got {type(rid).__name__}.", field="id")
    columns = [_column(inp, i) for i, inp in enumerate(inputs)]
    names = [c[0] for c in columns]
    if len(set(names)) != len(names):
        raise RequestError(422, "input names must be unique (one input per column).", field="inputs")
    rows = {c[1] for c in columns}
    if len(rows) > 1:
        raise RequestError(422, f"all inputs must have the same number of rows; got {sorted(rows)}.",
                           field="inputs")
    n = rows.pop()
    if n > max_rows:
        raise RequestError(422, f"{n} rows is more than the limit of {max_rows} per request.", field="inputs")
    return rid, {name: values for name, _, values in columns}


def decode_infer_request(body: Any, *, max_rows: int = 10_000) -> InferRequest:
    """Decode an OIP v2 ``/infer`` body into rows (pandas codec), validating as it goes.

    Examples
    --------
    >>> req = decode_infer_request({"id": "r1", "inputs": [
    ...     {"name": "income", "shape": [2], "datatype": "FP64", "data": [52000.0, 31000.5]},
    ...     {"name": "region", "shape": [2, 1], "datatype": "BYTES", "data": ["north", "east"]},
    ... ]})
    >>> req.id, req.frame.to_dict("list")
    ('r1', {'income': [52000.0, 31000.5], 'region': ['north', 'east']})
    """
    import pandas as pd

    rid, columns = decode_columns(body, max_rows=max_rows)
    return InferRequest(rid, pd.DataFrame(columns))


def _datatype(values: np.ndarray) -> str:
    kind = values.dtype.kind
    if kind == "b":
        return "BOOL"
    if kind in "iu":
        return "INT64"
    if kind == "f":
        return "FP64"
    return "BYTES"


def encode_infer_response(
    model_name: str, model_version: str, predictions: Sequence[Any] | np.ndarray, *,
    request_id: str | None = None, scores: np.ndarray | None = None,
    classes: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """The OIP v2 response: ``predict`` as one output, class scores as ``predict_proba``.

    Examples
    --------
    >>> out = encode_infer_response("credit", "3", [0, 1], request_id="r1",
    ...                             scores=np.array([[0.9, 0.1], [0.2, 0.8]]), classes=[0, 1])
    >>> [o["name"] for o in out["outputs"]], out["outputs"][1]["shape"]
    (['predict', 'predict_proba'], [2, 2])
    """
    preds = np.asarray(predictions)
    outputs: list[dict[str, Any]] = [{
        "name": "predict", "shape": [int(preds.shape[0]), 1], "datatype": _datatype(preds),
        "data": [v.item() if hasattr(v, "item") else v for v in preds.tolist()],
    }]
    if scores is not None:
        s = np.asarray(scores, dtype=np.float64)
        outputs.append({"name": "predict_proba", "shape": list(s.shape), "datatype": "FP64",
                        "data": s.ravel().tolist(),
                        "parameters": {"classes": [str(c) for c in (classes or [])]}})
    response: dict[str, Any] = {"model_name": model_name, "model_version": model_version,
                                "outputs": outputs}
    if request_id is not None:
        response["id"] = request_id
    return response
