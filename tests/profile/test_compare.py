"""``compare_profiles``: the exact path's rule on intervals, its report, and its errors."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from driftline import compare
from driftline.errors import ParameterError, SchemaError, SmallSampleWarning
from driftline.profile import ProfileReport, ProfileResult, compare_profiles, profile_frame
from driftline.profile._decision import decide
from driftline.profile._evidence import Evidence


def _tables(seed: int, n: int = 4_000, shift: float = 0.0) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)

    def table(size: int, s: float) -> dict:
        return {
            "x": rng.normal(s, 1.0, size),
            "y": rng.exponential(1.0, size),
            "city": rng.choice(["a", "b", "c", "d"], size, p=[0.4 - s / 4, 0.3, 0.2, 0.1 + s / 4]),
            "flag": rng.choice(["yes", "no"], size, p=[0.5 + s / 5, 0.5 - s / 5]),
            "rare": rng.choice(["yes", "no"], size, p=[0.01, 0.99]),
        }

    return table(n, 0.0), table(n, shift)


@pytest.mark.parametrize("seed", range(6))
def test_the_report_follows_the_exact_paths_rule(seed):
    ref, cur = _tables(seed, shift=0.3 if seed % 2 else 0.0)
    profile = profile_frame(ref)
    report = compare_profiles(profile, profile_frame(cur, reference=profile))
    exact = compare(ref, cur)
    for name, result in report.columns.items():
        e = exact.columns[name]
        assert result.kind == e.kind and result.method == e.method, name
        assert result.effect_size_name == e.effect_size_name and result.correction == e.correction
        if result.kind != "numerical":  # exact tables: the very same numbers
            assert (result.statistic, result.p_value, result.effect_size) == (
                e.statistic, e.p_value, e.effect_size)
        if not result.uncertain:
            assert result.drifted == e.drifted, name
    if report.drifted is not None:
        assert report.drifted == exact.drifted


def test_corrections_adjust_across_the_columns_like_the_exact_path():
    ref, cur = _tables(11, shift=0.1)
    labels = {k: v for k, v in ref.items() if k in ("city", "flag", "rare")}
    current = {k: v for k, v in cur.items() if k in labels}
    profile = profile_frame(labels)
    window = profile_frame(current, reference=profile)
    for correction in ("holm", "bonferroni", "bh", "none"):
        report = compare_profiles(profile, window, correction=correction)
        exact = compare(labels, current, correction=correction)
        for name in labels:
            assert report.columns[name].p_value_adjusted == exact.columns[name].p_value_adjusted
            assert report.columns[name].drifted == exact.columns[name].drifted


def test_effect_floor_false_tests_significance_only():
    ref, cur = _tables(2, shift=0.1)
    profile = profile_frame(ref)
    report = compare_profiles(profile, profile_frame(cur, reference=profile), effect_floor=False)
    x = report.columns["x"]
    assert x.effect_size_name == "ks_statistic" and x.effect_threshold is None
    assert report.effect_floors == {}
    exact = compare(ref, cur, effect_floor=False)
    assert report.columns["city"].drifted == exact.columns["city"].drifted


def test_methods_per_column_and_kind():
    ref, cur = _tables(3, shift=0.2)
    profile = profile_frame(ref)
    window = profile_frame(cur, reference=profile)
    report = compare_profiles(profile, window,
                              method={"x": "wasserstein", "numerical": "psi", "city": "g_test"})
    assert report.method == "mixed"
    assert [report.columns[c].method for c in ("x", "y", "city", "flag")] == [
        "wasserstein", "psi", "g_test", "z_test"]
    assert report.columns["y"].bound == 0.0
    fallback = compare_profiles(profile, window, method={"x": "chi_square"}).columns["x"]
    assert fallback.method == "ks" and "does not support numerical" in fallback.warnings[0]


def test_methods_that_need_raw_values_are_refused_with_the_alternatives():
    ref, cur = _tables(4)
    profile = profile_frame(ref)
    window = profile_frame(cur, reference=profile)
    with pytest.raises(ParameterError, match=r"needs the raw values.*'ks', 'wasserstein', "):
        compare_profiles(profile, window, method={"x": "anderson_darling"})
    with pytest.raises(ParameterError, match=r"method must be one of .*; got 'kss'"):
        compare_profiles(profile, window, method="kss")
    with pytest.raises(ParameterError, match="correction must be one of 'holm'"):
        compare_profiles(profile, window, correction="sidak")
    with pytest.raises(ParameterError, match=r"alpha must be a float in \(0, 1\); got 1.5"):
        compare_profiles(profile, window, alpha=1.5)


def test_profiles_must_share_columns_and_kinds():
    ref, cur = _tables(5)
    profile = profile_frame(ref)
    other = profile_frame({k: v for k, v in cur.items() if k != "rare"})
    with pytest.raises(SchemaError, match="column 'rare' is in the reference profile but not"):
        compare_profiles(profile, other)
    recast = profile_frame(cur, kinds={"flag": "categorical"})
    with pytest.raises(SchemaError, match="column 'flag' is binary in the reference profile"):
        compare_profiles(profile, recast)


def test_wasserstein_alone_needs_fifty_values_a_side():
    ref = profile_frame({"x": np.arange(200.0)})
    cur = profile_frame({"x": np.arange(30.0)}, reference=ref)
    with pytest.warns(SmallSampleWarning, match="at least 50 valid values"):
        result = compare_profiles(ref, cur, method="wasserstein").columns["x"]
    assert math.isnan(result.statistic) and result.drifted is None
    assert result.verdict == "no verdict" and not result.uncertain


def test_the_report_is_json_and_says_what_is_uncertain():
    ref, cur = _tables(6, shift=0.2)
    profile = profile_frame(ref)
    report = compare_profiles(profile, profile_frame(cur, reference=profile))
    d = report.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["schema"] == "driftline.profile_report/1" and d["rule"]["correction"] == "holm"
    assert set(d["columns"]) == set(ref) and d["n_reference"] == d["n_current"] == 4_000
    for r in d["columns"].values():
        assert r["verdict"] in ("drifted", "stable", "uncertain")
        assert {"statistic", "p_value", "threshold", "drifted", "bound", "uncertain"} <= set(r)
    assert isinstance(report, ProfileReport)


def _evidence(p: tuple[float, float, float], effect: tuple[float, float, float],
              floor: float | None = 0.1) -> Evidence:
    return Evidence("ks", 0.1, 0.09, 0.11, 1000, 1000, 0, 0, p_value=p[0], p_low=p[1],
                    p_high=p[2], effect_size=effect[0], effect_low=effect[1],
                    effect_high=effect[2], effect_threshold=floor)


@pytest.mark.parametrize(("p", "effect", "expected"), [
    pytest.param((1e-6, 1e-7, 1e-5), (0.3, 0.28, 0.32), (True, True, False), id="certain-drift"),
    pytest.param((0.3, 0.2, 0.4), (0.3, 0.28, 0.32), (False, False, False), id="certain-no-test"),
    pytest.param((1e-6, 1e-7, 1e-5), (0.05, 0.04, 0.06), (False, False, False),
                 id="certain-below-floor"),
    pytest.param((0.04, 0.01, 0.09), (0.3, 0.28, 0.32), (None, True, True), id="p-straddles"),
    pytest.param((1e-6, 1e-7, 1e-5), (0.11, 0.09, 0.13), (None, True, True),
                 id="effect-straddles"),
    pytest.param((0.04, 0.01, 0.09), (0.05, 0.04, 0.06), (False, False, False),
                 id="uncertain-test-but-certain-floor"),
])
def test_a_verdict_is_certain_only_when_every_value_in_range_agrees(p, effect, expected):
    drifted, estimate, uncertain, _, _ = decide([_evidence(p, effect)], alpha=0.05,
                                                correction="holm")[0]
    assert (drifted, estimate, uncertain) == expected


def test_holm_brackets_carry_one_columns_uncertainty_to_another():
    # a's p-value lies in [0.001, 0.06]. With b at 0.02, b's adjusted p-value is at most
    # 2 * 0.02 whatever a is, so b is certain; a is not (0.06 > 0.05 when it is the larger).
    a = _evidence((0.015, 0.001, 0.06), (0.3, 0.3, 0.3))
    b = _evidence((0.02, 0.02, 0.02), (0.3, 0.3, 0.3))
    (_, _, ua, _, _), (db, _, ub, adj_b, _) = decide([a, b], alpha=0.05, correction="holm")
    assert ua and db is True and not ub and adj_b == 0.03
    # With c at 0.03, c's adjusted p-value is 2 * a when a is the smaller: up to 0.06, so
    # c's verdict depends on a's exact value.
    c = _evidence((0.03, 0.03, 0.03), (0.3, 0.3, 0.3))
    (_, _, ua, _, _), (dc, estimate, uc, _, _) = decide([a, c], alpha=0.05, correction="holm")
    assert ua and uc and dc is None and estimate is True


def test_an_untested_result_says_why():
    r = ProfileResult.untested("x", "numerical", "no valid values in the reference data")
    assert r.verdict == "untested" and r.to_dict()["reason"].startswith("no valid")
    assert not r.tested and r.drifted is None


def test_distances_without_a_threshold_give_no_verdict():
    ref = profile_frame({"c": np.repeat(["a", "b", "c"], 200)})
    cur = profile_frame({"c": np.repeat(["a", "b", "c"], [100, 200, 300])}, reference=ref)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare_profiles(ref, cur, method="cramers_v").columns["c"]
    exact = compare({"c": np.repeat(["a", "b", "c"], 200)},
                    {"c": np.repeat(["a", "b", "c"], [100, 200, 300])}, method="cramers_v")
    assert result.drifted == exact.columns["c"].drifted
    assert result.statistic == exact.columns["c"].statistic
