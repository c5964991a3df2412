"""Synthetic reference/current frames with a known, controlled drift.

Used by the benchmarks, the tests and the demo. numpy is the only import at module level;
pandas loads when a frame is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["make_drift_frames"]

_FAMILIES = ("normal", "lognormal", "uniform")
_CELLS = 4096


def make_drift_frames(
    n_reference: int,
    n_current: int | None = None,
    *,
    n_numeric: int = 20,
    n_categorical: int = 5,
    n_levels: int = 20,
    drifted_numeric: int = 5,
    drifted_categorical: int = 2,
    mean_shift: float = 0.5,
    share_shift: float = 0.10,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build a reference frame and a current frame whose first few columns drift.

    Numeric columns ``num_00, num_01, …`` are float64 and cycle through normal, lognormal
    and uniform distributions with per-column parameters. Categorical columns ``cat_0, cat_1, …``
    have pandas ``category`` dtype with ``n_levels`` string levels ``"L00", "L01", …`` and
    unequal (Zipf-like) shares. Every other column is drawn from the same distribution in
    both frames, so it does not drift.

    Parameters
    ----------
    n_reference : rows in the reference frame.
    n_current : rows in the current frame; ``None`` means ``n_reference``.
    n_numeric, n_categorical : how many numeric and categorical columns.
    n_levels : levels of every categorical column (at least 2).
    drifted_numeric : the first this-many numeric columns shift in the current frame.
    drifted_categorical : the first this-many categorical columns drift in the current frame.
    mean_shift : the numeric shift, in standard deviations of the reference distribution.
    share_shift : the share of probability mass a drifted categorical column moves onto its
        rarest level, in [0, 1].
    seed : seed of :func:`numpy.random.default_rng`; equal seeds give equal frames.

    Returns
    -------
    (reference, current) : two ``pandas.DataFrame`` with the same columns and dtypes.

    Notes
    -----
    A drifted numeric column is ``X + mean_shift * sd(X)`` where ``sd`` is the exact standard
    deviation of the column's reference distribution. A drifted categorical column has level
    shares :math:`q = (1 - s)\\,p + s\\,e_k`, where ``p`` are the reference shares, ``s`` is
    ``share_shift`` and ``k`` the rarest level, so the total variation distance is
    :math:`s\\,(1 - p_k)`.

    Examples
    --------
    >>> from driftline.datasets import make_drift_frames
    >>> ref, cur = make_drift_frames(100_000, seed=0)
    >>> ref.shape, cur.shape
    ((100000, 25), (100000, 25))
    >>> str(ref["num_00"].dtype), str(ref["cat_0"].dtype), len(ref["cat_0"].cat.categories)
    ('float64', 'category', 20)
    >>> shift = (cur["num_00"].mean() - ref["num_00"].mean()) / ref["num_00"].std()
    >>> round(float(shift), 1)
    0.5
    >>> bool(abs(cur["num_19"].mean() - ref["num_19"].mean()) < 0.05 * ref["num_19"].std())
    True
    """
    n_current = n_reference if n_current is None else n_current
    _check(n_reference, n_current, n_numeric, n_categorical, n_levels, drifted_numeric,
           drifted_categorical, mean_shift, share_shift)
    rng = np.random.default_rng(seed)
    ref: dict[str, np.ndarray] = {}
    cur: dict[str, np.ndarray] = {}
    width = max(2, len(str(n_numeric - 1)))
    for j in range(n_numeric):
        shift = mean_shift if j < drifted_numeric else 0.0
        name = f"num_{j:0{width}d}"
        ref[name], cur[name] = _numeric_pair(rng, _FAMILIES[j % 3], n_reference, n_current, shift)
    codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    width = max(1, len(str(n_categorical - 1)))
    for j in range(n_categorical):
        moved = share_shift if j < drifted_categorical else 0.0
        codes[f"cat_{j:0{width}d}"] = _codes_pair(rng, n_levels, n_reference, n_current, moved)
    return _frames(ref, cur, codes, n_levels)


