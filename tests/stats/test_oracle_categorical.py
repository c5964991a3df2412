"""Oracle and edge-case tests of the categorical methods: chi_square, g_test, z_test,
fisher_exact and cramers_v.

The oracle table compares each method with SciPy (the call and any pinned option are named in
the row) on a contingency table built here independently of driftline's own helpers.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline import stats
from driftline.errors import DataError, ParameterError, SmallSampleWarning
from driftline.stats import Sample, TestResult
from driftline.stats._cramers_v import cramers_v_statistic, needed_per_side

METHODS = ("chi_square", "g_test", "z_test", "fisher_exact", "cramers_v")
Expected = tuple[float, "float | None", float]


# -- the oracle table -------------------------------------------------------------------------
def _draw(seed: int, labels: list[Any], p_ref: list[float], p_cur: list[float],
          n_ref: int, n_cur: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.choice(labels, n_ref, p=p_ref), rng.choice(labels, n_cur, p=p_cur)


def _table(ref: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """The 2×k table over the labels seen, built without driftline's helpers."""
    rc, cc = Counter(ref.tolist()), Counter(cur.tolist())
    labels = sorted(set(rc) | set(cc))
    return np.array([[rc[x] for x in labels], [cc[x] for x in labels]])


def _pearson(table: np.ndarray) -> Expected:
    from scipy.stats import chi2_contingency

    res = chi2_contingency(table, correction=False)
    return res.statistic, res.pvalue, math.sqrt(res.statistic / table.sum())


def _g_plain(table: np.ndarray) -> Expected:
    from scipy.stats import chi2_contingency

    res = chi2_contingency(table, lambda_="log-likelihood", correction=False)
    return res.statistic, res.pvalue, math.sqrt(res.statistic / table.sum())


def _g_williams(table: np.ndarray) -> Expected:
    from scipy.stats import chi2, chi2_contingency

    g = chi2_contingency(table, lambda_="log-likelihood", correction=False).statistic
    n, (r, k) = table.sum(), table.shape
    q = 1 + ((n * (1 / table.sum(1)).sum() - 1) * (n * (1 / table.sum(0)).sum() - 1)
             / (6 * n * (r - 1) * (k - 1)))
    return g / q, chi2.sf(g / q, (r - 1) * (k - 1)), math.sqrt(g / n)


def _diff(table: np.ndarray) -> float:
    return table[1, 1] / table[1].sum() - table[0, 1] / table[0].sum()


def _z(table: np.ndarray) -> Expected:
    from scipy.stats import chi2_contingency

    res = chi2_contingency(table, correction=False)  # z**2 is Pearson's chi-square
    return math.copysign(math.sqrt(res.statistic), _diff(table)), res.pvalue, abs(_diff(table))


def _fisher(table: np.ndarray) -> Expected:
    from scipy.stats import fisher_exact

    p = fisher_exact(table, alternative="two-sided").pvalue
    return abs(_diff(table)), p, abs(_diff(table))


def _cramer(table: np.ndarray) -> Expected:
    from scipy.stats.contingency import association

    v = association(table, method="cramer")
    return v, None, v


def _bergsma(table: np.ndarray) -> Expected:
    from scipy.stats import chi2_contingency

    n, (r, k) = table.sum(), table.shape
    phi2 = chi2_contingency(table, correction=False).statistic / n
    phi2 = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    k_t, r_t = k - (k - 1) ** 2 / (n - 1), r - (r - 1) ** 2 / (n - 1)
    v = math.sqrt(phi2 / min(k_t - 1, r_t - 1))
    return v, None, v


CAT = ["a", "b", "c", "d"]
SHIFTED = _draw(1, CAT, [0.4, 0.3, 0.2, 0.1], [0.3, 0.3, 0.2, 0.2], 600, 450)
STATIONARY = _draw(2, CAT, [0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1], 500, 500)
UNSEEN = _draw(3, CAT, [0.5, 0.3, 0.2, 0.0], [0.45, 0.25, 0.2, 0.1], 400, 400)  # no "d" in ref
BOOL = _draw(5, [False, True], [0.8, 0.2], [0.7, 0.3], 500, 400)
STRINGS = _draw(6, ["no", "yes"], [0.6, 0.4], [0.55, 0.45], 300, 300)
RARE = _draw(7, [0, 1], [0.98, 0.02], [0.93, 0.07], 600, 500)
SPARSE = _draw(8, list("abcdefgh"), [0.65] + [0.05] * 7, [0.6, 0.1] + [0.05] * 6, 300, 300)
WIDE = _draw(9, list("abcdef"), [1 / 6] * 6, [0.1, 0.1, 0.2, 0.2, 0.2, 0.2], 700, 700)

