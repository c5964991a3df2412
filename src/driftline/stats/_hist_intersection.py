"""Histogram intersection, reported as a distance."""

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

__all__ = ["hist_intersection", "hist_intersection_statistic"]

_THRESHOLD = 0.1


@register("hist_intersection", kinds=HISTOGRAM_KINDS, has_p_value=False,
          effect_size_name="hist_intersection", default_threshold=_THRESHOLD, min_n=MIN_N,
          cost="nlogn", symmetric=False)
def hist_intersection(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = _THRESHOLD,
    bins: int = DEFAULT_BINS,
) -> TestResult:
    """One minus the histogram intersection of two numerical or categorical samples.

    Numerical samples are cut into ``bins`` equal-frequency bins of the reference (current
    values outside the reference range fall in the outer bins); categorical samples are compared
    over the union of their labels. Missing values are left out and counted in ``n_missing_*``.

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
    The intersection of two histograms with shares :math:`p_i` (reference) and :math:`q_i`
    (current) is their common mass :math:`\\sum_i \\min(p_i, q_i)`, 1 for identical histograms.
    It is reported as a distance:

    .. math::

        d_\\cap(p, q) = 1 - \\sum_i \\min(p_i, q_i) = \\sum_i \\big(p_i - \\min(p_i, q_i)\\big),

    computed in the second form, so identical histograms give exactly 0 and round-off never
    makes it negative. For normalised histograms, :math:`\\min(a, b) = (a + b - |a - b|)/2`
    gives :math:`d_\\cap = \\tfrac12 \\sum_i |p_i - q_i|`, the total variation distance
    (:func:`~driftline.stats.total_variation`). The two methods agree up to round-off and share
    their threshold, noise floor and false-alarm rates. This one keeps the name and reading
    from image retrieval: the share of the data the two histograms do not have in common. The
    bins come from the reference, so swapping the samples changes numerical results
    (``symmetric=False``).

    The verdict uses ``max(effect_threshold, floor)``, where the floor is the
    :math:`1 - \\alpha/2` quantile of the distance between same-distribution samples of these
    sizes, found by seeded resampling (see ``driftline.stats._histogram``). Below 100 values on
    a side there is no verdict. From 100 per side upwards, with the default threshold 0.1, the
    measured false-alarm rate is at most 0.04 for normal data and for 20 equally likely
    categories.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=2000)
    >>> r = hist_intersection(ref, rng.normal(0.5, 1, size=2000))
    >>> r.drifted, round(r.statistic, 4)
    (True, 0.1955)
    >>> hist_intersection(ref, rng.normal(size=2000)).drifted
    False

    References
    ----------
    .. [1] Swain, M. J., & Ballard, D. H. (1991). Color indexing. International Journal of
       Computer Vision, 7(1), 11–32.
    """
    return run_histogram_method(
        "hist_intersection", hist_intersection_statistic, reference, current, alpha=alpha,
        effect_threshold=effect_threshold, bins=bins)


def hist_intersection_statistic(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``1 - Σ min(p, q)`` of share vectors, over the last axis.

    Examples
    --------
    >>> float(hist_intersection_statistic(np.array([0.5, 0.5]), np.array([0.75, 0.25])))
    0.25
    """
    return np.sum(p - np.minimum(p, q), axis=-1)
