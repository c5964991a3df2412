"""Bhattacharyya distance between two histograms."""

from __future__ import annotations

import numpy as np

from driftline.stats._binning import DEFAULT_BINS
from driftline.stats._hellinger import squared_hellinger
from driftline.stats._histogram import (
    HISTOGRAM_KINDS,
    MIN_N,
    run_histogram_method,
)
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import SampleLike

__all__ = ["bhattacharyya", "bhattacharyya_statistic"]

_THRESHOLD = 0.01


@register("bhattacharyya", kinds=HISTOGRAM_KINDS, has_p_value=False,
          effect_size_name="bhattacharyya", default_threshold=_THRESHOLD, min_n=MIN_N,
          cost="nlogn", symmetric=False)
def bhattacharyya(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = _THRESHOLD,
    bins: int = DEFAULT_BINS,
) -> TestResult:
    """Bhattacharyya distance between two numerical or categorical samples.

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
    With reference shares :math:`p_i`, current shares :math:`q_i` and the Bhattacharyya
    coefficient :math:`BC = \\sum_i \\sqrt{p_i q_i}`,

    .. math:: D_B(p, q) = -\\ln BC = -\\ln(1 - H^2) \\ \\ge 0,

    where :math:`H` is the Hellinger distance (:func:`~driftline.stats.hellinger`). It is
    computed as ``-log1p(-H²)`` with :math:`H^2 = \\frac12 \\sum_i (\\sqrt{p_i} -
    \\sqrt{q_i})^2`, so identical histograms give exactly 0 and small distances keep their
    digits. :math:`D_B` is infinite when the histograms share no cell. It is not a metric (the
    triangle inequality fails). The formula is symmetric, but the bins come from the
    reference, so swapping the samples changes numerical results (``symmetric=False``).

    There is no conventional threshold. For small shifts :math:`D_B \\approx H^2 \\approx
    \\mathrm{PSI}/8`, so the default 0.01 matches a Hellinger distance of 0.1 and PSI of about
    0.08. For two samples of one distribution :math:`8 n_{\\mathrm{eff}} D_B` is close to
    :math:`\\chi^2_{k-1}`, with :math:`n_{\\mathrm{eff}} = nm/(n+m)` and :math:`k` cells. The
    verdict therefore uses ``max(effect_threshold, floor)``, where the floor is the
    :math:`1 - \\alpha/2` quantile of the distance between same-distribution samples of these
    sizes, found by seeded resampling (see ``driftline.stats._histogram``). Below 100 values on
    a side there is no verdict. From 100 per side upwards, with the defaults, the measured
    false-alarm rate is at most 0.04 for normal data and for 20 equally likely categories.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=2000)
    >>> r = bhattacharyya(ref, rng.normal(0.5, 1, size=2000))
    >>> r.drifted, round(r.statistic, 4)
    (True, 0.0326)
    >>> bhattacharyya(ref, rng.normal(size=2000)).drifted
    False

    References
    ----------
    .. [1] Bhattacharyya, A. (1943). On a measure of divergence between two statistical
       populations defined by their probability distributions. Bulletin of the Calcutta
       Mathematical Society, 35, 99–109.
    .. [2] Kailath, T. (1967). The divergence and Bhattacharyya distance measures in signal
       selection. IEEE Transactions on Communication Technology, 15(1), 52–60.
    """
    return run_histogram_method(
        "bhattacharyya", bhattacharyya_statistic, reference, current, alpha=alpha,
        effect_threshold=effect_threshold, bins=bins)


def bhattacharyya_statistic(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Bhattacharyya distance of share vectors, over the last axis (``inf`` when disjoint).

    Examples
    --------
    >>> float(bhattacharyya_statistic(np.array([0.5, 0.5]), np.array([1.0, 0.0])))  # ln √2
    0.34657359027997275
    """
    with np.errstate(divide="ignore"):
        return -np.log1p(-squared_hellinger(p, q))