def _numeric_pair(
    rng: np.random.Generator, family: str, n_ref: int, n_cur: int, shift: float
) -> tuple[np.ndarray, np.ndarray]:
    """One numeric column in both frames; ``shift`` is in reference standard deviations."""
    if family == "normal":
        loc, scale = rng.uniform(-5.0, 5.0), rng.uniform(0.5, 3.0)
        ref = rng.normal(loc, scale, n_ref)
        cur = rng.normal(loc, scale, n_cur)
        sd = scale
    elif family == "lognormal":
        mu, sigma = rng.uniform(0.0, 2.0), rng.uniform(0.25, 0.75)
        ref = rng.lognormal(mu, sigma, n_ref)
        cur = rng.lognormal(mu, sigma, n_cur)
        sd = float(np.sqrt(np.expm1(sigma**2) * np.exp(2 * mu + sigma**2)))
    else:
        low = rng.uniform(-10.0, 10.0)
        high = low + rng.uniform(1.0, 20.0)
        ref = rng.uniform(low, high, n_ref)
        cur = rng.uniform(low, high, n_cur)
        sd = (high - low) / np.sqrt(12.0)
    if shift:
        cur += shift * sd
    return ref, cur


def _codes_pair(
    rng: np.random.Generator, n_levels: int, n_ref: int, n_cur: int, moved: float
) -> tuple[np.ndarray, np.ndarray]:
    """Integer level codes of one categorical column in both frames."""
    shares = 1.0 / np.arange(1, n_levels + 1)
    shares = rng.permutation(shares / shares.sum())
    current_shares = shares
    if moved:
        current_shares = (1.0 - moved) * shares
        current_shares[np.argmin(shares)] += moved
    return _draw_codes(rng, shares, n_ref), _draw_codes(rng, current_shares, n_cur)


def _draw_codes(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    """``n`` i.i.d. level codes with the given shares, by inverse CDF.

    A binary search per row is slow at millions of rows, so the unit interval is cut into
    ``_CELLS`` cells and a cell that lies inside one level gives the code by lookup. Only the
    few rows landing in a cell that straddles a level boundary are searched: exact and fast.
    """
    cdf = np.cumsum(shares)
    cdf[-1] = 1.0  # guard against a cumulative sum that rounds to just under one
    edges = np.arange(_CELLS + 1) / _CELLS
    at_edge = np.minimum(np.searchsorted(cdf, edges, side="right"), shares.size - 1)
    dtype = np.int8 if shares.size <= 127 else np.int32
    u = rng.random(n)
    cell = (u * _CELLS).astype(np.intp)
    codes = at_edge[:-1].astype(dtype)[cell]
    straddles = (at_edge[:-1] != at_edge[1:])[cell]
    codes[straddles] = np.searchsorted(cdf, u[straddles], side="right")
    return codes


def _frames(
    ref: dict[str, np.ndarray],
    cur: dict[str, np.ndarray],
    codes: dict[str, tuple[np.ndarray, np.ndarray]],
    n_levels: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    width = max(2, len(str(n_levels - 1)))
    levels = pd.Index([f"L{k:0{width}d}" for k in range(n_levels)])
    ref_columns: dict[str, Any] = dict(ref)
    cur_columns: dict[str, Any] = dict(cur)
    for name, (ref_codes, cur_codes) in codes.items():
        ref_columns[name] = pd.Categorical.from_codes(ref_codes, categories=levels)
        cur_columns[name] = pd.Categorical.from_codes(cur_codes, categories=levels)
    return pd.DataFrame(ref_columns, copy=False), pd.DataFrame(cur_columns, copy=False)


def _check(
    n_reference: int,
    n_current: int,
    n_numeric: int,
    n_categorical: int,
    n_levels: int,
    drifted_numeric: int,
    drifted_categorical: int,
    mean_shift: float,
    share_shift: float,
) -> None:
    for name, value, low in (("n_reference", n_reference, 1), ("n_current", n_current, 1),
                             ("n_numeric", n_numeric, 0), ("n_categorical", n_categorical, 0),
                             ("n_levels", n_levels, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ParameterError.invalid(name, value, f"an integer >= {low}")
    for name, value, high in (("drifted_numeric", drifted_numeric, n_numeric),
                              ("drifted_categorical", drifted_categorical, n_categorical)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or not 0 <= value <= high:
            raise ParameterError.invalid(name, value, f"an integer in [0, {high}]",
                                         "It counts columns among the ones generated.")
    if not np.isfinite(mean_shift):
        raise ParameterError.invalid("mean_shift", mean_shift, "a finite float")
    if not 0.0 <= share_shift <= 1.0:
        raise ParameterError.invalid("share_shift", share_shift, "a float in [0, 1]")
