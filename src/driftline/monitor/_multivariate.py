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
MULTIVARIATE_METHODS = ("pca_reconstruction", "mmd", "domain_classifier")
_MMD_ROWS = 1_000  # per side: a 2,000-row kernel matrix and 200 permutations, about 0.5 s


class MultivariateWatch:
    """Run the chosen whole-row methods on each window's numeric features.

    ``pca_reconstruction`` (NannyML's data reconstruction, fitted once), ``mmd`` (Gaussian
    kernel, permutation p-value, both sides subsampled to 1,000 rows) and ``domain_classifier``
    (held-out AUC with a permutation p-value and the features that separate the samples).

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
                 methods: Sequence[str] = (), alpha: float = 0.05, seed: int = 0) -> None:
        bad = [m for m in methods if m not in MULTIVARIATE_METHODS]
        if bad:
            raise ParameterError.choice("methods", bad[0], MULTIVARIATE_METHODS)
        self.methods, self.alpha, self.seed = tuple(methods), alpha, seed
        self.features = [str(f) for f in features]
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
        out: dict[str, dict[str, Any]] = {}
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

            r = mmd_multivariate(self._numeric(self._reference), self._numeric(window),
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
