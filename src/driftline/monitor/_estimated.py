"""Estimated performance of a window before its labels arrive: CBPE for classifiers (from the
logged scores), DLE for regressors (from the features and the prediction), both fitted on the
champion's scored holdout (its reference)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LabelShiftWatch", "PerformanceEstimator"]

_MIN_REFERENCE = 200


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
        from driftline.monitor._outliers import numeric_features

        self.features = numeric_features(reference, features)
        self._method: Any = None
        labelled = reference[reference[target].notna()]
        if len(labelled) < _MIN_REFERENCE:
            return
        if task in ("binary", "multiclass") and self.score_columns:
            from driftline.estimation import CBPE

            classes = [str(c)[len("score_"):] for c in self.score_columns]
            self._method = CBPE(classes=classes, seed=seed).fit(
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


class LabelShiftWatch:
    """Estimate each window's class priors from its predicted labels (BBSE, hard, RLLS),
    against the champion's scored holdout, and test whether the prediction mix moved.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2_000)
    >>> ref = pd.DataFrame({"y": y, "prediction": np.where(rng.random(2_000) < 0.9, y, 1 - y)})
    >>> watch = LabelShiftWatch(ref, target="y")
    >>> y_t = (rng.random(1_000) < 0.7).astype(int)                # 70% of class 1 now
    >>> win = pd.DataFrame({"prediction": np.where(rng.random(1_000) < 0.9, y_t, 1 - y_t)})
    >>> out = watch.estimate(win)
    >>> [round(p, 1) for p in out["target_prior"]], out["shifted"]
    ([0.3, 0.7], True)
    """

    def __init__(self, reference: pd.DataFrame, *, target: str, prediction: str = "prediction",
                 alpha: float = 0.05) -> None:
        from driftline.estimation import LabelShiftEstimator

        self.prediction, self.alpha = prediction, alpha
        labelled = reference[reference[target].notna()]
        self._est: Any = None
        if len(labelled) < _MIN_REFERENCE:
            return
        y = np.array([str(v) for v in labelled[target]], dtype=object)
        pred = np.array([str(v) for v in labelled[prediction]], dtype=object)
        classes = sorted(set(y.tolist()) | set(pred.tolist()))
        if len(classes) < 2:
            return
        self._est = LabelShiftEstimator().fit(y, pred, classes=classes)

    def estimate(self, window: pd.DataFrame) -> dict[str, Any] | None:
        """``{"classes", "source_prior", "target_prior", "weights", "p_value", "shifted"}`` for the
        window, or ``None`` (no reference to compare with, or too few rows)."""
        if self._est is None or len(window) < 30 or self.prediction not in window.columns:
            return None
        pred = np.array([str(v) for v in window[self.prediction]], dtype=object)
        known = set(self._est.classes_.tolist())
        pred = pred[[p in known for p in pred.tolist()]]
        if len(pred) < 30:
            return None
        result = self._est.estimate(pred)
        test = self._est.test(pred, alpha=self.alpha)
        return {"classes": [str(c) for c in result.classes],
                "source_prior": [float(v) for v in result.source_prior],
                "target_prior": [float(v) for v in result.target_prior],
                "weights": [float(v) for v in result.weights],
                "weights_unregularized": [float(v) for v in result.weights_unregularized],
                "condition_number": float(result.condition_number)
                if np.isfinite(result.condition_number) else None,
                "p_value": None if test.p_value is None else float(test.p_value),
                "shifted": bool(test.drifted) if test.drifted is not None else None,
                "method": "bbse_hard_rlls"}
