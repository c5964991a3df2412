"""Shared plumbing of the histogram distances (PSI, Jensen–Shannon, KL, Hellinger, TVD, L∞,
Bhattacharyya, histogram intersection).

Each of those methods compares the share vectors ``p`` (reference) and ``q`` (current) of two
histograms. Three rules are common to all of them and are documented here once.

**Which histogram.** A :class:`~driftline.stats.Sample` keeps its kind, and the other side is
prepared in the same kind. Raw inputs are numerical when both sides hold numbers (numeric or
boolean dtype, or an object array whose non-missing entries are all real numbers, such as a
list with ``None`` in it) and categorical otherwise. Numerical data is then cut into the
reference-quantile bins of :mod:`driftline.stats._binning` and categorical data is counted over
the union of labels. Missing values (``None``, NaN, ±inf) are left out and counted in the
result's ``n_missing_*``.

**Why an n-aware threshold.** A plug-in distance between two finite samples from one and the
same distribution is not zero: with ``k`` cells and sizes ``n`` and ``m`` it is of the order of
``(k - 1) (1/n + 1/m)`` (PSI is close to that times a :math:`\\chi^2_{k-1}` variable). A fixed
threshold therefore flags noise at small samples or with many categories. So the verdict uses
``max(effect_threshold, floor)``, where the floor is the :math:`1 - \\alpha/2` quantile of
the same statistic over 1,000 pairs of multinomial samples of sizes ``n`` and ``m`` drawn from
the pooled shares (a seeded, deterministic draw). The floor follows the real sampling noise,
including empty cells and smoothing, which the :math:`\\chi^2` approximation misses on sparse
tables. It uses ``alpha/2`` rather than ``alpha`` because the resampled null is itself an
estimate: the pooled shares stand in for the unknown distribution, and for numerical data the
randomness of the reference-quantile edges is left out. At nominal ``alpha`` a prototype
measured 0.04–0.07 false alarms (up to 0.10 for skewed labels at 50 per side). At ``alpha/2``
every method stays at or below 0.035 (2,000 replicates, normal data and 20 equally likely
labels, 100 to 2,000 values per side; see ``tests/stats/test_oracle_histogram.py``). With
rare labels it is approximate: 20 Zipf-distributed labels (the rarest expected 1.4 times) at
100 per side measured about 0.05. The floor is computed only when the statistic
reaches ``effect_threshold``, since below it the verdict is "no drift" whatever the floor. The
result's ``effect_threshold`` is the bar actually used, and ``warnings`` says when the floor
was higher than the requested threshold.

**Exact zeros.** Every statistic is written so that identical share vectors give exactly
``0.0`` and round-off can never make it negative.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.stats._binning import DEFAULT_BINS, binned_counts, shares, smoothed
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._result import TestResult
from driftline.stats._sample import Kind, Sample, SampleLike, _present

__all__ = [
    "HISTOGRAM_KINDS",
    "MIN_N",
    "check_bins",
    "check_eps",
    "histogram_counts",
    "histogram_distance",
    "histogram_kind",
    "noise_floor",
    "prepare",
    "row_shares",
    "row_smoothed",
    "run_histogram_method",
]

HISTOGRAM_KINDS = ("numerical", "categorical", "binary")
MIN_N = 100
"""Fewest valid values per side for a verdict: 10 per bin at the default 10 bins, 5 per label
with 20 labels. The measured false-alarm rates are in the test module's docstring."""

Statistic = Callable[[np.ndarray, np.ndarray], Any]
"""``statistic(p, q)`` on share vectors, vectorised over leading axes (one value per row)."""

_FLOOR_SEED = 0x5EED
_FLOOR_DRAWS = 1000
_FLOOR_MIN_DRAWS = 200
_FLOOR_MAX_CELLS = 500_000  # draws · cells per side; keeps a floor under ~50 ms


def check_bins(bins: int) -> int:
    """Validate the number of bins (checked even for categorical data, where it is unused).

    Examples
    --------
    >>> check_bins(10)
    10
    >>> check_bins(1)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: bins must be an integer >= 2; got 1.
    """
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 2:
        raise ParameterError.invalid("bins", bins, "an integer >= 2")
    return int(bins)


