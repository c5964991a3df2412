"""Oracle tests for the numerical two-sample methods: Wasserstein, Anderson–Darling,
Cramér–von Mises, Kuiper, Welch's t and Mann–Whitney.

Tolerances: closed forms against SciPy at ``rtol=1e-9``. Series and asymptotic p-values state
their own bound next to the row. Comparisons with permutation p-values allow four Monte Carlo
standard errors plus a stated model tolerance: an asymptotic law is not the finite-sample law.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pytest
import scipy.stats as ss

from driftline import stats
from driftline.errors import ParameterError, SmallSampleWarning
from driftline.stats import Sample
from driftline.stats._anderson import anderson_darling_statistic
from driftline.stats._kuiper import kuiper_sf
from driftline.stats._quadform import ad_inf_sf, cvm_inf_sf
from driftline.stats._wasserstein import noise_floor, wasserstein_distance

METHODS = ("anderson_darling", "cramer_von_mises", "kuiper", "mann_whitney", "wasserstein",
           "welch_t")
Pair = tuple[np.ndarray, np.ndarray]


# -- data -----------------------------------------------------------------------------------
def shifted(seed: int = 0, n: int = 120, m: int = 90, shift: float = 0.4) -> Pair:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, n), rng.normal(shift, 1.3, m)


def tied(seed: int = 1, n: int = 80, m: int = 70) -> Pair:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 6, n).astype(float), rng.integers(1, 7, m).astype(float)


def small(seed: int = 2) -> Pair:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, 9), rng.normal(0.9, 1, 8)


def brute_kuiper(ref: np.ndarray, cur: np.ndarray) -> float:
    """V = D+ + D- from both ECDFs evaluated at every pooled value."""
    z = np.unique(np.concatenate([ref, cur]))
    f_ref = np.array([np.mean(ref <= v) for v in z])
    f_cur = np.array([np.mean(cur <= v) for v in z])
    return max(np.max(f_cur - f_ref), 0.0) + max(np.max(f_ref - f_cur), 0.0)


# -- the oracle table -----------------------------------------------------------------------
@dataclass(frozen=True)
class Oracle:
    method: str
    data: Callable[[], Pair]
    oracle: Callable[[np.ndarray, np.ndarray], tuple[float, float | None]]
    params: dict[str, Any] = field(default_factory=dict)
    stat_rtol: float = 1e-9
    p_rtol: float = 1e-9
    p_atol: float = 0.0


def _ad(ref: np.ndarray, cur: np.ndarray) -> tuple[float, None]:
    # SciPy's p-value is an interpolation capped to [0.001, 0.25]; ours is checked separately
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return float(ss.anderson_ksamp([ref, cur], variant="midrank").statistic), None


def _scipy(fn: Callable[..., Any], swap: bool = False, **kw: Any) -> Callable[..., Any]:
    """``(statistic, pvalue)`` of a SciPy two-sample function; ``swap`` passes current first."""
    def oracle(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
        res = fn(*((cur, ref) if swap else (ref, cur)), **kw)
        return float(res.statistic), float(res.pvalue)
    return oracle


def _wasserstein(ref: np.ndarray, cur: np.ndarray) -> tuple[float, None]:
    return float(ss.wasserstein_distance(ref, cur) / np.std(ref, ddof=1)), None


def _kuiper(ref: np.ndarray, cur: np.ndarray) -> tuple[float, None]:
    return brute_kuiper(ref, cur), None  # no SciPy function; p-value: permutation tests below


_WELCH = _scipy(ss.ttest_ind, swap=True, equal_var=False)
_MWU = _scipy(ss.mannwhitneyu, swap=True, method="asymptotic", use_continuity=True)
_CVM_ASYMPTOTIC = _scipy(ss.cramervonmises_2samp, method="asymptotic")
_CVM_EXACT = _scipy(ss.cramervonmises_2samp, method="exact")
ORACLES = [
    # wasserstein_distance(ref, cur) / np.std(ref, ddof=1): a closed form
    pytest.param(Oracle("wasserstein", shifted, _wasserstein), id="wasserstein-numerical-shifted"),
    pytest.param(Oracle("wasserstein", tied, _wasserstein), id="wasserstein-numerical-ties"),
    pytest.param(Oracle("wasserstein", lambda: shifted(3, 2000, 500), _wasserstein),
                 id="wasserstein-numerical-divisible-sizes"),
    # anderson_ksamp([ref, cur], variant="midrank").statistic
    pytest.param(Oracle("anderson_darling", shifted, _ad), id="anderson_darling-numerical-shifted"),
    pytest.param(Oracle("anderson_darling", tied, _ad), id="anderson_darling-numerical-ties"),
    # cramervonmises_2samp(ref, cur, method="asymptotic"): SciPy sums its series until a term
    # is below 1e-7 and returns 1 - cdf, so its p-value is good to about 1e-9 absolute here
    pytest.param(Oracle("cramer_von_mises", shifted, _CVM_ASYMPTOTIC, {"method": "asymptotic"},
                        p_rtol=0.0, p_atol=1e-8), id="cramer_von_mises-numerical-asymptotic"),
    pytest.param(Oracle("cramer_von_mises", tied, _CVM_ASYMPTOTIC, {"method": "asymptotic"},
                        p_rtol=0.0, p_atol=1e-8), id="cramer_von_mises-numerical-ties"),
    # cramervonmises_2samp(ref, cur, method="exact"): the same exact distribution
    pytest.param(Oracle("cramer_von_mises", small, _CVM_EXACT, {"method": "exact"}),
                 id="cramer_von_mises-numerical-exact"),
    # kuiper: brute-force ECDFs over the pooled values
    pytest.param(Oracle("kuiper", shifted, _kuiper), id="kuiper-numerical-shifted"),
    pytest.param(Oracle("kuiper", tied, _kuiper), id="kuiper-numerical-ties"),
    # ttest_ind(cur, ref, equal_var=False): t for current minus reference
    pytest.param(Oracle("welch_t", shifted, _WELCH), id="welch_t-numerical-shifted"),
    # mannwhitneyu(cur, ref, method="asymptotic", use_continuity=True): U of current
    pytest.param(Oracle("mann_whitney", shifted, _MWU), id="mann_whitney-numerical-shifted"),
    pytest.param(Oracle("mann_whitney", tied, _MWU), id="mann_whitney-numerical-ties"),
]


@pytest.mark.parametrize("case", ORACLES)
def test_oracle(case: Oracle) -> None:
    ref, cur = case.data()
    got = stats.get(case.method)(ref, cur, **case.params)
    want_stat, want_p = case.oracle(ref, cur)
    assert got.statistic == pytest.approx(want_stat, rel=case.stat_rtol, abs=1e-300)
    if want_p is not None:
        assert got.p_value == pytest.approx(want_p, rel=case.p_rtol, abs=case.p_atol)


# -- fitted reference == raw arrays -----------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("data", [shifted, tied], ids=["shifted", "ties"])
def test_fitted_reference_gives_identical_results(method: str, data: Callable[[], Pair]) -> None:
    ref, cur = data()
    spec = stats.get(method)
    raw = spec(ref, cur)
    fitted = spec.fit(ref)
    assert spec(fitted, cur) == raw
    assert spec(fitted, Sample.numerical(cur)) == raw
    assert spec(fitted, cur) == raw  # the cached state does not change a second call


@pytest.mark.parametrize("method", METHODS)
def test_missing_values_are_counted_and_left_out(method: str) -> None:
    ref, cur = shifted()
    dirty = np.concatenate([cur, [np.nan, np.inf, -np.inf]])
    got = stats.get(method)(ref, dirty)
    assert got == replace(stats.get(method)(ref, cur), n_missing_current=3)


@pytest.mark.parametrize("method", METHODS)
def test_too_small_gives_no_verdict(method: str) -> None:
    spec = stats.get(method)
    rng = np.random.default_rng(4)
    with pytest.warns(SmallSampleWarning, match=f"at least {spec.min_n}"):
        got = spec(rng.normal(size=spec.min_n - 1), rng.normal(size=50))
    assert got.drifted is None and math.isnan(got.statistic)


REGISTRY = {  # name: (has_p_value, effect_size_name, default_threshold, min_n, symmetric)
    "wasserstein": (False, "wasserstein_normed", 0.1, 50, False),
    "anderson_darling": (True, "anderson_darling_distance", None, 10, True),
    "cramer_von_mises": (True, "cvm_distance", None, 5, True),
    "kuiper": (True, "kuiper_v", None, 12, True),
    "welch_t": (True, "cohens_d", None, 5, False),
    "mann_whitney": (True, "rank_biserial", None, 5, False),
}


@pytest.mark.parametrize("method", METHODS)
def test_registry_flags(method: str) -> None:
    spec = stats.get(method)
    facts = (spec.has_p_value, spec.effect_size_name, spec.default_threshold, spec.min_n,
             spec.symmetric)
    assert facts == REGISTRY[method]
    assert spec.kinds == frozenset({"numerical"}) and spec.cost == "nlogn" and spec.is_cheap


@pytest.mark.parametrize("method", [m for m in METHODS if REGISTRY[m][4]])
def test_symmetric_methods_are_symmetric(method: str) -> None:
    ref, cur = tied()
    spec = stats.get(method)
    a, b = spec(ref, cur), spec(cur, ref)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12)


# -- Wasserstein ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(40))
def test_wasserstein_distance_matches_scipy_for_any_sizes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = (int(v) for v in rng.integers(1, 400, 2))
    if seed % 4 == 1:
        n = m * int(rng.integers(1, 5))  # whole slots
    if seed % 4 == 2:
        m = n * int(rng.integers(1, 5))
    ref = np.round(rng.normal(size=n), 1) if seed % 3 == 0 else rng.standard_t(3, n)
    cur = np.round(rng.normal(0.2, 1.5, m), 1) if seed % 3 == 0 else rng.exponential(1, m)
    got = wasserstein_distance(Sample.numerical(ref), Sample.numerical(cur))
    assert got == pytest.approx(ss.wasserstein_distance(ref, cur), rel=1e-9)


def test_wasserstein_at_scale_matches_scipy() -> None:
    rng = np.random.default_rng(8)
    ref, cur = rng.normal(size=300_000), rng.normal(0.01, 1, 299_993)
    got = wasserstein_distance(stats.fit(ref), Sample.numerical(cur))
    assert got == pytest.approx(ss.wasserstein_distance(ref, cur), rel=1e-9)


def test_wasserstein_does_not_touch_the_whole_reference() -> None:
    rng = np.random.default_rng(9)
    ref = stats.fit(rng.normal(size=2_000_000))
    ref.cumsum, ref.std, ref.mean  # noqa: B018  (the fitted state, computed once)
    cur = Sample.numerical(rng.normal(size=50))
    t_call = min(_seconds(lambda: wasserstein_distance(ref, cur)) for _ in range(5))
    t_pass = min(_seconds(lambda: ref.values.sum()) for _ in range(5))  # one pass over n
    assert t_call < t_pass


def _seconds(f: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def test_wasserstein_identical_and_constant_samples() -> None:
    x = np.random.default_rng(10).normal(size=300)
    assert stats.wasserstein(x, x[::-1]).statistic == 0.0
    same = stats.wasserstein(np.full(100, 0.1), np.full(60, 0.1))
    assert same.statistic == 0.0 and same.drifted is False
    moved = stats.wasserstein(np.full(100, 0.1), np.full(60, 0.2))
    assert moved.statistic == math.inf and moved.drifted is True
    assert "constant" in moved.warnings[0]


def test_wasserstein_noise_floor_raises_the_threshold_for_small_windows() -> None:
    ref, cur = shifted(11, 200, 200, shift=0.0)
    got = stats.wasserstein(ref, cur)
    assert got.effect_threshold == pytest.approx(noise_floor(200, 200, 0.05))
    assert "noise floor" in got.warnings[0]
    plain = stats.wasserstein(ref, cur, n_aware=False)
    assert plain.effect_threshold == 0.1 and plain.warnings == ()
    assert stats.wasserstein(*shifted(11, 5000, 5000)).effect_threshold == 0.1


# -- Anderson–Darling: the uncapped p-value -------------------------------------------------------
@pytest.mark.parametrize("shift", [0.1, 0.2, 0.25])
def test_ad_p_value_agrees_with_scipy_interpolation_where_scipy_is_not_capped(shift: float) -> None:
    ref, cur = shifted(12, 150, 150, shift=shift)
    got = stats.anderson_darling(ref, cur).p_value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        interp = ss.anderson_ksamp([ref, cur], variant="midrank").pvalue
    assert 0.001 < interp < 0.25
    # SciPy fits a quadratic to log p over seven table points, and standardises with the
    # continuous-data variance; we use the exact midrank permutation variance: within 10%.
    assert got == pytest.approx(interp, rel=0.1)


@pytest.mark.parametrize(("seed", "shift", "resamples"), [(13, 0.8, 3000), (14, 0.6, 3000)])
def test_ad_p_value_agrees_with_scipy_permutation(seed: int, shift: float, resamples: int) -> None:
    ref, cur = shifted(seed, 40, 40, shift=shift)
    got = stats.anderson_darling(ref, cur).p_value
    method = ss.PermutationMethod(n_resamples=resamples, random_state=seed)
    perm = ss.anderson_ksamp([ref, cur], variant="midrank", method=method).pvalue
    assert abs(got - perm) <= 4 * _mc_se(perm, resamples) + 0.1 * perm


def _mc_se(p: float, resamples: int) -> float:
    p = max(p, 1.0 / resamples)
    return math.sqrt(p * (1 - p) / resamples)


def test_ad_p_value_far_below_scipys_floor_agrees_with_a_permutation_p_value() -> None:
    ref, cur = shifted(15, 50, 50, shift=0.8)
    got = stats.anderson_darling(ref, cur)
    assert 1e-4 < got.p_value < 4e-4  # below SciPy's 0.001 floor
    resamples = 200_000
    perm = _permutation_p(ref, cur, _batched_ad, resamples, seed=15)
    # the asymptotic law in the tail at n = m = 50: within 4 MC standard errors + 20%
    assert abs(got.p_value - perm) <= 4 * _mc_se(perm, resamples) + 0.2 * perm


def _batched_ad(pooled: np.ndarray, is_ref: np.ndarray) -> np.ndarray:
    """A²_akN for many label arrays at once (rows of ``is_ref``), straight from eq. 7."""
    n = int(is_ref[0].sum())
    big_n = pooled.size
    m = big_n - n
    _, start, counts = np.unique(pooled, return_index=True, return_counts=True)
    cum = np.concatenate([np.zeros((is_ref.shape[0], 1)), np.cumsum(is_ref, axis=1)], axis=1)
    ref_below = cum[:, start]
    ref_equal = cum[:, start + counts] - ref_below
    b = start + counts / 2.0
    m1 = ref_below + ref_equal / 2.0
    m2 = b - m1
    den = b * (big_n - b) - big_n * counts / 4.0
    ok = den > 0
    inner = counts[ok] / big_n * ((big_n * m1 - b * n)[:, ok] ** 2 / n
                                  + (big_n * m2 - b * m)[:, ok] ** 2 / m) / den[ok]
    return (big_n - 1) / big_n * inner.sum(axis=1)


def _permutation_p(ref: np.ndarray, cur: np.ndarray,
                   statistic: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   resamples: int, seed: int) -> float:
    """``(1 + #{T* >= T}) / (1 + resamples)`` over random relabellings of the pooled sample."""
    pooled = np.concatenate([ref, cur])
    order = np.argsort(pooled, kind="stable")
    pooled = pooled[order]
    observed = statistic(pooled, (order < ref.size)[None, :])[0]
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, resamples, 20_000):
        size = min(20_000, resamples - start)
        labels = rng.permuted(np.tile(np.arange(pooled.size) < ref.size, (size, 1)), axis=1)
        hits += int(np.sum(statistic(pooled, labels) >= observed * (1 - 1e-12)))
    return (1 + hits) / (1 + resamples)


