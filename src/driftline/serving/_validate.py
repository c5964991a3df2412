"""Validating request rows against the champion's inputs: every feature present, no unknown
field, the right JSON type, finite numbers, and no more rows than the limit (all 422)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.serving._oip import RequestError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_columns", "check_frame", "records_columns", "records_frame", "row_count",
           "split_kind"]

_PY = {"number": (int, float), "boolean": (bool,), "string": (str,)}


def split_kind(kind: str) -> tuple[str, bool]:
    """``"number?"`` → ``("number", True)``: the JSON type, and whether null is accepted
    (a feature that had missing values in training).

    Examples
    --------
    >>> split_kind("number?"), split_kind("string")
    (('number', True), ('string', False))
    """
    return (kind[:-1], True) if kind.endswith("?") else (kind or "number", False)


def row_count(rows: Any, field: str, max_rows: int) -> int:
    """Check that ``rows`` is a non-empty list within the limit.

    Examples
    --------
    >>> row_count([{}, {}], "instances", 10)
    2
    """
    if not isinstance(rows, list) or not rows:
        raise RequestError(422, f"{field!r} must be a non-empty list.", field=field)
    if len(rows) > max_rows:
        raise RequestError(422, f"{len(rows)} rows is more than the limit of {max_rows} per "
                                "request (limits.max_rows_per_request).", field=field)
    return len(rows)


def _type_ok(value: Any, kind: str, nullable: bool) -> bool:
    if value is None:
        return nullable
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return math.isfinite(value)
    return isinstance(value, _PY[kind])


def records_frame(rows: list[Any], inputs: Mapping[str, str], *, field: str = "instances",
                  ) -> pd.DataFrame:
    """Rows (one JSON object each) → a DataFrame with the features in order.

    ``null`` is accepted as a missing value for features that had missing values in
    training (``"number?"``). Errors name the row and the field.

    Examples
    --------
    >>> records_frame([{"x": 1.5, "c": "a"}], {"x": "number", "c": "string"}).to_dict("list")
    {'x': [1.5], 'c': ['a']}
    >>> records_frame([{"x": "high"}], {"x": "number"})
    Traceback (most recent call last):
    ...
    driftline.serving._oip.RequestError: instances[0].x must be a finite number; got 'high'.
    """
    import pandas as pd

    return pd.DataFrame(records_columns(rows, inputs, field=field))


def records_columns(rows: list[Any], inputs: Mapping[str, str], *, field: str = "instances",
                    ) -> dict[str, np.ndarray]:
    """Like :func:`records_frame`, as one array per feature (the serving hot path).

    Examples
    --------
    >>> records_columns([{"x": 2}], {"x": "number"})["x"].dtype
    dtype('float64')
    """
    names = list(inputs)
    expected = set(names)
    columns: dict[str, list[Any]] = {n: [] for n in names}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise RequestError(422, f"{field}[{i}] must be an object of feature values; got "
                                    f"{type(row).__name__}.", field=f"{field}[{i}]")
        if row.keys() != expected:
            _key_error(row, names, f"{field}[{i}]")
        for n in names:
            v = row[n]
            kind, nullable = split_kind(inputs[n])
            if not _type_ok(v, kind, nullable):
                extra = (" (it had no missing values in training, so the model need not "
                         "handle them)") if v is None else ""
                raise RequestError(422, f"{field}[{i}].{n} must be {_article(kind)}; got "
                                        f"{_show(v)}{extra}.", field=f"{field}[{i}].{n}")
            columns[n].append(v)
    return {n: _column(columns[n], split_kind(inputs[n])[0]) for n in names}


def _column(values: list[Any], kind: str) -> Any:
    if kind == "number":
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.array(values, dtype=object)


def check_frame(frame: pd.DataFrame, inputs: Mapping[str, str], *,
                allow_null: bool = False) -> pd.DataFrame:
    """Check a decoded frame's columns and types; return it with features in order.

    Missing values pass for nullable inputs, or everywhere with ``allow_null`` (logging).

    Examples
    --------
    >>> import pandas as pd
    >>> check_frame(pd.DataFrame({"c": ["a"], "x": [1]}), {"x": "number", "c": "string"}).columns.tolist()
    ['x', 'c']
    """
    import pandas as pd

    columns = {str(c): frame[c].to_numpy() for c in frame.columns}
    return pd.DataFrame(check_columns(columns, inputs, allow_null=allow_null), index=frame.index)


def check_columns(columns: Mapping[str, np.ndarray], inputs: Mapping[str, str], *,
                  allow_null: bool = False) -> dict[str, np.ndarray]:
    """Check decoded columns against the inputs; return them in the inputs' order.

    Examples
    --------
    >>> list(check_columns({"c": np.array(["a"], dtype=object), "x": np.array([1.5])},
    ...                    {"x": "number", "c": "string"}))
    ['x', 'c']
    """
    names = list(inputs)
    if columns.keys() != set(names):
        _key_error(dict.fromkeys(columns), names, "inputs")
    out = {}
    for n in names:
        kind, nullable = split_kind(inputs[n])
        col = np.asarray(columns[n])
        if col.dtype.kind in "iub":
            values, n_missing = col, 0
        elif col.dtype.kind == "f":
            missing = np.isnan(col)
            n_missing = int(missing.sum())
            values = col[~missing] if n_missing else col
        else:
            missing = np.array([v is None or (isinstance(v, float) and v != v) for v in col],
                               dtype=bool)
            n_missing = int(missing.sum())
            values = col[~missing] if n_missing else col
        if n_missing and not (nullable or allow_null):
            raise RequestError(422, f"input {n!r} has missing values, and it had none in "
                                    "training.", field=n)
        if kind == "number":
            ok = col.dtype.kind in "iuf" or all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            if ok and not np.isfinite(np.asarray(values, dtype=np.float64)).all():
                raise RequestError(422, f"input {n!r} holds a non-finite number.", field=n)
        elif kind == "boolean":
            ok = col.dtype.kind == "b" or all(isinstance(v, (bool, np.bool_)) for v in values)
        else:
            ok = col.dtype.kind in "OUT" and all(isinstance(v, str) for v in values)
        if not ok:
            raise RequestError(422, f"input {n!r} must be {_article(kind)} column (datatype "
                                    f"{_DATATYPE[kind]}); got {col.dtype}.", field=n)
        out[n] = col.astype(np.float64) if kind == "number" and col.dtype.kind == "O" else col
    return out


_DATATYPE = {"number": "FP64 or INT64", "boolean": "BOOL", "string": "BYTES"}


def _article(kind: str) -> str:
    return {"number": "a finite number", "boolean": "true or false",
            "string": "a string"}[kind]


def _show(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _key_error(row: Mapping[str, Any], names: list[str], where: str) -> None:
    missing = [n for n in names if n not in row]
    unknown = [str(k) for k in row if k not in set(names)]
    if missing:
        raise RequestError(422, f"{where} lacks the feature {missing[0]!r}; the model needs: "
                                f"{', '.join(names)}.", field=f"{where}.{missing[0]}")
    raise RequestError(422, f"{where} has the unknown field {_show(unknown[0])}; the model takes: "
                            f"{', '.join(names)}.", field=f"{where}.{unknown[0][:60]}")
