"""Isotonic calibration of class scores on the reference, and the check whether it is needed."""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.errors import require

__all__ = ["Calibrator", "brier_score"]

_FOLDS = 5


def brier_score(prob: np.ndarray, hit: np.ndarray) -> float:
    """The mean squared difference between probabilities and 0/1 outcomes (a proper score).

    Examples
    --------
    >>> brier_score(np.array([0.8, 0.3]), np.array([1.0, 0.0]))
    0.065
    """
    return float(np.mean((prob - hit) ** 2))


class Calibrator:
    """One-vs-rest isotonic maps from raw class scores to probabilities, fitted on the reference.

    ``mode="auto"`` calibrates only when it helps: it compares the Brier score of the raw scores
    with that of *cross-fitted* isotonic probabilities (5 folds, so the isotonic maps are judged
    on rows they were not fitted on), and calibrates when the latter is lower. The Brier score
    is a proper scoring rule: unlike a binned calibration error, it does not favour the step
    functions isotonic regression produces, so calibrated scores are left alone.
    Scores outside [0, 1] are not probabilities and are always calibrated. Binary tasks
    calibrate P(``classes[1]``) only. Multiclass tasks decide per class (as NannyML does): a
    column is mapped when its cross-fitted isotonic probabilities beat its raw scores on the
    Brier score, the others are kept, and rows are renormalised (``columns`` says which).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = rng.uniform(size=2000)
    >>> y = (rng.uniform(size=2000) < s ** 3).astype(int)   # raw scores over-confident
    >>> c = Calibrator("auto", seed=0).fit(np.column_stack([1 - s, s]), y)
    >>> c.calibrated, c.brier_raw > c.brier_calibrated
    (True, True)
    """

    def __init__(self, mode: str = "auto", *, seed: int | None = 0) -> None:
        self.mode = mode
        self.seed = seed
        self.calibrated = False
        self.brier_raw = float("nan")
        self.brier_calibrated = float("nan")
        self.columns: list[bool] = []
        self._maps: list[Any] = []

    def fit(self, scores: np.ndarray, y: np.ndarray) -> Calibrator:
        """Fit on an ``(n, k)`` score matrix and integer class codes ``y``."""
        cols = self._columns(scores)
        hits = [(y == c).astype(float) for c in cols]
        self.brier_raw = _mean_brier(scores, hits, cols)
        outside = bool(scores.min() < 0.0 or scores.max() > 1.0)
        chosen = [self.mode == "isotonic" or outside] * len(cols)
        if self.mode == "auto" and not outside:
            oof = self._cross_fitted(scores, hits)
            self.brier_calibrated = _mean_brier(oof, hits, cols)
            if len(cols) == 1:  # binary: one decision on the renormalised pair
                chosen = [self.brier_calibrated < self.brier_raw]
            else:  # multiclass: one decision per class, on that class's probabilities
                chosen = [brier_score(oof[:, c], h) < brier_score(scores[:, c], h)
                          for c, h in zip(cols, hits, strict=True)]
        self.columns = chosen
        self.calibrated = any(chosen)
        self._maps = [m if keep else None for m, keep in
                      zip(self._fit_maps(scores, hits), chosen, strict=True)] if self.calibrated else []
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Probabilities of each class, an ``(n, k)`` matrix whose rows sum to 1."""
        k = scores.shape[1]
        p = _apply(self._maps, scores) if self.calibrated else np.clip(scores, 0.0, 1.0)
        total = p.sum(axis=1, keepdims=True)
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / k)

    @staticmethod
    def _columns(scores: np.ndarray) -> list[int]:
        return [1] if scores.shape[1] == 2 else list(range(scores.shape[1]))

    @staticmethod
    def _isotonic() -> Any:
        isotonic = require("sklearn.isotonic", extra="estimation", feature="CBPE calibration")
        return isotonic.IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")

    def _fit_maps(self, scores: np.ndarray, hits: list[np.ndarray]) -> list[Any]:
        cols = self._columns(scores)
        return [self._isotonic().fit(scores[:, c], h) for c, h in zip(cols, hits, strict=True)]

    def _cross_fitted(self, scores: np.ndarray, hits: list[np.ndarray]) -> np.ndarray:
        """Out-of-fold probabilities, renormalised as :meth:`transform` does: the check judges
        the probabilities CBPE would use, not each one-vs-rest map alone."""
        n = scores.shape[0]
        folds = np.array_split(np.random.default_rng(self.seed).permutation(n), _FOLDS)
        out = np.empty_like(scores)
        for fold in folds:
            train = np.ones(n, dtype=bool)
            train[fold] = False
            out[fold] = _apply(self._fit_maps(scores[train], [h[train] for h in hits]), scores[fold])
        total = out.sum(axis=1, keepdims=True)
        return np.where(total > 0, out / np.where(total > 0, total, 1.0), 1.0 / scores.shape[1])


def _apply(maps: list[Any], scores: np.ndarray) -> np.ndarray:
    """Each column through its map; a column without one (``None``) keeps its raw score."""
    if scores.shape[1] == 2:
        p1 = maps[0].predict(scores[:, 1])
        return np.column_stack([1.0 - p1, p1])
    return np.column_stack([np.clip(scores[:, c], 0.0, 1.0) if m is None else m.predict(scores[:, c])
                            for c, m in enumerate(maps)])


def _mean_brier(prob: np.ndarray, hits: list[np.ndarray], cols: list[int]) -> float:
    return float(np.mean([brier_score(prob[:, c], h) for c, h in zip(cols, hits, strict=True)]))
