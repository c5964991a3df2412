"""The default decision rule on intervals: the exact path's rule, and where it cannot tell.

The exact path (``docs/decision-rule.md``) flags a column when its test's p-value, adjusted
across the tested columns (Holm by default), is at most ``alpha`` *and* its effect reaches the
floor of its kind; a distance is judged on its own threshold. Here every statistic comes with
an interval its exact value lies in, so every quantity the rule reads does too:

* the p-value lies between the p-values of the interval's ends (a p-value falls as its
  statistic grows);
* the adjusted p-values of Holm, Bonferroni and Benjamini–Hochberg rise with every raw p-value,
  so adjusting the vector of smallest and the vector of largest p-values brackets each
  column's exact adjusted p-value;
* the effect lies in its own interval.

A verdict is *certain* when every value in those ranges gives the same answer; then it is the
exact path's answer. Otherwise the column is *uncertain*: the exact statistic could lie on
either side of its threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from driftline import stats
from driftline.profile._evidence import Evidence

__all__ = ["Verdict", "decide", "step_levels"]

Verdict = tuple[bool | None, bool | None, bool, float | None, float | None]
"""``(drifted, drifted_estimate, uncertain, p_value_adjusted, threshold)``."""


def step_levels(p_values: np.ndarray, alpha: float, correction: str) -> np.ndarray:
    """The level each finite p-value is compared with at its step of the correction.

    Examples
    --------
    >>> step_levels(np.array([0.01, 0.04, np.nan, 0.03]), 0.05, "holm").round(4).tolist()
    [0.0167, 0.05, nan, 0.025]
    """
    out = np.full(p_values.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p_values))
    m = ok.size
    if m == 0:
        return out
    rank = np.empty(m, np.int64)
    rank[np.argsort(p_values[ok], kind="stable")] = np.arange(1, m + 1)
    if correction == "holm":
        out[ok] = alpha / (m - rank + 1)
    elif correction == "bonferroni":
        out[ok] = alpha / m
    elif correction == "bh":
        out[ok] = alpha * rank / m
    else:
        out[ok] = alpha
    return out


def decide(evidence: Sequence[Evidence], *, alpha: float, correction: str) -> list[Verdict]:
    """Decide every column, tests after the correction across all tested columns.

    Examples
    --------
    >>> e = Evidence("ks", 0.2, 0.19, 0.21, 100, 100, 0, 0, p_value=0.001, p_low=0.0005,
    ...              p_high=0.002, effect_size=0.3, effect_low=0.25, effect_high=0.35,
    ...              effect_threshold=0.1)
    >>> decide([e], alpha=0.05, correction="holm")[0][:3]
    (True, True, False)
    """
    def vector(attr: str) -> np.ndarray:
        return np.array([_p(e, attr) for e in evidence], dtype=np.float64)

    p_hat, p_low, p_high = vector("p_value"), vector("p_low"), vector("p_high")
    adj = stats.adjust_p_values(p_hat, correction)
    adj_low = stats.adjust_p_values(p_low, correction)
    adj_high = stats.adjust_p_values(p_high, correction)
    levels = step_levels(p_hat, alpha, correction)
    out: list[Verdict] = []
    for i, e in enumerate(evidence):
        if e.p_value is None:
            out.append(_distance(e))
        elif math.isnan(p_hat[i]):
            out.append((None, None, False, None, None))
        else:
            threshold = e.critical(float(levels[i])) if e.critical is not None else None
            out.append(_tested(e, alpha, float(adj[i]), float(adj_low[i]), float(adj_high[i]),
                               threshold))
    return out


def _p(e: Evidence, attr: str) -> float:
    value = getattr(e, attr)
    if e.p_value is None or value is None or math.isnan(e.statistic):
        return math.nan
    return float(value)


def _tested(e: Evidence, alpha: float, adj: float, adj_low: float, adj_high: float,
            threshold: float | None) -> Verdict:
    """Significant (after the correction) and large enough, with the certainty of each."""
    significant, maybe_significant = adj_high <= alpha, adj_low <= alpha
    floor = e.effect_threshold
    if floor is None:
        large = maybe_large = estimate_large = True
    else:
        effect, lo, hi = (math.nan if x is None else x
                          for x in (e.effect_size, e.effect_low, e.effect_high))
        large, maybe_large, estimate_large = lo >= floor, hi >= floor, effect >= floor
    certain, possible = significant and large, maybe_significant and maybe_large
    estimate = bool(adj <= alpha and estimate_large)
    uncertain = possible and not certain
    return (None if uncertain else certain, estimate, uncertain, adj, threshold)


def _distance(e: Evidence) -> Verdict:
    """A distance against its own threshold, on its interval."""
    bar = e.effect_threshold
    effect, lo, hi = e.effect_size, e.effect_low, e.effect_high
    if bar is None or effect is None or lo is None or hi is None or math.isnan(e.statistic) \
            or math.isnan(effect):
        return (None, None, False, None, bar)
    certain, possible = lo >= bar, hi >= bar
    uncertain = possible and not certain
    return (None if uncertain else certain, bool(effect >= bar), uncertain, None, bar)
