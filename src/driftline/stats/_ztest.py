"""The pooled two-proportion Z test for binary samples.

This module also holds :func:`binary_table`, the 2×2 table that :mod:`._fisher` shares.
"""

from __future__ import annotations

import math

import numpy as np

from driftline.errors import DataError
from driftline.stats._chi2 import sparse_note
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, aligned_counts, as_categorical

__all__ = ["binary_table", "z_test"]

_MIN_N = 30
_SHOWN_LABELS = 10


@register("z_test", kinds=("binary",), has_p_value=True,
          effect_size_name="proportion_difference", min_n=_MIN_N, cost="nlogn", symmetric=False)
def z_test(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
) -> TestResult:
    """Two-sided pooled Z test that two binary samples have the same share of positives.

    Any data with at most two distinct labels over both samples is accepted: booleans, 0/1,
    or two strings. The *positive* label is the larger of the two in sorted order (``True``,
    ``1``, ``"yes"`` over ``"no"``). Missing labels (``None``, NaN) are left out and counted.

    Parameters
    ----------
    reference, current : the two samples: array-likes of labels, or categorical
        :class:`~driftline.stats.Sample` objects.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on ``|p_ref - p_cur|``, the difference in the share of
        positives; drift needs ``p <= alpha`` *and* a difference at least this large.

    Raises
    ------
    DataError
        If the two samples hold more than two distinct labels between them.

    Notes
    -----
    With :math:`x_r` positives among :math:`n_r` reference values, :math:`x_c` among
    :math:`n_c` current values, :math:`\\hat p_r = x_r / n_r`, :math:`\\hat p_c = x_c / n_c` and
    the pooled share :math:`\\bar p = (x_r + x_c) / (n_r + n_c)`,

    .. math:: z = \\frac{\\hat p_c - \\hat p_r}
                       {\\sqrt{\\bar p (1 - \\bar p) (1 / n_r + 1 / n_c)}},
              \\qquad p = 2 \\Phi(-|z|).

    The statistic is the *signed* :math:`z`, positive when the current sample has more
    positives, so swapping the samples flips its sign (the registry marks the method as not
    symmetric); the p-value and the effect size :math:`|\\hat p_r - \\hat p_c|` do not change.
    :math:`z^2` equals Pearson's :math:`\\chi^2` on the 2×2 table without Yates' correction,
    and the p-values agree. When only one label occurs, :math:`z = 0` and ``p = 1``.
    Below 30 values on a side there is no verdict. From 30 values a side on, the exact
    false-alarm rate at ``alpha = 0.05`` (balanced samples, positive share 0.05 to 0.5) is
    at most 0.065: the statistic is discrete, so the rate oscillates around ``alpha`` as n
    grows; from 200 values a side on it is at most 0.056. With few expected positives (or
    negatives) the result notes that :func:`~driftline.stats.fisher_exact`, which never
    exceeds ``alpha``, is safer.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> ref = rng.random(2000) < 0.10
    >>> cur = rng.random(2000) < 0.13
    >>> r = z_test(ref, cur)
    >>> r.drifted, round(r.statistic, 2), round(r.effect_size, 3)
    (True, 3.22, 0.034)
    >>> z_test(["no", "yes", "yes"] * 10, ["no", "no", "yes"] * 10).effect_size_name
    'proportion_difference'

    References
    ----------
    .. [1] Fleiss, J. L., Levin, B., & Paik, M. C. (2003). Statistical Methods for Rates and
       Proportions (3rd ed.), section 2.5. Wiley.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    ref = as_categorical(reference, "reference")
    cur = as_categorical(current, "current")
    table = binary_table(ref, cur, "z_test")
    small = too_small("z_test", ref, cur, _MIN_N, alpha=alpha,
                      effect_size_name="proportion_difference", effect_threshold=effect_threshold)
    if small is not None:
        return small
    z, diff = _z(table)
    from scipy.special import ndtr

    p = float(min(2.0 * ndtr(-abs(z)), 1.0))
    return TestResult.build(
        "z_test", z, p, alpha=alpha, effect_size=abs(diff),
        effect_size_name="proportion_difference", effect_threshold=effect_threshold,
        n_reference=ref.n, n_current=cur.n, n_missing_reference=ref.n_missing,
        n_missing_current=cur.n_missing, warnings=sparse_note(table[:, table.any(axis=0)]),
    )


def binary_table(reference: Sample, current: Sample, method: str) -> np.ndarray:
    """The 2×2 table ``[[ref negatives, ref positives], [cur negatives, cur positives]]``.

    The positive label is the larger of the (at most two) labels in sorted order. With a
    single label in all, that label counts as positive.

    Examples
    --------
    >>> binary_table(Sample.categorical(["no", "yes", "yes"]),
    ...              Sample.categorical(["no"]), "z_test").tolist()
    [[1, 2], [1, 0]]
    """
    _, ref, cur = aligned_counts(reference, current)
    seen = (ref + cur) > 0
    if np.count_nonzero(seen) > 2:
        raise DataError(
            f"{method} needs binary data: at most two distinct labels over both samples; got "
            f"{_shown(reference)} in reference and {_shown(current)} in current. Map the "
            "column to two labels, or use chi_square or g_test for categorical data."
        )
    ref, cur = ref[seen], cur[seen]
    table = np.zeros((2, 2), np.int64)
    table[0, 2 - ref.size:] = ref
    table[1, 2 - cur.size:] = cur
    return table


def _shown(sample: Sample) -> str:
    labels = sample.labels[sample.counts > 0].tolist()
    if len(labels) <= _SHOWN_LABELS:
        return f"labels {labels!r}"
    return f"{len(labels)} labels {labels[:_SHOWN_LABELS]!r}[:{_SHOWN_LABELS}]"


def _z(table: np.ndarray) -> tuple[float, float]:
    """The signed z statistic and ``p_cur - p_ref`` of a 2×2 table with non-empty rows."""
    n_ref, n_cur = (int(v) for v in table.sum(axis=1))
    x_ref, x_cur = int(table[0, 1]), int(table[1, 1])
    diff = x_cur / n_cur - x_ref / n_ref
    pooled = (x_ref + x_cur) / (n_ref + n_cur)
    var = pooled * (1.0 - pooled) * (1.0 / n_ref + 1.0 / n_cur)
    if var <= 0.0:  # one label only: no evidence either way
        return 0.0, 0.0
    return diff / math.sqrt(var), diff
