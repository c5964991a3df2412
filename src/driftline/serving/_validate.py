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

__all__ = ["check_frame", "records_frame", "row_count"]

_PY = {"number": (int, float), "boolean": (bool,), "string": (str,)}


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


def _type_ok(value: Any, kind: str) -> bool:
    if value is None:
        return True
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return math.isfinite(value)
    return isinstance(value, _PY[kind])


def records_frame(rows: list[Any], inputs: Mapping[str, str], *, field: str = "instances",
                  ) -> pd.DataFrame:
    """Rows (one JSON object each) → a DataFrame with the features in order.

    ``null`` is accepted as a missing value. Errors name the row and the field.

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
            if not _type_ok(v, inputs[n]):
                raise RequestError(422, f"{field}[{i}].{n} must be {_article(inputs[n])}; got "
                                        f"{_show(v)}.", field=f"{field}[{i}].{n}")
            columns[n].append(v)
    return pd.DataFrame({n: _column(columns[n], inputs[n]) for n in names})


def _column(values: list[Any], kind: str) -> Any:
    if kind == "number":
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.array(values, dtype=object)


def check_frame(frame: pd.DataFrame, inputs: Mapping[str, str]) -> pd.DataFrame:
    """Check an OIP-decoded frame's columns and types; return it with features in order.

    Examples
    --------
    >>> import pandas as pd
    >>> check_frame(pd.DataFrame({"c": ["a"], "x": [1]}), {"x": "number", "c": "string"}).columns.tolist()
    ['x', 'c']
    """
    have = [str(c) for c in frame.columns]
    names = list(inputs)
    if set(have) != set(names):
        _key_error(dict.fromkeys(have), names, "inputs")
    for n in names:
        col = frame[n].to_numpy()
        kind = inputs[n]
        ok = (col.dtype.kind in "iuf" if kind == "number" else
              col.dtype.kind == "b" if kind == "boolean" else col.dtype.kind in "OU")
        if not ok:
            raise RequestError(422, f"input {n!r} must be {_article(kind)} column (datatype "
                                    f"{_DATATYPE[kind]}); got {col.dtype}.", field=n)
        if kind == "number" and col.dtype.kind == "f" and not np.isfinite(col).all():
            raise RequestError(422, f"input {n!r} holds a non-finite number.", field=n)
    return frame[names]


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
