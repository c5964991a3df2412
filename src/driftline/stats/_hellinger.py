"""Hellinger distance between two histograms."""

from __future__ import annotations

import numpy as np

from driftline.stats._binning import DEFAULT_BINS
from driftline.stats._histogram import (
    HISTOGRAM_KINDS,
    MIN_N,
    run_histogram_method,
)
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import SampleLike

__all__ = ["hellinger", "hellinger_statistic", "squared_hellinger"]

_THRESHOLD = 0.1


@register("hellinger", kinds=HISTOGRAM_KINDS, has_p_value=False, effect_size_name="hellinger",
          default_threshold=_THRESHOLD, min_n=MIN_N, cost="nlogn", symmetric=False)
def hellinger(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = _THRESHOLD,
    bins: int = DEFAULT_BINS,
) -> TestResult:
    """Hellinger distance (in [0, 1]) between two numerical or categorical samples.

    Numerical samples are cut into ``bins`` equal-frequency bins of the reference (current
    values outside the reference range fall in the outer bins); categorical samples are compared
    over the union of their labels. Missing values are left out and counted in ``n_missing_*``.
    Empty cells need no smoothing.

    Parameters
    ----------
    reference, current : the two samples: array-likes (numbers, or labels of any type) or
        :class:`~driftline.stats.Sample` objects (see :func:`driftline.stats.fit`).
    alpha : false-alarm budget of the small-sample noise floor (see Notes).
    effect_threshold : drift when the distance reaches this value (and the noise floor);
        ``None`` gives the statistic without a verdict.
    bins : number of reference-quantile bins for numerical data (ties merge bins); unused for
        categorical data.

    Notes
    -----
    With reference shares :math:`p_i` and current shares :math:`q_i`,

    .. math::

        H(p, q) = \\sqrt{1 - \\sum_i \\sqrt{p_i q_i}}
                = \\sqrt{\\tfrac12 \\sum_i \\big(\\sqrt{p_i} - \\sqrt{q_i}\\big)^2},

    the two forms being equal because both share vectors sum to one. It is computed in the
    second form: it is 0 exactly for identical histograms, never negative, and accurate for
    small distances, where the first form loses digits. :math:`H = 1` when the histograms share
    no cell. The formula is symmetric, but the bins come from the reference, so swapping the
    samples changes numerical results (``symmetric=False``).

    For small shifts :math:`H^2` is about :math:`\\mathrm{PSI}/8`, so the default threshold
    0.1 corresponds to PSI of about 0.08. For two samples of one distribution
    :math:`8 n_{\\mathrm{eff}} H^2` is close to :math:`\\chi^2_{k-1}`, with
    :math:`n_{\\mathrm{eff}} = nm/(n+m)` and :math:`k` cells. The verdict therefore uses
    ``max(effect_threshold, floor)``, where the floor is the :math:`1 - \\alpha/2` quantile of
    the distance between same-distribution samples of these sizes, found by seeded resampling
    (see ``driftline.stats._histogram``). Below 100 values on a side there is no verdict. From
    100 per side upwards, with the defaults, the measured false-alarm rate is at most 0.04 for
    normal data and for 20 equally likely categories.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=2000)
    >>> r = hellinger(ref, rng.normal(0.5, 1, size=2000))
    >>> r.drifted, round(r.statistic, 3)
    (True, 0.179)
    >>> hellinger(ref, rng.normal(size=2000)).drifted
    False

    References
    ----------
    .. [1] Hellinger, E. (1909). Neue Begründung der Theorie quadratischer Formen von
       unendlichvielen Veränderlichen. Journal für die reine und angewandte Mathematik, 136,
       210–271.
    .. [2] Le Cam, L., & Yang, G. L. (2000). Asymptotics in Statistics: Some Basic Concepts
       (2nd ed.), ch. 3. Springer.
    """
    return run_histogram_method(
        "hellinger", hellinger_statistic, reference, current, alpha=alpha,
        effect_threshold=effect_threshold, bins=bins)


def hellinger_statistic(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hellinger distance of share vectors, over the last axis.

    Examples
    --------
    >>> float(hellinger_statistic(np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    1.0
    """
    return np.sqrt(squared_hellinger(p, q))


def squared_hellinger(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """:math:`H^2 = \\frac12 \\sum_i (\\sqrt{p_i} - \\sqrt{q_i})^2`, clipped to [0, 1].

    Also the Bhattacharyya distance's building block: :math:`\\sum_i \\sqrt{p_i q_i} = 1 - H^2`.

    Examples
    --------
    >>> float(squared_hellinger(np.array([0.5, 0.5]), np.array([0.5, 0.5])))
    0.0
    """
    return np.minimum(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=-1), 1.0)
