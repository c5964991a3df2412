"""Cramér's V between sample membership and label: a distance for categorical samples."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from driftline.errors import ParameterError, SmallSampleWarning
from driftline.stats._chi2 import contingency_table, pearson_statistic
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import SampleLike, as_categorical

__all__ = ["cramers_v", "cramers_v_statistic", "needed_per_side"]

DEFAULT_THRESHOLD = 0.1
_MIN_N = 150
_NAME = "cramers_v_corrected"


@register("cramers_v", kinds=("categorical", "binary"), has_p_value=False,
          effect_size_name=_NAME, default_threshold=DEFAULT_THRESHOLD, min_n=_MIN_N,
          cost="nlogn")
def cramers_v(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = DEFAULT_THRESHOLD,
    bias_correction: bool = True,
) -> TestResult:
    """Cramér's V between two categorical samples, bias-corrected by default: a distance.

    V measures how strongly the label depends on which sample a value came from: 0 when
    both samples have the same label shares, 1 when they share no label. It has no p-value;
    the verdict is ``V >= effect_threshold``, given only when the samples are large enough
    for a stationary pair to stay below the threshold (see Notes).

    Parameters
    ----------
    reference, current : the two samples: array-likes of labels of any type, or categorical
        :class:`~driftline.stats.Sample` objects. Missing labels are left out and counted.
    alpha : the false-alarm rate tolerated on stationary data; it sets the smallest samples
        that get a verdict (see Notes).
    effect_threshold : drift when V reaches it; ``None`` measures V without a verdict.
    bias_correction : ``True`` (default) for Bergsma's bias-corrected V, ``False`` for the
        classic plug-in V. The result's ``effect_size_name`` says which:
        ``"cramers_v_corrected"`` or ``"cramers_v"``.

    Notes
    -----
    On the 2×k table of counts (row = sample, column = label) with Pearson's :math:`\\chi^2`
    (see :func:`~driftline.stats.chi_square`) and :math:`N` values in all,
    :math:`\\varphi^2 = \\chi^2 / N` and the plug-in :math:`V = \\sqrt{\\varphi^2}` (the
    smaller table dimension less one is 1). The plug-in V is biased upward: on stationary
    data :math:`E[\\chi^2] \\approx k - 1`, so V is about :math:`\\sqrt{(k-1)/N}` and a fixed
    threshold of 0.1 is crossed by pure noise in small samples with many labels. The
    default correction [2]_ removes that bias:

    .. math:: \\tilde\\varphi^2 = \\max\\left(0, \\varphi^2 - \\frac{k - 1}{N - 1}\\right),
              \\quad \\tilde k = k - \\frac{(k-1)^2}{N-1}, \\quad
              \\tilde r = 2 - \\frac{1}{N-1}, \\quad
              \\tilde V = \\sqrt{\\tilde\\varphi^2 / \\min(\\tilde k - 1, \\tilde r - 1)}.

    The noise left in :math:`\\tilde V` still shrinks only as :math:`N` grows, so a verdict
    is given only when each side holds at least ``needed_per_side(k, effect_threshold,
    alpha)`` values: the size at which the :math:`1 - \\alpha` quantile of
    :math:`\\chi^2_{k-1}` maps to a V below the threshold, so stationary samples of equal
    size cross it with probability about ``alpha``. With the defaults that is 150 values per
    side (the registry's ``min_n``) for two labels, 200 for three, 275 for five and 396 for
    ten. Below 150 values a side there is neither V nor a verdict; from 150 up to the size
    needed, V is reported without a verdict. Both come with a
    :class:`~driftline.errors.SmallSampleWarning`.

    V measures association, so it also depends on the split between the samples: with
    :math:`w = n_r / N`, a given change of label shares gives a V proportional to
    :math:`\\sqrt{w (1 - w)}`, largest for samples of equal size. Compare windows of similar
    sizes, or use a distance between the two distributions (total variation, Hellinger).
    With one label in all, V is 0.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(11)
    >>> labels = ["a", "b", "c", "d"]
    >>> ref = rng.choice(labels, size=2000, p=[0.4, 0.3, 0.2, 0.1])
    >>> cur = rng.choice(labels, size=2000, p=[0.25, 0.3, 0.25, 0.2])
    >>> r = cramers_v(ref, cur)
    >>> r.drifted, round(r.statistic, 3), r.p_value is None
    (True, 0.205, True)
    >>> round(cramers_v(ref, cur, bias_correction=False).statistic, 3)
    0.207

    References
    ----------
    .. [1] Cramér, H. (1946). Mathematical Methods of Statistics, p. 282. Princeton
       University Press.
    .. [2] Bergsma, W. (2013). A bias-correction for Cramér's V and Tschuprow's T. Journal of
       the Korean Statistical Society, 42(3), 323–328.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    if not isinstance(bias_correction, (bool, np.bool_)):
        raise ParameterError.invalid("bias_correction", bias_correction, "True or False")
    name = _NAME if bias_correction else "cramers_v"
    ref = as_categorical(reference, "reference")
    cur = as_categorical(current, "current")
    small = too_small("cramers_v", ref, cur, _MIN_N, alpha=alpha, effect_size_name=name,
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    _, table = contingency_table(ref, cur)
    v = cramers_v_statistic(table, bias_correction=bool(bias_correction))
    result = TestResult.build(
        "cramers_v", v, None, alpha=alpha, effect_size=v, effect_size_name=name,
        effect_threshold=effect_threshold, n_reference=ref.n, n_current=cur.n,
        n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
    )
    k = table.shape[1]
    need = needed_per_side(k, effect_threshold, alpha, bias_correction=bool(bias_correction))
    if min(ref.n, cur.n) >= need:
        return result
    msg = (f"cramers_v: with {k} labels, needs at least {need} valid values on each side for "
           f"a verdict at effect_threshold={effect_threshold} and alpha={alpha}; got {ref.n} "
           f"(reference) and {cur.n} (current). V is reported; no verdict is given.")
    warnings.warn(msg, SmallSampleWarning, stacklevel=2)
    return dataclasses.replace(result, drifted=None, warnings=(msg,))


def cramers_v_statistic(table: np.ndarray, *, bias_correction: bool = True) -> float:
    """Cramér's V of a table with non-empty rows and columns.

    Examples
    --------
    >>> t = np.array([[30, 10], [10, 30]])
    >>> round(cramers_v_statistic(t, bias_correction=False), 6)
    0.5
    >>> round(cramers_v_statistic(t), 6)
    0.49029
    """
    r, k = table.shape
    if min(r, k) < 2:
        return 0.0
    chi2, _ = pearson_statistic(table)
    n = float(table.sum())
    phi2 = chi2 / n
    if not bias_correction:
        return math.sqrt(phi2 / (min(r, k) - 1))
    phi2 = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    denom = min(k - (k - 1) ** 2 / (n - 1), r - (r - 1) ** 2 / (n - 1)) - 1
    # With every value its own label, phi2 is corrected to 0 and so is the denominator.
    return math.sqrt(phi2 / denom) if phi2 > 0 and denom > 0 else 0.0


def needed_per_side(k: int, threshold: float | None, alpha: float, *,
                    bias_correction: bool = True) -> int:
    """Values needed on each side for a verdict with ``k`` labels (at least ``min_n``).

    The smallest ``n`` such that two stationary samples of ``n`` values each, whose
    :math:`\\chi^2` is at the :math:`1 - \\alpha` quantile of :math:`\\chi^2_{k-1}`, give a V
    no larger than ``threshold``. No threshold (or a zero one) needs only ``min_n``.

    Examples
    --------
    >>> [needed_per_side(k, 0.1, 0.05) for k in (2, 3, 5, 10)]
    [150, 200, 275, 396]
    >>> needed_per_side(2, 0.1, 0.05, bias_correction=False)
    193
    """
    if threshold is None or threshold <= 0 or k < 2:
        return _MIN_N
    from scipy.special import chdtri

    q = float(chdtri(k - 1, alpha))
    t2 = min(threshold, 1.0) ** 2
    if not bias_correction:
        total = q / t2
    else:
        # q/N - (k-1)/(N-1) <= t2 (1 - 1/(N-1)), the larger root of the quadratic in N
        # (the r-tilde term is the smaller denominator for two rows).
        b = 2.0 * t2 + q - (k - 1)
        total = (b + math.sqrt(max(b * b - 4.0 * t2 * q, 0.0))) / (2.0 * t2)
    return max(_MIN_N, math.ceil(total / 2.0))
