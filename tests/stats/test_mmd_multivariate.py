"""Multivariate MMD: the permutation test (``mmd_multivariate``) and the linear-time test (``mmd_linear``).

Statistics are checked against direct double loops written here; the batched permutation statistics
against a per-permutation loop (to 1e-12); the level over 200 seeded null pairs against
``alpha + 3 sqrt(alpha (1 - alpha) / 200)``; and the power on mean shifts. No timed assertions.
"""

from __future__ import annotations

import math
import statistics
import warnings

import numpy as np
import pytest

from driftline import stats
from driftline.errors import DataError, ParameterError, SmallSampleWarning
from driftline.stats._mmd import _mmd_batch
from driftline.stats._mmd_multi import (
    _kernel_in_place,
    _shuffled,
    linear_terms,
    median_distance,
    squared_distances,
)
from driftline.stats._resample import random_splits

ALPHA = 0.05
N_NULL = 200
FPR_BOUND = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / N_NULL)


def _k(a: np.ndarray, b: np.ndarray, sigma: float) -> float:
    return math.exp(-math.dist(a, b) ** 2 / (2 * sigma * sigma))


def _naive_sigma(z: np.ndarray) -> float:
    dists = [math.dist(z[i], z[j]) for i in range(len(z)) for j in range(i + 1, len(z))]
    positive = [d for d in dists if d > 0]
    return statistics.median(positive) if positive else 1.0


def _naive_mmd2(x: np.ndarray, y: np.ndarray, sigma: float) -> float:
    n, m = len(x), len(y)
    xx = sum(_k(x[i], x[j], sigma) for i in range(n) for j in range(n) if i != j)
    yy = sum(_k(y[i], y[j], sigma) for i in range(m) for j in range(m) if i != j)
    xy = sum(_k(a, b, sigma) for a in x for b in y)
    return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m)


def _data(seed: int, n: int, m: int, d: int, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(m, d))
    y[:, 0] += shift
    return rng.normal(size=(n, d)), y


# -- oracles --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "m", "d"), [(7, 9, 3), (8, 8, 2), (12, 5, 4)],
                         ids=["7v9x3", "8v8x2", "12v5x4"])
def test_batched_permutation_statistics_equal_a_loop(n, m, d):
    x, y = _data(0, n, m, d)
    z = np.concatenate((x, y) if n <= m else (y, x))
    k = min(n, m)
    sigma = median_distance(squared_distances(z))
    kernel = _kernel_in_place(squared_distances(z), sigma)
    row_sums = kernel.sum(axis=1)
    labels = random_splits(np.random.default_rng(1), z.shape[0], k, 50)
    batched = _mmd_batch(labels, kernel=kernel, row_sums=row_sums, total=float(row_sums.sum()), k=k)
    looped = [_naive_mmd2(z[lab], z[~lab], sigma) for lab in labels]
    np.testing.assert_allclose(batched, looped, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("n", "m", "d"), [(10, 10, 1), (15, 11, 3), (9, 20, 6)],
                         ids=["10v10x1", "15v11x3", "9v20x6"])
def test_statistic_equals_direct_formula(n, m, d):
    x, y = _data(2, n, m, d, shift=0.3)
    expected = _naive_mmd2(x, y, _naive_sigma(np.concatenate((x, y))))
    r = stats.mmd_multivariate(x, y, n_permutations=19)
    assert r.statistic == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert r.effect_size == pytest.approx(math.sqrt(max(expected, 0.0)), rel=1e-9)


def test_fixed_sigma_equals_direct_formula():
    x, y = _data(3, 12, 14, 3)
    r = stats.mmd_multivariate(x, y, sigma=0.7, n_permutations=19)
    assert r.statistic == pytest.approx(_naive_mmd2(x, y, 0.7), rel=1e-12, abs=1e-14)


def test_median_distance_even_count_and_ties():
    # distances 0 (tie, left out), 1, 1, 2: median of the positive ones is 1.
    assert median_distance(squared_distances(np.array([[0.0], [0.0], [1.0]]))) == 1.0
    # distances 1, 2, 3, 1, 2, 1 -> sorted 1, 1, 1, 2, 2, 3: median 1.5.
    assert median_distance(squared_distances(np.array([[0.0], [1.0], [2.0], [3.0]]))) == 1.5
    assert median_distance(squared_distances(np.zeros((4, 2)))) == 1.0


def test_linear_statistic_equals_direct_formula():
    x, y = _data(14, 9, 12, 3, shift=0.4)
    xs, ys = _shuffled(x, 5)[:8], _shuffled(y, 5)[:8]  # the seeded pairing, cut to 2 * (9 // 2) rows
    direct = [_k(xs[i], xs[i + 1], 0.9) + _k(ys[i], ys[i + 1], 0.9)
              - _k(xs[i], ys[i + 1], 0.9) - _k(xs[i + 1], ys[i], 0.9) for i in range(0, 8, 2)]
    np.testing.assert_allclose(linear_terms(x, y, 5, 0.9), direct, rtol=1e-12)
    r = stats.mmd_linear(np.tile(x, (3, 1)), np.tile(y, (3, 1)), sigma=0.9, seed=5)
    h = linear_terms(np.tile(x, (3, 1)), np.tile(y, (3, 1)), 5, 0.9)
    assert r.statistic == pytest.approx(h.mean(), rel=1e-12)
    from scipy.stats import norm

    assert r.p_value == pytest.approx(norm.sf(h.mean() / (h.std(ddof=1) / math.sqrt(h.size))), rel=1e-9)


