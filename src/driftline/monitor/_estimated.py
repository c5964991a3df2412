"""Estimated performance of a window before its labels arrive: CBPE for classifiers (from the
logged scores), DLE for regressors (from the features and the prediction), both fitted on the
champion's scored holdout (its reference)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PerformanceEstimator"]

_MIN_REFERENCE = 200
_N_SIM = 200  # CBPE's simulated label draws per window: bands to about ±0.01


class PerformanceEstimator:
    """Estimate each window's metrics from the reference, without labels.

    Classification needs the reference's ``score_<label>`` columns (what ``driftline train``
    stores) and the same columns in the log; regression uses the numeric features and the
    prediction. ``estimate(window)`` returns ``{"method", "metrics", "bands"}`` or ``None``
    when the window lacks the columns.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=2_000)
    >>> ref = pd.DataFrame({"x": p, "score_0": 1 - p, "score_1": p,
    ...                     "prediction": (p >= 0.5).astype(int),
    ...                     "y": (rng.uniform(size=2_000) < p).astype(int)})
    >>> est = PerformanceEstimator(ref, task="binary", target="y", features=["x"])
    >>> out = est.estimate(ref.drop(columns="y").iloc[:500])
    >>> out["method"], 0.70 < out["metrics"]["accuracy"] < 0.80   # E[max(p, 1 - p)] = 0.75
    ('cbpe', True)
    """

    def __init__(self, reference: pd.DataFrame, *, task: str, target: str,
                 features: Sequence[str], prediction: str = "prediction", seed: int = 0) -> None:
        self.task, self.prediction = task, prediction
        self.score_columns = [c for c in reference.columns if str(c).startswith("score_")]
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        self.features = [f for f in features if f in reference.columns
                         and is_numeric_dtype(reference[f]) and not is_bool_dtype(reference[f])]
        self._method: Any = None
        labelled = reference[reference[target].notna()]
        if len(labelled) < _MIN_REFERENCE:
            return
        if task in ("binary", "multiclass") and self.score_columns:
            from driftline.estimation import CBPE

            classes = [str(c)[len("score_"):] for c in self.score_columns]
            self._method = CBPE(classes=classes, n_sim=_N_SIM, seed=seed).fit(
                labelled[self.score_columns].to_numpy(dtype=float),
                [str(v) for v in labelled[target]])
        elif task == "regression" and self.features:
            from driftline.estimation import DLE

            self._method = DLE(seed=seed).fit(labelled[self.features].to_numpy(dtype=float),
                                              labelled[prediction].to_numpy(dtype=float),
                                              labelled[target].to_numpy(dtype=float))

    @property
    def method(self) -> str | None:
        """``"cbpe"``, ``"dle"`` or ``None`` (nothing to estimate with)."""
        if self._method is None:
            return None
        return "cbpe" if self.task != "regression" else "dle"

    def estimate(self, window: pd.DataFrame) -> dict[str, Any] | None:
        """The window's estimated metrics with their bands, or ``None``."""
        if self._method is None or not len(window):
            return None
        if self.task == "regression":
            if any(f not in window.columns for f in self.features):
                return None
            X = window[self.features].to_numpy(dtype=float)
            ok = np.isfinite(X).all(axis=1)
            if ok.sum() < 2:
                return None
            est = self._method.estimate(X[ok], window[self.prediction].to_numpy(dtype=float)[ok])
        else:
            if any(c not in window.columns for c in self.score_columns):
                return None
            scores = window[self.score_columns].to_numpy(dtype=float)
            ok = np.isfinite(scores).all(axis=1)
            if ok.sum() < 2:
                return None
            preds = [str(v) for v in window[self.prediction].to_numpy()[ok]]
            est = self._method.estimate(scores[ok], preds)
        metrics = {m.name: float(m.value) for m in est.metrics
                   if m.value is not None and np.isfinite(m.value)}
        bands = {m.name: [m.lower, m.upper] for m in est.metrics
                 if m.lower is not None and m.upper is not None}
        return {"method": self.method, "metrics": metrics, "bands": bands}
