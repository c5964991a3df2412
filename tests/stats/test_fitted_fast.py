"""The window-sized paths against a fitted reference give the plain computations' numbers.

KS's ``D`` through the reference's grid (``_locate.GridIndex``) must equal, to the last bit, the
plain computation that locates every current value in the reference; Wasserstein through the
slot table (``_locate.SlotTable``) must equal the plain quantile walk to 1e-12 relative (both
sum the same prefix sums in a different order); the KS p-value must be SciPy's ``kstwo.sf``
exactly. Cases: continuous data, ties on either side, discrete data, window values equal to
grid values, tiny windows, constant sides, non-finite values, and a million-value reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest
import scipy.stats as ss

from driftline import stats
from driftline.stats import Sample
from driftline.stats._ks import ks_statistic, kstwo_sf
from driftline.stats._locate import grid_index, grid_ranks, grid_step, slot_table
from driftline.stats._wasserstein import _BLOCK, _positive_part, wasserstein_distance

Pair = tuple[np.ndarray, np.ndarray]


# -- the plain computations -----------------------------------------------------------------
def plain_ks(r: np.ndarray, c: np.ndarray) -> float:
    """Every current value located in the reference by two binary searches; its tie run in
    the current sample by two more; the same floating-point expressions as the library."""
    n, m = r.size, c.size
    left, right = np.searchsorted(r, c, "left"), np.searchsorted(r, c, "right")
    start, end = np.searchsorted(c, c, "left"), np.searchsorted(c, c, "right")
    gap = np.maximum(end / m - right / n, left / n - start / m)
    return float(max(gap.max(initial=0.0), 0.0))


def plain_wasserstein(ref: Sample, cur: Sample) -> float:
    """The quantile walk that reads the reference at every slot end (no slot table)."""
    r, c = ref.values, cur.values
    n, m = r.size, c.size
    if n == m and np.array_equal(r, c):
        return 0.0
    pos = sum(_positive_part(r, ref.cumsum, c, lo, min(lo + _BLOCK, m)) for lo in range(0, m, _BLOCK))
    return max(ref.mean - cur.mean + 2.0 * pos / n, 0.0)


# -- seeded cases ---------------------------------------------------------------------------
def case(seed: int) -> Pair:
    """A (reference, current) pair; the kind cycles through continuous, tied and discrete data."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6000))
    m = int(rng.integers(1, 3)) if seed % 11 == 0 else int(rng.integers(1, 700))
    kind = seed % 6
    if kind == 0:
        return rng.normal(size=n), rng.normal(rng.normal(0, 0.3), 1, m)
    if kind == 1:  # few distinct values on both sides
        return rng.integers(0, 6, n).astype(float), rng.integers(0, 7, m).astype(float)
    if kind == 2:  # rounded: many ties, within and across the samples
        return np.round(rng.normal(size=n), 1), np.round(rng.normal(0.1, 1.2, m), 1)
    if kind == 3:  # far from zero: prefix sums large against their differences
        return rng.lognormal(size=n) + 100.0, rng.lognormal(0.1, 1, m) + 100.0
    if kind == 4:  # current values drawn from the reference: exact matches with grid values
        r = rng.normal(size=n)
        return r, rng.choice(r, m)
    r = rng.exponential(size=n)  # one side constant or nearly so
    return (r, np.full(m, float(np.median(r)))) if seed % 2 else (np.full(n, 1.0), r[:m])


SEEDS = range(240)
STEPS = (2, 3, 8, 64)