# -- calibration and power ------------------------------------------------------------------------
def test_permutation_test_keeps_its_level():
    hits = sum(stats.mmd_multivariate(*_data(s, 30, 30, 3), n_permutations=99, seed=s).drifted
               for s in range(N_NULL))
    assert hits / N_NULL <= FPR_BOUND


def test_permutation_p_values_spread_under_the_null():
    p = np.array([stats.mmd_multivariate(*_data(1000 + s, 25, 35, 2), n_permutations=99, seed=s).p_value
                  for s in range(100)])
    assert ((p > 0) & (p <= 1)).all()
    assert 0.3 < np.median(p) < 0.7


def test_permutation_test_detects_a_mean_shift():
    hits = sum(stats.mmd_multivariate(*_data(s, 100, 100, 5, shift=0.8), n_permutations=99).drifted
               for s in range(20))
    assert hits >= 19


def test_linear_test_keeps_its_level():
    # The normal approximation is a little liberal at small n (about 6-7% at 400 rows a side).
    hits = sum(stats.mmd_linear(*_data(s, 1000, 1000, 3), seed=s).drifted for s in range(N_NULL))
    assert hits / N_NULL <= FPR_BOUND


def test_linear_test_detects_a_mean_shift():
    hits = sum(stats.mmd_linear(*_data(s, 5000, 5000, 5, shift=0.5), seed=s).drifted for s in range(10))
    assert hits == 10


# -- inputs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("func", [stats.mmd_multivariate, stats.mmd_linear], ids=["quadratic", "linear"])
def test_nan_rows_are_dropped_and_counted(func):
    x, y = _data(4, 40, 50, 3)
    x[[1, 5], 0] = np.nan
    y[7, 2] = np.inf
    r = func(x, y)
    assert (r.n_reference, r.n_current, r.n_missing_reference, r.n_missing_current) == (38, 49, 2, 1)
    clean = func(x[np.isfinite(x).all(1)], y[np.isfinite(y).all(1)])
    assert r.statistic == clean.statistic and r.p_value == clean.p_value


@pytest.mark.parametrize("func", [stats.mmd_multivariate, stats.mmd_linear], ids=["quadratic", "linear"])
def test_row_order_does_not_matter_and_seeds_repeat(func):
    x, y = _data(5, 40, 30, 3, shift=0.2)
    r = func(x, y, seed=3)
    assert func(x[::-1], y[np.random.default_rng(0).permutation(30)], seed=3) == r
    assert func(x, y, seed=3) == r


def test_swapping_sides_keeps_the_statistic():
    x, y = _data(6, 40, 30, 3, shift=0.3)
    a, b = stats.mmd_multivariate(x, y), stats.mmd_multivariate(y, x)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)
    assert a.p_value == b.p_value


def test_dataframes_and_1d_input():
    pd = pytest.importorskip("pandas")
    x, y = _data(7, 30, 30, 2, shift=0.5)
    r = stats.mmd_multivariate(pd.DataFrame(x, columns=["a", "b"]), pd.DataFrame(y, columns=["a", "b"]))
    assert r == stats.mmd_multivariate(x, y)
    one_d = stats.mmd_multivariate(x[:, 0], y[:, 0])
    assert one_d.n_reference == 30 and math.isfinite(one_d.statistic)


def test_subsampling_is_reported():
    x, y = _data(8, 50, 12, 2)
    r = stats.mmd_multivariate(x, y, max_n=20, n_permutations=19)
    assert r.n_reference == 50
    assert any("reference subsampled at random from 50 to 20 rows" in w for w in r.warnings)


@pytest.mark.parametrize(("func", "n"), [(stats.mmd_multivariate, 4), (stats.mmd_linear, 19)],
                         ids=["quadratic", "linear"])
def test_too_few_rows_give_no_verdict(func, n):
    x, y = _data(9, n, 50, 2)
    with pytest.warns(SmallSampleWarning, match="valid rows on each side"):
        r = func(x, y)
    assert r.drifted is None and r.p_value is None and math.isnan(r.statistic)


def test_to_dict_is_json_ready():
    d = stats.mmd_multivariate(*_data(10, 20, 20, 2), n_permutations=19).to_dict()
    assert d["method"] == "mmd_multivariate" and d["effect_size_name"] == "mmd"


@pytest.mark.parametrize(("param", "value"), [
    ("alpha", 1.5), ("n_permutations", 0), ("max_n", 2), ("seed", -1), ("sigma", 0.0),
    ("sigma", math.inf), ("effect_threshold", -1.0),
], ids=["alpha", "n_permutations", "max_n", "seed", "sigma-zero", "sigma-inf", "effect_threshold"])
def test_parameter_errors_name_the_parameter(param, value):
    x, y = _data(11, 20, 20, 2)
    with pytest.raises(ParameterError, match=rf"^{param} must be .*; got {value!r}"):
        stats.mmd_multivariate(x, y, **{param: value})
    if param in ("alpha", "seed", "sigma", "effect_threshold"):
        with pytest.raises(ParameterError, match=rf"^{param} must be"):
            stats.mmd_linear(x, y, **{param: value})


def test_data_errors():
    x, y = _data(12, 20, 20, 2)
    with pytest.raises(DataError, match="same number of features; got 2 and 3"):
        stats.mmd_multivariate(x, np.ones((20, 3)))
    with pytest.raises(DataError, match="must be 2-D"):
        stats.mmd_linear(np.ones((2, 2, 2)), y)
    with pytest.raises(DataError, match="reference must hold numbers"):
        stats.mmd_multivariate([["a", "b"]], y)


def test_no_warning_on_a_clean_call():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = stats.mmd_multivariate(*_data(13, 30, 30, 2), n_permutations=99)
    assert r.warnings == ()
