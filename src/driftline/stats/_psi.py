"""Population stability index (PSI)."""

from __future__ import annotations

import numpy as np

from driftline.stats._binning import DEFAULT_BINS, DEFAULT_EPS
from driftline.stats._histogram import (
    HISTOGRAM_KINDS,
    MIN_N,
    run_histogram_method,
)
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import SampleLike

__all__ = ["psi", "psi_statistic"]

_THRESHOLD = 0.1


@register("psi", kinds=HISTOGRAM_KINDS, has_p_value=False, effect_size_name="psi",
          default_threshold=_THRESHOLD, min_n=MIN_N, cost="nlogn", symmetric=False)
def psi(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = _THRESHOLD,
    bins: int = DEFAULT_BINS,
    eps: float = DEFAULT_EPS,
) -> TestResult:
    """Population stability index between two numerical or categorical samples.

    Numerical samples are cut into ``bins`` equal-frequency bins of the reference (current
    values outside the reference range fall in the outer bins); categorical samples are compared
    over the union of their labels. Missing values are left out and counted in ``n_missing_*``.

    Parameters
    ----------
    reference, current : the two samples: array-likes (numbers, or labels of any type) or
        :class:`~driftline.stats.Sample` objects (see :func:`driftline.stats.fit`).
    alpha : false-alarm budget of the small-sample noise floor (see Notes).
    effect_threshold : drift when PSI reaches this value (and the noise floor); ``None``
        gives the statistic without a verdict.
    bins : number of reference-quantile bins for numerical data (ties merge bins); unused for
        categorical data.
    eps : share given to an empty cell before renormalising, so the logarithm stays finite.

    Notes
    -----
    With reference shares :math:`p_i` and current shares :math:`q_i`, both smoothed (a zero
    share becomes ``eps``, then the shares are renormalised),

    .. math:: \\mathrm{PSI} = \\sum_i (q_i - p_i) \\ln (q_i / p_i),

    the symmetrised Kullback–Leibler divergence :math:`KL(q \\| p) + KL(p \\| q)`. Each term is
    non-negative, so PSI is 0 exactly for identical histograms. The usual reading is
    PSI < 0.1: no significant shift; 0.1–0.25: a moderate shift worth a look; > 0.25: a major
    shift. The default threshold is 0.1. A category that is present on one side only adds about
    :math:`|q_i - p_i| \\ln(|q_i - p_i| / \\varepsilon)`, so unseen categories weigh heavily.
    The formula is symmetric, but the bins come from the reference, so swapping the samples
    changes numerical results (``symmetric=False`` in the registry).

    For two samples of one distribution, :math:`n_{\\mathrm{eff}} \\cdot \\mathrm{PSI}` is
    close to :math:`\\chi^2_{k-1}` with :math:`n_{\\mathrm{eff}} = nm/(n+m)` and :math:`k`
    cells. At 500 values per side and 10 bins that puts the 95th percentile near 0.07, and
    with 20 categories near 0.12. The verdict therefore uses ``max(effect_threshold, floor)``,
    where the floor is the :math:`1 - \\alpha/2` quantile of PSI between same-distribution
    samples of these sizes, found by seeded resampling (see ``driftline.stats._histogram``).
    Below 100 values on a side there is no verdict. From 100 per side upwards, with the defaults,
    the measured false-alarm rate is at most 0.04 for normal data and for 20 equally likely
    categories.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=2000)
    >>> r = psi(ref, rng.normal(0.5, 1, size=2000))
    >>> r.drifted, round(r.statistic, 3)
    (True, 0.26)
    >>> psi(ref, rng.normal(size=2000)).drifted
    False
    >>> labels = ["a", "b", "c"]
    >>> r = psi(rng.choice(labels, 1000, p=[0.5, 0.3, 0.2]),
    ...         rng.choice(labels, 1000, p=[0.2, 0.3, 0.5]))
    >>> r.drifted, round(r.statistic, 2)
    (True, 0.61)

    References
    ----------
    .. [1] Siddiqi, N. (2006). Credit Risk Scorecards: Developing and Implementing Intelligent
       Credit Scoring, ch. 8. Wiley.
    .. [2] Yurdakul, B. (2018). Statistical properties of population stability index.
       Dissertation, Western Michigan University.
    """
    return run_histogram_method(
        "psi", psi_statistic, reference, current, alpha=alpha,
        effect_threshold=effect_threshold, bins=bins, eps=eps, smoothing=True)


def psi_statistic(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """PSI of strictly positive share vectors, over the last axis.

    Examples
    --------
    >>> float(psi_statistic(np.array([0.5, 0.5]), np.array([0.75, 0.25])))  # ln(3)/4
    0.2746530721670274
    """
    return np.sum((q - p) * np.log(q / p), axis=-1)
