"""Multivariate drift signals for the monitor: whole-row tests of a window against the
reference, opt-in because they cost more than the per-feature tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MULTIVARIATE_METHODS", "MultivariateWatch"]

#: The whole-row methods the monitor can run on each window.
MULTIVARIATE_METHODS = ("pca_reconstruction", "mmd", "domain_classifier", "bbsd_soft",
                        "bbsd_hard")
_MMD_ROWS = 1_000  # per side: a 2,000-row kernel matrix and 200 permutations, about 0.5 s


class MultivariateWatch:
    """Run the chosen whole-row methods on each window's numeric features, or on the model's
    outputs.

    ``pca_reconstruction`` (NannyML's data reconstruction, fitted once), ``mmd`` (Gaussian
    kernel on features standardised by the reference, permutation p-value, both sides
    subsampled to 1,000 rows) and ``domain_classifier``
    (held-out AUC with a permutation p-value and the features that separate the samples) read
    the features. The black-box shift detectors read what the model logged: ``bbsd_soft`` (KS on
    each ``score_<class>`` column, Bonferroni across them) and ``bbsd_hard`` (chi-square on the
    predicted labels). A method whose columns are missing (a regressor has no scores) is left out
    of the result.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame(rng.normal(size=(1_000, 3)), columns=["a", "b", "c"])
    >>> watch = MultivariateWatch(ref, ["a", "b", "c"], methods=("pca_reconstruction", "mmd"))
    >>> out = watch.evaluate(pd.DataFrame(rng.normal(1.0, 1.0, size=(300, 3)), columns=["a", "b", "c"]))
    >>> sorted(out), out["mmd"]["drifted"]
    (['mmd', 'pca_reconstruction'], True)
    """

    def __init__(self, reference: pd.DataFrame, features: Sequence[str], *,
                 methods: Sequence[str] = (), alpha: float = 0.05, seed: int = 0,
                 prediction: str = "prediction") -> None:
        bad = [m for m in methods if m not in MULTIVARIATE_METHODS]
        if bad:
            raise ParameterError.choice("methods", bad[0], MULTIVARIATE_METHODS)
        self.methods, self.alpha, self.seed = tuple(methods), alpha, seed
        self.features = [str(f) for f in features]
        self.prediction = prediction
        self.score_columns = [c for c in reference.columns if str(c).startswith("score_")]
        self._scores = reference[self.score_columns].to_numpy(dtype=float)
        self._predicted = (reference[prediction].to_numpy() if prediction in reference.columns
                           else None)
        self._reference = reference[self.features]
        self._pca: Any = None
        if "pca_reconstruction" in self.methods and self.features:
            from driftline.drift import PCAReconstruction

            self._pca = PCAReconstruction().fit(self._reference)

    def _numeric(self, frame: pd.DataFrame) -> np.ndarray:
        X = frame[self.features].to_numpy(dtype=float)
        return X[np.isfinite(X).all(axis=1)]

    def evaluate(self, window: pd.DataFrame) -> dict[str, dict[str, Any]]:
        """``{method: {"statistic", "p_value", "drifted", ...}}`` for the window."""
        out = self._bbsd(window)
        if not self.features:
            return out
        if self._pca is not None:
            r = self._pca.evaluate(window[self.features])
            out["pca_reconstruction"] = {
                "statistic": float(r.reconstruction_error), "p_value": None,
                "lower": float(r.lower_threshold), "upper": float(r.upper_threshold),
                "drifted": bool(r.drifted)}
        if "mmd" in self.methods:
            from driftline.stats import mmd_multivariate

            ref = self._numeric(self._reference)
            mean, std = ref.mean(axis=0), ref.std(axis=0)
            std = np.where(std > 0, std, 1.0)  # units differ between features: as compare() does
            r = mmd_multivariate((ref - mean) / std, (self._numeric(window) - mean) / std,
                                 alpha=self.alpha, max_n=_MMD_ROWS, n_permutations=199,
                                 seed=self.seed)
            out["mmd"] = {"statistic": r.statistic, "p_value": r.p_value,
                          "drifted": None if r.drifted is None else bool(r.drifted)}
        if "domain_classifier" in self.methods:
            from driftline.drift import domain_classifier

            r = domain_classifier(self._reference, window[self.features], alpha=self.alpha,
                                  n_repeats=3, n_permutations=199, seed=self.seed)
            top = [i.feature for i in r.importances[:3]]
            out["domain_classifier"] = {"statistic": r.auc, "p_value": r.p_value,
                                        "drifted": None if r.drifted is None else bool(r.drifted),
                                        "top_features": top}
        return out

    def _bbsd(self, window: pd.DataFrame) -> dict[str, dict[str, Any]]:
        """The black-box shift detectors on the window's logged scores and predicted labels."""
        from driftline.drift import bbsd_hard, bbsd_soft

        out: dict[str, dict[str, Any]] = {}
        cols = self.score_columns
        if "bbsd_soft" in self.methods and cols and all(c in window.columns for c in cols):
            ref, cur = self._scores, window[cols].to_numpy(dtype=float)
            ref, cur = ref[np.isfinite(ref).all(axis=1)], cur[np.isfinite(cur).all(axis=1)]
            if len(ref) >= 2 and len(cur) >= 2:
                s = bbsd_soft(ref, cur, alpha=self.alpha,
                              classes=[str(c)[len("score_"):] for c in cols])
                out["bbsd_soft"] = {"statistic": s.statistic, "p_value": s.p_value,
                                    "drifted": None if s.drifted is None else bool(s.drifted)}
        if ("bbsd_hard" in self.methods and self._predicted is not None
                and self.prediction in window.columns):
            h = bbsd_hard(np.asarray([str(v) for v in self._predicted], dtype=object),
                          np.asarray([str(v) for v in window[self.prediction]], dtype=object),
                          alpha=self.alpha)
            out["bbsd_hard"] = {"statistic": h.statistic, "p_value": h.p_value,
                                "drifted": None if h.drifted is None else bool(h.drifted)}
        return out