@pytest.mark.parametrize("seed", SEEDS)
def test_ks_through_the_grid_is_the_plain_statistic_to_the_last_bit(seed: int) -> None:
    r, c = case(seed)
    ref, cur = Sample.numerical(r), Sample.numerical(c)
    want = plain_ks(ref.values, cur.values)
    assert ks_statistic(ref, cur) == want
    assert ks_statistic(ref, cur, step=0) == want
    for step in STEPS:
        assert ks_statistic(ref, cur, step=step) == want, step
    assert want == pytest.approx(ss.ks_2samp(r, c).statistic, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_wasserstein_through_the_slot_table_is_the_plain_distance(seed: int) -> None:
    r, c = case(seed)
    ref, cur = Sample.numerical(r), Sample.numerical(c)
    want = plain_wasserstein(ref, cur)
    got = wasserstein_distance(ref, cur)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-13)
    assert got == pytest.approx(ss.wasserstein_distance(r, c), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("shift", [0.0, 0.03, 0.15, 0.5])
def test_a_million_value_reference_and_windows_of_monitor_size(shift: float) -> None:
    rng = np.random.default_rng(20)
    ref = stats.fit(rng.lognormal(size=1_000_000))
    for m in (70, 10_000, 9_973):
        cur = Sample.numerical(rng.lognormal(shift, 1.0, m))
        d = ks_statistic(ref, cur)
        assert d == plain_ks(ref.values, cur.values)
        assert wasserstein_distance(ref, cur) == pytest.approx(plain_wasserstein(ref, cur),
                                                               rel=1e-12)
    cur = Sample.numerical(np.round(rng.lognormal(shift, 1.0, 10_000), 2))  # ties
    assert ks_statistic(ref, cur) == plain_ks(ref.values, cur.values)
    assert wasserstein_distance(ref, cur) == pytest.approx(plain_wasserstein(ref, cur), rel=1e-12)


def test_discrete_reference_with_long_tie_runs_across_grid_blocks() -> None:
    rng = np.random.default_rng(21)
    ref = stats.fit(rng.poisson(3.0, 400_000).astype(float))
    for lam in (3.0, 3.1, 5.0):
        cur = Sample.numerical(rng.poisson(lam, 5_000).astype(float))
        for step in (None, 8, 1024):
            assert ks_statistic(ref, cur, step=step) == plain_ks(ref.values, cur.values)
        assert wasserstein_distance(ref, cur) == pytest.approx(plain_wasserstein(ref, cur),
                                                               rel=1e-12)


def test_non_finite_values_are_left_out_as_on_the_plain_path() -> None:
    rng = np.random.default_rng(22)
    r = rng.normal(size=200_000)
    c = rng.normal(0.1, 1, 3_000)
    dirty = c.copy()
    dirty[::97] = np.nan
    dirty[5], dirty[7] = np.inf, -np.inf
    ref = stats.fit(r)
    clean = Sample.numerical(dirty[np.isfinite(dirty)])
    res = stats.ks(ref, dirty)
    assert res.n_missing_current == int((~np.isfinite(dirty)).sum())
    assert res.statistic == plain_ks(ref.values, clean.values)
    assert res.statistic == stats.ks(r, dirty[np.isfinite(dirty)]).statistic
    w, _ = stats.wasserstein_normed(ref, dirty)
    assert w == pytest.approx(plain_wasserstein(ref, clean) / ref.std, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_ks_result_matches_scipy_at_monitor_sizes(seed: int) -> None:
    rng = np.random.default_rng(30 + seed)
    r, c = rng.normal(size=300_000), rng.normal(0.02 * seed, 1, 5_000)
    got = stats.ks(stats.fit(r), c)
    want = ss.ks_2samp(r, c, method="asymp")
    assert got.statistic == want.statistic
    assert got.p_value == pytest.approx(want.pvalue, rel=1e-12, abs=1e-300)
    assert got == stats.ks(r, c)  # fitted or raw: the same result


@pytest.mark.parametrize("n", [1, 2, 7, 50, 140, 141, 999, 9_901, 100_000, 100_001])
def test_kstwo_sf_is_scipys_number(n: int) -> None:
    rng = np.random.default_rng(n)
    ds = np.concatenate([rng.uniform(0, 1, 40), rng.uniform(0, 4 / np.sqrt(n), 60),
                         [0.0, 0.5 / n, 1 / n, 0.5, 1 - 1 / n, 1.0, np.nextafter(0.5 / n, 1)]])
    for d in ds:
        assert kstwo_sf(float(d), n) == float(ss.kstwo.sf(d, n)), d


# -- the fitted state -----------------------------------------------------------------------
def test_grid_ranks_count_grid_values_at_or_below_each_key() -> None:
    rng = np.random.default_rng(40)
    grid = np.sort(rng.integers(0, 50, 300).astype(float))
    keys = np.unique(rng.integers(-5, 60, 80).astype(float))
    assert grid_ranks(grid, keys).tolist() == np.searchsorted(grid, keys, "right").tolist()


def test_grid_bounds_hold_the_exact_ranks() -> None:
    rng = np.random.default_rng(41)
    ref = Sample.numerical(np.round(rng.normal(size=5_000), 2))
    keys = np.unique(np.round(rng.normal(size=400), 2))
    for step in (3, 16):
        index = grid_index(ref, step)
        a = grid_ranks(index.values, keys)
        exact = np.searchsorted(ref.values, keys, "right")
        assert np.all(index.low[a] <= exact / ref.n) and np.all(exact / ref.n <= index.high[a])
        assert grid_index(ref, step) is index  # built once


def test_slot_tables_are_kept_for_the_last_two_window_sizes() -> None:
    rng = np.random.default_rng(42)
    ref = stats.fit(rng.normal(size=50_000))
    first = slot_table(ref, 1_000)
    assert slot_table(ref, 1_000) is first
    slot_table(ref, 999)
    slot_table(ref, 998)
    assert slot_table(ref, 1_000) is not first  # evicted, rebuilt equal
    np.testing.assert_array_equal(slot_table(ref, 1_000).prefix, first.prefix)
    for m in (1_000, 999, 1_000, 37):  # switching sizes changes nothing but the cost
        cur = Sample.numerical(rng.normal(0.05, 1, m))
        assert wasserstein_distance(ref, cur) == pytest.approx(plain_wasserstein(ref, cur),
                                                               rel=1e-12)


def test_grid_step_uses_plain_searches_against_small_references() -> None:
    assert grid_step(1_000_000, 10_000, 6.0) == 512
    assert grid_step(10**9, 10_000, 6.0) == 1 << 19  # a grid of 1,908 values
    assert grid_step(5_000, 1_000) == 0 and grid_step(100, 0) == 0


def test_ks_on_a_small_window_does_not_touch_the_whole_reference() -> None:
    rng = np.random.default_rng(43)
    ref = stats.fit(rng.normal(size=2_000_000))
    cur = Sample.numerical(rng.normal(size=2_000))
    ks_statistic(ref, cur)  # builds the grid once
    t_call = min(_seconds(lambda: ks_statistic(ref, cur)) for _ in range(5))
    t_pass = min(_seconds(lambda: ref.values.sum()) for _ in range(5))  # one pass over n
    assert t_call < t_pass


def _seconds(f: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0
