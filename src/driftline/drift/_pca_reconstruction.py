"""PCA reconstruction error: multivariate drift that per-column tests cannot see.

The reference is standardised and compressed onto the principal components that keep a share
``variance`` of its variance (65% by default, NannyML's default). A window is projected onto the
same components and back; the mean distance between each row and its reconstruction is the
window's reconstruction error. When the relations between columns change (a correlation flips,
a column decouples from the others) the components no longer fit and the error rises, even when
every column's own distribution is unchanged.

Notes
-----
For standardised rows :math:`z_i` and the kept components :math:`V_k`, the window's error is
:math:`\\bar e = \\frac1m \\sum_i \\lVert z_i - V_k V_k^\\top z_i \\rVert_2`.

The band comes from the reference's own sampling variation: the reference is cut in order into
chunks of ``chunk_size`` rows (default: ten chunks), and each chunk's error is measured with
components fitted on the *other* chunks, so the band is not made too narrow by measuring the
reference on components fitted to itself (NannyML measures in-sample). The band is
``mean ± k_sigma · std`` of those chunk errors, as in NannyML. A window of ``m`` rows uses
``std · sqrt(chunk_size / m)``, the standard error of a mean of ``m`` rows, so windows of any
size can be judged. Both edges alert: a fall in the error is also a change.

Missing values are replaced by the reference mean (as NannyML does). Numeric and boolean columns
are used as numbers; other columns are frequency-encoded (each level becomes its share in the
reference, unseen levels 0).

References
----------
.. [1] NannyML. Data reconstruction with PCA.
   https://nannyml.readthedocs.io/en/stable/how_it_works/multivariate_drift.html
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline.drift._domain_classifier import _columns, _labels
from driftline.errors import DataError, ParameterError, SmallSampleWarning
from driftline.stats._result import _clean

__all__ = ["PCAReconstruction", "PCAReconstructionResult"]

_MIN_CHUNKS = 2


@dataclass(frozen=True)
class PCAReconstructionResult:
    """The outcome of :meth:`PCAReconstruction.evaluate`.

    Attributes
    ----------
    method : ``"pca_reconstruction"``.
    statistic : the window's mean reconstruction error (the same as ``reconstruction_error``).
    lower_threshold, upper_threshold : the band for a window of this size.
    drifted : the error left the band; ``None`` for an empty window.
    n_components : principal components kept; ``explained_variance`` their variance share.
    n_reference, n_current, chunk_size : rows in the reference, the window and each chunk.

    Examples
    --------
    >>> r = PCAReconstructionResult("pca_reconstruction", 1.2, 1.2, 0.9, 1.1, True, 2, 0.7,
    ...                             1000, 100, 100)
    >>> r.to_dict()["drifted"]
    True
    """

    method: str
    statistic: float
    reconstruction_error: float
    lower_threshold: float
    upper_threshold: float
    drifted: bool | None
    n_components: int
    explained_variance: float
    n_reference: int
    n_current: int
    chunk_size: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; NaN becomes ``None``."""
        return {k: _clean(getattr(self, k)) for k in self.__dataclass_fields__}


