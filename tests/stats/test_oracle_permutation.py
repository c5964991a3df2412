"""Oracle tests of the subsampled / permutation methods: epps_singleton, energy_distance, bws, mmd.

Statistics are checked against SciPy (or, for MMD, a naive double loop written here) at
``rtol=1e-9``. Permutation p-values are checked against exact p-values (complete enumeration)
within their Monte Carlo error: for a budget ``B`` and a true p-value ``p``, the estimate
``(b + 1) / (B + 1)`` is off by more than ``4 sqrt(p (1 - p) / B) + 1 / (B + 1)`` with
probability below 1e-4 (and the seeds are fixed, so the tests are deterministic).
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable
from itertools import combinations

import numpy as np
import pytest
from scipy import stats as sps

from driftline import stats
from driftline.errors import ParameterError, SmallSampleWarning
from driftline.stats import Sample

METHODS = ("epps_singleton", "energy_distance", "bws", "mmd")


def _naive_mmd2(x: list[float], y: list[float]) -> float:
    """Unbiased MMD², Gaussian kernel, median heuristic over positive pooled distances."""
    z = x + y
    dists = [abs(a - b) for i, a in enumerate(z) for b in z[i + 1 :]]
    positive = [d for d in dists if d > 0]
    sigma = statistics.median(positive) if positive else 1.0

    def k(a: float, b: float) -> float:
        return math.exp(-((a - b) ** 2) / (2 * sigma * sigma))

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(a, b) for a in x for b in y)
    return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m)


def _scipy_es(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    res = sps.epps_singleton_2samp(x, y, t=(0.4, 0.8))
    return {"statistic": float(res.statistic), "p_value": float(res.pvalue)}


def _scipy_energy(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {"statistic": float(sps.energy_distance(x, y))}


def _bws_statistic(x: np.ndarray, y: np.ndarray) -> float:
    # One resample: only the statistic is wanted here (p-values are checked below).
    method = sps.PermutationMethod(n_resamples=1, rng=0)
    return float(sps.bws_test(x, y, alternative="two-sided", method=method).statistic)


def _scipy_bws(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {"statistic": _bws_statistic(x, y)}


def _naive_mmd(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {"statistic": _naive_mmd2(x.tolist(), y.tolist())}


Oracle = Callable[[np.ndarray, np.ndarray], dict[str, float]]

# One row per method: (method, the reference call with its pinned options, oracle, rtol).
ORACLE = [
    pytest.param("epps_singleton", "scipy.stats.epps_singleton_2samp(x, y, t=(0.4, 0.8))",
                 _scipy_es, 1e-9, id="epps_singleton-scipy-epps_singleton_2samp"),
    pytest.param("energy_distance", "scipy.stats.energy_distance(x, y)",
                 _scipy_energy, 1e-9, id="energy_distance-scipy-energy_distance"),
    pytest.param("bws", "scipy.stats.bws_test(x, y, alternative='two-sided', "
                 "method=PermutationMethod(n_resamples=1, rng=0)).statistic",
                 _scipy_bws, 1e-9, id="bws-scipy-bws_test"),
    pytest.param("mmd", "naive double loop (unbiased MMD², median heuristic), in this file",
                 _naive_mmd, 1e-9, id="mmd-naive-double-loop"),
]


def _data(case: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(["shifted", "ties", "tiny", "same"].index(case))
    if case == "shifted":
        return rng.normal(size=40), rng.normal(0.5, 1.3, size=35)
    if case == "ties":
        return np.round(rng.normal(size=30) * 2) / 2, np.round(rng.normal(0.3, 1, 45) * 2) / 2
    if case == "tiny":
        return rng.normal(size=5), rng.normal(1.0, 1.0, size=7)
    if case == "same":
        return rng.exponential(size=50), rng.exponential(size=50)
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["shifted", "ties", "tiny", "same"])
@pytest.mark.parametrize(("name", "call", "oracle", "rtol"), ORACLE)
def test_statistic_matches_oracle(name: str, call: str, oracle: Oracle, rtol: float,
                                  case: str) -> None:
    x, y = _data(case)
    res = stats.get(name)(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's rank warning on the tiny case
        expected = oracle(x, y)
    for field, value in expected.items():
        got = getattr(res, field)
        assert got == pytest.approx(value, rel=rtol, abs=1e-15), f"{field} vs {call}"


def _mc_bound(p: float, budget: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / budget) + 1 / (budget + 1)


def _splits(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every split of the pooled sample into sizes ``len(x)``, ``len(y)``: two stacked arrays."""
    z = np.concatenate((x, y))
    masks = np.zeros((math.comb(z.size, x.size), z.size), bool)
    for row, idx in enumerate(combinations(range(z.size), x.size)):
        masks[row, list(idx)] = True
    return (np.stack([z[mk] for mk in masks]), np.stack([z[~mk] for mk in masks]))


