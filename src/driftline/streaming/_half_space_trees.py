"""Half-Space Trees: a streaming anomaly scorer on random axis-parallel splits (Tan, Ting & Liu, 2011)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._outlier_base import OutlierScorer, check_int, check_scaling, check_seed

__all__ = ["HalfSpaceTrees"]

_PADDING = 0.15  # a split falls in the middle 70% of its node's range (river's padding)


class HalfSpaceTrees(OutlierScorer):
    r"""Half-Space Trees (HST): a streaming anomaly scorer for rows of real features.

    Each of ``n_trees`` complete binary trees of depth ``height`` splits the feature space at
    random: a node picks a feature (with probability proportional to the width of its range in
    that node) and a threshold uniformly in the middle 70% of that range. The trees are drawn
    once, when the first row arrives, and never change. What changes is how many learned rows
    fell into each node: rows are learned in windows of ``window_size``, and a row is scored by
    the masses of the **last full window** along its path (the reference), while the current
    window's masses accumulate. When the window fills, its masses become the reference. A row
    in a sparsely populated region of the recent past scores high.

    Scores are in [0, 1], higher is more anomalous; every row scores 0 until the first window
    has been learned. The trees, the window and the scores are those of
    ``river.anomaly.HalfSpaceTrees`` (river 0.26) with the same parameters and ``seed``: the
    random draws use Python's :class:`random.Random` in river's order, so both give the same
    score to every row, which the tests check.

    Parameters
    ----------
    n_trees
        Number of trees.
    height
        Depth of each tree: a tree has ``height + 1`` levels and ``2 ** (height + 1) - 1``
        nodes.
    window_size
        Rows per window: the reference masses are those of the last ``window_size`` rows
        learned when the window filled.
    limits
        The range of each feature, ``[(low, high), ...]`` (one pair per column), in which the
        trees are drawn. None: every feature in [0, 1], as in river. Features far outside their
        limits all fall into the same outermost cells, so scale them first, give their
        limits, or use ``scaling="minmax"``.
    seed
        Seed of the random trees (None: unseeded).
    scaling
        None: the features are used as given. ``"minmax"``: each feature is scaled by its
        running minimum and maximum (a row is scored with those of the rows learned before it,
        learned with those including it), which is river's
        ``preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees()`` pipeline. The trees then
        follow each feature's observed range, so no limits are needed (and none may be given).

    Notes
    -----
    With :math:`r(v)` the reference mass of node :math:`v` (the number of rows of the last full
    window that reached it), the path :math:`v_0, v_1, \dots` of a row from the root, and
    :math:`\ell` the first depth where :math:`r(v_\ell) < 0.1 \cdot \text{window\_size}` (or the
    leaf, at depth ``height``), a tree gives :math:`\sum_{k \le \ell} r(v_k)\, 2^k` and the score is

    .. math:: s(x) = 1 - \frac{\sum_{\text{trees}} \sum_{k \le \ell} r(v_k)\, 2^k}
              {\text{n\_trees} \cdot \text{window\_size} \cdot (2^{\text{height}+1} - 1)}.

    All sums are integers, so the vectorised methods give bit-for-bit the scores of the
    per-row loop. Within a window the reference is fixed, so ``score_learn_many`` walks every
    tree for a whole block of rows at once, one level at a time. A row costs
    :math:`O(\text{n\_trees} \cdot \text{height})` to score or learn, whatever the number of
    features.

    HST suits anomalies that are isolated in the recent past. Anomalies that arrive in bursts
    fill their own region of a window and look normal in the next one; the window also sets how
    quickly the scorer adapts to drift.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.streaming import HalfSpaceTrees
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(0.5, 0.05, size=(1_000, 2))
    >>> X[[600, 900]] = [[0.1, 0.9], [0.95, 0.05]]          # two outliers
    >>> hst = HalfSpaceTrees(n_trees=10, height=6, window_size=100, seed=42)
    >>> scores = hst.score_learn_many(X)                      # score each row, then learn it
    >>> sorted(np.argsort(scores)[-2:].tolist())                # the two highest scores
    [600, 900]
    >>> restarted = HalfSpaceTrees.from_state(hst.to_json())  # JSON state, never pickle
    >>> restarted.score_one([0.5, 0.5]) == hst.score_one([0.5, 0.5])
    True

    References
    ----------
    Swee Chuan Tan, Kai Ming Ting and Tony Fei Liu. "Fast Anomaly Detection for Streaming
    Data." In Proceedings of the 22nd International Joint Conference on Artificial Intelligence
    (IJCAI), pp. 1511-1516, 2011.
    """

    _params = ("n_trees", "height", "window_size", "limits", "seed", "scaling")
    _feature: np.ndarray  # (n_trees, 2**height - 1): the split feature of each branch node
    _threshold: np.ndarray  # (n_trees, 2**height - 1): its threshold
    _l_mass: np.ndarray  # (n_trees, 2**(height+1) - 1): the current window's masses
    _r_mass: np.ndarray  # (n_trees, 2**(height+1) - 1): the reference masses
    _pending: list[np.ndarray]  # rows of the current window not yet counted into _l_mass
    _lists: tuple[list[list[int]], list[list[float]], list[list[int]]] | None  # the same, as lists

    def __init__(self, n_trees: int = 10, height: int = 8, window_size: int = 250,
                 limits: Sequence[Sequence[float]] | None = None, seed: int | None = None,
                 scaling: str | None = None) -> None:
        self.n_trees = check_int("n_trees", n_trees, 1)
        self.height = check_int("height", height, 1, "Typical heights are 6 to 10.")
        if self.height > 20:
            raise ParameterError.invalid(
                "height", height, "an integer in [1, 20]",
                "A tree holds 2 ** (height + 1) - 1 nodes; typical heights are 6 to 10.")
        self.window_size = check_int("window_size", window_size, 1, "Typical windows hold 100 to 1000 rows.")
        self.seed = check_seed(seed)
        self.scaling = check_scaling(scaling)
        self.limits = _check_limits(limits)
        if self.limits is not None and self.scaling is not None:
            raise ParameterError.invalid(
                "limits", limits, "None when scaling is set",
                "With scaling='minmax' every feature is scaled to [0, 1]; drop limits or scaling.")
        super().__init__()
        if self.limits is not None:
            self._start(len(self.limits))

    # -- the model ---------------------------------------------------------------------
    @property
    def size_limit(self) -> float:
        """The reference mass below which the walk down a tree stops (0.1 × window_size)."""
        return 0.1 * self.window_size

    def _reset_model(self) -> None:
        branches, nodes = 2 ** self.height - 1, 2 ** (self.height + 1) - 1
        self._feature = np.zeros((self.n_trees, branches), dtype=np.int64)
        self._threshold = np.zeros((self.n_trees, branches))
        self._l_mass = np.zeros((self.n_trees, nodes), dtype=np.int64)
        self._r_mass = np.zeros((self.n_trees, nodes), dtype=np.int64)
        self._pending = []
        self._lists = None

    def reset(self) -> None:
        super().reset()
        if self.limits is not None:
            self._start(len(self.limits))

    def _columns_from(self) -> str:
        return "one per pair of limits" if self.limits is not None else super()._columns_from()

    def _build(self, d: int) -> None:
        rng = random.Random(self.seed)
        limits = [(lo, hi) for lo, hi in self.limits] if self.limits is not None else [(0.0, 1.0)] * d
        for t in range(self.n_trees):
            _draw(rng, list(limits), self.height, 0, self._feature[t], self._threshold[t])
        self._lists = None

    def _paths(self, rows: np.ndarray) -> list[np.ndarray]:
        """The node of every (row, tree) at each depth 0..height, in heap order (the children
        of node ``v`` are ``2v + 1`` and ``2v + 2``)."""
        node = np.zeros((rows.shape[0], self.n_trees), dtype=np.int64)
        trees = np.arange(self.n_trees)[None, :]
        every_row = np.arange(rows.shape[0])[:, None]
        out = [node]
        for _ in range(self.height):
            value = rows[every_row, self._feature[trees, node]]
            node = 2 * node + 1 + ~(value < self._threshold[trees, node])  # left when value < threshold
            out.append(node)
        return out

    def _score_block(self, rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] == 1:
            return np.array([self._score_row(rows[0].tolist())])
        trees = np.arange(self.n_trees)[None, :]
        total = np.zeros(rows.shape[0], dtype=np.int64)
        alive = np.ones((rows.shape[0], self.n_trees), dtype=bool)
        for depth, node in enumerate(self._paths(rows)):
            r = self._r_mass[trees, node]
            total += np.sum(np.where(alive, r << depth, 0), axis=1)
            alive &= r >= self.size_limit  # the walk stops after a node lighter than size_limit
        top = self.n_trees * self.window_size * (2 ** (self.height + 1) - 1)
        return 1.0 - total.astype(float) / top

    def _learn_block(self, rows: np.ndarray) -> None:
        # Nothing reads the current window's masses before it is full (scores use the reference),
        # so rows wait and are counted all at once: when the window fills or the state is saved.
        self._pending.append(rows.copy())  # the caller may change its array afterwards

    def _count_pending(self) -> None:
        if not self._pending:
            return
        rows, self._pending = np.concatenate(self._pending), []
        nodes = self._l_mass.shape[1]
        offset = np.arange(self.n_trees)[None, :] * nodes
        for i in range(0, rows.shape[0], 4096):  # bounds the temporary arrays
            flat = np.concatenate([(offset + node).ravel() for node in self._paths(rows[i:i + 4096])])
            self._l_mass += np.bincount(flat, minlength=self.n_trees * nodes).reshape(self.n_trees, nodes)

    def _pivot(self) -> None:
        self._count_pending()
        self._r_mass = self._l_mass
        self._l_mass = np.zeros_like(self._r_mass)
        self._lists = None

    # -- one row at a time: the same walk over Python lists, several times faster than numpy
    # on a single row. The masses are integers, so both give the same score to the bit.
    def _tree_lists(self) -> tuple[list[list[int]], list[list[float]], list[list[int]]]:
        if self._lists is None:
            self._lists = (self._feature.tolist(), self._threshold.tolist(), self._r_mass.tolist())
        return self._lists

    def _score_row(self, x: list[float]) -> float:
        features, thresholds, masses = self._tree_lists()
        height, size_limit, total = self.height, self.size_limit, 0
        for feature, threshold, mass in zip(features, thresholds, masses, strict=True):
            v = 0
            for depth in range(height):
                r = mass[v]
                total += r << depth
                if r < size_limit:
                    break
                v = 2 * v + 1 if x[feature[v]] < threshold[v] else 2 * v + 2
            else:
                total += mass[v] << height
        return 1.0 - float(total) / (self.n_trees * self.window_size * (2 ** (height + 1) - 1))

    def _get_model(self) -> dict[str, Any]:
        self._count_pending()
        return {"feature": self._feature, "threshold": self._threshold,
                "l_mass": self._l_mass, "r_mass": self._r_mass}

    def _set_model(self, state: dict[str, Any]) -> None:
        self._feature = np.asarray(state["feature"], dtype=np.int64).reshape(self._feature.shape)
        self._threshold = np.asarray(state["threshold"], dtype=float).reshape(self._threshold.shape)
        self._l_mass = np.asarray(state["l_mass"], dtype=np.int64).reshape(self._l_mass.shape)
        self._r_mass = np.asarray(state["r_mass"], dtype=np.int64).reshape(self._r_mass.shape)
        self._pending = []
        self._lists = None


def _draw(rng: random.Random, limits: list[tuple[float, float]], height: int, v: int,
          feature: np.ndarray, threshold: np.ndarray) -> None:
    """Draw the branch ``v`` and, depth first (left subtree, then right), everything below it:
    the random draws of river's ``make_padded_tree`` in the same order."""
    if height == 0:
        return
    on = rng.choices(range(len(limits)), weights=[hi - lo for lo, hi in limits])[0]
    a, b = limits[on]
    at = rng.uniform(a + _PADDING * (b - a), b - _PADDING * (b - a))
    feature[v], threshold[v] = on, at
    limits[on] = (a, at)
    _draw(rng, limits, height - 1, 2 * v + 1, feature, threshold)
    limits[on] = (at, b)
    _draw(rng, limits, height - 1, 2 * v + 2, feature, threshold)
    limits[on] = (a, b)


def _check_limits(limits: Sequence[Sequence[float]] | None) -> list[list[float]] | None:
    if limits is None:
        return None
    try:
        arr = np.asarray(limits, dtype=float)
    except (TypeError, ValueError):
        arr = np.empty(0)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0 or not np.all(np.isfinite(arr)) \
            or not np.all(arr[:, 1] > arr[:, 0]):
        raise ParameterError.invalid(
            "limits", limits, "None or one finite (low, high) pair per feature, with low < high",
            "For example [(0, 1), (-5, 5)] for two features.")
    return [[float(lo), float(hi)] for lo, hi in arr]

