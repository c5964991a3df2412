"""Ranking metrics: ROC AUC (midrank ties) and PR AUC (average precision), binary and one-vs-rest.

Both are computed from the positive and negative counts in each group of tied scores, for many
sets of rows at once: the rows ``0..n-1`` give the value, and a ``(B, n)`` array of bootstrap
row indices gives ``B`` resampled values. Each class's scores are sorted once, up front; a
resample then costs one gather and one ``bincount``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Literal

import numpy as np

from driftline.errors import ParameterError
from driftline.metrics._inputs import Prepared, UndefinedMetricError, score_inputs
from driftline.metrics._registry import Replicates, register

__all__ = ["pr_auc", "roc_auc"]

Average = Literal["macro", "weighted"]
_Curve = Callable[[np.ndarray, np.ndarray], np.ndarray]


def roc_auc(y_true: Any, y_score: Any, *, classes: Sequence[Any] | None = None,
            average: Average = "macro") -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Parameters
    ----------
    y_true : the true labels (numbers or strings).
    y_score : binary: P(``classes[1]``), or an ``(n, 2)`` array (column 1 is used);
        multiclass: an ``(n, k)`` array of scores, columns in ``classes`` order.
    classes : the label order; default the sorted labels of ``y_true``.
    average : multiclass only: ``"macro"`` (the plain mean of the one-vs-rest AUCs) or
        ``"weighted"`` (weighted by each class's count in ``y_true``).

    Notes
    -----
    :math:`\\mathrm{AUC} = \\frac{1}{n_+ n_-}\\sum_{i \\in +}\\sum_{j \\in -}
    [s_i > s_j] + \\tfrac12 [s_i = s_j]`, which equals the trapezoidal area under the ROC
    curve (:func:`sklearn.metrics.roc_auc_score`, ``multi_class="ovr"`` for several classes).
    Multiclass scores are ranked per column and need not sum to 1. The AUC is undefined, and
    :class:`~driftline.errors.DataError` is raised, when a class has no rows in ``y_true`` or
    all of them (sklearn returns NaN with a warning there).

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 1, 1], [0.5, 0.5, 0.9])   # a tie counts one half
    0.75
    >>> round(roc_auc(["a", "b", "c", "a"], [[.6, .3, .1], [.2, .5, .3], [.2, .2, .6], [.1, .6, .3]]), 3)
    0.722

    References
    ----------
    .. [1] Hand, D. J. & Till, R. J. (2001). A simple generalisation of the area under the ROC
       curve for multiple class classification problems. Machine Learning, 45, 171–186.
    """
    return _value(score_inputs(y_true, y_score, classes), _auc_rows, "roc_auc", _average(average))


def pr_auc(y_true: Any, y_score: Any, *, classes: Sequence[Any] | None = None,
           average: Average = "macro") -> float:
    """Area under the precision–recall curve, as average precision (sklearn's definition).

    Parameters are those of :func:`roc_auc`.

    Notes
    -----
    :math:`\\mathrm{AP} = \\sum_t (R_t - R_{t-1}) P_t` over the distinct scores ``t`` from the
    highest down, with precision :math:`P_t` and recall :math:`R_t` of the rule
    ``score >= t``: a step function, not the trapezoid (which is optimistic). This is
    :func:`sklearn.metrics.average_precision_score`; multiclass is one-vs-rest. It is undefined
    (:class:`~driftline.errors.DataError`) when a class has no rows in ``y_true`` or all of them.

    Examples
    --------
    >>> round(pr_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    return _value(score_inputs(y_true, y_score, classes), _ap_rows, "pr_auc", _average(average))


class _Ranked:
    """One score column, coded once as (tie group, positive?) per row."""

    def __init__(self, scores: np.ndarray, positive: np.ndarray) -> None:
        groups, inverse = np.unique(scores, return_inverse=True)
        self.n_groups = int(groups.size)
        self.code = 2 * inverse.reshape(-1) + positive.astype(np.intp)

    def groups(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positive and negative counts of each tie group (ascending score) in each resample of
        row indices ``idx`` (``(B, n)``): two ``(B, G)`` arrays, from one ``bincount``."""
        b, width = idx.shape[0], 2 * self.n_groups
        keys = self.code[idx] + width * np.arange(b)[:, None]
        c = np.bincount(keys.ravel(), minlength=b * width).reshape(b, self.n_groups, 2)
        c = c.astype(float)
        return c[:, :, 1], c[:, :, 0]