CHI = "scipy.stats.chi2_contingency(table, correction=False)"
G = 'scipy.stats.chi2_contingency(table, lambda_="log-likelihood", correction=False)'
GW = f"{G}, divided by Williams' q by hand"
Z = f"sign(p_cur - p_ref) * sqrt of {CHI}"
FISHER = 'scipy.stats.fisher_exact(table, alternative="two-sided")'
ASSOC = 'scipy.stats.contingency.association(table, method="cramer")'
BERGSMA = f"Bergsma (2013) by hand, from {CHI}"
CLOSED_FORM = 1e-9


def row(method: str, data_id: str, oracle: Callable[[np.ndarray], Expected], call: str,
        **params: Any) -> Any:
    """One oracle row, with an id such as ``chi_square-categorical-shifted``."""
    suffix = "".join(f"-{k}_{'on' if v else 'off'}" for k, v in params.items())
    return pytest.param(method, params, DATA[data_id], oracle, call, CLOSED_FORM,
                        id=f"{method}-{data_id}{suffix}")


DATA = {
    "categorical-shifted": SHIFTED, "categorical-stationary": STATIONARY,
    "categorical-unseen": UNSEEN, "categorical-sparse": SPARSE, "categorical-wide": WIDE,
    "binary-shifted": BOOL, "binary-strings": STRINGS, "binary-rare": RARE,
}
ORACLE = [
    row("chi_square", "categorical-shifted", _pearson, CHI),
    row("chi_square", "categorical-stationary", _pearson, CHI),
    row("chi_square", "categorical-unseen", _pearson, CHI),
    row("chi_square", "categorical-sparse", _pearson, CHI),
    row("chi_square", "binary-shifted", _pearson, CHI),
    row("g_test", "categorical-shifted", _g_plain, G, williams=False),
    row("g_test", "categorical-unseen", _g_plain, G, williams=False),
    row("g_test", "binary-shifted", _g_plain, G, williams=False),
    row("g_test", "categorical-shifted", _g_williams, GW),
    row("g_test", "categorical-sparse", _g_williams, GW),
    row("z_test", "binary-shifted", _z, Z),
    row("z_test", "binary-strings", _z, Z),
    row("z_test", "binary-rare", _z, Z),
    row("fisher_exact", "binary-shifted", _fisher, FISHER),
    row("fisher_exact", "binary-rare", _fisher, FISHER),
    row("cramers_v", "categorical-shifted", _cramer, ASSOC, bias_correction=False),
    row("cramers_v", "categorical-wide", _cramer, ASSOC, bias_correction=False),
    row("cramers_v", "categorical-shifted", _bergsma, BERGSMA),
    row("cramers_v", "categorical-wide", _bergsma, BERGSMA),
    row("cramers_v", "binary-strings", _bergsma, BERGSMA),
]


@pytest.mark.parametrize(("method", "params", "data", "oracle", "call", "rtol"), ORACLE)
def test_oracle(method: str, params: dict[str, Any], data: tuple[np.ndarray, np.ndarray],
                oracle: Callable[[np.ndarray], Expected], call: str, rtol: float) -> None:
    ref, cur = data
    res = stats.get(method)(ref, cur, **params)
    statistic, p_value, effect = oracle(_table(ref, cur))
    assert res.method == method
    assert res.statistic == pytest.approx(statistic, rel=rtol, abs=1e-300), call
    if p_value is None:
        assert res.p_value is None
    else:
        assert res.p_value == pytest.approx(p_value, rel=rtol, abs=1e-300), call
    assert res.effect_size == pytest.approx(effect, rel=rtol), call
    assert (res.n_reference, res.n_current) == (ref.size, cur.size)
    assert res.drifted is not None


def test_oracle_table_reaches_the_verdicts_it_should() -> None:
    assert stats.chi_square(*SHIFTED).drifted is True
    assert stats.chi_square(*STATIONARY).drifted is False
    assert stats.cramers_v(*SHIFTED).drifted is True
    assert stats.fisher_exact(*RARE).drifted is True


