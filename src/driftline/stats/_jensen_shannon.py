"""Jensen–Shannon distance between two histograms (base 2)."""

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

__all__ = ["jensen_shannon", "jensen_shannon_statistic"]

_THRESHOLD = 0.1


@register("jensen_shannon", kinds=HISTOGRAM_KINDS, has_p_value=False,
          effect_size_name="jensen_shannon", default_threshold=_THRESHOLD, min_n=MIN_N,
          cost="nlogn", symmetric=False)
def jensen_shannon(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = _THRESHOLD,
    bins: int = DEFAULT_BINS,
) -> TestResult:
    """Jensen–Shannon distance (base 2, in [0, 1]) between two numerical or categorical samples.

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
    With reference shares :math:`p_i`, current shares :math:`q_i` and their midpoint
    :math:`m_i = (p_i + q_i)/2`,

    .. math::

        JS(p, q) = \\sqrt{\\tfrac12 \\sum_i p_i \\log_2 \\frac{p_i}{m_i}
                          + \\tfrac12 \\sum_i q_i \\log_2 \\frac{q_i}{m_i}},

    with :math:`0 \\log 0 = 0`, as ``scipy.spatial.distance.jensenshannon(p, q, base=2)``. It
    is the square root of the Jensen–Shannon divergence, a metric bounded by 1, reached when
    the histograms share no cell. The formula is symmetric, but the bins come from the
    reference, so swapping the samples changes numerical results (``symmetric=False``).
    Identical histograms give exactly 0.

    For small shifts the squared distance is about :math:`\\mathrm{PSI} / (8 \\ln 2)`, so the
    default threshold 0.1 corresponds to PSI of about 0.055. The same value is the common
    default in other drift libraries. For two samples of one distribution,
    :math:`8 \\ln 2 \\cdot n_{\\mathrm{eff}} \\cdot JS^2` is close to :math:`\\chi^2_{k-1}`
    with :math:`n_{\\mathrm{eff}} = nm/(n+m)` and :math:`k` cells: about 0.11 at the 95th
    percentile for 500 values per side and 10 bins. The verdict therefore uses
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
    >>> r = jensen_shannon(ref, rng.normal(0.5, 1, size=2000))
    >>> r.drifted, round(r.statistic, 3)
    (True, 0.214)
    >>> jensen_shannon(ref, rng.normal(size=2000)).drifted
    False

    References
    ----------
    .. [1] Lin, J. (1991). Divergence measures based on the Shannon entropy. IEEE Transactions
       on Information Theory, 37(1), 145–151.
    .. [2] Endres, D. M., & Schindelin, J. E. (2003). A new metric for probability
       distributions. IEEE Transactions on Information Theory, 49(7), 1858–1860.
    """
    return run_histogram_method(
        "jensen_shannon", jensen_shannon_statistic, reference, current, alpha=alpha,
        effect_threshold=effect_threshold, bins=bins)


def jensen_shannon_statistic(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen–Shannon distance (base 2) of share vectors, over the last axis.

    Examples
    --------
    >>> float(jensen_shannon_statistic(np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    1.0
    """
    m = (p + q) / 2
    div = 0.5 * np.sum(_xlog2_ratio(p, m) + _xlog2_ratio(q, m), axis=-1)
    return np.sqrt(np.clip(div, 0.0, 1.0))


def _xlog2_ratio(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    # x·log2(x/m) with 0·log 0 = 0; m >= x/2 > 0 wherever x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.log2(x / m), 0.0)
