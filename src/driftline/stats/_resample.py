"""Subsampling and permutation machinery shared by the quadratic and permutation-based methods.

These helpers keep three promises for every method built on them:

* **order invariance** — a side is subsampled from its *sorted* values with a generator seeded by
  ``seed`` and a digest of those values, so the subsample depends only on the multiset of values;
* **symmetry** — the pooled sample is sorted and the observed split is put in a canonical form, so
  swapping ``reference`` and ``current`` gives bit-identical statistics and p-values;
* **validity** — permutation p-values are ``(b + 1) / (B + 1)``, where ``b`` of ``B`` random splits
  of the pooled sample give a statistic at least as large as the observed one. This is never 0 and
  keeps ``P(p <= alpha) <= alpha`` under the null for any ``B``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Literal, overload

import numpy as np

from driftline.errors import ParameterError
from driftline.stats._sample import Sample

__all__ = [
    "budget_warning",
    "check_max_n",
    "check_n_permutations",
    "check_seed",
    "permutation_p_value",
    "pooled_split",
    "random_splits",
    "subsample",
]

MIN_MAX_N = 5
# Label matrices are generated and scored in batches of about this many entries (512 kB per
# float64 work array: cache-sized), so memory stays flat whatever n_permutations is.
_BATCH_ENTRIES = 1 << 16
# Null statistics within this relative distance of the observed one count as ties (">="): the
# same split evaluated in another batch may differ in its last bits.
_TIE_RTOL = 1e-9

StatFn = Callable[[np.ndarray], np.ndarray]


@overload
def check_max_n(value: int, *, allow_none: Literal[False] = False) -> int: ...


@overload
def check_max_n(value: int | None, *, allow_none: Literal[True]) -> int | None: ...


def check_max_n(value: int | None, *, allow_none: bool = False) -> int | None:
    """Validate a per-side subsample size.

    Examples
    --------
    >>> check_max_n(2000)
    2000
    >>> check_max_n(2)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: max_n must be an int >= 5; got 2.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < MIN_MAX_N:
        allowed = f"an int >= {MIN_MAX_N}" + (" or None (never subsample)" if allow_none else "")
        raise ParameterError.invalid("max_n", value, allowed)
    return int(value)


def check_n_permutations(value: int, *, minimum: int = 1, zero_means: str = "") -> int:
    """Validate a permutation budget.

    Examples
    --------
    >>> check_n_permutations(999)
    999
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError.invalid("n_permutations", value, f"an int >= {minimum}{zero_means}")
    return int(value)


def check_seed(value: int | None) -> int | None:
    """Validate a seed: a non-negative int, or ``None`` for fresh entropy on every call.

    Examples
    --------
    >>> check_seed(0), check_seed(None)
    (0, None)
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ParameterError.invalid(
            "seed", value, "a non-negative int or None",
            "Pass an int for reproducible results, or None for fresh randomness.",
        )
    return int(value)


def subsample(
    sample: Sample, max_n: int | None, seed: int | None, *, method: str, side: str,
) -> tuple[np.ndarray, str | None]:
    """At most ``max_n`` of the sample's values, drawn without replacement, sorted.

    Returns the values and, when subsampling happened, a sentence for ``TestResult.warnings``.
    The generator is seeded with ``seed`` and a digest of the sorted values, so the draw depends
    on the multiset of values only (not on row order, nor on which side the sample is).

    Examples
    --------
    >>> s = Sample.numerical(range(100))
    >>> v, msg = subsample(s, 10, 0, method="demo", side="reference")
    >>> v.size, bool((v[1:] >= v[:-1]).all()), msg.startswith("demo: reference subsampled")
    (10, True, True)
    """
    values = sample.values
    if max_n is None or values.size <= max_n:
        return values, None
    rng = _generator(seed, values)
    idx = np.sort(rng.choice(values.size, size=max_n, replace=False, shuffle=False))
    msg = (f"{method}: {side} subsampled at random from {values.size} to {max_n} values "
           f"(max_n={max_n}, seed={seed}); the statistic and p-value use the subsample.")
    return values[idx], msg


def _generator(seed: int | None, values: np.ndarray) -> np.random.Generator:
    """A generator seeded by ``seed`` and a digest of ``values`` (fresh entropy if no seed)."""
    if seed is None:
        return np.random.default_rng()
    # -0.0 and 0.0 sort as equals, so their order follows the input rows: hash both as 0.0.
    data = np.ascontiguousarray(values) + 0.0
    digest = int.from_bytes(hashlib.blake2b(data.data, digest_size=8).digest(), "little")
    return np.random.default_rng([seed, digest])


