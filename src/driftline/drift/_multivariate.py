"""The whole-row drift methods of ``compare(multivariate=…)``: each runs on the reference and
the current sample and gives one :class:`~driftline.drift._report.MultivariateDrift`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.drift._kinds import ColumnKind
from driftline.drift._reference import Reference
from driftline.drift._report import MultivariateDrift
from driftline.errors import ParameterError

__all__ = ["MULTIVARIATE_METHODS", "check_multivariate", "run_multivariate"]

#: The whole-row methods ``compare(multivariate=…)`` accepts.
MULTIVARIATE_METHODS = ("pca_reconstruction", "mmd", "domain_classifier", "bbsd_soft",
                        "bbsd_hard")
_MMD_ROWS = 1_000  # per side, as in the monitor: a 2,000-row kernel matrix
_PERMUTATIONS = 199


def check_multivariate(multivariate: Sequence[str]) -> tuple[str, ...]:
    methods = (multivariate,) if isinstance(multivariate, str) else tuple(multivariate)
    for m in methods:
        if m not in MULTIVARIATE_METHODS:
            raise ParameterError.choice("multivariate", m, MULTIVARIATE_METHODS)
    return tuple(dict.fromkeys(methods))


def _numeric_features(fitted: Reference, frame: Any) -> list[str]:
    """Numeric feature columns: the report's numerical kind, role ``feature``, numeric dtype."""
    from pandas.api import types as pdt

    lookup = {str(c): c for c in frame.columns}
    return [n for n in fitted.columns
            if fitted.state(n).role == "feature" and fitted.state(n).kind is ColumnKind.NUMERICAL
            and n in lookup and pdt.is_numeric_dtype(frame[lookup[n]])
            and not pdt.is_bool_dtype(frame[lookup[n]])]


def _floats(frame: Any, names: list[str]) -> Any:
    import pandas as pd

    lookup = {str(c): c for c in frame.columns}
    return pd.DataFrame({n: pd.to_numeric(frame[lookup[n]], errors="coerce")
                         .to_numpy(dtype=np.float64, na_value=np.nan) for n in names})


def _skipped(method: str, names: list[str], n_ref: int, n_cur: int,
             reason: str) -> MultivariateDrift:
    return MultivariateDrift(method, float("nan"), None, None, tuple(names), n_ref, n_cur,
                             reason=reason)


def run_multivariate(method: str, fitted: Reference, ref: Any, cur: Any,
                  alpha: float) -> MultivariateDrift:
    n_ref, n_cur = int(ref.shape[0]), int(cur.shape[0])
    if method.startswith("bbsd"):
        return _bbsd(method, fitted, ref, cur, alpha)
    names = _numeric_features(fitted, ref)
    if len(names) < 2:
        return _skipped(method, names, n_ref, n_cur,
                        f"needs at least two numeric feature columns; found {len(names)}")
    x, y = _floats(ref, names), _floats(cur, names)
    if method == "pca_reconstruction":
        return _pca(x, y, names, alpha)
    if method == "mmd":
        from driftline.stats import mmd_multivariate

        mean, std = x.mean(), x.std().where(lambda s: s > 0, 1.0)
        r = mmd_multivariate((x - mean) / std, (y - mean) / std, alpha=alpha, max_n=_MMD_ROWS,
                             n_permutations=_PERMUTATIONS, seed=0)
        return MultivariateDrift("mmd", r.statistic, r.p_value, r.drifted, tuple(names),
                                 r.n_reference, r.n_current, alpha=alpha, warnings=r.warnings)
    from driftline.drift._domain_classifier import domain_classifier

    d = domain_classifier(x, y, alpha=alpha, n_repeats=3, n_permutations=_PERMUTATIONS, seed=0)
    return MultivariateDrift("domain_classifier", d.auc, d.p_value, d.drifted, tuple(names),
                             d.n_reference, d.n_current, alpha=alpha,
                             top_features=tuple(i.feature for i in d.importances[:3]),
                             warnings=d.warnings)


def _pca(x: Any, y: Any, names: list[str], alpha: float) -> MultivariateDrift:
    from driftline.drift._pca_reconstruction import PCAReconstruction
    from driftline.errors import DataError

    try:
        r = PCAReconstruction().fit(x).evaluate(y)
    except DataError as exc:
        return _skipped("pca_reconstruction", names, int(x.shape[0]), int(y.shape[0]), str(exc))
    return MultivariateDrift("pca_reconstruction", r.statistic, None, r.drifted, tuple(names),
                             r.n_reference, r.n_current, lower_threshold=r.lower_threshold,
                             upper_threshold=r.upper_threshold, warnings=r.warnings)


def _bbsd(method: str, fitted: Reference, ref: Any, cur: Any,
          alpha: float) -> MultivariateDrift:
    from driftline.drift._bbsd import bbsd_hard, bbsd_soft

    role = "prediction_score" if method == "bbsd_soft" else "prediction"
    names = [n for n in fitted.columns if fitted.state(n).role == role]
    if not names:
        arg = "prediction_scores" if method == "bbsd_soft" else "prediction"
        return _skipped(method, [], int(ref.shape[0]), int(cur.shape[0]),
                        f"needs the {arg} columns; pass {arg}= to compare()")
    if method == "bbsd_soft":
        s = bbsd_soft(_floats(ref, names).to_numpy(), _floats(cur, names).to_numpy(),
                      alpha=alpha, classes=names)
        return MultivariateDrift(method, s.statistic, s.p_value, s.drifted, tuple(names),
                                 s.n_reference, s.n_current, alpha=alpha)
    lookup_r = {str(c): c for c in ref.columns}
    lookup_c = {str(c): c for c in cur.columns}
    h = bbsd_hard(ref[lookup_r[names[0]]].to_numpy(), cur[lookup_c[names[0]]].to_numpy(),
                  alpha=alpha)
    return MultivariateDrift(method, h.statistic, h.p_value, h.drifted, tuple(names),
                             h.n_reference, h.n_current, alpha=alpha, warnings=h.warnings)
