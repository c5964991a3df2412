"""The share of outliers in a window's traffic, by Half-Space Trees fitted on the reference.

The scorer learns (a seeded sample of) the reference's numeric features as one window, so its
masses describe the reference. Held-out reference rows give the score distribution while
nothing changed; its ``quantile`` is the threshold. A window's outlier share is the share of
its rows scoring above it: about ``1 - quantile`` while traffic looks like the reference. A
one-sided binomial test says whether a window holds more outliers than that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OutlierShare"]

_MAX_LEARN = 5_000  # reference rows the trees learn
_MAX_HELD_OUT = 5_000  # reference rows that calibrate the threshold
_MIN_REFERENCE = 200


class OutlierShare:
    """Score windows against a reference with :class:`~driftline.streaming.HalfSpaceTrees`.

    Parameters
    ----------
    reference : the reference rows.
    features : the numeric features to score (others are ignored; missing values are filled
        with the reference's median).
    quantile : the threshold is this quantile of held-out reference scores.
    n_trees, height, seed : the scorer's parameters.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame(rng.normal(size=(2_000, 3)), columns=["a", "b", "c"])
    >>> scorer = OutlierShare(ref, ["a", "b", "c"])
    >>> quiet = pd.DataFrame(rng.normal(size=(1_000, 3)), columns=["a", "b", "c"])
    >>> odd = quiet.assign(a=quiet["a"] * 4)
    >>> scorer.measure(quiet)["high"], scorer.measure(odd)["high"]
    (False, True)
    """

    def __init__(self, reference: pd.DataFrame, features: Sequence[str], *,
                 quantile: float = 0.99, n_trees: int = 25, height: int = 8,
                 seed: int = 0) -> None:
        from driftline.streaming import HalfSpaceTrees

        if not 0.5 < quantile < 1.0:
            raise ParameterError.invalid("quantile", quantile, "a float in (0.5, 1)")
        self.features = [str(f) for f in features]
        if not self.features:
            raise ParameterError.invalid("features", features, "at least one numeric feature")
        if len(reference) < _MIN_REFERENCE:
            raise ParameterError.invalid("reference", f"{len(reference)} rows",
                                         f"at least {_MIN_REFERENCE} rows")
        self.quantile = float(quantile)
        X = reference[self.features].to_numpy(dtype=float)
        self._fill = np.nanmedian(X, axis=0)
        self._fill = np.where(np.isfinite(self._fill), self._fill, 0.0)
        X = self._filled(X)
        order = np.random.default_rng(seed).permutation(len(X))
        n_learn = min(_MAX_LEARN, len(X) // 2)
        learn, held = X[order[:n_learn]], X[order[n_learn:n_learn + _MAX_HELD_OUT]]
        low, high = X.min(axis=0), X.max(axis=0)
        pad = np.where(high > low, 0.05 * (high - low), 0.5)
        self._scorer = HalfSpaceTrees(n_trees=n_trees, height=height, window_size=n_learn,
                                      limits=list(zip((low - pad).tolist(), (high + pad).tolist(),
                                                      strict=True)), seed=seed)
        self._scorer.learn_many(learn)  # one full window: the reference masses
        self.threshold = float(np.quantile(self._scorer.score_many(held), self.quantile))
        self.n_reference = len(held)

    def _filled(self, X: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(X)
        if bad.any():
            X = np.where(bad, self._fill[None, :], X)
        return X

    def scores(self, window: pd.DataFrame) -> np.ndarray:
        """The anomaly score of each row of ``window`` (higher is more anomalous)."""
        return self._scorer.score_many(self._filled(window[self.features].to_numpy(dtype=float)))

    def measure(self, window: pd.DataFrame) -> dict[str, Any]:
        """The window's outlier share, what was expected, and whether it is significantly
        higher (one-sided binomial test at 1%): ``share``, ``expected``, ``n_outliers``,
        ``n_rows``, ``p_value``, ``high``, ``threshold``."""
        from scipy.stats import binomtest

        s = self.scores(window)
        n, k = len(s), int((s > self.threshold).sum())
        expected = 1.0 - self.quantile
        p = float(binomtest(k, n, expected, alternative="greater").pvalue) if n else 1.0
        return {"share": k / n if n else 0.0, "expected": expected, "n_outliers": k,
                "n_rows": n, "p_value": p, "high": bool(n and p < 0.01),
                "threshold": self.threshold, "method": "half_space_trees"}


def numeric_features(reference: pd.DataFrame, features: Sequence[str],
                     kinds: Mapping[str, str] | None = None) -> list[str]:
    """The features the scorer can use: numeric columns not declared categorical."""
    import pandas as pd

    kinds = kinds or {}
    return [f for f in features if f in reference.columns
            and kinds.get(f, "numerical") in ("numerical", "binary")
            and pd.api.types.is_numeric_dtype(reference[f])
            and not pd.api.types.is_bool_dtype(reference[f])]