class PCAReconstruction:
    """NannyML's data-reconstruction drift method, fitted once on a reference.

    Parameters
    ----------
    variance : share of the standardised reference's variance the kept components explain.
    chunk_size : rows per reference chunk for the band; default a tenth of the reference.
    k_sigma : half-width of the band in standard deviations of the chunk errors.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> cov = [[1.0, 0.9], [0.9, 1.0]]
    >>> pca = PCAReconstruction().fit(rng.multivariate_normal([0, 0], cov, size=2000))
    >>> pca.evaluate(rng.multivariate_normal([0, 0], cov, size=200)).drifted
    False
    >>> flipped = [[1.0, -0.9], [-0.9, 1.0]]   # same marginals, reversed correlation
    >>> pca.evaluate(rng.multivariate_normal([0, 0], flipped, size=200)).drifted
    True
    """

    def __init__(self, *, variance: float = 0.65, chunk_size: int | None = None,
                 k_sigma: float = 3.0) -> None:
        if isinstance(variance, bool) or not isinstance(variance, (int, float)) \
                or not 0 < variance <= 1:
            raise ParameterError.invalid("variance", variance, "a float in (0, 1]",
                                         "0.65 keeps the components explaining 65% of it.")
        if chunk_size is not None and (isinstance(chunk_size, bool) or
                                       not isinstance(chunk_size, int) or chunk_size < 2):
            raise ParameterError.invalid("chunk_size", chunk_size, "None or an integer >= 2")
        if isinstance(k_sigma, bool) or not isinstance(k_sigma, (int, float)) or k_sigma <= 0:
            raise ParameterError.invalid("k_sigma", k_sigma, "a positive number")
        self.variance = float(variance)
        self.chunk_size = chunk_size
        self.k_sigma = float(k_sigma)

    def __repr__(self) -> str:
        return (f"PCAReconstruction(variance={self.variance}, chunk_size={self.chunk_size}, "
                f"k_sigma={self.k_sigma})")

    def fit(self, reference: Any) -> PCAReconstruction:
        """Learn the scaling, the components and the band from ``reference``; returns ``self``.

        ``reference`` is a DataFrame, a mapping of columns, or a 2-D numeric array.
        """
        cols = _columns(reference, "reference")
        if not cols:
            raise DataError("reference has no columns; pass at least one feature.")
        self.columns_ = list(cols)
        self.levels_ = {name: _shares(v) for name, v in cols.items() if v.dtype.kind not in "biuf"}
        raw = self._raw(cols)
        n = raw.shape[0]
        size = self.chunk_size or n // 10
        if size < 2 or n // size < _MIN_CHUNKS:
            raise DataError(f"reference needs at least {_MIN_CHUNKS} chunks of >= 2 rows for "
                            f"the band; got {n} rows with chunk_size={self.chunk_size}. Pass "
                            f"more reference rows or a smaller chunk_size.")
        self.mean_ = np.nanmean(raw, axis=0)
        self.mean_ = np.where(np.isfinite(self.mean_), self.mean_, 0.0)
        std = np.nanstd(self._impute(raw), axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        z = self._standardise(raw)
        self.components_, self.explained_variance_ = self._components(z)
        errors = self._chunk_errors(z, size)
        self.chunk_size_ = size
        self.n_reference_ = n
        self.error_mean_ = float(errors.mean())
        self.error_std_ = float(errors.std(ddof=1))
        return self

    def evaluate(self, current: Any) -> PCAReconstructionResult:
        """The reconstruction error of ``current`` and whether it left the reference band."""
        if not hasattr(self, "components_"):
            raise DataError("PCAReconstruction is not fitted; call fit(reference) first.")
        cols = _columns(current, "current")
        if list(cols) != self.columns_:
            raise DataError(f"current must have the reference's columns {self.columns_}; got "
                            f"{list(cols)}.")
        z = self._standardise(self._raw(cols))
        m = z.shape[0]
        if m == 0:
            msg = "pca_reconstruction: current has no rows. No verdict is given."
            warnings.warn(msg, SmallSampleWarning, stacklevel=2)
            return self._result(math.nan, math.nan, math.nan, None, 0, (msg,))
        error = float(_row_errors(z, self.components_).mean())
        half = self.k_sigma * self.error_std_ * math.sqrt(self.chunk_size_ / m)
        lo, hi = self.error_mean_ - half, self.error_mean_ + half
        return self._result(error, lo, hi, not lo <= error <= hi, m, ())

    def _result(self, error: float, lo: float, hi: float, drifted: bool | None, m: int,
                notes: tuple[str, ...]) -> PCAReconstructionResult:
        return PCAReconstructionResult(
            "pca_reconstruction", error, error, lo, hi, drifted, self.components_.shape[1],
            self.explained_variance_, self.n_reference_, m, self.chunk_size_, notes)

    def _raw(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        out: list[np.ndarray] = []
        for name, values in cols.items():
            if values.ndim != 1:
                raise DataError(f"column {name!r} must be one-dimensional; got {values.shape}.")
            if name in self.levels_:
                shares = self.levels_[name]
                out.append(np.array([math.nan if v is None else shares.get(v, 0.0)
                                     for v in _labels(values)], dtype=np.float64))
            elif values.dtype.kind in "biuf":
                out.append(values.astype(np.float64))
            else:
                raise DataError(f"column {name!r} was numeric in the reference and is "
                                f"{values.dtype} in current; pass the same types.")
        return np.column_stack(out).astype(np.float64) if out else np.empty((0, 0))

    def _impute(self, raw: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(raw), raw, self.mean_)

    def _standardise(self, raw: np.ndarray) -> np.ndarray:
        return (self._impute(raw) - self.mean_) / self.scale_

    def _components(self, z: np.ndarray) -> tuple[np.ndarray, float]:
        centred = z - z.mean(axis=0)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        var = s**2
        total = var.sum()
        share = np.cumsum(var) / total if total > 0 else np.ones_like(var)
        k = min(int(np.searchsorted(share, self.variance - 1e-12)) + 1, vt.shape[0])
        return vt[:k].T, float(share[k - 1])

    def _chunk_errors(self, z: np.ndarray, size: int) -> np.ndarray:
        n_chunks = z.shape[0] // size
        errors = np.empty(n_chunks)
        for i in range(n_chunks):
            inside = np.zeros(z.shape[0], dtype=bool)
            inside[i * size:(i + 1) * size] = True
            basis, _ = self._components(z[~inside])
            errors[i] = _row_errors(z[inside], basis).mean()
        return errors


def _row_errors(z: np.ndarray, basis: np.ndarray) -> np.ndarray:
    return np.linalg.norm(z - (z @ basis) @ basis.T, axis=1)


def _shares(values: np.ndarray) -> dict[str, float]:
    labels = [v for v in _labels(values) if v is not None]
    uniq, counts = np.unique(np.array(labels, dtype=object), return_counts=True)
    return {str(u): float(c) / max(len(labels), 1) for u, c in zip(uniq, counts, strict=True)}
