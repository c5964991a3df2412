"""Turn the tables users pass (pandas, polars, pyarrow, dicts of arrays) into columns.

Everything is converted to a pandas DataFrame once, then each column into a :class:`Column`:
numbers as float64 (missing → NaN), timestamps as datetime64, and labels as integer codes with
their distinct string labels (``pandas.factorize``, hash-based and fast; pandas categoricals keep
their codes). Labels are compared as strings, so ``1`` in one file and ``"1"`` in another match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Column", "Family", "columns_of", "to_pandas"]

Family = str  # "numeric", "bool", "datetime", "string"


@dataclass(frozen=True)
class Column:
    """One column, ready for testing.

    ``family`` is the storage type: ``numeric`` and ``bool`` have ``values`` (float64);
    ``datetime`` has ``values`` (datetime64[ns]); ``string`` has ``codes`` (-1 = missing)
    into ``labels`` (object array of str). ``dtype`` is the original dtype, for messages.
    """

    name: str
    family: Family
    dtype: str
    size: int
    values: np.ndarray | None = None
    codes: np.ndarray | None = None
    labels: np.ndarray | None = None
    categorical_dtype: bool = False


def to_pandas(data: Any, side: str) -> pd.DataFrame:
    """Convert a supported table to a pandas DataFrame; ``side`` names it in errors.

    Examples
    --------
    >>> to_pandas({"a": [1, 2]}, "reference").shape
    (2, 1)
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, dict):
        frame = _from_dict(data, side)
    elif hasattr(data, "to_pandas") and type(data).__module__.split(".")[0] in ("polars", "pyarrow"):
        try:
            frame = data.to_pandas()
        except ImportError as exc:  # polars needs pyarrow for to_pandas
            from driftline.errors import MissingDependencyError

            raise MissingDependencyError.for_extra("pyarrow", "io", "Reading polars frames") from exc
    else:
        raise DataError(
            f"{side} must be a pandas or polars DataFrame, a pyarrow Table or a dict of arrays; "
            f"got {type(data).__name__}."
        )
    if frame.shape[1] == 0:
        raise DataError(f"{side} has no columns.")
    if frame.shape[0] == 0:
        raise DataError(f"{side} has no rows; it needs at least one row to compare.")
    if not frame.columns.is_unique:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise DataError(f"{side} has duplicate column names: {', '.join(dupes)}.")
    return frame


def _from_dict(data: dict[Any, Any], side: str) -> pd.DataFrame:
    import pandas as pd

    arrays = {str(k): np.asarray(v) for k, v in data.items()}
    lengths = {k: (a.shape[0] if a.ndim else 1) for k, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise DataError(f"{side}: all columns must have the same length; got {detail}.")
    bad = [k for k, a in arrays.items() if a.ndim != 1]
    if bad:
        raise DataError(f"{side}: columns must be one-dimensional; {bad[0]!r} has shape "
                        f"{arrays[bad[0]].shape}.")
    return pd.DataFrame(arrays, copy=False)


def columns_of(frame: pd.DataFrame, names: list[str] | None = None) -> dict[str, Column]:
    """Convert the named columns (all by default) of ``frame`` to :class:`Column` objects."""
    names = [str(c) for c in frame.columns] if names is None else names
    lookup = {str(c): c for c in frame.columns}
    return {n: column_of(n, frame[lookup[n]]) for n in names}


def column_of(name: str, series: pd.Series) -> Column:
    """Convert one pandas Series to a :class:`Column`.

    Examples
    --------
    >>> import pandas as pd
    >>> c = column_of("c", pd.Series(["b", None, "a", "b"]))
    >>> c.family, c.codes.tolist(), c.labels.tolist()
    ('string', [0, -1, 1, 0], ['b', 'a'])
    """
    import pandas as pd
    from pandas.api import types as pdt

    dtype = series.dtype
    size = len(series)
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy(dtype=np.int64)
        labels = np.asarray([str(c) for c in dtype.categories], dtype=object)
        return Column(name, "string", str(dtype), size, codes=codes, labels=labels,
                      categorical_dtype=True)
    if pdt.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return Column(name, "bool", str(dtype), size, values=values)
    if pdt.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return Column(name, "numeric", str(dtype), size, values=values)
    if pdt.is_datetime64_any_dtype(dtype):
        s = series.dt.tz_convert(None) if getattr(dtype, "tz", None) is not None else series
        values = s.to_numpy(dtype="datetime64[ns]")
        return Column(name, "datetime", str(dtype), size, values=values)
    return string_column(name, series, str(dtype))


def string_column(name: str, series: pd.Series, dtype: str) -> Column:
    """Factorize labels as strings (missing values get code -1)."""
    import pandas as pd

    if isinstance(series.dtype, pd.StringDtype):
        obj = series
    else:  # mixed or non-string labels compare as their text
        obj = series.astype(object)
        obj = obj.where(obj.isna(), obj.astype(str))
    codes, uniques = pd.factorize(obj, use_na_sentinel=True)
    labels = np.asarray([str(u) for u in uniques], dtype=object)
    return Column(name, "string", dtype, len(series), codes=codes.astype(np.int64), labels=labels)
