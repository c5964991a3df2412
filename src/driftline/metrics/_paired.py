"""Paired validation: is a challenger worse than the champion on the same rows, by how much?"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from driftline.errors import ParameterError
from driftline.metrics._bands import (
    bootstrap,
    check_n_boot,
    custom_inputs,
    custom_replicates,
    percentile_band,
)
from driftline.metrics._inputs import Prepared, UndefinedMetricError, check_level
from driftline.metrics._registry import MetricSpec, Replicates, get
from driftline.metrics._value import clean

__all__ = ["DECISIONS", "PairedComparison", "paired_bootstrap"]

DECISIONS = ("pass", "fail", "defer")
Decision = Literal["pass", "fail", "defer"]


@dataclass(frozen=True)
class PairedComparison:
    """Challenger ``b`` against champion ``a`` on the same rows.

    Attributes
    ----------
    metric : the metric's name.
    n : rows compared.
    value_a, value_b : the metric of each model on all rows (NaN where undefined).
    diff : ``value_b - value_a``.
    lower, upper : the paired bootstrap confidence interval of ``b - a`` at ``level``
        (``None`` when it cannot be computed).
    margin : how much worse ``b`` may be, in the metric's units (``>= 0``).
    decision : ``"pass"``, ``"fail"`` or ``"defer"``; see :func:`paired_bootstrap`.
    higher_is_better : the metric's direction the decision used.
    level : the interval's confidence level.
    n_boot : bootstrap resamples.
    reason : the decision, in words.

    Examples
    --------
    >>> c = PairedComparison("accuracy", 100, 0.8, 0.82, 0.02, -0.01, 0.05, 0.01, "pass")
    >>> c.to_dict()["decision"], c.passed
    ('pass', True)
    """

    metric: str
    n: int
    value_a: float
    value_b: float
    diff: float
    lower: float | None
    upper: float | None
    margin: float
    decision: Decision
    higher_is_better: bool = True
    level: float = 0.95
    n_boot: int = 0
    reason: str = ""

    @property
    def passed(self) -> bool:
        """Whether the challenger passed (is not worse by more than ``margin``)."""
        return self.decision == "pass"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; NaN becomes ``None``."""
        return {k: clean(v) for k, v in asdict(self).items()}


def paired_bootstrap(
    metric: str | Callable[[Any, Any], float],
    y_true: Any,
    a: Any,
    b: Any,
    *,
    classes: Sequence[Any] | None = None,
    margin: float = 0.0,
    higher_is_better: bool | None = None,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = 0,
    min_n: int = 30,
) -> PairedComparison:
    """Non-inferiority of a challenger ``b`` to a champion ``a``, by a paired bootstrap.

    Both models' predictions (or scores) are scored on the same resampled rows, so the
    interval of ``b - a`` reflects only their difference, not the rows' luck.

    Parameters
    ----------
    metric : a registered name, or a function ``f(y_true, y_pred) -> float`` (then give
        ``higher_is_better``).
    y_true : the true targets or labels.
    a, b : the champion's and the challenger's predictions (scores for score metrics).
    classes : the label order of a classification metric.
    margin : how much worse than ``a`` the challenger may be, in the metric's units.
    higher_is_better : the metric's direction; default the registered one.
    level : confidence level of the two-sided interval of ``b - a``.
    n_boot : bootstrap resamples (an integer >= 10).
    seed : seeds the resampling.
    min_n : below this many rows the decision is ``"defer"``.

    Notes
    -----
    With the percentile interval ``[lower, upper]`` of ``d = b - a`` at ``level``, for a metric
    where higher is better:

    - ``"pass"`` when ``lower >= -margin``: ``b`` is not worse than ``a`` by more than the margin;
    - ``"fail"`` when ``upper < -margin``: ``b`` is worse by more than the margin;
    - ``"defer"`` otherwise (the interval straddles ``-margin``), or when ``n < min_n``, or the
      metric or the interval is undefined.

    Where lower is better the signs flip: pass when ``upper <= margin``, fail when
    ``lower > margin``. ``"pass"`` is a one-sided test at ``(1 + level) / 2`` (97.5 % for
    ``level=0.95``), so it holds with at least the stated confidence.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> good = np.where(rng.random(500) < 0.9, y, 1 - y)
    >>> bad = np.where(rng.random(500) < 0.6, y, 1 - y)
    >>> paired_bootstrap("accuracy", y, good, good, margin=0.01).decision
    'pass'
    >>> paired_bootstrap("accuracy", y, good, bad, margin=0.01).decision
    'fail'
    >>> paired_bootstrap("accuracy", y[:10], good[:10], bad[:10]).reason
    'n=10 rows is below min_n=30; no decision.'
    """
    level, n_boot = check_level(level), check_n_boot(n_boot)
    margin = _check_margin(margin)
    if isinstance(min_n, bool) or not isinstance(min_n, (int, np.integer)) or min_n < 2:
        raise ParameterError.invalid("min_n", min_n, "an integer >= 2")
    name, hib, n, funcs = _setup(metric, y_true, a, b, classes, higher_is_better)
    try:
        va, vb = (f() for f in funcs[:2])
    except UndefinedMetricError as exc:
        return PairedComparison(name, n, math.nan, math.nan, math.nan, None, None, margin, "defer",
                                hib, level, n_boot, f"{exc} No decision.")
    ra, rb = bootstrap(funcs[2:], n, n_boot, seed)
    lo, hi = percentile_band(rb - ra, level)
    decision, reason = _decide(lo, hi, margin, hib, level)
    if n < min_n:
        decision, reason = "defer", f"n={n} rows is below min_n={min_n}; no decision."
    return PairedComparison(name, n, va, vb, vb - va, lo, hi, margin, decision, hib, level,
                            n_boot, reason)


