"""Run the data quality checks that fit each column's kind."""

from __future__ import annotations

import numpy as np

from driftline.drift._kinds import ColumnKind
from driftline.drift._prepare import Prepared
from driftline.drift._quality import (
    QualityLimits,
    constant_check,
    missing_check,
    out_of_range_check,
    share_check,
    unseen_check,
)
from driftline.drift._reference import ColumnState
from driftline.drift._report import ColumnQuality, QualityCheck

__all__ = ["column_quality"]


def _distinct(p: Prepared) -> int:
    s = p.sample
    if s is None:
        return 0
    if s.kind == "numerical":
        v = s.values
        return 0 if v.size == 0 else (1 if v[0] == v[-1] else 2)
    return int((s.counts > 0).sum())


def column_quality(state: ColumnState, cur: Prepared, limits: QualityLimits,
                   now: np.datetime64) -> ColumnQuality:
    """The quality checks of one column (see :mod:`driftline.drift._quality` for the limits)."""
    ref = state.prepared
    ref_share = ref.n_missing / ref.n_rows if ref.n_rows else 0.0
    checks = [missing_check(cur.n_missing, cur.n_rows, ref_share, limits)]
    present = cur.n_rows - cur.n_missing
    mismatch = cur.n_mismatch / present if present else 0.0
    checks.append(share_check("type_mismatch", mismatch, limits.type_mismatch_warn,
                              limits.type_mismatch_fail,
                              f"of values do not match the reference type ({state.dtype})"))
    kind = state.kind
    if kind is ColumnKind.NUMERICAL:
        assert ref.sample is not None and cur.sample is not None
        rv = ref.sample.values
        lo, hi = (float(rv[0]), float(rv[-1])) if rv.size else (float("nan"), float("nan"))
        checks.append(out_of_range_check(cur.sample.values, lo, hi, limits))
    elif kind in (ColumnKind.CATEGORICAL, ColumnKind.BINARY):
        assert ref.sample is not None and cur.sample is not None
        known = {str(lab) for lab, c in zip(ref.sample.labels, ref.sample.counts, strict=True) if c}
        checks.append(unseen_check(cur.sample.labels, cur.sample.counts, known, limits))
    elif kind is ColumnKind.DATETIME:
        checks.extend(_time_checks(ref, cur, limits, now))
    if kind in (ColumnKind.NUMERICAL, ColumnKind.CATEGORICAL, ColumnKind.BINARY):
        checks.append(constant_check(_distinct(ref), _distinct(cur)))
    return ColumnQuality(state.name, kind.value, tuple(checks))


def _time_checks(ref: Prepared, cur: Prepared, limits: QualityLimits,
                 now: np.datetime64) -> list[QualityCheck]:
    rt, ct = ref.times, cur.times
    if rt is None or ct is None or rt.size == 0 or ct.size == 0:
        return [QualityCheck("datetime_range", None, None, "ok", "no timestamps to check")]
    before = int(np.searchsorted(ct, rt[0], side="left")) / ct.size
    rng = share_check("datetime_range", before, 0.0, 0.05,
                      f"of timestamps before the reference's first ({rt[0]}); current spans "
                      f"{ct[0]} to {ct[-1]}")
    age = float((now - ct[-1]) / np.timedelta64(1, "s"))
    limit = limits.max_age_seconds
    status = "warn" if limit is not None and age > limit else "ok"
    fresh = QualityCheck("freshness", age, limit, status,
                         f"newest timestamp {ct[-1]} is {age:,.0f} s old", "seconds")
    return [rng, fresh]