def check_eps(eps: float) -> float:
    """Validate the smoothing share that replaces empty cells (see ``_binning.smoothed``).

    Examples
    --------
    >>> check_eps(1e-4)
    0.0001
    """
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < 1:
        raise ParameterError.invalid("eps", eps, "a float in (0, 1)",
                                     "Use a small share such as 1e-4.")
    return float(eps)


def histogram_kind(reference: SampleLike, current: SampleLike) -> Kind:
    """The kind of histogram both samples are counted in (see the module docstring).

    Examples
    --------
    >>> histogram_kind([1.5, 2.0, None], [3, 4]), histogram_kind([1, 2], ["a", "b"])
    ('numerical', 'categorical')
    >>> histogram_kind(Sample.categorical([1, 2]), [1, 2])
    'categorical'
    """
    fitted = {x.kind for x in (reference, current) if isinstance(x, Sample)}
    if len(fitted) == 2:
        raise DataError(
            "reference is a numerical sample and current a categorical one (or the reverse); "
            "prepare both sides in the same kind, for example with stats.fit(x, kind=...)."
        )
    if fitted:
        return fitted.pop()
    both = all(_numeric(np.asarray(x)) for x in (reference, current))
    return "numerical" if both else "categorical"


def prepare(reference: SampleLike, current: SampleLike) -> tuple[Sample, Sample]:
    """Both samples prepared in their shared kind; a :class:`Sample` is passed through.

    Examples
    --------
    >>> ref, cur = prepare([1.0, None, 3.0], [2.0, float("nan")])
    >>> ref.kind, ref.n, ref.n_missing, cur.n_missing
    ('numerical', 2, 1, 1)
    """
    kind = histogram_kind(reference, current)
    return _as_kind(reference, kind, "reference"), _as_kind(current, kind, "current")