def _setup(metric: str | Callable[[Any, Any], float], y_true: Any, a: Any, b: Any,
           classes: Sequence[Any] | None, higher_is_better: bool | None) -> tuple[
               str, bool, int, tuple[Callable[[], float], Callable[[], float], Replicates, Replicates]]:
    """The metric's name, direction, n, the two values (lazily) and the two replicate functions."""
    if callable(metric) and not isinstance(metric, MetricSpec):
        if higher_is_better is None:
            raise ParameterError.invalid("higher_is_better", None, "True or False for a metric function")
        y, pa, pb = custom_inputs(y_true, a, b)
        name = getattr(metric, "__name__", "custom")
        return name, bool(higher_is_better), int(y.shape[0]), (
            lambda: float(metric(y, pa)), lambda: float(metric(y, pb)),
            custom_replicates(metric, y, pa), custom_replicates(metric, y, pb))
    spec = metric if isinstance(metric, MetricSpec) else get(metric)
    if higher_is_better is not None and not isinstance(higher_is_better, bool):
        raise ParameterError.invalid("higher_is_better", higher_is_better, "True, False or None")
    hib = spec.higher_is_better if higher_is_better is None else higher_is_better
    prep_a, prep_b = _prepare_pair(spec, y_true, a, b, classes)
    return spec.name, hib, prep_a.n, (
        lambda: spec.compute(prep_a), lambda: spec.compute(prep_b),
        spec.replicates(prep_a), spec.replicates(prep_b))


def _prepare_pair(spec: MetricSpec, y_true: Any, a: Any, b: Any,
                  classes: Sequence[Any] | None) -> tuple[Prepared, Prepared]:
    if spec.inputs == "label" and classes is None:  # one label order for y_true, a and b
        from driftline.metrics._inputs import label_inputs

        classes = label_inputs(y_true, a, None, name="a", extra=[(b, "b")]).classes
    return spec.prepare(y_true, a, classes, "a"), spec.prepare(y_true, b, classes, "b")


def _decide(lo: float | None, hi: float | None, margin: float, higher_is_better: bool,
            level: float) -> tuple[Decision, str]:
    if lo is None or hi is None:
        return "defer", "the interval of b - a is undefined on most resamples; no decision."
    ci = f"the {level:.0%} interval of b - a, [{lo:.4g}, {hi:.4g}],"
    if higher_is_better:
        if lo >= -margin:
            return "pass", f"{ci} lies at or above -margin = {-margin:.4g}: b is not worse by more."
        if hi < -margin:
            return "fail", f"{ci} lies below -margin = {-margin:.4g}: b is worse by more than the margin."
        return "defer", f"{ci} straddles -margin = {-margin:.4g}; more rows are needed to decide."
    if hi <= margin:
        return "pass", f"{ci} lies at or below margin = {margin:.4g}: b is not worse by more."
    if lo > margin:
        return "fail", f"{ci} lies above margin = {margin:.4g}: b is worse by more than the margin."
    return "defer", f"{ci} straddles margin = {margin:.4g}; more rows are needed to decide."


def _check_margin(margin: float) -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin < math.inf:
        raise ParameterError.invalid("margin", margin, "a finite float >= 0",
                                     "It is how much worse the challenger may be, in the metric's units.")
    return float(margin)
