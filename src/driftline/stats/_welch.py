"""Welch's two-sample t-test (unequal variances) on the means."""

from __future__ import annotations

import math

from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, as_numerical

__all__ = ["welch_t"]

_NAME = "welch_t"
_EFFECT = "cohens_d"
_MIN_N = 5


@register(_NAME, kinds=("numerical",), has_p_value=True, effect_size_name=_EFFECT,
          min_n=_MIN_N, cost="nlogn", symmetric=False)
def welch_t(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
) -> TestResult:
    """Welch's t-test for a change of mean, two-sided.

    Uses only the two means and variances: with a fitted ``reference`` they are cached, so a
    window costs ``O(m)`` arithmetic (plus the ``O(m log m)`` sort that preparing any
    :class:`Sample` does, hence ``cost="nlogn"``).

    Parameters
    ----------
    reference, current : the two samples; NaN and ±inf are left out and counted.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on ``|d|`` (Cohen's d, the effect size).

    Notes
    -----
    .. math:: t = \\frac{\\bar c - \\bar r}{\\sqrt{s_r^2/n + s_c^2/m}}, \\qquad
              \\nu = \\frac{(s_r^2/n + s_c^2/m)^2}{\\frac{(s_r^2/n)^2}{n-1} +
              \\frac{(s_c^2/m)^2}{m-1}}

    with ``ddof=1`` variances, and ``p = 2 P(T_ν > |t|)``. The sign of ``t`` is that of
    ``current - reference``, so the statistic equals
    ``scipy.stats.ttest_ind(current, reference, equal_var=False).statistic`` and changes sign
    when the samples are swapped (the registry marks it not symmetric; the p-value is).

    Effect size: :math:`|d| = |\\bar c - \\bar r| / s_p` with the pooled standard deviation
    :math:`s_p^2 = ((n-1)s_r^2 + (m-1)s_c^2)/(n+m-2)`.

    Both samples constant: equal constants give ``t = 0``, ``p = 1``, ``d = 0``; different
    constants give ``t = ±inf``, ``p = 0``, ``d = inf``. Below ``min_n = 5`` values per side
    no verdict is given.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> r = welch_t(rng.normal(0, 1, size=200), rng.normal(0.8, 2, size=150))
    >>> r.drifted, round(r.effect_size, 2)
    (True, 0.42)

    References
    ----------
    .. [1] Welch, B. L. (1947). The generalization of "Student's" problem when several
       different population variances are involved. Biometrika, 34(1–2), 28–35.
    .. [2] Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    small = too_small(_NAME, ref, cur, _MIN_N, alpha=alpha, effect_size_name=_EFFECT,
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    (mr, vr), (mc, vc) = _moments(ref), _moments(cur)
    t, p = _welch(mc - mr, vr, vc, ref.n, cur.n)
    d = _cohens_d(mc - mr, vr, vc, ref.n, cur.n)
    return TestResult.build(
        _NAME, t, p, alpha=alpha, effect_size=d, effect_size_name=_EFFECT,
        effect_threshold=effect_threshold, n_reference=ref.n, n_current=cur.n,
        n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
    )


def _moments(s: Sample) -> tuple[float, float]:
    """Mean and ``ddof=1`` variance; exact for a constant sample, whose floating-point mean
    and variance are otherwise off by rounding (``np.full(3, 0.1).std(ddof=1) > 0``)."""
    v = s.values
    if v[0] == v[-1]:
        return float(v[0]), 0.0
    return s.mean, s.std**2


def _welch(diff: float, vr: float, vc: float, n: int, m: int) -> tuple[float, float]:
    """Welch's ``t`` for a mean difference ``diff`` and its two-sided p-value."""
    from scipy.special import stdtr

    er, ec = vr / n, vc / m
    se2 = er + ec
    if se2 == 0:
        return (0.0, 1.0) if diff == 0 else (math.copysign(math.inf, diff), 0.0)
    t = diff / math.sqrt(se2)
    # Welch-Satterthwaite df is scale-free: divide by the larger term first, so tiny variances
    # (whose squares underflow to 0) do not divide by zero
    top = max(er, ec)
    a, b = er / top, ec / top
    df = (a + b) ** 2 / (a**2 / (n - 1) + b**2 / (m - 1))
    return t, float(min(2.0 * stdtr(df, -abs(t)), 1.0))


def _cohens_d(diff: float, vr: float, vc: float, n: int, m: int) -> float:
    """``|diff| / pooled SD``; 0 or inf when both samples are constant."""
    pooled = ((n - 1) * vr + (m - 1) * vc) / (n + m - 2)
    if pooled == 0:
        return 0.0 if diff == 0 else math.inf
    return abs(diff) / math.sqrt(pooled)