def histogram_counts(
    reference: SampleLike, current: SampleLike, bins: int = DEFAULT_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """The two count vectors the histogram distances compare: ``(reference, current)``.

    Examples
    --------
    >>> r, c = histogram_counts(["a", "b", "b"], ["b", "c", None])
    >>> r.tolist(), c.tolist()
    ([1, 2, 0], [0, 1, 1])
    >>> r, c = histogram_counts(range(100), [-5, 50, 500], bins=4)
    >>> r.tolist(), c.tolist()
    ([25, 25, 25, 25], [1, 0, 1, 1])
    """
    ref, cur = prepare(reference, current)
    return binned_counts(ref, cur, check_bins(bins))


def row_shares(counts: np.ndarray) -> np.ndarray:
    """Counts as shares of their row total: ``_binning.shares`` applied to each row.

    Examples
    --------
    >>> row_shares(np.array([[1, 3], [2, 2]])).tolist()
    [[0.25, 0.75], [0.5, 0.5]]
    """
    total = counts.sum(axis=-1, keepdims=True)
    return counts / np.where(total == 0, 1, total)


def row_smoothed(counts: np.ndarray, eps: float) -> np.ndarray:
    """``_binning.smoothed`` applied to each row: zero shares become ``eps``, renormalised.

    Examples
    --------
    >>> row_smoothed(np.array([[0, 1], [1, 1]]), 0.5).tolist()
    [[0.3333333333333333, 0.6666666666666666], [0.5, 0.5]]
    """
    p = row_shares(counts)
    p = np.where(p == 0, eps, p)
    return p / p.sum(axis=-1, keepdims=True)


def noise_floor(
    statistic: Statistic, ref_counts: np.ndarray, cur_counts: np.ndarray, alpha: float,
    eps: float | None = None,
) -> float:
    """The ``1 - alpha/2`` quantile of ``statistic`` when both samples share one distribution.

    Both samples are redrawn, with their own sizes, from the pooled shares, and the shares of the
    draws (smoothed with ``eps`` when given) go through ``statistic``. The draw is seeded, so the
    floor is a deterministic function of the counts. Cost: ``O(draws · cells)``, independent of
    the sample sizes.

    Examples
    --------
    >>> tvd = lambda p, q: 0.5 * np.abs(p - q).sum(axis=-1)
    >>> small = noise_floor(tvd, np.array([50, 50]), np.array([50, 50]), 0.05)
    >>> large = noise_floor(tvd, np.array([5000, 5000]), np.array([5000, 5000]), 0.05)
    >>> round(small, 2), round(large, 3)
    (0.16, 0.016)
    """
    n, m = int(ref_counts.sum()), int(cur_counts.sum())
    pooled = (ref_counts + cur_counts) / (n + m)
    draws = max(_FLOOR_MIN_DRAWS, min(_FLOOR_DRAWS, _FLOOR_MAX_CELLS // pooled.size))
    rng = np.random.default_rng(_FLOOR_SEED)
    sim_ref = rng.multinomial(n, pooled, size=draws)
    sim_cur = rng.multinomial(m, pooled, size=draws)
    if eps is None:
        values = statistic(row_shares(sim_ref), row_shares(sim_cur))
    else:
        values = statistic(row_smoothed(sim_ref, eps), row_smoothed(sim_cur, eps))
    # A statistic of exactly zero (identical histograms) must never reach the bar.
    return max(float(np.quantile(values, 1 - alpha / 2, method="higher")), np.finfo(float).tiny)


def histogram_distance(
    method: str, statistic: Statistic, reference: Sample, current: Sample, *, bins: int,
    alpha: float, effect_threshold: float | None, eps: float | None = None,
) -> TestResult:
    """Bin, compute ``statistic`` on the shares (smoothed when ``eps`` is given), and judge it.

    The verdict bar is ``max(effect_threshold, noise_floor(...))`` (see the module docstring).
    The caller has already validated the parameters and checked the sample sizes.
    """
    r, c = binned_counts(reference, current, bins)
    if eps is None:
        value = float(statistic(shares(r), shares(c)))
    else:
        value = float(statistic(smoothed(r, eps), smoothed(c, eps)))
    bar: float | None = effect_threshold
    notes: tuple[str, ...] = ()
    if effect_threshold is not None and value >= effect_threshold:
        floor = noise_floor(statistic, r, c, alpha, eps)
        if floor > effect_threshold:
            bar = floor
            notes = (f"{method}: {reference.n} and {current.n} values in {r.size} cells are "
                     f"too few for effect_threshold={effect_threshold:g}: two samples of one "
                     f"distribution exceed {floor:.3g} in {alpha / 2:.1%} of draws, so the "
                     f"verdict used {floor:.3g}. More values per window lower this floor; so "
                     "do fewer bins or merged rare labels.",)
    return TestResult.build(
        method, value, None, alpha=alpha, effect_size=value, effect_size_name=method,
        effect_threshold=bar, n_reference=reference.n, n_current=current.n,
        n_missing_reference=reference.n_missing, n_missing_current=current.n_missing,
        warnings=notes,
    )


def _numeric(arr: np.ndarray) -> bool:
    if arr.dtype.kind in "biuf":
        return True
    if arr.dtype.kind != "O":
        return False
    return all(isinstance(v, numbers.Real) for v in arr.ravel() if _present(v))


def _as_kind(x: SampleLike, kind: Kind, name: str) -> Sample:
    if isinstance(x, Sample):
        return x
    if kind == "categorical":
        return Sample.categorical(x, name=name)
    arr = np.asarray(x)
    if arr.dtype.kind == "O" and _numeric(arr):
        # float() accepts every real number; missing entries (None, pandas.NA) become NaN
        arr = np.array([float(v) if _present(v) else np.nan for v in arr.ravel()]).reshape(
            arr.shape)
    return Sample.numerical(arr, name=name)


def run_histogram_method(
    method: str, statistic: Statistic, reference: SampleLike, current: SampleLike, *,
    alpha: float, effect_threshold: float | None, bins: int, eps: Any = None,
    smoothing: bool = False,
) -> TestResult:
    """The whole body of a histogram distance: validate, prepare, check sizes, then judge.

    ``smoothing=True`` validates ``eps`` and smooths empty cells (PSI, KL).
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    bins = check_bins(bins)
    eps = check_eps(eps) if smoothing else None
    ref, cur = prepare(reference, current)
    small = too_small(method, ref, cur, MIN_N, alpha=alpha, effect_size_name=method,
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    return histogram_distance(method, statistic, ref, cur, bins=bins, alpha=alpha,
                              effect_threshold=effect_threshold, eps=eps)
