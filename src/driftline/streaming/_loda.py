"""LODA: a streaming anomaly scorer on histograms of sparse random projections (Pevný, 2016)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from driftline.streaming._outlier_base import OutlierScorer, check_int, check_scaling, check_seed

__all__ = ["LODA"]


class LODA(OutlierScorer):
    r"""LODA (lightweight on-line detector of anomalies): a streaming anomaly scorer for rows of
    real features, built from many one-dimensional histograms.

    Each of ``n_projections`` sparse random vectors projects a row onto a line; a histogram of
    ``n_bins`` equal-width bins estimates the density of the projected values, and the score of
    a row is the mean negative log-density of its projections. One histogram is a very weak
    detector; the average of many is a strong one. Rows are learned in windows of
    ``window_size``, as in the paper's online variant with two histograms per projection: a
    row is scored by the histograms of the **last full window** (the reference) while the
    current window is collected; when the window fills, its histograms become the reference.

    Scores are mean negative log-densities (unbounded; higher is more anomalous); every row
    scores 0 until the first window has been learned.

    Parameters
    ----------
    n_projections
        Number of random projections, each with its own histogram (river calls them
        ``n_random_cuts``).
    n_bins
        Bins per histogram, spread evenly over the range of the window's projected values.
    window_size
        Rows per window: the reference histograms are those of the last ``window_size`` rows
        learned when the window filled.
    seed
        Seed of the random projections (None: unseeded).
    scaling
        None: the features are used as given. ``"minmax"``: each feature is scaled by its
        running minimum and maximum (a row is scored with those of the rows learned before it,
        learned with those including it), as river's ``preprocessing.MinMaxScaler()`` does in
        front of a detector. LODA needs no limits, but a feature with a much larger spread than
        the others dominates every projection it enters; scale such features.

    Notes
    -----
    A projection :math:`w_j` has :math:`\lfloor\sqrt d\rfloor` non-zero weights (at least one),
    on features drawn without replacement, each weight drawn from :math:`N(0, 1)`. With
    :math:`z_j = w_j^\top x`, the reference window's :math:`N` projected values spanning
    :math:`[a_j, b_j]`, bin width :math:`h_j = (b_j - a_j) / B` and :math:`c_j(z)` the count of
    the bin holding :math:`z`,

    .. math:: s(x) = -\frac1k \sum_{j=1}^{k} \log \hat p_j(z_j), \qquad
              \hat p_j(z) = \frac{c_j(z) + 1}{(N + B)\, h_j}.

    The added one (Laplace smoothing) keeps an empty bin from scoring :math:`+\infty`; a value
    outside :math:`[a_j, b_j]` counts as falling into an empty bin. A projection whose window
    values all equal :math:`v` gets the range :math:`[v - 1/2, v + 1/2]`. The sum runs
    in a fixed order, so the vectorised methods give bit-for-bit the scores of the per-row
    loop. A row costs :math:`O(k \sqrt d)` to score or learn, and a window
    :math:`O(N k \sqrt d)` more when it fills.

    Compared with :class:`HalfSpaceTrees`, LODA needs no feature limits and its projections
    mix features, so it also sees anomalies that lie off the axes; its scores are unbounded.
    river 0.26's ``anomaly.LODA`` keeps one adaptive-width streaming histogram per projection
    over the whole stream instead of windows, so its scores differ from these.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.streaming import LODA
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(0.0, 1.0, size=(1_000, 4))
    >>> X[[600, 900]] = [[4.0, -4.0, 4.0, -4.0], [-5.0, 5.0, 0.0, 0.0]]   # two outliers
    >>> loda = LODA(n_projections=50, window_size=200, seed=7)
    >>> scores = loda.score_learn_many(X)                      # score each row, then learn it
    >>> sorted(np.argsort(scores)[-2:].tolist())                # the two highest scores
    [600, 900]
    >>> restarted = LODA.from_state(loda.to_json())            # JSON state, never pickle
    >>> restarted.score_one(X[0]) == loda.score_one(X[0])
    True

    References
    ----------
    Tomáš Pevný. "Loda: Lightweight on-line detector of anomalies." Machine Learning 102(2),
    pp. 275-304, 2016.
    """

    _params = ("n_projections", "n_bins", "window_size", "seed", "scaling")
    _index: np.ndarray  # (k, m): the features of each projection
    _weight: np.ndarray  # (k, m): their weights
    _window: list[np.ndarray]  # the rows of the current window, as learned
    _low: np.ndarray  # (k,): the reference histograms' lower edges
    _width: np.ndarray  # (k,): their bin widths
    _high: np.ndarray  # (k,): their upper edges
    _counts: np.ndarray  # (k, n_bins): their counts

    def __init__(self, n_projections: int = 100, n_bins: int = 10, window_size: int = 250,
                 seed: int | None = None, scaling: str | None = None) -> None:
        self.n_projections = check_int("n_projections", n_projections, 1, "Typical values are 50 to 500.")
        self.n_bins = check_int("n_bins", n_bins, 1, "Typical values are 5 to 30.")
        self.window_size = check_int("window_size", window_size, 2, "Typical windows hold 100 to 1000 rows.")
        self.seed = check_seed(seed)
        self.scaling = check_scaling(scaling)
        super().__init__()

    # -- the model ---------------------------------------------------------------------
    def _reset_model(self) -> None:
        k = self.n_projections
        self._index = np.zeros((k, 0), dtype=np.int64)
        self._weight = np.zeros((k, 0))
        self._window = []
        self._low, self._width, self._high = np.zeros(k), np.ones(k), np.zeros(k)
        self._counts = np.zeros((k, self.n_bins), dtype=np.int64)

    def _build(self, d: int) -> None:
        rng = np.random.default_rng(self.seed)
        m = max(1, math.isqrt(d))
        self._index = np.sort(np.argsort(rng.random((self.n_projections, d)), axis=1)[:, :m], axis=1)
        self._weight = rng.standard_normal((self.n_projections, m))

    def _project(self, rows: np.ndarray) -> np.ndarray:
        """(n, k) projected values, summed feature by feature in a fixed order."""
        z = rows[:, self._index[:, 0]] * self._weight[:, 0]
        for i in range(1, self._index.shape[1]):
            z = z + rows[:, self._index[:, i]] * self._weight[:, i]
        return z

    def _bins(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bin of each projected value, and whether it lies within the reference range."""
        inside = (z >= self._low) & (z <= self._high)
        b = np.floor((z - self._low) / self._width)
        return np.clip(np.nan_to_num(b), 0, self.n_bins - 1).astype(np.int64), inside

    def _score_block(self, rows: np.ndarray) -> np.ndarray:
        b, inside = self._bins(self._project(rows))
        k = self.n_projections
        counts = np.where(inside, self._counts[np.arange(k)[None, :], b], 0)
        total = self.window_size + self.n_bins
        nll = np.log(total * self._width) - np.log(counts + 1.0)
        return np.cumsum(nll, axis=1)[:, -1] / k  # a sequential sum: the same for any block

    def _learn_block(self, rows: np.ndarray) -> None:
        self._window.append(rows.copy())

    def _pivot(self) -> None:
        z = self._project(np.concatenate(self._window))
        self._window = []
        low, high = z.min(axis=0), z.max(axis=0)
        flat = high == low
        self._low = np.where(flat, low - 0.5, low)
        self._high = np.where(flat, high + 0.5, high)
        self._width = (self._high - self._low) / self.n_bins
        b, _ = self._bins(z)
        k = self.n_projections
        offset = np.arange(k)[None, :] * self.n_bins
        self._counts = np.bincount((b + offset).ravel(), minlength=k * self.n_bins).reshape(k, self.n_bins)

    def _get_model(self) -> dict[str, Any]:
        window = np.concatenate(self._window) if self._window else np.zeros((0, self._n_features or 0))
        return {"index": self._index, "weight": self._weight, "window": window,
                "low": self._low, "high": self._high, "counts": self._counts}

    def _set_model(self, state: dict[str, Any]) -> None:
        k, d = self.n_projections, self._n_features or 0
        self._index = np.asarray(state["index"], dtype=np.int64).reshape(k, -1)
        self._weight = np.asarray(state["weight"], dtype=float).reshape(k, -1)
        window = np.asarray(state["window"], dtype=float).reshape(-1, d)
        self._window = [window] if window.shape[0] else []
        self._low = np.asarray(state["low"], dtype=float)
        self._high = np.asarray(state["high"], dtype=float)
        self._width = (self._high - self._low) / self.n_bins
        self._counts = np.asarray(state["counts"], dtype=np.int64).reshape(k, self.n_bins)