def test_ad_statistic_matches_scipy_at_scale_and_all_equal_values() -> None:
    rng = np.random.default_rng(16)
    ref, cur = rng.normal(size=20_000), rng.normal(0.02, 1, 15_000)
    got = anderson_darling_statistic(stats.fit(ref), Sample.numerical(cur))
    assert got == pytest.approx(_ad(ref, cur)[0], rel=1e-9)
    flat = stats.anderson_darling(np.ones(20), np.ones(30))  # SciPy refuses this input
    assert flat.p_value == 1.0 and flat.drifted is False


# -- Kuiper and the limit laws ------------------------------------------------------------------
def _batched_kuiper(pooled: np.ndarray, is_ref: np.ndarray) -> np.ndarray:
    n = is_ref[0].sum()
    m = pooled.size - n
    last = np.append(pooled[1:] != pooled[:-1], True)  # evaluate after each tie group
    walk = np.cumsum(np.where(is_ref, 1.0 / n, -1.0 / m), axis=1)[:, last]
    return np.maximum(walk.max(axis=1), 0) + np.maximum(-walk.min(axis=1), 0)


@pytest.mark.parametrize(("seed", "scale"), [(17, 1.4), (18, 1.8)])
def test_kuiper_p_value_agrees_with_a_permutation_p_value(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    ref, cur = rng.normal(size=120), rng.normal(0, scale, 100)
    got = stats.kuiper(ref, cur)
    assert got.statistic == pytest.approx(brute_kuiper(ref, cur), rel=1e-12)
    resamples = 50_000
    perm = _permutation_p(ref, cur, _batched_kuiper, resamples, seed=seed)
    # Stephens' effective-n correction: within 4 MC standard errors + 20%
    assert abs(got.p_value - perm) <= 4 * _mc_se(perm, resamples) + 0.2 * perm


# Upper 10%, 5% and 1% points: A²∞ and ω² from Anderson & Darling (1952, 1954); the modified
# Kuiper V from Stephens (1970), Table 1A.
@pytest.mark.parametrize(("sf", "points"), [
    (ad_inf_sf, (1.933, 2.492, 3.857)), (cvm_inf_sf, (0.34730, 0.46136, 0.74346)),
    (kuiper_sf, (1.620, 1.747, 2.001))], ids=["anderson_darling", "cramer_von_mises", "kuiper"])
def test_limit_laws_match_the_tabulated_quantiles(sf: Callable[[float], float],
                                                  points: tuple[float, ...]) -> None:
    assert [round(sf(x), 3) for x in points] == [0.1, 0.05, 0.01]
    assert sf(0.0) == 1.0 and 0 <= sf(40.0) < 1e-17


# -- ties, degenerate input and parameters ---------------------------------------------------------
def test_constant_samples() -> None:
    eq = stats.welch_t(np.full(10, 0.1), np.full(7, 0.1))
    assert (eq.statistic, eq.p_value, eq.effect_size) == (0.0, 1.0, 0.0)
    ne = stats.welch_t(np.full(10, 0.1), np.full(7, 0.3))
    assert (ne.statistic, ne.p_value, ne.effect_size) == (math.inf, 0.0, math.inf)
    assert stats.mann_whitney(np.ones(10), np.ones(7)).p_value == 1.0
    assert stats.cramer_von_mises(np.ones(10), np.ones(7)).p_value == 1.0
    assert stats.anderson_darling(np.ones(12), np.ones(10)).p_value == 1.0


def test_cvm_auto_uses_the_asymptotic_law_when_there_are_ties() -> None:
    ref, cur = np.array([1.0, 2, 2, 3, 4, 5]), np.array([2.0, 3, 4, 4, 6, 7])
    asymptotic = stats.cramer_von_mises(ref, cur, method="asymptotic")
    assert stats.cramer_von_mises(ref, cur).p_value == asymptotic.p_value


def test_mann_whitney_binary_ties_match_scipy() -> None:
    rng = np.random.default_rng(20)
    ref, cur = (rng.random(500) < 0.3) * 1.0, (rng.random(400) < 0.4) * 1.0
    got = stats.mann_whitney(stats.fit(ref), cur)
    want = ss.mannwhitneyu(cur, ref, method="asymptotic", use_continuity=True)
    assert (got.statistic, got.p_value) == pytest.approx((want.statistic, want.pvalue), rel=1e-9)


def test_parameter_errors_name_the_parameter() -> None:
    ref, cur = shifted()
    with pytest.raises(ParameterError, match="method must be one of 'auto', 'exact'"):
        stats.cramer_von_mises(ref, cur, method="permutation")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="method must be 'asymptotic' or 'auto'"):
        stats.cramer_von_mises(ref, cur, method="exact")
    with pytest.raises(ParameterError, match="alpha must be a float in"):
        stats.kuiper(ref, cur, alpha=5)
    with pytest.raises(ParameterError, match="effect_threshold must be"):
        stats.wasserstein(ref, cur, effect_threshold=-1.0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("data", ["normal", "integers"])
def test_false_alarm_rate_on_stationary_data(method: str, data: str) -> None:
    spec = stats.get(method)
    rng = np.random.default_rng(21)
    size = max(spec.min_n, 30)
    draw = ((lambda: rng.normal(size=size)) if data == "normal"
            else (lambda: rng.integers(0, 8, size).astype(float)))
    reps = 300
    alarms = sum(bool(spec(draw(), draw()).drifted) for _ in range(reps))
    assert alarms / reps <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)


@pytest.mark.parametrize("method", METHODS)
def test_a_one_sd_shift_is_caught(method: str) -> None:
    rng = np.random.default_rng(22)
    assert stats.get(method)(rng.normal(size=500), rng.normal(1.0, 1, 500)).drifted is True


def test_welch_with_variances_whose_squares_underflow():
    # variances near 1e-170: their squares underflow to 0 in the Welch-Satterthwaite df;
    # the df is scale-free, so the result equals the same samples scaled up
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 8), rng.normal(0.5, 1, 9)
    tiny = stats.welch_t(a * 1e-85, b * 1e-85)
    plain = stats.welch_t(a, b)
    assert tiny.p_value == pytest.approx(plain.p_value, rel=1e-9)
