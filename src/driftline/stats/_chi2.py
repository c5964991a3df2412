"""Pearson's chi-square test of homogeneity for categorical (and binary) samples.

This module also holds the 2×k contingency-table helpers that the G-test and Cramér's V share.
"""

from __future__ import annotations

import numpy as np

from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, aligned_counts, as_categorical

__all__ = ["chi_square", "contingency_table", "expected_counts", "pearson_statistic",
           "sparse_note"]

# Cochran's rule for the chi-square approximation: every expected count >= 1, and at most a
# fifth of them below 5.
_COCHRAN_MIN = 1.0
_COCHRAN_LOW = 5.0
_COCHRAN_SHARE = 0.2
_MIN_N = 30


@register("chi_square", kinds=("categorical", "binary"), has_p_value=True,
          effect_size_name="cramers_v", min_n=_MIN_N, cost="nlogn")
def chi_square(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
) -> TestResult:
    """Pearson's chi-square test that two categorical samples share one distribution.

    The two samples are the rows of a 2×k table over the union of their labels (labels seen in
    neither sample are dropped), and the test asks whether the label shares differ between the
    rows. Missing labels (``None``, NaN) are left out and counted in ``n_missing_*``.

    Parameters
    ----------
    reference, current : the two samples: array-likes of labels of any type, or categorical
        :class:`~driftline.stats.Sample` objects (see :func:`driftline.stats.fit`).
    alpha : significance level of the verdict.
    effect_threshold : optional floor on Cramér's V; drift needs ``p <= alpha`` *and*
        ``V >= effect_threshold``, so huge samples do not flag negligible shifts.

    Notes
    -----
    With observed counts :math:`O_{ij}` (row :math:`i` = sample, column :math:`j` = label),
    row totals :math:`n_i`, column totals :math:`c_j` and :math:`N = n_1 + n_2`,

    .. math:: E_{ij} = n_i c_j / N, \\qquad \\chi^2 = \\sum_{ij} (O_{ij} - E_{ij})^2 / E_{ij},

    referred to a chi-square distribution with :math:`k - 1` degrees of freedom (no Yates
    correction, as ``scipy.stats.chi2_contingency(table, correction=False)``). The effect size
    is Cramér's V, :math:`V = \\sqrt{\\chi^2 / N}` for a table with two rows. A table with a
    single label gives :math:`\\chi^2 = 0` and ``p = 1``. The approximation needs enough
    expected counts (Cochran: all :math:`E_{ij} \\ge 1`, at most 20 % below 5); when that fails
    the result carries a note in ``warnings``. Below 30 values on a side there is no verdict.
    From 30 values a side on (samples of equal size), the false-alarm rate at
    ``alpha = 0.05`` is at most about 0.055 with three to ten labels, and at most 0.065 for
    two labels, where the discreteness of the statistic makes the rate oscillate with n (it
    is exactly the Z test's, see :func:`~driftline.stats.z_test`). A small window against a
    large reference with rare labels can exceed that; Cochran's note flags those tables.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> labels = ["a", "b", "c"]
    >>> ref = rng.choice(labels, size=1000, p=[0.5, 0.3, 0.2])
    >>> cur = rng.choice(labels, size=1000, p=[0.4, 0.3, 0.3])
    >>> r = chi_square(ref, cur)
    >>> r.drifted, round(r.statistic, 1), round(r.effect_size, 3)
    (True, 35.7, 0.134)
    >>> chi_square(ref, ref).p_value
    1.0

    References
    ----------
    .. [1] Pearson, K. (1900). On the criterion that a given system of deviations from the
       probable in the case of a correlated system of variables is such that it can be
       reasonably supposed to have arisen from random sampling. Philosophical Magazine, 50,
       157–175.
    .. [2] Cochran, W. G. (1954). Some methods for strengthening the common χ² tests.
       Biometrics, 10(4), 417–451.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    ref = as_categorical(reference, "reference")
    cur = as_categorical(current, "current")
    small = too_small("chi_square", ref, cur, _MIN_N, alpha=alpha, effect_size_name="cramers_v",
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    _, table = contingency_table(ref, cur)
    stat, dof = pearson_statistic(table)
    return TestResult.build(
        "chi_square", stat, chi2_sf(stat, dof), alpha=alpha,
        effect_size=float(np.sqrt(stat / table.sum())), effect_size_name="cramers_v",
        effect_threshold=effect_threshold, n_reference=ref.n, n_current=cur.n,
        n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
        warnings=sparse_note(table),
    )


def contingency_table(reference: Sample, current: Sample) -> tuple[np.ndarray, np.ndarray]:
    """The 2×k table of counts over the labels seen in either sample: ``(labels, table)``.

    Row 0 is the reference and row 1 the current sample; labels with no count on either side
    (possible in a :meth:`Sample.from_counts` sample) are dropped.

    Examples
    --------
    >>> labels, t = contingency_table(Sample.categorical(["a", "b", "b"]),
    ...                               Sample.categorical(["b", "c"]))
    >>> labels.tolist(), t.tolist()
    (['a', 'b', 'c'], [[1, 2, 0], [0, 1, 1]])
    """
    labels, ref, cur = aligned_counts(reference, current)
    table = np.vstack((ref, cur)).astype(np.int64, copy=False)
    seen = table.sum(axis=0) > 0
    if not seen.all():
        labels, table = labels[seen], table[:, seen]
    return labels, table


def expected_counts(table: np.ndarray) -> np.ndarray:
    """Counts expected under homogeneity: ``row_total · column_total / N``.

    Examples
    --------
    >>> expected_counts(np.array([[2, 2], [0, 4]])).tolist()
    [[1.0, 3.0], [1.0, 3.0]]
    """
    rows = table.sum(axis=1, dtype=np.float64)
    cols = table.sum(axis=0, dtype=np.float64)
    return np.outer(rows, cols) / rows.sum()


def pearson_statistic(table: np.ndarray) -> tuple[float, int]:
    """Pearson's :math:`\\chi^2` of a table with non-empty rows and columns, and its dof.

    Examples
    --------
    >>> pearson_statistic(np.array([[2, 2], [0, 4]]))
    (2.6666666666666665, 1)
    """
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    if dof == 0:
        return 0.0, 0
    exp = expected_counts(table)
    return float(np.sum((table - exp) ** 2 / exp)), dof


def chi2_sf(statistic: float, dof: int) -> float:
    """Upper tail of the chi-square distribution, with ``dof == 0`` giving ``p = 1``."""
    if dof == 0:
        return 1.0
    from scipy.special import chdtrc

    return float(np.clip(chdtrc(dof, statistic), 0.0, 1.0))


def sparse_note(table: np.ndarray) -> tuple[str, ...]:
    """A note for ``TestResult.warnings`` when a table breaks Cochran's rule, else ``()``.

    Examples
    --------
    >>> sparse_note(np.array([[50, 50], [50, 50]]))
    ()
    >>> sparse_note(np.array([[30, 1], [30, 0]]))[0][:46]
    '2 of 4 expected counts are below 5 (smallest 0'
    """
    if table.shape[1] < 2:
        return ()
    exp = expected_counts(table)
    low = int(np.count_nonzero(exp < _COCHRAN_LOW))
    if exp.min() >= _COCHRAN_MIN and low <= _COCHRAN_SHARE * exp.size:
        return ()
    return (f"{low} of {exp.size} expected counts are below 5 (smallest {exp.min():.2g}); "
            "the chi-square approximation to the p-value may be poor. Merge rare labels, "
            "or use fisher_exact for binary data.",)
