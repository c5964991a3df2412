"""Fisher's exact test for binary samples."""

from __future__ import annotations

from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import SampleLike, as_categorical
from driftline.stats._ztest import binary_table

__all__ = ["fisher_exact"]


@register("fisher_exact", kinds=("binary",), has_p_value=True,
          effect_size_name="proportion_difference", min_n=1, cost="nlogn")
def fisher_exact(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
) -> TestResult:
    """Fisher's exact test that two binary samples have the same share of positives.

    Exact at any sample size, so it is the test to use when positives (or negatives) are rare
    or samples are small, where the Z test's normal approximation is poor. Labels are read as
    in :func:`~driftline.stats.z_test`: at most two distinct labels over both samples, the
    larger in sorted order being the positive one. Missing labels are left out and counted.

    Parameters
    ----------
    reference, current : the two samples: array-likes of labels, or categorical
        :class:`~driftline.stats.Sample` objects.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on ``|p_ref - p_cur|``, the difference in the share of
        positives.

    Raises
    ------
    DataError
        If the two samples hold more than two distinct labels between them.

    Notes
    -----
    Given the margins of the 2×2 table, the count :math:`a` of reference positives follows
    the hypergeometric distribution
    :math:`P(a) = \\binom{x}{a} \\binom{N - x}{n_r - a} / \\binom{N}{n_r}` under the null
    hypothesis, where :math:`x` is the total number of positives. The two-sided p-value sums
    :math:`P(a')` over the tables no more likely than the observed one, as
    ``scipy.stats.fisher_exact(table, alternative="two-sided")``.

    The ``statistic`` is :math:`|\\hat p_r - \\hat p_c|`, the same as the effect size, rather
    than SciPy's odds ratio: the odds ratio is infinite or undefined when a cell is empty,
    and inverts when the samples are swapped. With one label in all, the statistic is 0 and
    ``p = 1``. The test is conservative, so its false-alarm rate never exceeds ``alpha``,
    and any sample size of at least one gives a verdict.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> ref = rng.random(300) < 0.02
    >>> cur = rng.random(300) < 0.08
    >>> r = fisher_exact(ref, cur)
    >>> r.drifted, round(r.p_value, 4), round(r.effect_size, 3)
    (True, 0.0016, 0.067)

    References
    ----------
    .. [1] Fisher, R. A. (1935). The logic of inductive inference. Journal of the Royal
       Statistical Society, 98(1), 39–82.
    .. [2] Agresti, A. (1992). A survey of exact inference for contingency tables.
       Statistical Science, 7(1), 131–153.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    ref = as_categorical(reference, "reference")
    cur = as_categorical(current, "current")
    table = binary_table(ref, cur, "fisher_exact")
    small = too_small("fisher_exact", ref, cur, 1, alpha=alpha,
                      effect_size_name="proportion_difference", effect_threshold=effect_threshold)
    if small is not None:
        return small
    diff = abs(float(table[1, 1]) / cur.n - float(table[0, 1]) / ref.n)
    p = 1.0
    if table[:, 0].any() and table[:, 1].any():  # SciPy gives p = 1 with an empty column too
        from scipy.stats import fisher_exact as _scipy_fisher

        p = min(float(_scipy_fisher(table, alternative="two-sided").pvalue), 1.0)
    return TestResult.build(
        "fisher_exact", float(diff), p, alpha=alpha, effect_size=float(diff),
        effect_size_name="proportion_difference", effect_threshold=effect_threshold,
        n_reference=ref.n, n_current=cur.n, n_missing_reference=ref.n_missing,
        n_missing_current=cur.n_missing,
    )
