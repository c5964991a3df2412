"""Oracle tests of the histogram distances: PSI, Jensen–Shannon, KL, Hellinger, total variation,
L∞, Bhattacharyya and histogram intersection (STYLE §8.2).

The table holds small frequency tables whose expected values are derived by hand (the
arithmetic is in the comments), plus cross-checks against SciPy (``jensenshannon`` with
``base=2``, ``entropy(q, p)`` on the smoothed shares). Tolerance: ``rtol=1e-9``.

False-alarm rates on stationary data (default thresholds, alpha = 0.05, 2,000 seeded
replicates; n values per side, or 2,000 reference and 100 current values). Reproduce with
``python -m tests.stats.test_oracle_histogram`` (about 20 minutes); the slow test below reruns
part of it with fewer replicates::

                       N(0, 1) vs N(0, 1)               20 equally likely labels
    n per side         100   200   500   1000  2000/100  100   200   500   1000  2000/100
    psi                .019  .020  .004  .000  .027      .018  .026  .021  .000  .033
    kl_divergence      .004  .017  .000  .000  .024      .021  .025  .000  .000  .026
    jensen_shannon     .020  .021  .020  .001  .027      .021  .031  .021  .023  .028
    hellinger          .021  .021  .017  .000  .027      .018  .028  .021  .004  .032
    bhattacharyya      .021  .021  .017  .000  .027      .018  .028  .021  .004  .032
    total_variation    .021  .023  .020  .001  .028      .027  .032  .027  .024  .026
    linf               .035  .025  .000  .000  .029      .013  .001  .000  .000  .002
    hist_intersection  .022  .025  .021  .001  .028      .027  .031  .026  .024  .025
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest

from driftline import stats
from driftline.errors import DataError, ParameterError, SmallSampleWarning
from driftline.stats._binning import smoothed
from driftline.stats._histogram import MIN_N, histogram_counts, row_smoothed

METHODS = ("psi", "kl_divergence", "jensen_shannon", "hellinger", "bhattacharyya",
           "total_variation", "linf", "hist_intersection")
EPS = stats.DEFAULT_EPS
RTOL = 1e-9
LN2, LN3 = math.log(2), math.log(3)
LEVELS20 = np.array([f"c{i:02d}" for i in range(20)], dtype=object)


def cat(**counts: int) -> np.ndarray:
    """A categorical sample with the given label counts, e.g. ``cat(a=100, b=50)``."""
    return np.repeat(np.array(list(counts), dtype=object), list(counts.values()))


# -- the hand-derived tables -------------------------------------------------------------------
# Table A (categorical, "hand"): reference a:100 b:100, current a:150 b:50,
#   p = (1/2, 1/2), q = (3/4, 1/4); no empty cell, so smoothing changes nothing.
A_REF, A_CUR = cat(a=100, b=100), cat(a=150, b=50)
# Table B (categorical, "unseen"): reference a:100 b:100, current a:100 b:50 c:50,
#   p = (1/2, 1/2, 0), q = (1/2, 1/4, 1/4); PSI and KL smooth p to (1/2, 1/2, eps)/(1 + eps).
B_REF, B_CUR = cat(a=100, b=100), cat(a=100, b=50, c=50)
B_P = [0.5 / (1 + EPS), 0.5 / (1 + EPS), EPS / (1 + EPS)]
B_Q = [0.5, 0.25, 0.25]
# Table C (numerical, "outside"): reference 0..99 with bins=4 has edges 24.75, 49.5, 74.25,
#   p = (1/4,)*4. Current: 50 values at -1000 and 100 at 1e6 (outside the reference range, so
#   in the outer bins), 25 at 30 and 25 at 60: q = (1/4, 1/8, 1/8, 1/2).
C_REF = np.arange(100.0)
C_CUR = np.repeat([-1000.0, 30.0, 60.0, 1e6], [50, 25, 25, 100])
# Table D (numerical, "ties"): reference 0×150, 1×50 with bins=4: the quantiles are 0, 0, 0.25,
#   merged to edges (0, 0.25), so 3 cells (-inf, 0], (0, 0.25], (0.25, inf) with reference
#   counts (150, 0, 50) and current 0×100, 1×100 counts (100, 0, 100):
#   p = (3/4, 0, 1/4), q = (1/2, 0, 1/2). The empty middle cell gets eps on both sides.
D_REF = np.repeat([0.0, 1.0], [150, 50])
D_CUR = np.repeat([0.0, 1.0], [100, 100])
# Table E (binary, booleans are numerical): reference 100 False, 100 True; with 10 bins the
#   edges are (0, 0.5, 1), so 4 cells with counts (100, 0, 100, 0) and current 50 False,
#   150 True: (50, 0, 150, 0). p = (1/2, 0, 1/2, 0), q = (1/4, 0, 3/4, 0), table A mirrored.
E_REF = np.repeat([False, True], [100, 100])
E_CUR = np.repeat([False, True], [50, 150])

# Bhattacharyya coefficients: A: sqrt(3/8) + sqrt(1/8) = (sqrt 3 + 1) / (2 sqrt 2);
# B: sqrt(1/4) + sqrt(1/8) + 0 = 1/2 + 1/(2 sqrt 2); C: sqrt(1/16) + 2 sqrt(1/32) + sqrt(1/8)
# = 1/4 + 1/(2 sqrt 2) + 1/(2 sqrt 2) = 1/4 + 1/sqrt 2. D and E have the same nonzero pairs as A.
BC_A = (math.sqrt(3) + 1) / (2 * math.sqrt(2))
BC_B = 0.5 + 1 / (2 * math.sqrt(2))
BC_C = 0.25 + 1 / math.sqrt(2)

# Jensen–Shannon midpoints m = (p + q)/2. A: m = (5/8, 3/8);
# JS² = ½[½ log2(4/5) + ½ log2(4/3)] + ½[¾ log2(6/5) + ¼ log2(2/3)].
JS_A = math.sqrt(0.5 * (0.5 * math.log2(4 / 5) + 0.5 * math.log2(4 / 3))
                 + 0.5 * (0.75 * math.log2(6 / 5) + 0.25 * math.log2(2 / 3)))
# B: m = (1/2, 3/8, 1/8); JS² = ½[½·0 + ½ log2(4/3) + 0] + ½[½·0 + ¼ log2(2/3) + ¼ log2 2].
JS_B = math.sqrt(0.5 * (0.5 * math.log2(4 / 3)) + 0.5 * (0.25 * math.log2(2 / 3) + 0.25))
# C: m = (1/4, 3/16, 3/16, 3/8);
# JS² = ½[0 + 2·¼ log2(4/3) + ¼ log2(2/3)] + ½[0 + 2·⅛ log2(2/3) + ½ log2(4/3)].
JS_C = math.sqrt(0.5 * (0.5 * math.log2(4 / 3) + 0.25 * math.log2(2 / 3))
                 + 0.5 * (0.25 * math.log2(2 / 3) + 0.5 * math.log2(4 / 3)))

HAND = [
    # PSI = Σ (q - p) ln(q/p)
    # A: ¼ ln(3/2) + (-¼) ln(1/2) = ¼ ln 3
    ("psi", A_REF, A_CUR, {}, LN3 / 4, "psi-categorical-hand"),
    # B: (½ - p̃₁) ln(½/p̃₁) + (¼ - p̃₂) ln(¼/p̃₂) + (¼ - p̃₃) ln(¼/p̃₃), p̃ as B_P
    ("psi", B_REF, B_CUR, {},
     sum((q - p) * math.log(q / p) for p, q in zip(B_P, B_Q, strict=True)),
     "psi-categorical-unseen"),
    # C: 0 + 2·(-⅛) ln(½) + ¼ ln 2 = ½ ln 2
    ("psi", C_REF, C_CUR, {"bins": 4}, LN2 / 2, "psi-numerical-outside"),
    # D: smoothed shares are (¾, ε, ¼)/(1+ε) and (½, ε, ½)/(1+ε); the middle term is 0:
    #    [(-¼) ln(2/3) + ¼ ln 2]/(1+ε) = ln 3 / (4 (1+ε))
    ("psi", D_REF, D_CUR, {"bins": 4}, LN3 / (4 * (1 + EPS)), "psi-numerical-ties"),
    # E: two cells empty on both sides: ¼ ln 3 / (1 + 2ε)
    ("psi", E_REF, E_CUR, {}, LN3 / (4 * (1 + 2 * EPS)), "psi-binary-hand"),
    # eps = 0.5 on table D: (¾, ½, ¼)/1.5 and (½, ½, ½)/1.5: [(-¼) ln(2/3) + ¼ ln 2]/1.5
    ("psi", D_REF, D_CUR, {"bins": 4, "eps": 0.5}, LN3 / 6, "psi-numerical-eps"),
    # KL(q‖p) = Σ q ln(q/p)
    # A: ¾ ln(3/2) + ¼ ln(1/2) = ¾ ln 3 - ln 2
    ("kl_divergence", A_REF, A_CUR, {}, 0.75 * LN3 - LN2, "kl-categorical-hand"),
    # B: ½ ln(½/p̃₁) + ¼ ln(¼/p̃₂) + ¼ ln(¼/p̃₃)
    ("kl_divergence", B_REF, B_CUR, {},
     sum(q * math.log(q / p) for p, q in zip(B_P, B_Q, strict=True)), "kl-categorical-unseen"),
    # C: ¼·0 + 2·⅛ ln(½) + ½ ln 2 = ¼ ln 2
    ("kl_divergence", C_REF, C_CUR, {"bins": 4}, LN2 / 4, "kl-numerical-outside"),
    # D: [½ ln(2/3) + ε ln 1 + ½ ln 2]/(1+ε) = ½ ln(4/3) / (1+ε)
    ("kl_divergence", D_REF, D_CUR, {"bins": 4}, 0.5 * math.log(4 / 3) / (1 + EPS),
     "kl-numerical-ties"),
    # Jensen–Shannon distance, base 2 (see JS_A, JS_B, JS_C); D and E mirror A
    ("jensen_shannon", A_REF, A_CUR, {}, JS_A, "js-categorical-hand"),
    ("jensen_shannon", B_REF, B_CUR, {}, JS_B, "js-categorical-unseen"),
    ("jensen_shannon", C_REF, C_CUR, {"bins": 4}, JS_C, "js-numerical-outside"),
    ("jensen_shannon", D_REF, D_CUR, {"bins": 4}, JS_A, "js-numerical-ties"),
    ("jensen_shannon", E_REF, E_CUR, {}, JS_A, "js-binary-hand"),
    # Hellinger = sqrt(1 - BC)
    ("hellinger", A_REF, A_CUR, {}, math.sqrt(1 - BC_A), "hellinger-categorical-hand"),
    ("hellinger", B_REF, B_CUR, {}, math.sqrt(1 - BC_B), "hellinger-categorical-unseen"),
    ("hellinger", C_REF, C_CUR, {"bins": 4}, math.sqrt(1 - BC_C), "hellinger-numerical-outside"),
    ("hellinger", D_REF, D_CUR, {"bins": 4}, math.sqrt(1 - BC_A), "hellinger-numerical-ties"),
    # Bhattacharyya = -ln BC
    ("bhattacharyya", A_REF, A_CUR, {}, -math.log(BC_A), "bhattacharyya-categorical-hand"),
    ("bhattacharyya", B_REF, B_CUR, {}, -math.log(BC_B), "bhattacharyya-categorical-unseen"),
    ("bhattacharyya", C_REF, C_CUR, {"bins": 4}, -math.log(BC_C),
     "bhattacharyya-numerical-outside"),
    ("bhattacharyya", E_REF, E_CUR, {}, -math.log(BC_A), "bhattacharyya-binary-hand"),
    # Total variation = ½ Σ|p - q|: A ½(¼ + ¼); B ½(0 + ¼ + ¼); C ½(0 + ⅛ + ⅛ + ¼); D ½(¼ + 0 + ¼)
    ("total_variation", A_REF, A_CUR, {}, 0.25, "tvd-categorical-hand"),
    ("total_variation", B_REF, B_CUR, {}, 0.25, "tvd-categorical-unseen"),
    ("total_variation", C_REF, C_CUR, {"bins": 4}, 0.25, "tvd-numerical-outside"),
    ("total_variation", D_REF, D_CUR, {"bins": 4}, 0.25, "tvd-numerical-ties"),
    # L∞ = max|p - q|: A ¼; B max(0, ¼, ¼); C max(0, ⅛, ⅛, ¼); E max(¼, 0, ¼, 0)
    ("linf", A_REF, A_CUR, {}, 0.25, "linf-categorical-hand"),
    ("linf", B_REF, B_CUR, {}, 0.25, "linf-categorical-unseen"),
    ("linf", C_REF, C_CUR, {"bins": 4}, 0.25, "linf-numerical-outside"),
    ("linf", E_REF, E_CUR, {}, 0.25, "linf-binary-hand"),
    # 1 - Σ min(p, q): A 1 - (½ + ¼); B 1 - (½ + ¼ + 0); C 1 - (¼ + ⅛ + ⅛ + ¼); D 1 - (½ + 0 + ¼)
    ("hist_intersection", A_REF, A_CUR, {}, 0.25, "hist-intersection-categorical-hand"),
    ("hist_intersection", B_REF, B_CUR, {}, 0.25, "hist-intersection-categorical-unseen"),
    ("hist_intersection", C_REF, C_CUR, {"bins": 4}, 0.25, "hist-intersection-numerical-outside"),
    ("hist_intersection", D_REF, D_CUR, {"bins": 4}, 0.25, "hist-intersection-numerical-ties"),
]


@pytest.mark.parametrize(("name", "reference", "current", "params", "expected"),
                         [pytest.param(*row[:5], id=row[5]) for row in HAND])
def test_hand_derived(name, reference, current, params, expected):
    res = stats.get(name)(reference, current, **params)
    assert res.statistic == pytest.approx(expected, rel=RTOL)
    assert res.effect_size == res.statistic
    assert res.effect_size_name == name
    assert res.p_value is None


# -- SciPy cross-checks ------------------------------------------------------------------------
def _random_table(seed: int, k: int = 7) -> tuple[stats.Sample, stats.Sample]:
    """A categorical pair from random counts, some of them zero (so smoothing matters)."""
    rng = np.random.default_rng(seed)
    labels = [f"l{i}" for i in range(k)]
    ref = rng.integers(0, 60, size=k) * (rng.random(k) > 0.15) + 1 * (np.arange(k) == 0) * 100
    cur = rng.integers(0, 60, size=k) * (rng.random(k) > 0.15) + 1 * (np.arange(k) == 1) * 100
    return stats.Sample.from_counts(labels, ref), stats.Sample.from_counts(labels, cur)


SCIPY_SEEDS = [pytest.param(s, id=f"seed{s}") for s in range(6)]


@pytest.mark.parametrize("seed", SCIPY_SEEDS)
def test_jensen_shannon_matches_scipy(seed):
    from scipy.spatial.distance import jensenshannon

    ref, cur = _random_table(seed)
    p, q = ref.counts / ref.n, cur.counts / cur.n
    expected = jensenshannon(p, q, base=2)
    assert stats.jensen_shannon(ref, cur).statistic == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize("seed", SCIPY_SEEDS)
def test_kl_matches_scipy_entropy_on_smoothed_shares(seed):
    from scipy.stats import entropy

    ref, cur = _random_table(seed)
    p, q = smoothed(ref.counts), smoothed(cur.counts)
    res = stats.kl_divergence(ref, cur)
    assert res.statistic == pytest.approx(entropy(q, p), rel=RTOL)
    # PSI is the symmetrised divergence on the same smoothed shares
    psi = stats.psi(ref, cur).statistic
    assert psi == pytest.approx(entropy(q, p) + entropy(p, q), rel=RTOL)


@pytest.mark.parametrize("seed", SCIPY_SEEDS)
def test_textbook_forms_agree(seed):
    ref, cur = _random_table(seed)
    p, q = ref.counts / ref.n, cur.counts / cur.n
    bc = float(np.sum(np.sqrt(p * q)))
    assert stats.hellinger(ref, cur).statistic == pytest.approx(math.sqrt(1 - bc), rel=RTOL)
    assert stats.bhattacharyya(ref, cur).statistic == pytest.approx(-math.log(bc), rel=RTOL)
    tvd = stats.total_variation(ref, cur).statistic
    assert tvd == pytest.approx(0.5 * np.abs(p - q).sum(), rel=RTOL)
    # histogram intersection equals total variation for normalised histograms
    assert stats.hist_intersection(ref, cur).statistic == pytest.approx(tvd, rel=RTOL)
    assert stats.linf(ref, cur).statistic == pytest.approx(np.abs(p - q).max(), rel=RTOL)


# -- edge cases --------------------------------------------------------------------------------
@pytest.mark.parametrize(("reference", "current", "expected"), [
    pytest.param(C_REF, C_CUR, ([25, 25, 25, 25], [50, 25, 25, 100]), id="outside-outer-bins"),
    pytest.param(D_REF, D_CUR, ([150, 0, 50], [100, 0, 100]), id="ties-merged-edges"),
])
def test_binned_counts(reference, current, expected):
    r, c = histogram_counts(reference, current, bins=4)
    assert (r.tolist(), c.tolist()) == expected


@pytest.mark.parametrize("name", ["total_variation", "linf", "hellinger", "jensen_shannon"])
def test_tied_numerical_equals_the_categorical_view(name):
    # without smoothing, empty cells do not count, so 0/1 data binned equals 0/1 labels
    num = stats.get(name)(D_REF, D_CUR, bins=4).statistic
    labels = stats.get(name)(D_REF.astype(int).astype(str), D_CUR.astype(int).astype(str))
    assert num == pytest.approx(labels.statistic, rel=RTOL)


def test_unseen_category_weighs_on_kl_in_its_direction():
    # a label new in the current sample costs q ln(q/eps); one that vanished costs ~eps ln(eps/p)
    new = stats.kl_divergence(B_REF, B_CUR).statistic
    vanished = stats.kl_divergence(B_CUR, B_REF).statistic
    assert new > 5 * vanished
    assert stats.get("kl_divergence").symmetric is False


def test_disjoint_histograms_reach_the_bounds():
    ref, cur = cat(a=100, b=100), cat(c=100, d=100)
    assert stats.jensen_shannon(ref, cur).statistic == 1.0
    assert stats.hellinger(ref, cur).statistic == 1.0
    assert stats.total_variation(ref, cur).statistic == 1.0
    assert stats.hist_intersection(ref, cur).statistic == 1.0
    assert stats.linf(ref, cur).statistic == 0.5
    assert stats.bhattacharyya(ref, cur).statistic == math.inf
    assert stats.bhattacharyya(ref, cur).drifted is True


def _pairs() -> list:
    rng = np.random.default_rng(11)
    labels = np.array(["x", "y", "z", "w"], dtype=object)
    return [
        pytest.param(rng.normal(size=300), rng.normal(0.3, 1, size=250), id="numerical"),
        pytest.param(rng.choice(labels, 300), rng.choice(labels, 250, p=[.4, .3, .2, .1]),
                     id="categorical"),
        pytest.param(rng.random(300) < 0.3, rng.random(250) < 0.5, id="binary"),
    ]


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize(("a", "b"), _pairs())
def test_sample_input_equals_raw_input_and_identical_gives_zero(name, a, b):
    f = stats.get(name)
    raw = f(a, b)
    assert f(stats.fit(a), b) == raw
    assert f(stats.fit(a), stats.fit(b)) == raw
    assert f(a, stats.fit(b)) == raw
    res = f(a, a.copy())
    assert res.statistic == 0.0
    assert not math.copysign(1.0, res.statistic) < 0  # no -0.0
    assert res.drifted is False


@pytest.mark.parametrize("name", METHODS)
def test_missing_values_are_counted_and_numbers_stay_numerical(name):
    ref = [*(float(x) for x in np.random.default_rng(2).normal(size=150)), None, math.nan]
    cur = [*np.random.default_rng(3).normal(size=150), None, math.inf, -math.inf]
    res = stats.get(name)(ref, cur)
    assert (res.n_reference, res.n_missing_reference) == (150, 2)
    assert (res.n_current, res.n_missing_current) == (150, 3)
    clean = stats.get(name)(np.array(ref[:150]), np.array(cur[:150], dtype=float))
    assert res.statistic == clean.statistic


def test_pandas_nullable_integers_are_numerical():
    pd = pytest.importorskip("pandas")
    ref = pd.array([*range(200), None], dtype="Int64")
    cur = pd.array([*range(50, 250), None, None], dtype="Int64")
    res = stats.psi(ref, cur)
    assert (res.n_missing_reference, res.n_missing_current) == (1, 2)
    assert res.statistic == stats.psi(np.arange(200.0), np.arange(50.0, 250.0)).statistic


def test_a_fitted_sample_decides_the_kind():
    ref = stats.Sample.categorical(np.repeat([1, 2], 100))
    res = stats.total_variation(ref, np.repeat([1, 2, 3], [100, 50, 50]))
    assert res.statistic == pytest.approx(0.25, rel=RTOL)  # table B with numbers as labels
    with pytest.raises(DataError, match="same kind"):
        stats.psi(stats.fit(np.arange(200.0)), stats.fit(A_CUR))


@pytest.mark.parametrize(("params", "message"), [
    pytest.param({"bins": 1}, "bins must be an integer >= 2; got 1.", id="bins-one"),
    pytest.param({"bins": 2.5}, "bins must be an integer >= 2; got 2.5.", id="bins-float"),
    pytest.param({"bins": True}, "bins must be an integer >= 2; got True.", id="bins-bool"),
    pytest.param({"eps": 0.0}, "eps must be a float in (0, 1); got 0.0.", id="eps-zero"),
    pytest.param({"eps": 1.5}, "eps must be a float in (0, 1); got 1.5.", id="eps-large"),
    pytest.param({"effect_threshold": -1.0}, "effect_threshold must be", id="threshold"),
    pytest.param({"alpha": 0.0}, "alpha must be a float in (0, 1)", id="alpha"),
])
def test_bad_parameters_name_the_parameter(params, message):
    # checked at the boundary, before the sample size (these samples are too small anyway)
    with pytest.raises(ParameterError) as exc:
        stats.psi([1.0, 2.0], [3.0], **params)
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize("name", METHODS)
def test_below_min_n_there_is_no_verdict(name):
    rng = np.random.default_rng(5)
    with pytest.warns(SmallSampleWarning, match=f"{name}: needs at least {MIN_N}"):
        res = stats.get(name)(rng.normal(size=MIN_N - 1), rng.normal(3, 1, size=500))
    assert res.drifted is None
    assert math.isnan(res.statistic)


@pytest.mark.parametrize("name", METHODS)
def test_registry_flags(name):
    spec = stats.get(name)
    sig = inspect.signature(spec.func).parameters
    assert spec.has_p_value is False
    assert spec.kinds == {"numerical", "categorical", "binary"}
    assert spec.min_n == MIN_N
    assert spec.default_threshold == sig["effect_threshold"].default
    assert sig["alpha"].default == 0.05 and sig["bins"].default == stats.DEFAULT_BINS
    assert spec.effect_size_name == name
    # reference-quantile bins make every one of them depend on which sample is the reference
    assert spec.symmetric is False
    assert stats.get(name)(C_REF, C_CUR).statistic != stats.get(name)(C_CUR, C_REF).statistic


def test_noise_floor_raises_the_bar_for_small_sparse_samples():
    # 20 equally likely labels, 100 per side: PSI of stationary data is about 0.4
    rng = np.random.default_rng(8)
    res = stats.psi(rng.choice(LEVELS20, 100), rng.choice(LEVELS20, 100))
    assert res.statistic > 0.1
    assert res.effect_threshold is not None and res.effect_threshold > res.statistic
    assert res.drifted is False
    assert "the verdict used" in res.warnings[0]
    # with enough data the conventional threshold is the bar again
    big = stats.psi(rng.choice(LEVELS20, 5000), rng.choice(LEVELS20, 5000))
    assert big.effect_threshold == 0.1 and big.warnings == ()
    # no threshold: the statistic without a verdict
    res = stats.psi(A_REF, A_CUR, effect_threshold=None)
    assert res.drifted is None and res.statistic == pytest.approx(LN3 / 4, rel=RTOL)


def test_row_smoothing_matches_the_shared_rule():
    counts = np.random.default_rng(9).integers(0, 4, size=(50, 6))
    counts[:, 0] += 1  # no all-zero rows
    rows = row_smoothed(counts, EPS)
    for i in range(counts.shape[0]):
        assert np.array_equal(rows[i], smoothed(counts[i], EPS))


# -- false-alarm rates (slow) ------------------------------------------------------------------
FAR_SIZES = ((100, 100), (200, 200), (500, 500), (1000, 1000), (2000, 100))


def false_alarm_rates(kind: str, n: int, m: int, replicates: int) -> dict[str, float]:
    """Share of stationary pairs each method calls drifted (one seeded draw for all methods)."""
    rng = np.random.default_rng(12345)
    alarms = dict.fromkeys(METHODS, 0)
    for _ in range(replicates):
        if kind == "normal":
            a, b = rng.normal(size=n), rng.normal(size=m)
        else:
            a, b = rng.choice(LEVELS20, n), rng.choice(LEVELS20, m)
        for name in METHODS:
            alarms[name] += bool(stats.get(name)(a, b).drifted)
    return {name: count / replicates for name, count in alarms.items()}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["normal", "levels20"])
@pytest.mark.parametrize(("n", "m"), [(MIN_N, MIN_N), (500, 500)], ids=["min_n", "n500"])
def test_false_alarm_rate_on_stationary_data(kind, n, m):
    replicates = 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # at n >= min_n there must be no small-sample warning
        rates = false_alarm_rates(kind, n, m, replicates)
    limit = 0.05 + 2 * math.sqrt(0.05 * 0.95 / replicates)
    assert max(rates.values()) <= limit, rates


if __name__ == "__main__":  # python -m tests.stats.test_oracle_histogram [replicates]
    import sys

    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for kind in ("normal", "levels20"):
        for n, m in FAR_SIZES:
            rates = false_alarm_rates(kind, n, m, reps)
            print(f"{kind:8s} {n:5d}/{m:<5d}", " ".join(f"{k}={v:.4f}" for k, v in rates.items()))