def test_cramers_v_hand_value() -> None:
    t = np.array([[30, 10], [10, 30]])  # chi2 = 20, N = 80: V = 0.5, corrected sqrt(18.75/78)
    assert cramers_v_statistic(t, bias_correction=False) == pytest.approx(0.5, rel=1e-12)
    assert cramers_v_statistic(t) == pytest.approx(math.sqrt(18.75 / 78), rel=1e-12)


# -- edge cases ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_missing_values_are_counted_not_used(method: str) -> None:
    ref, cur = _draw(10, ["x", "y"], [0.5, 0.5], [0.3, 0.7], 400, 400)
    ref_m = np.concatenate([ref, [None, float("nan")]]).astype(object)
    cur_m = np.concatenate([cur.astype(object), [None] * 3])
    with_missing = stats.get(method)(ref_m, cur_m)
    clean = stats.get(method)(ref, cur)
    assert (with_missing.n_missing_reference, with_missing.n_missing_current) == (2, 3)
    assert (with_missing.n_reference, with_missing.n_current) == (400, 400)
    assert (with_missing.statistic, with_missing.p_value) == (clean.statistic, clean.p_value)
    floats = np.where(np.arange(500) % 3 == 0, 1.0, 0.0)
    res = stats.get(method)(floats, np.concatenate([floats[7:], [np.nan] * 7]))
    assert (res.n_current, res.n_missing_current) == (493, 7)


@pytest.mark.parametrize("method", ["chi_square", "g_test", "cramers_v"])
def test_unseen_categories_on_either_side(method: str) -> None:
    ref = np.array(["a"] * 300 + ["b"] * 300)
    cur = np.array(["b"] * 300 + ["c"] * 300)
    res = stats.get(method)(ref, cur)
    assert res.drifted is True and math.isfinite(res.statistic)
    assert stats.get(method)(cur, ref).statistic == pytest.approx(res.statistic, rel=1e-12)


