"""Profiles against the exact path (STYLE §8.2): on seeded datasets, every statistic computed
from merged partition profiles lies within its stated bound of the exact value on the raw data,
and every certain verdict is the exact path's.

Oracles: ``scipy.stats.ks_2samp`` (KS), ``scipy.stats.wasserstein_distance`` over the reference
SD (Wasserstein), ``driftline.stats.psi/jensen_shannon/hellinger`` on the raw values with the
default bins (histogram distances: equal, not merely close), ``scipy.stats.chi2_contingency``
(chi-square), and ``driftline.compare`` (verdicts). The sketches are randomised (DataSketches
draws its own seeds), so the bounds are checked, never pinned values.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats as ss

from driftline import compare, stats
from driftline.profile import TableProfile, compare_profiles, profile_frame
from driftline.profile._heavy import collapsed
from tests.profile._cases import Case, draw, numeric_cases, split, window

CASES = numeric_cases(60)
TOL = 1e-9  # floating-point slack on the bounds (0 bounds are exact up to rounding)


def _profiles(case: Case):
    a, b = draw(case)
    rng = np.random.default_rng(case.seed)
    ref = profile_frame({"x": a}, kinds={"x": "numerical"})
    cur = window([{"x": p} for p in split(b, case.parts, rng)], ref, rng)
    return a, b, ref, cur


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_numeric_statistics_lie_within_their_bounds(case):
    a, b, ref, cur = _profiles(case)
    result = compare_profiles(ref, cur).columns["x"]
    assert result.method == "ks" and result.effect_size_name == "wasserstein_normed"
    d = ss.ks_2samp(a, b).statistic
    assert abs(result.statistic - d) <= result.bound + TOL, (result.statistic, d, result.bound)
    assert result.low - TOL <= d <= result.high + TOL
    assert result.bound <= ref["x"].rank_error + cur["x"].rank_error + TOL
    w = ss.wasserstein_distance(a, b) / np.std(a, ddof=1)
    assert abs(result.effect_size - w) <= result.effect_bound + TOL * max(1.0, w), (
        result.effect_size, w, result.effect_bound)
    assert result.n_reference == a.size and result.n_current == b.size


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_certain_verdicts_are_the_exact_paths(case):
    a, b, ref, cur = _profiles(case)
    result = compare_profiles(ref, cur).columns["x"]
    exact = compare({"x": a}, {"x": b}).columns["x"]
    assert result.drifted_estimate is not None
    if not result.uncertain:
        assert result.drifted == exact.drifted, (result, exact)
        return
    # Uncertain only when an exact quantity the rule reads lies near its bar.
    near_test = abs(exact.statistic - result.threshold) <= 2 * result.bound + TOL
    near_floor = abs(exact.effect_size - result.effect_threshold) <= 2 * result.effect_bound + TOL
    assert near_test or near_floor, (result, exact)


def test_uncertain_verdicts_are_rare():
    uncertain = 0
    for case in CASES[::3]:
        _, _, ref, cur = _profiles(case)
        uncertain += compare_profiles(ref, cur).columns["x"].uncertain
    assert uncertain <= 3, uncertain


@pytest.mark.parametrize("case", CASES[::2], ids=[c.id for c in CASES[::2]])
@pytest.mark.parametrize("method", ["psi", "jensen_shannon", "hellinger"])
def test_histogram_distances_equal_the_exact_path(case, method):
    a, b, ref, cur = _profiles(case)
    result = compare_profiles(ref, cur, method=method).columns["x"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = stats.get(method)(a, b)
    assert result.statistic == exact.statistic
    assert result.bound == 0.0 and result.exact and not result.uncertain
    assert result.threshold == exact.effect_threshold
    assert result.drifted == exact.drifted


LABELS = [f"level-{i}" for i in range(30)]


def _label_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 30))
    p = rng.dirichlet(np.ones(k))
    q = p if seed % 3 == 0 else 0.9 * p + 0.1 * rng.dirichlet(np.ones(k))
    n, m = (int(x) for x in rng.choice([1_000, 5_000, 50_000], size=2))
    return rng.choice(LABELS[:k], n, p=p), rng.choice(LABELS[:k], m, p=q / q.sum())


@pytest.mark.parametrize("seed", range(15))
def test_exact_tables_give_the_exact_chi_square_and_verdict(seed):
    a, b = _label_data(seed)
    rng = np.random.default_rng(seed)
    ref = profile_frame({"c": a}, kinds={"c": "categorical"})
    cur = window([{"c": p} for p in split(b, 1 + seed % 8, rng)], ref, rng)
    result = compare_profiles(ref, cur).columns["c"]
    exact = compare({"c": a}, {"c": b}).columns["c"]
    labels = np.union1d(a, b)
    table = np.array([[np.sum(a == x) for x in labels], [np.sum(b == x) for x in labels]])
    chi2 = ss.chi2_contingency(table, correction=False)[0] if labels.size > 1 else 0.0
    assert result.method == exact.method
    assert math.isclose(result.statistic, chi2, rel_tol=1e-9, abs_tol=1e-12)
    assert result.statistic == exact.statistic and result.p_value == exact.p_value
    assert result.bound == 0.0 and not result.uncertain
    assert result.drifted == exact.drifted
    for method in ("psi", "jensen_shannon", "hellinger"):
        got = compare_profiles(ref, cur, method=method).columns["c"]
        assert got.statistic == stats.get(method)(a, b).statistic


@pytest.mark.parametrize("seed", range(10))
def test_heavy_hitters_bound_the_collapsed_chi_square(seed):
    rng = np.random.default_rng(seed)
    k = 600
    w = 1.0 / np.arange(1, k + 1) ** 1.1
    shifted = w * np.where(np.arange(k) < 8, rng.uniform(0.7, 1.3, k), 1.0) if seed % 2 else w
    a = rng.choice(k, 30_000, p=w / w.sum()).astype(str)
    b = rng.choice(k, 30_000, p=shifted / shifted.sum()).astype(str)
    ref = profile_frame({"c": a}, max_categories=100)
    cur = window([{"c": p} for p in split(b, 1 + seed % 8, rng)], ref, rng, max_categories=100)
    assert not ref["c"].exact and not cur["c"].exact
    result = compare_profiles(ref, cur).columns["c"]
    cells = collapsed(ref["c"], cur["c"]).labels[:-1]
    ca = np.array([np.sum(a == x) for x in cells])
    cb = np.array([np.sum(b == x) for x in cells])
    table = np.array([[*ca, a.size - ca.sum()], [*cb, b.size - cb.sum()]])
    table = table[:, table.sum(axis=0) > 0]
    chi2 = ss.chi2_contingency(table, correction=False)[0]
    tvd = 0.5 * np.abs(table[0] / a.size - table[1] / b.size).sum()
    assert result.method == "chi_square" and result.effect_size_name == "total_variation"
    assert result.low - TOL <= chi2 <= result.high + TOL
    assert abs(result.effect_size - tvd) <= result.effect_bound + TOL
    assert any("collapsed" in w for w in result.warnings)


@pytest.mark.parametrize("seed", range(5))
def test_heavy_hitter_counts_lie_within_their_bounds(seed):
    rng = np.random.default_rng(seed)
    values = rng.zipf(1.3, 50_000) % 5_000
    parts = split(values.astype(str), 1 + seed, rng)
    profiles = [profile_frame({"c": p}, kinds={"c": "categorical"}, max_categories=200)
                for p in parts]
    col = TableProfile.merge_all(profiles)["c"]
    labels, lower, upper = col.table()
    true = {str(v): c for v, c in zip(*np.unique(values.astype(str), return_counts=True),
                                      strict=True)}
    assert not col.exact and col.n == values.size
    assert all(lo <= true[x] <= hi for x, lo, hi in zip(labels, lower, upper, strict=True))
    untracked = [c for x, c in true.items() if x not in set(labels.tolist())]
    assert max(untracked) <= col.max_error