def _exact_p_looped(x: np.ndarray, y: np.ndarray, statistic: Callable[..., float]) -> float:
    """Complete enumeration: the share of splits with a statistic >= the observed one."""
    observed = statistic(x, y)
    values = [statistic(a, b) for a, b in zip(*_splits(x, y), strict=True)]
    return float(np.mean(np.asarray(values) >= observed * (1 - 1e-9)))


def _exact_p_energy(x: np.ndarray, y: np.ndarray) -> float:
    return _exact_p_looped(x, y, lambda a, b: float(sps.energy_distance(a, b)))


def _exact_p_mmd(x: np.ndarray, y: np.ndarray) -> float:
    return _exact_p_looped(x, y, lambda a, b: _naive_mmd2(a.tolist(), b.tolist()))


def _exact_p_bws(x: np.ndarray, y: np.ndarray) -> float:
    # 924 splits <= SciPy's default 9999 resamples, so SciPy enumerates them all: exact.
    return float(sps.bws_test(x, y, alternative="two-sided").pvalue)


def _exact_p_es(x: np.ndarray, y: np.ndarray) -> float:
    a, b = _splits(x, y)  # all splits at once, through SciPy's axis support
    null = sps.epps_singleton_2samp(a, b, t=(0.4, 0.8), axis=1).statistic
    observed = sps.epps_singleton_2samp(x, y, t=(0.4, 0.8)).statistic
    return float(np.mean(null >= observed * (1 - 1e-9)))


# One row per method: the exact permutation p-value on 6 vs 6 values (924 splits).
P_ORACLE = [
    pytest.param("energy_distance", _exact_p_energy, id="energy_distance-enumerated-scipy"),
    pytest.param("mmd", _exact_p_mmd, id="mmd-enumerated-naive"),
    pytest.param("bws", _exact_p_bws, id="bws-scipy-bws_test-exact"),
    pytest.param("epps_singleton", _exact_p_es, id="epps_singleton-enumerated-scipy"),
]


