"""Accuracy and log loss."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import DriftlineWarning
from driftline.metrics._inputs import Prepared, UndefinedMetricError, label_inputs, score_inputs
from driftline.metrics._registry import mean_hooks, register

__all__ = ["accuracy", "log_loss"]


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Share of rows whose predicted label equals the true label.

    Labels may be numbers or strings (one kind for both arguments).

    Examples
    --------
    >>> accuracy(["cat", "dog", "dog", "cat"], ["cat", "dog", "cat", "cat"])
    0.75
    """
    return _accuracy(label_inputs(y_true, y_pred))


def log_loss(y_true: Any, y_score: Any, *, classes: Sequence[Any] | None = None) -> float:
    """Mean negative log-likelihood of the true labels (cross-entropy, natural log).

    Parameters
    ----------
    y_true : the true labels.
    y_score : P(``classes[1]``) for a binary task, or an ``(n, k)`` array of class
        probabilities with columns in ``classes`` order.
    classes : the label order; default the sorted labels of ``y_true``.

    Notes
    -----
    :math:`-\\frac{1}{n}\\sum_i \\log \\mathrm{clip}(p_{i, y_i}, \\epsilon, 1 - \\epsilon)` with
    :math:`\\epsilon` the float64 machine epsilon, as :func:`sklearn.metrics.log_loss` clips.
    Scores must lie in [0, 1]; rows of an ``(n, k)`` array that do not sum to 1 are used as
    given, with a :class:`~driftline.errors.DriftlineWarning` (sklearn warns too).

    Examples
    --------
    >>> round(log_loss(["spam", "ham", "ham", "spam"],
    ...                [[.1, .9], [.9, .1], [.8, .2], [.35, .65]], classes=["ham", "spam"]), 5)
    0.21616
    >>> log_loss([0, 1], [0.0, 1.0])  # clipped, so a sure and right answer costs ~0
    2.2...e-16
    """
    return _log_loss(score_inputs(y_true, y_score, classes))


def _hits(p: Prepared) -> np.ndarray:
    return (p.y == p.pred).astype(float)


def _nll(p: Prepared) -> np.ndarray:
    s = p.pred
    lo, hi = float(s.min()), float(s.max())
    if lo < 0.0 or hi > 1.0:
        raise UndefinedMetricError(
            f"log_loss needs probabilities in [0, 1]; y_score has values in [{lo:g}, {hi:g}]. "
            "Pass predict_proba output, not decision scores.")
    sums = s.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=math.sqrt(np.finfo(float).eps), atol=0.0):
        warnings.warn("log_loss: the rows of y_score do not sum to 1; they are used as given. "
                      "Pass class probabilities.", DriftlineWarning, stacklevel=4)
    eps = float(np.finfo(np.float64).eps)
    picked = np.clip(s[np.arange(p.n), p.y], eps, 1.0 - eps)
    return -np.log(picked)


def _wilson(p: Prepared, z: float) -> tuple[float, float] | None:
    """Wilson's score interval for a binomial proportion: the k = correct rows of n."""
    n = p.n
    acc = float(np.mean(p.y == p.pred))
    z2 = z * z
    centre = (acc + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(acc * (1 - acc) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


_accuracy, _accuracy_reps, _ = mean_hooks(_hits, bounds=(0.0, 1.0))
_log_loss, _log_loss_reps, _log_loss_band = mean_hooks(_nll)

register("accuracy", accuracy, inputs="label", higher_is_better=True, compute=_accuracy,
         replicates=_accuracy_reps, analytic=_wilson, band="wilson", bounds=(0.0, 1.0))
register("log_loss", log_loss, inputs="score", higher_is_better=False, compute=_log_loss,
         replicates=_log_loss_reps, analytic=_log_loss_band, band="normal",
         bounds=(0.0, float("inf")))
