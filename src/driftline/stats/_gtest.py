"""The likelihood-ratio G-test of homogeneity for categorical (and binary) samples."""

from __future__ import annotations

import numpy as np

from driftline.errors import ParameterError
from driftline.stats._chi2 import chi2_sf, contingency_table, expected_counts, sparse_note
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import SampleLike, as_categorical

__all__ = ["g_statistic", "g_test", "williams_factor"]

_MIN_N = 50


@register("g_test", kinds=("categorical", "binary"), has_p_value=True,
          effect_size_name="cramers_v_g", min_n=_MIN_N, cost="nlogn")
def g_test(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
    williams: bool = True,
) -> TestResult:
    """Likelihood-ratio (G) test that two categorical samples share one distribution.

    The same question as :func:`~driftline.stats.chi_square`, answered with the log-likelihood
    ratio instead of Pearson's sum of squares. Missing labels (``None``, NaN) are left out and
    counted in ``n_missing_*``.

    Parameters
    ----------
    reference, current : the two samples: array-likes of labels of any type, or categorical
        :class:`~driftline.stats.Sample` objects.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on the effect size ``sqrt(G / N)``.
    williams : divide :math:`G` by Williams' factor :math:`q` before referring it to the
        chi-square distribution (the default). ``False`` gives the uncorrected test, as
        ``scipy.stats.chi2_contingency(table, lambda_="log-likelihood", correction=False)``.

    Notes
    -----
    On the 2×k table of counts :math:`O_{ij}` (row :math:`i` = sample, column :math:`j` =
    label) with row totals :math:`n_i`, column totals :math:`c_j`, :math:`N` values in all
    and expected counts :math:`E_{ij} = n_i c_j / N`,

    .. math:: G = 2 \\sum_{ij} O_{ij} \\ln (O_{ij} / E_{ij}), \\qquad
              q = 1 + \\frac{(N \\sum_i 1/n_i - 1)(N \\sum_j 1/c_j - 1)}{6 N (k - 1)},

    with :math:`0 \\ln 0 = 0`. The statistic :math:`G / q` (or :math:`G` with
    ``williams=False``) is referred to a chi-square distribution with :math:`k - 1` degrees
    of freedom. Uncorrected, the G-test rejects more often than ``alpha`` in small or sparse
    tables: at ``alpha = 0.05`` and 50 values a side, about 0.08 with ten equally likely
    labels and 0.09 with a 5 % label, and 0.12 with ten 1 % labels at 150 a side. Williams'
    factor [3]_ brings these back to 0.06, 0.053 and 0.036. Below 50 values on a
    side there is no verdict (with the defaults the false-alarm rate at ``alpha = 0.05`` is
    at most about 0.06 from there on, for tables that pass Cochran's rule; sparser tables
    get a note in ``warnings``). One label in all gives :math:`G = 0` and ``p = 1``.

    :math:`G` is :math:`2N` times the mutual information (in nats) between sample and label,
    so the effect size ``cramers_v_g`` is :math:`\\sqrt{G / N}` (uncorrected :math:`G`):
    Cramér's V with :math:`G` in place of Pearson's :math:`\\chi^2`. The two agree for small
    shifts; for large ones the G form is larger.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> labels = ["a", "b", "c"]
    >>> ref = rng.choice(labels, size=1000, p=[0.5, 0.3, 0.2])
    >>> cur = rng.choice(labels, size=1000, p=[0.4, 0.3, 0.3])
    >>> r = g_test(ref, cur)
    >>> r.drifted, round(r.statistic, 1), round(r.effect_size, 3)
    (True, 35.9, 0.134)

    References
    ----------
    .. [1] Sokal, R. R., & Rohlf, F. J. (2012). Biometry (4th ed.), section 17.2.
       W. H. Freeman.
    .. [2] Agresti, A. (2013). Categorical Data Analysis (3rd ed.), section 3.2. Wiley.
    .. [3] Williams, D. A. (1976). Improved likelihood ratio tests for complete contingency
       tables. Biometrika, 63(1), 33–37.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    if not isinstance(williams, (bool, np.bool_)):
        raise ParameterError.invalid("williams", williams, "True or False")
    ref = as_categorical(reference, "reference")
    cur = as_categorical(current, "current")
    small = too_small("g_test", ref, cur, _MIN_N, alpha=alpha, effect_size_name="cramers_v_g",
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    _, table = contingency_table(ref, cur)
    g, dof = g_statistic(table)
    stat = g / williams_factor(table) if williams else g
    return TestResult.build(
        "g_test", stat, chi2_sf(stat, dof), alpha=alpha,
        effect_size=float(np.sqrt(g / table.sum())), effect_size_name="cramers_v_g",
        effect_threshold=effect_threshold, n_reference=ref.n, n_current=cur.n,
        n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
        warnings=sparse_note(table),
    )


def g_statistic(table: np.ndarray) -> tuple[float, int]:
    """The G statistic of a table with non-empty rows and columns, and its dof.

    Examples
    --------
    >>> g, dof = g_statistic(np.array([[2, 2], [0, 4]]))
    >>> round(g, 6), dof
    (3.452185, 1)
    """
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    if dof == 0:
        return 0.0, 0
    exp = expected_counts(table)
    pos = table > 0
    obs = table[pos].astype(np.float64)
    # Rounding can leave a tiny negative sum when the table is exactly homogeneous.
    return max(float(2.0 * np.sum(obs * np.log(obs / exp[pos]))), 0.0), dof


def williams_factor(table: np.ndarray) -> float:
    """Williams' (1976) divisor for G, for a table with non-empty rows and columns.

    Examples
    --------
    >>> round(williams_factor(np.array([[10, 10], [10, 10]])), 6)
    1.0375
    """
    r, k = table.shape
    if r < 2 or k < 2:
        return 1.0
    n = float(table.sum())
    rows = np.sum(n / table.sum(axis=1)) - 1.0
    cols = np.sum(n / table.sum(axis=0)) - 1.0
    return float(1.0 + rows * cols / (6.0 * n * (r - 1) * (k - 1)))