def pooled_split(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The sorted pooled sample, the canonical labels of the observed split, and ``k``.

    Group A (labels ``True``) is the smaller side, ``k`` values; within a run of tied values
    A's members come first. With equal sizes, A is whichever side gives the lexicographically
    larger label vector. Statistics of ``(z, labels, k)`` are then identical when x and y swap.

    Examples
    --------
    >>> z, lab, k = pooled_split(np.array([1.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    >>> z.tolist(), lab.tolist(), k
    ([1.0, 2.0, 3.0, 3.0, 4.0], [True, False, True, False, False], 2)
    """
    small, large = (x, y) if x.size <= y.size else (y, x)
    z = np.concatenate((small, large))
    labels = np.arange(z.size) < small.size
    order = np.lexsort((~labels, z))
    z, labels = z[order], labels[order]
    if small.size == large.size:
        flipped = ~labels[np.lexsort((labels, z))]
        diff = np.flatnonzero(labels != flipped)
        if diff.size and not labels[diff[0]]:
            labels = flipped
    return z, labels, int(small.size)


def random_splits(rng: np.random.Generator, n_total: int, k: int, rows: int) -> np.ndarray:
    """``rows`` uniformly random label vectors of length ``n_total`` with exactly ``k`` ``True``.

    Each row marks the ``k`` smallest of ``n_total`` uniform keys, found by a partial sort: about
    three times faster than shuffling each row.

    Examples
    --------
    >>> random_splits(np.random.default_rng(0), 6, 2, 3).sum(axis=1).tolist()
    [2, 2, 2]
    """
    keys = rng.random((rows, n_total))
    kth = np.partition(keys, k - 1, axis=1)[:, k - 1 : k]
    labels = keys <= kth
    if not (labels.sum(axis=1) == k).all():  # two equal keys at the cut: vanishingly rare
        labels = np.zeros_like(labels)
        np.put_along_axis(labels, np.argpartition(keys, k - 1, axis=1)[:, :k], True, axis=1)
    return labels


def permutation_p_value(
    stat: StatFn, z: np.ndarray, k: int, observed: float, n_permutations: int, seed: int | None,
    *, batch_entries: int = _BATCH_ENTRIES,
) -> float:
    """``(b + 1) / (B + 1)``: ``b`` of ``B`` random splits score at least ``observed``.

    ``z`` is the sorted pooled sample and ``stat`` maps a ``(rows, z.size)`` boolean label matrix
    (``k`` ``True`` per row, in the order of ``z``) to the ``rows`` statistics; larger means more
    different. Splits are drawn and scored ``batch_entries // z.size`` rows at a time.

    The generator is seeded by ``seed`` *and* a digest of ``z``. The pooled values are the same
    under every relabelling, so the p-value stays exactly valid given them; and different data
    get different splits, so with a fixed ``seed`` the false-alarm rate over many comparisons is
    ``alpha`` on average, not ``alpha`` plus the Monte Carlo error of one fixed set of splits.

    Examples
    --------
    >>> z = np.arange(10.0)
    >>> gap = lambda lab: np.abs((lab * z).sum(1) / 5 - (~lab * z).sum(1) / 5)
    >>> permutation_p_value(gap, z, 5, 5.0, 99, seed=0)  # the most extreme split
    0.01
    """
    n_total = z.size
    rng = _generator(seed, z)
    rows = max(1, min(n_permutations, batch_entries // n_total))
    cut = observed - _TIE_RTOL * abs(observed)
    hits = done = 0
    while done < n_permutations:
        b = min(rows, n_permutations - done)
        hits += int(np.count_nonzero(stat(random_splits(rng, n_total, k, b)) >= cut))
        done += b
    return (hits + 1) / (n_permutations + 1)


def budget_warning(method: str, n_permutations: int, alpha: float) -> str | None:
    """A sentence for ``TestResult.warnings`` when the budget cannot reach ``p <= alpha``.

    Examples
    --------
    >>> budget_warning("demo", 10, 0.05)
    'demo: with n_permutations=10 the smallest possible p-value is 1/11 > alpha=0.05; ...'
    """
    if (n_permutations + 1) * alpha >= 1:
        return None
    return (f"{method}: with n_permutations={n_permutations} the smallest possible p-value is "
            f"1/{n_permutations + 1} > alpha={alpha}; raise n_permutations to at least "
            f"{int(np.ceil(1 / alpha)) - 1} for a verdict of drift to be possible.")
