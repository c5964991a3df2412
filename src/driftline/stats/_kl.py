"""Kullback–Leibler divergence of the current histogram from the reference one."""

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

__all__ = ["kl_divergence", "kl_statistic"]

_THRESHOLD = 0.1


@register("kl_divergence", kinds=HISTOGRAM_KINDS, has_p_value=False,
          effect_size_name="kl_divergence", default_threshold=_THRESHOLD, min_n=MIN_N,
          cost="nlogn", symmetric=False)
def kl_divergence(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = _THRESHOLD,
    bins: int = DEFAULT_BINS,
    eps: float = DEFAULT_EPS,
) -> TestResult:
    """Kullback–Leibler divergence ``KL(current ‖ reference)`` of two histograms, in nats.

    Numerical samples are cut into ``bins`` equal-frequency bins of the reference (current
    values outside the reference range fall in the outer bins); categorical samples are compared
    over the union of their labels. Missing values are left out and counted in ``n_missing_*``.

    Parameters
    ----------
    reference, current : the two samples: array-likes (numbers, or labels of any type) or
        :class:`~driftline.stats.Sample` objects (see :func:`driftline.stats.fit`).
    alpha : false-alarm budget of the small-sample noise floor (see Notes).
    effect_threshold : drift when the divergence reaches this value (and the noise floor);
        ``None`` gives the statistic without a verdict.
    bins : number of reference-quantile bins for numerical data (ties merge bins); unused for
        categorical data.
    eps : share given to an empty cell before renormalising, so the divergence stays finite.

    Notes
    -----
    With reference shares :math:`p_i` and current shares :math:`q_i`, both smoothed (a zero
    share becomes ``eps``, then the shares are renormalised),

    .. math:: KL(q \\| p) = \\sum_i q_i \\ln (q_i / p_i) \\ \\ge 0,

    as ``scipy.stats.entropy(q, p)``. The direction is the current histogram measured against
    the reference: the expected log-likelihood ratio of a current value. A label that is new
    in the current sample (reference share ``eps``) weighs about
    :math:`q_i \\ln(q_i / \\varepsilon)`, while a label that vanished weighs almost nothing. The
    divergence is not symmetric (``symmetric=False``). Swapping the samples gives
    :math:`KL(p \\| q)`, and the sum of the two directions is the PSI. The value is 0 exactly
    for identical histograms; a round-off negative is clipped to 0.

    For small shifts KL is about half the PSI, so the default threshold 0.1 corresponds to
    PSI of about 0.2. For two samples of one distribution
    :math:`2 n_{\\mathrm{eff}} \\cdot KL` is close to :math:`\\chi^2_{k-1}`, with
    :math:`n_{\\mathrm{eff}} = nm/(n+m)` and :math:`k` cells. The verdict uses
    ``max(effect_threshold, floor)``, where the floor is the :math:`1 - \\alpha/2` quantile of
    KL between same-distribution samples of these sizes, found by seeded resampling (see
    ``driftline.stats._histogram``). Below 100 values on a side there is no verdict. From 100
    per side upwards, with the defaults, the measured false-alarm rate is at most 0.03 for
    normal data and for 20 equally likely categories.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=2000)
    >>> r = kl_divergence(ref, rng.normal(0.5, 1, size=2000))
    >>> r.drifted, round(r.statistic, 3)
    (True, 0.128)
    >>> kl_divergence(ref, rng.normal(size=2000)).drifted
    False

    References
    ----------
    .. [1] Kullback, S., & Leibler, R. A. (1951). On information and sufficiency. The Annals of
       Mathematical Statistics, 22(1), 79–86.
    .. [2] Cover, T. M., & Thomas, J. A. (2006). Elements of Information Theory (2nd ed.),
       section 2.3. Wiley.
    """
    return run_histogram_method(
        "kl_divergence", kl_statistic, reference, current, alpha=alpha,
        effect_threshold=effect_threshold, bins=bins, eps=eps, smoothing=True)


def kl_statistic(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``KL(q ‖ p)`` of strictly positive share vectors, over the last axis, clipped at 0.

    Examples
    --------
    >>> float(kl_statistic(np.array([0.5, 0.5]), np.array([0.75, 0.25])))  # 0.75 ln 3 - ln 2
    0.13081203594113697
    """
    return np.maximum(np.sum(q * np.log(q / p), axis=-1), 0.0)
