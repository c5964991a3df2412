"""The registry that maps metric names to implementations, and writes "expected one of" errors.

Each metric file registers its metrics with :func:`register`: the public function, what its
inputs are (regression values, class labels or class scores), its direction, and three hooks
that bands and paired comparisons use: the value on prepared inputs, a vectorised function that
computes the metric on many bootstrap resamples at once, and an analytic band where one is known.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.metrics._inputs import (
    Kind,
    Prepared,
    label_inputs,
    regression_inputs,
    score_inputs,
)

__all__ = ["TASKS", "MetricSpec", "available", "get", "mean_hooks", "register"]

TASKS = ("binary", "multiclass", "regression")

Replicates = Callable[[np.ndarray], np.ndarray]
Analytic = Callable[[Prepared, float], "tuple[float, float] | None"]


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric and the facts about it.

    Attributes
    ----------
    name : the name used in ``evaluate`` reports, config and ``metric=`` arguments.
    func : the public function, ``func(y_true, y_pred_or_score, ...) -> float``.
    inputs : ``"regression"`` (numeric targets and predictions), ``"label"`` (class labels) or
        ``"score"`` (class scores: P(positive) or an ``(n, k)`` matrix).
    tasks : the tasks the metric applies to.
    higher_is_better : the metric's direction.
    band : the analytic band's method name (``"normal"``, ``"wilson"``, ``"delong"``), or
        ``None`` when only the bootstrap gives a band.
    bounds : the metric's range; bands are clipped to it.
    compute : the value on :class:`Prepared` inputs.
    replicates : given prepared inputs, a function that maps bootstrap row indices of shape
        ``(B, n)`` to the ``B`` resampled values (NaN where undefined).
    analytic : given prepared inputs and z, the analytic band, or ``None`` where it cannot be
        computed.

    Examples
    --------
    >>> from driftline import metrics
    >>> spec = metrics.get("rmse")
    >>> spec.higher_is_better, spec.inputs, spec([1.0, 2.0], [1.0, 4.0])
    (False, 'regression', 1.4142135623730951)
    """

    name: str
    func: Callable[..., float]
    inputs: Kind
    tasks: frozenset[str]
    higher_is_better: bool
    band: str | None
    bounds: tuple[float, float]
    compute: Callable[[Prepared], float]
    replicates: Callable[[Prepared], Replicates]
    analytic: Analytic | None = None

    def __call__(self, y_true: Any, y_pred: Any, **params: Any) -> float:
        return self.func(y_true, y_pred, **params)

    def prepare(self, y_true: Any, y_pred: Any, classes: Sequence[Any] | None = None,
                name: str | None = None) -> Prepared:
        """Check and encode inputs the way this metric reads them.

        Examples
        --------
        >>> from driftline import metrics
        >>> metrics.get("accuracy").prepare(["a", "b"], ["a", "a"]).pred.tolist()
        [0, 0]
        """
        if self.inputs == "regression":
            return regression_inputs(y_true, y_pred, name=name or "y_pred")
        if self.inputs == "label":
            return label_inputs(y_true, y_pred, classes, name=name or "y_pred")
        return score_inputs(y_true, y_pred, classes, name=name or "y_score")


_REGISTRY: dict[str, MetricSpec] = {}


def register(
    name: str,
    func: Callable[..., float],
    *,
    inputs: Kind,
    higher_is_better: bool,
    compute: Callable[[Prepared], float],
    replicates: Callable[[Prepared], Replicates],
    analytic: Analytic | None = None,
    band: str | None = None,
    bounds: tuple[float, float] = (-math.inf, math.inf),
    tasks: tuple[str, ...] | None = None,
) -> MetricSpec:
    """Register a metric under ``name`` and return its spec."""
    if name in _REGISTRY:
        raise RuntimeError(f"metric {name!r} is registered twice")
    if tasks is None:
        tasks = ("regression",) if inputs == "regression" else ("binary", "multiclass")
    spec = MetricSpec(name, func, inputs, frozenset(tasks), higher_is_better, band, bounds,
                      compute, replicates, analytic)
    _REGISTRY[name] = spec
    return spec


def get(name: str) -> MetricSpec:
    """The registered metric called ``name``.

    Examples
    --------
    >>> from driftline import metrics
    >>> metrics.get("roc_auc").band
    'delong'
    >>> metrics.get("auc")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: metric must be one of 'accuracy', ...; got 'auc'.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError.choice("metric", name, sorted(_REGISTRY)) from None


def available(task: str | None = None) -> tuple[str, ...]:
    """The registered metric names, sorted; only those for ``task`` when given.

    Examples
    --------
    >>> from driftline import metrics
    >>> metrics.available("regression")
    ('mae', 'mape', 'mse', 'r2', 'rmse')
    """
    if task is not None and task not in TASKS:
        raise ParameterError.choice("task", task, TASKS)
    return tuple(sorted(n for n, s in _REGISTRY.items() if task is None or task in s.tasks))


def mean_hooks(
    losses: Callable[[Prepared], np.ndarray],
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    bounds: tuple[float, float] = (0.0, math.inf),
) -> tuple[Callable[[Prepared], float], Callable[[Prepared], Replicates], Analytic]:
    """Hooks for a metric that is ``transform(mean(per-row losses))``.

    The analytic band is the mean ± z times the standard error of the per-row losses
    (``sd / sqrt(n)``, ``ddof=1``), clipped to ``bounds`` and then transformed (the transform is
    increasing, such as the square root of RMSE, so the band's ends map to the band's ends).

    Examples
    --------
    >>> from driftline.metrics._inputs import regression_inputs
    >>> value, reps, band = mean_hooks(lambda p: np.abs(p.pred - p.y))
    >>> p = regression_inputs([0.0, 0.0, 0.0], [1.0, 2.0, 3.0])
    >>> value(p), reps(p)(np.array([[0, 0, 2]])).tolist(), [round(b, 3) for b in band(p, 1.96)]
    (2.0, [1.6666666666666667], [0.868, 3.132])
    """
    tf = transform if transform is not None else (lambda a: a)

    def compute(p: Prepared) -> float:
        return float(tf(np.asarray(np.mean(losses(p)))))

    def replicates(p: Prepared) -> Replicates:
        row = losses(p)
        return lambda idx: tf(row[idx].mean(axis=1))

    def analytic(p: Prepared, z: float) -> tuple[float, float] | None:
        row = losses(p)
        if row.size < 2:
            return None
        m, se = float(np.mean(row)), float(np.std(row, ddof=1)) / math.sqrt(row.size)
        lo, hi = np.clip([m - z * se, m + z * se], *bounds)
        ends = tf(np.array([lo, hi]))
        return float(ends[0]), float(ends[1])

    return compute, replicates, analytic