def _auc_rows(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    below = np.cumsum(neg, axis=1) - neg
    num = np.einsum("ij,ij->i", pos, below + 0.5 * neg)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    return np.divide(num, den, out=np.full(num.shape, math.nan), where=den > 0)


def _ap_rows(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    pos, neg = pos[:, ::-1], neg[:, ::-1]  # highest scores first
    tp, fp = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    num = np.einsum("ij,ij->i", pos, precision)
    n_pos, n_neg = tp[:, -1], fp[:, -1]
    return np.divide(num, n_pos, out=np.full(num.shape, math.nan), where=(n_pos > 0) & (n_neg > 0))


def _columns(p: Prepared) -> list[tuple[int, _Ranked]]:
    """The one-vs-rest problems: column 1 alone for a binary task, every column otherwise."""
    ks = [1] if p.pred.shape[1] == 2 else list(range(p.pred.shape[1]))
    return [(k, _Ranked(p.pred[:, k], p.y == k)) for k in ks]


def _combine(ranked: list[tuple[int, _Ranked]], idx: np.ndarray, curve: _Curve,
             average: Average) -> np.ndarray:
    values, supports = [], []
    for _, r in ranked:
        pos, neg = r.groups(idx)
        values.append(curve(pos, neg))
        supports.append(pos.sum(axis=1))
    v, s = np.array(values), np.array(supports)
    if len(ranked) == 1 or average == "macro":
        return np.asarray(v.mean(axis=0))
    return np.asarray((v * s).sum(axis=0) / s.sum(axis=0))


def _value(p: Prepared, curve: _Curve, name: str, average: Average) -> float:
    _check_defined(p, name)
    return float(_combine(_columns(p), np.arange(p.n)[None, :], curve, average)[0])


def _check_defined(p: Prepared, name: str) -> None:
    counts = np.bincount(p.y, minlength=p.pred.shape[1])
    if p.pred.shape[1] == 2:
        if counts.min() == 0:
            only = p.classes[int(np.argmax(counts))]
            raise UndefinedMetricError(f"{name} is undefined when y_true has only one class; "
                                       f"every row is {only!r}.")
        return
    absent = [p.classes[k] for k in np.flatnonzero((counts == 0) | (counts == p.n)).tolist()]
    if absent:
        raise UndefinedMetricError(
            f"{name} (one-vs-rest) is undefined for class(es) {absent!r}: each class needs rows "
            "in y_true and rows of other classes. Pass classes=[...] with only the classes present.")


def _replicates(curve: _Curve, average: Average) -> Callable[[Prepared], Replicates]:
    def build(p: Prepared) -> Replicates:
        ranked = _columns(p)
        return lambda idx: _combine(ranked, idx, curve, average)

    return build


def _midranks(x: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    top = np.cumsum(counts)
    return (top - (counts - 1) / 2.0)[inverse]


def _delong(p: Prepared, z: float) -> tuple[float, float] | None:
    """DeLong's variance of a binary AUC from midranks; ``None`` for multiclass or < 2 per class."""
    if p.pred.shape[1] != 2:
        return None
    s, pos = p.pred[:, 1], p.y == 1
    m, n = int(pos.sum()), int((~pos).sum())
    if m < 2 or n < 2:
        return None
    all_ranks = _midranks(s)
    v10 = (all_ranks[pos] - _midranks(s[pos])) / n
    v01 = 1.0 - (all_ranks[~pos] - _midranks(s[~pos])) / m
    auc = float(v10.mean())
    se = math.sqrt(float(v10.var(ddof=1)) / m + float(v01.var(ddof=1)) / n)
    return max(0.0, auc - z * se), min(1.0, auc + z * se)


def _average(average: str) -> Average:
    if average not in ("macro", "weighted"):
        raise ParameterError.choice("average", average, ("macro", "weighted"))
    return "macro" if average == "macro" else "weighted"


def _register() -> None:
    for name, func, curve in [("roc_auc", roc_auc, _auc_rows), ("pr_auc", pr_auc, _ap_rows)]:
        for average in ("macro", "weighted"):
            full = name if average == "macro" else f"{name}_weighted"

            def compute(p: Prepared, curve: _Curve = curve, full: str = full,
                        average: Average = average) -> float:
                return _value(p, curve, full, average)

            register(full, func if average == "macro" else partial(func, average=average),
                     inputs="score", higher_is_better=True, compute=compute,
                     replicates=_replicates(curve, average),
                     analytic=_delong if name == "roc_auc" else None,
                     band="delong" if name == "roc_auc" else None, bounds=(0.0, 1.0),
                     tasks=("binary", "multiclass") if average == "macro" else ("multiclass",))


_register()