@pytest.mark.parametrize("method", ["chi_square", "g_test", "cramers_v"])
def test_labels_absent_from_both_samples_are_dropped(method: str) -> None:
    ref = Sample.from_counts(["a", "b", "zz"], [200, 200, 0])
    cur = Sample.from_counts(["a", "b", "yy"], [150, 250, 0])
    plain = stats.get(method)(Sample.from_counts(["a", "b"], [200, 200]),
                              Sample.from_counts(["a", "b"], [150, 250]))
    assert stats.get(method)(ref, cur) == plain


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("label", ["only", True, 0, 2.5])
def test_single_label_gives_no_difference(method: str, label: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a 0/0, no SmallSampleWarning
        res = stats.get(method)([label] * 400, [label] * 300)
    assert res.statistic == 0.0 and res.effect_size == 0.0
    assert res.p_value == (None if method == "cramers_v" else 1.0)
    assert res.drifted is False and res.warnings == ()


@pytest.mark.parametrize("method", ["z_test", "fisher_exact"])
def test_more_than_two_labels_is_a_data_error(method: str) -> None:
    with pytest.raises(DataError, match=r"\['a', 'b', 'c'\] in reference"):
        stats.get(method)(["a", "b", "c"] * 20, ["a", "b"] * 30)
    with pytest.raises(DataError, match=r"\['a', 'b'\] in reference .*\['b', 'c'\] in current"):
        stats.get(method)(["a", "b"] * 30, ["b", "c"] * 30)


@pytest.mark.parametrize("method", ["z_test", "fisher_exact"])
def test_binary_label_encodings_agree(method: str) -> None:
    ref, cur = BOOL
    as_bool = stats.get(method)(ref, cur)
    as_int = stats.get(method)(ref.astype(int), cur.astype(int))
    as_str = stats.get(method)(np.where(ref, "yes", "no"), np.where(cur, "yes", "no"))
    assert as_bool == as_int == as_str
    assert as_bool.statistic != 0.0


@pytest.mark.parametrize("method", METHODS)
def test_sample_inputs_match_raw_arrays(method: str) -> None:
    ref, cur = STRINGS
    spec = stats.get(method)
    raw = spec(ref, cur)
    assert spec(spec.fit(ref), cur) == raw
    assert spec(stats.fit(ref, "categorical"), Sample.categorical(cur)) == raw
    counts = Counter(ref.tolist())
    assert spec(Sample.from_counts(list(counts), list(counts.values())), cur) == raw


@pytest.mark.parametrize("method", METHODS)
def test_mixed_type_labels_compare_as_text(method: str) -> None:
    ref = np.array([1, "x", None] * 100 + [1] * 50, dtype=object)
    cur = np.array(["1", "x"] * 150 + ["x"] * 50, dtype=object)
    res = stats.get(method)(ref, cur)
    as_text = stats.get(method)(np.array(["1", "x"] * 100 + ["1"] * 50), cur.astype(str))
    assert res.n_missing_reference == 100
    assert res.statistic == as_text.statistic and res.p_value == as_text.p_value


@pytest.mark.parametrize("method", METHODS)
def test_numerical_sample_is_refused_with_a_clear_error(method: str) -> None:
    with pytest.raises(DataError, match="categorical"):
        stats.get(method)(Sample.numerical([0.0, 1.0] * 100), [0, 1] * 100)


@pytest.mark.parametrize("method", METHODS)
def test_too_small_gives_no_verdict(method: str) -> None:
    spec = stats.get(method)
    n = max(spec.min_n - 1, 0)
    with pytest.warns(SmallSampleWarning, match=f"at least {spec.min_n}"):
        res = spec(["a", "b"] * 200, (["a", "b"] * spec.min_n)[:n])
    assert res.drifted is None and math.isnan(res.statistic)
    assert (res.n_reference, res.n_current) == (400, n)
    assert res.warnings


def test_cramers_v_needs_more_values_with_more_labels() -> None:
    labels = [f"l{i}" for i in range(10)]
    ref, cur = _draw(11, labels, [0.1] * 10, [0.1] * 10, 300, 300)
    assert needed_per_side(10, 0.1, 0.05) > 300
    with pytest.warns(SmallSampleWarning, match="10 labels, needs at least 396"):
        res = stats.cramers_v(ref, cur)
    assert res.drifted is None and "10 labels" in res.warnings[0]
    assert 0.0 <= res.statistic < 0.1  # V is still reported
    with pytest.warns(SmallSampleWarning):
        assert stats.cramers_v(ref, ref).statistic == 0.0
    binary = stats.cramers_v(*_draw(12, [0, 1], [0.5, 0.5], [0.5, 0.5], 300, 300))
    assert binary.drifted is False


def test_cramers_v_without_threshold_measures_only() -> None:
    res = stats.cramers_v(*SHIFTED, effect_threshold=None)
    assert res.drifted is None and res.statistic > 0.1
    assert res.effect_size_name == "cramers_v_corrected"
    assert stats.cramers_v(*SHIFTED, bias_correction=False).effect_size_name == "cramers_v"


@pytest.mark.parametrize("method", METHODS)
def test_identical_samples(method: str) -> None:
    ref, _ = SHIFTED if method not in ("z_test", "fisher_exact") else BOOL
    res = stats.get(method)(ref, ref.copy())
    assert res.statistic == 0.0 and res.effect_size == 0.0 and res.drifted is False


@pytest.mark.parametrize("method", ["chi_square", "g_test", "z_test", "fisher_exact"])
def test_effect_threshold_vetoes_a_negligible_shift(method: str) -> None:
    ref, cur = _draw(13, [0, 1], [0.5, 0.5], [0.48, 0.52], 200_000, 200_000)
    assert stats.get(method)(ref, cur).drifted is True
    assert stats.get(method)(ref, cur, effect_threshold=0.1).drifted is False


@pytest.mark.parametrize("method", METHODS)
def test_parameter_errors_name_the_parameter(method: str) -> None:
    with pytest.raises(ParameterError, match=r"alpha must be a float in \(0, 1\); got 1.5"):
        stats.get(method)([0, 1], [0, 1], alpha=1.5)
    with pytest.raises(ParameterError, match="effect_threshold must be a non-negative"):
        stats.get(method)([0, 1], [0, 1], effect_threshold=-1.0)


@pytest.mark.parametrize(("method", "name"), [("cramers_v", "bias_correction"),
                                              ("g_test", "williams")])
def test_flag_parameters_must_be_booleans(method: str, name: str) -> None:
    with pytest.raises(ParameterError, match=f"{name} must be True or False; got 'yes'"):
        stats.get(method)([0, 1], [0, 1], **{name: "yes"})


def test_registry_facts() -> None:
    for name in ("chi_square", "g_test", "cramers_v"):
        assert stats.get(name).kinds == {"categorical", "binary"}
    for name in ("z_test", "fisher_exact"):
        assert stats.get(name).kinds == {"binary"}
    assert stats.get("cramers_v").has_p_value is False
    assert stats.get("cramers_v").default_threshold == 0.1
    assert stats.get("z_test").symmetric is False
    assert all(stats.get(m).sample_kind == "categorical" for m in METHODS)


@pytest.mark.parametrize("module", ["_chi2", "_gtest", "_ztest", "_fisher", "_cramers_v"])
def test_scipy_is_imported_inside_functions_only(module: str) -> None:
    tree = ast.parse((Path(stats.__file__).parent / f"{module}.py").read_text())
    top = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
    top += [n.module or "" for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert not [m for m in top if m.split(".")[0] == "scipy"]


# -- properties ---------------------------------------------------------------------------------
counts = st.lists(st.integers(0, 400), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(counts, counts, st.sampled_from(METHODS))
def test_properties_on_random_tables(rc: list[int], cc: list[int], method: str) -> None:
    spec = stats.get(method)
    k = 2 if "categorical" not in spec.kinds else max(len(rc), len(cc))
    labels = [f"c{i}" for i in range(k)]
    ref = Sample.from_counts(labels, (rc + [0] * k)[:k])
    cur = Sample.from_counts(labels, (cc + [0] * k)[:k])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        res, swapped = spec(ref, cur), spec(cur, ref)
    assert isinstance(res, TestResult)
    if math.isnan(res.statistic):  # too small: no verdict
        assert res.drifted is None and math.isnan(swapped.statistic)
        return
    assert res.effect_size is not None and res.effect_size >= 0.0
    if res.p_value is None:
        assert not spec.has_p_value and swapped.p_value is None
    else:
        assert 0.0 <= res.p_value <= 1.0
        assert swapped.p_value == pytest.approx(res.p_value, rel=1e-9, abs=1e-300)
    assert swapped.effect_size == pytest.approx(res.effect_size, rel=1e-9, abs=1e-15)
    sign = 1.0 if spec.symmetric else -1.0
    assert swapped.statistic == pytest.approx(sign * res.statistic, rel=1e-9, abs=1e-12)


# -- the false-alarm rates behind min_n ---------------------------------------------------------
def _exact_rate(method: str, n: int, shares: tuple[float, ...]) -> list[float]:
    """The exact false-alarm rate at alpha = 0.05 of a binary test with n values a side."""
    from scipy.stats import binom

    spec = stats.get(method)
    rejects = np.zeros((n + 1, n + 1))
    for a in range(n + 1):
        for b in range(n + 1):
            res = spec(Sample.from_counts([0, 1], [n - a, a]),
                       Sample.from_counts([0, 1], [n - b, b]))
            rejects[a, b] = bool(res.drifted)
    pmfs = [binom.pmf(np.arange(n + 1), n, p) for p in shares]
    return [float(w @ rejects @ w) for w in pmfs]


@pytest.mark.slow
@pytest.mark.parametrize(("method", "limit"), [("z_test", 0.06), ("chi_square", 0.06),
                                               ("g_test", 0.06), ("fisher_exact", 0.05)])
def test_exact_false_alarm_rate_at_min_n(method: str, limit: float) -> None:
    rates = _exact_rate(method, stats.get(method).min_n, (0.5, 0.3, 0.1, 0.05))
    assert max(rates) <= limit, rates


@pytest.mark.slow
@pytest.mark.parametrize("method", ["chi_square", "g_test", "cramers_v"])
@pytest.mark.parametrize("shares", [(0.25,) * 4, (0.1,) * 10, (0.6, 0.25, 0.1, 0.05)],
                         ids=["uniform4", "uniform10", "skewed4"])
def test_false_alarm_rate_at_min_n(method: str, shares: tuple[float, ...]) -> None:
    spec = stats.get(method)
    n = max(spec.min_n, needed_per_side(len(shares), 0.1, 0.05)) if method == "cramers_v" \
        else spec.min_n
    rng = np.random.default_rng(99)
    labels = [f"c{i}" for i in range(len(shares))]
    reps = 2000
    alarms = sum(
        spec(Sample.from_counts(labels, rng.multinomial(n, shares)),
             Sample.from_counts(labels, rng.multinomial(n, shares))).drifted is True
        for _ in range(reps)
    )
    # alpha plus three binomial standard errors
    assert alarms / reps <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)