@pytest.mark.parametrize(("name", "exact_p"), P_ORACLE)
def test_permutation_p_value_within_monte_carlo_error(
    name: str, exact_p: Callable[[np.ndarray, np.ndarray], float],
) -> None:
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=6), rng.normal(0.8, 1.0, size=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's rank warning on some splits
        exact = exact_p(x, y)
    budget = 2999
    p = stats.get(name)(x, y, n_permutations=budget).p_value
    assert p is not None
    assert abs(p - exact) <= _mc_bound(exact, budget), (p, exact)


@pytest.mark.parametrize("n", [7, 30])
def test_bws_p_value_close_to_scipy(n: int) -> None:
    """SciPy enumerates all splits at n=7 (exact p) and draws 9999 at n=30."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=n), rng.normal(0.6, 1.0, size=n)
    ref = sps.bws_test(x, y, method=sps.PermutationMethod(n_resamples=9999, rng=1)).pvalue
    p = stats.bws(x, y).p_value
    assert p is not None
    assert abs(p - ref) <= _mc_bound(ref, 999) + _mc_bound(ref, 9999)


@pytest.mark.parametrize("name", METHODS)
def test_sample_and_raw_inputs_agree(name: str) -> None:
    rng = np.random.default_rng(3)
    a = np.r_[rng.normal(size=120), np.nan, np.inf]
    b = np.r_[rng.normal(0.2, 1, size=90), -np.inf]
    f = stats.get(name)
    assert f(Sample.numerical(a), Sample.numerical(b)) == f(a, b)
    assert f(stats.fit(a), b.tolist(), max_n=50) == f(a, b, max_n=50)


@pytest.mark.parametrize("name", METHODS)
def test_subsampling_is_recorded_and_order_invariant(name: str) -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=300), rng.normal(size=40)
    f = stats.get(name)
    res = f(a, b, max_n=60)
    assert [w.split(":")[1].split()[0] for w in res.warnings] == ["reference"]
    assert "from 300 to 60 values" in res.warnings[0]
    assert (res.n_reference, res.n_current) == (300, 40)
    assert f(rng.permutation(a), rng.permutation(b), max_n=60) == res
    swapped = f(b, a, max_n=60)
    assert (swapped.statistic, swapped.p_value) == (res.statistic, res.p_value)
    assert f(a, b, max_n=60, seed=1).statistic != res.statistic  # another subsample
    assert not f(a[:60], b, max_n=60).warnings


@pytest.mark.parametrize("name", ["energy_distance", "bws", "mmd"])
def test_p_value_convention(name: str) -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=50), rng.normal(3.0, 1, size=50)
    res = stats.get(name)(x, y, n_permutations=99)
    assert res.p_value == pytest.approx(1 / 100)  # never 0: (b + 1) / (B + 1)
    res = stats.get(name)(x, x.copy(), n_permutations=99)
    assert res.p_value == 1.0 and res.drifted is False
    assert stats.get(name)(x, y, seed=None).p_value is not None
    res = stats.get(name)(x, y, n_permutations=10)
    assert res.drifted is False and "smallest possible p-value is 1/11" in res.warnings[0]


def test_energy_effect_is_normed_by_the_reference_std() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=200), rng.normal(0.5, 2.0, size=200)
    res = stats.energy_distance(x * 10, y * 10)
    s = np.std(x, ddof=1)
    assert res.effect_size == pytest.approx(float(sps.energy_distance(x / s, y / s)), rel=1e-9)
    assert res.effect_size == pytest.approx(stats.energy_distance(x, y).effect_size, rel=1e-9)


def test_epps_singleton_degenerate_data() -> None:
    tied = stats.epps_singleton([0.0] * 20 + [1.0, 2.0], [0.0] * 15 + [1.0, 3.0, 5.0])
    assert "interquartile range is 0" in tied.warnings[0]
    assert not math.isnan(tied.statistic)
    same = stats.epps_singleton([2.0] * 10, [2.0] * 8)
    assert (same.statistic, same.p_value, same.drifted) == (0.0, 1.0, False)
    binary = stats.epps_singleton([0.0] * 10 + [1.0] * 5, [0.0] * 8 + [1.0] * 8)
    assert "rank 1 < 4" in binary.warnings[0]


@pytest.mark.parametrize("name", METHODS)
def test_too_small_gives_no_verdict(name: str) -> None:
    with pytest.warns(SmallSampleWarning, match="at least 5"):
        res = stats.get(name)([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert res.drifted is None and math.isnan(res.statistic)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize(("param", "value"), [
    ("max_n", 3), ("max_n", 2.5), ("n_permutations", -1), ("seed", -1), ("seed", "a"),
])
def test_bad_parameters_name_themselves(name: str, param: str, value: object) -> None:
    with pytest.raises(ParameterError, match=rf"^{param} must be .*; got {value!r}\."):
        stats.get(name)([1.0] * 10, [2.0] * 10, **{param: value})


@pytest.mark.parametrize("t", [(0.4, -0.8), (0.4, 0.4), (), "ab"])
def test_bad_t_names_itself(t: object) -> None:
    with pytest.raises(ParameterError, match=r"^t must be a sequence of distinct positive"):
        stats.epps_singleton([1.0] * 10, [2.0] * 10, t=t)


@pytest.mark.parametrize(("name", "cost"), [
    ("epps_singleton", "linear"), ("energy_distance", "permutation"), ("bws", "permutation"),
    ("mmd", "quadratic"),
])
def test_registry_flags(name: str, cost: str) -> None:
    spec = stats.get(name)
    assert (spec.cost, spec.min_n, spec.symmetric, spec.has_p_value) == (cost, 5, True, True)
    assert spec.kinds == frozenset({"numerical"})
