"""Turn a :class:`Column` into what its kind is tested on, on either side of a comparison."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from driftline.drift._frames import Column
from driftline.drift._kinds import ColumnKind
from driftline.errors import SchemaError
from driftline.stats import Sample

__all__ = ["Prepared", "display_edges", "format_labels", "prepare"]

_DISPLAY_BINS = 30


@dataclass(frozen=True)
class Prepared:
    """One side of one column, ready for the tests.

    ``sample`` is a numerical or categorical :class:`Sample` (``None`` for datetimes, whose
    ``times`` hold the valid timestamps sorted); text columns keep their ``codes``/``labels``.
    ``n_mismatch`` counts values whose type did not match the reference's and were left out.
    """

    sample: Sample | None
    n_rows: int
    n_missing: int
    n_mismatch: int = 0
    times: np.ndarray | None = None
    codes: np.ndarray | None = None
    labels: np.ndarray | None = None
    extra: dict[str, object] = field(default_factory=dict)


def format_labels(values: np.ndarray) -> np.ndarray:
    """Numbers as label text: integral values without a decimal point (``1.0`` → ``"1"``).

    Examples
    --------
    >>> format_labels(np.array([1.0, 2.5])).tolist()
    ['1', '2.5']
    """
    out = np.empty(values.size, dtype=object)
    for i, v in enumerate(values.tolist()):
        out[i] = str(int(v)) if float(v).is_integer() else repr(float(v))
    return out


def _label_counts(col: Column) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct labels (as text), their counts and the missing count of any column."""
    if col.family == "string":
        assert col.codes is not None and col.labels is not None
        present = col.codes[col.codes >= 0]
        counts = np.bincount(present, minlength=col.labels.size)
        return col.labels, counts, int(col.size - present.size)
    assert col.values is not None
    if col.family == "datetime":
        vals = col.values
        ok = ~np.isnat(vals)
        uniq, counts = np.unique(vals[ok], return_counts=True)
        return np.asarray([str(u) for u in uniq], dtype=object), counts, int(col.size - ok.sum())
    vals = col.values
    ok = np.isfinite(vals)
    uniq, counts = np.unique(vals[ok], return_counts=True)
    labels = (np.asarray(["True" if u else "False" for u in uniq], dtype=object)
              if col.family == "bool" else format_labels(uniq))
    return labels, counts, int(col.size - ok.sum())


def _numbers(col: Column, ref_dtype: str) -> tuple[np.ndarray, int]:
    """Numeric values of a column, parsing text when needed; returns (values, n_unparseable)."""
    if col.family in ("numeric", "bool"):
        assert col.values is not None
        return col.values, 0
    if col.family == "datetime":
        raise SchemaError(f"column {col.name!r} holds numbers in the reference ({ref_dtype}) "
                          f"but timestamps in the current data ({col.dtype}).")
    import pandas as pd

    assert col.codes is not None and col.labels is not None
    parsed = pd.to_numeric(pd.Series(col.labels, dtype=object), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    values = np.where(col.codes >= 0, parsed[np.maximum(col.codes, 0)], np.nan)
    bad = (col.codes >= 0) & np.isnan(values)
    n_bad = int(bad.sum())
    n_present = int((col.codes >= 0).sum())
    if n_present and n_bad == n_present:
        example = col.labels[col.codes[bad][0]]
        raise SchemaError(
            f"column {col.name!r} holds numbers in the reference ({ref_dtype}) but text in the "
            f"current data ({col.dtype}), for example {example!r}; convert it or declare its kind."
        )
    return values, n_bad


def _times(col: Column, ref_dtype: str) -> tuple[np.ndarray, int]:
    if col.family == "datetime":
        assert col.values is not None
        return col.values, 0
    if col.family != "string":
        raise SchemaError(f"column {col.name!r} holds timestamps in the reference ({ref_dtype}) "
                          f"but numbers in the current data ({col.dtype}).")
    import pandas as pd

    assert col.codes is not None and col.labels is not None
    parsed = pd.to_datetime(pd.Series(col.labels, dtype=object), errors="coerce",
                            format="mixed").to_numpy(dtype="datetime64[ns]")
    values = np.where(col.codes >= 0, parsed[np.maximum(col.codes, 0)], np.datetime64("NaT"))
    n_bad = int(((col.codes >= 0) & np.isnat(values)).sum())
    return values.astype("datetime64[ns]"), n_bad


def prepare(col: Column, kind: ColumnKind, ref_dtype: str | None = None) -> Prepared:
    """Prepare one side of a column for testing as ``kind``.

    Examples
    --------
    >>> import pandas as pd
    >>> from driftline.drift._frames import column_of
    >>> p = prepare(column_of("x", pd.Series(["1", "2", "oops", None])), ColumnKind.NUMERICAL)
    >>> p.sample.values.tolist(), p.n_missing, p.n_mismatch
    ([1.0, 2.0], 1, 1)
    """
    ref_dtype = ref_dtype or col.dtype
    if kind is ColumnKind.NUMERICAL:
        values, n_bad = _numbers(col, ref_dtype)
        sample = Sample.numerical(values, name=col.name)
        return Prepared(sample, col.size, sample.n_missing - n_bad, n_bad)
    if kind is ColumnKind.DATETIME:
        times, n_bad = _times(col, ref_dtype)
        ok = times[~np.isnat(times)]
        return Prepared(None, col.size, int(col.size - ok.size - n_bad), n_bad, times=np.sort(ok))
    if kind is ColumnKind.TEXT:
        if col.family != "string":
            import pandas as pd

            from driftline.drift._frames import string_column

            col = string_column(col.name, pd.Series(col.values), col.dtype)
        assert col.codes is not None
        n_missing = int((col.codes < 0).sum())
        return Prepared(None, col.size, n_missing, codes=col.codes, labels=col.labels)
    labels, counts, n_missing = _label_counts(col)
    sample = Sample.from_counts(labels, counts, n_missing=n_missing)
    return Prepared(sample, col.size, n_missing)


def display_edges(reference: Sample, current: Sample) -> np.ndarray:
    """Edges of the display histogram: 30 equal-width bins spanning the central 99.8% of
    both samples, so a shifted current sample is drawn where it is rather than piled into an
    edge bin. Values beyond the outer edges are counted in the first and last bins.

    Examples
    --------
    >>> e = display_edges(Sample.numerical(np.arange(100.0)), Sample.numerical([500.0]))
    >>> e.size, float(e[-1])
    (31, 500.0)
    """
    ends = [_central(s) for s in (reference, current) if s.n]
    if not ends:
        return np.array([0.0, 1.0])
    lo, hi = min(e[0] for e in ends), max(e[1] for e in ends)
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, _DISPLAY_BINS + 1)


def _central(sample: Sample) -> tuple[float, float]:
    v = sample.values
    last = v.size - 1
    return float(v[int(0.001 * last)]), float(v[int(np.ceil(0.999 * last))])
