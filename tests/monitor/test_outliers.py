"""The outlier share of a window: Half-Space Trees fitted on the reference, a threshold from
held-out reference rows, and a binomial test for 'more outliers than expected'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ParameterError
from driftline.monitor import Monitor
from driftline.monitor._outliers import OutlierShare, numeric_features

COLS = ["a", "b", "c", "d"]


def _frame(rng, n, scale=1.0):
    return pd.DataFrame(rng.normal(size=(n, len(COLS))) * scale, columns=COLS)


def test_quiet_windows_hold_about_the_expected_share_and_rarely_flag():
    flagged, shares = 0, []
    for seed in range(10):  # unchosen seeds: every one of 0..9
        rng = np.random.default_rng(seed)
        scorer = OutlierShare(_frame(rng, 3_000), COLS, seed=seed)
        for _ in range(10):
            r = scorer.measure(_frame(rng, 1_000))
            flagged += r["high"]
            shares.append(r["share"])
    assert 0.005 < float(np.mean(shares)) < 0.02  # 1 - quantile = 0.01
    assert flagged <= 5  # a 1% test over 100 windows (binomial: P(more than 5) < 0.1%)


def test_outliers_mixed_into_traffic_are_flagged():
    rng = np.random.default_rng(1)
    scorer = OutlierShare(_frame(rng, 3_000), COLS)
    window = _frame(rng, 1_000)
    window.iloc[:50] = rng.uniform(4, 6, size=(50, len(COLS)))  # 5% far from the reference
    r = scorer.measure(window)
    assert r["high"] and r["p_value"] < 1e-6 and r["share"] >= 0.05
    assert r["n_outliers"] == int((scorer.scores(window) > r["threshold"]).sum())
    assert scorer.scores(window)[:50].min() > np.median(scorer.scores(window)[50:])


def test_missing_values_are_filled_and_bad_parameters_named():
    rng = np.random.default_rng(2)
    ref = _frame(rng, 1_000)
    window = _frame(rng, 300)
    window.iloc[::10, 0] = np.nan
    assert np.isfinite(OutlierShare(ref, COLS).scores(window)).all()
    with pytest.raises(ParameterError, match="quantile"):
        OutlierShare(ref, COLS, quantile=0.3)
    with pytest.raises(ParameterError, match="reference"):
        OutlierShare(ref.iloc[:50], COLS)
    with pytest.raises(ParameterError, match="features"):
        OutlierShare(ref, [])
    mixed = ref.assign(city="x", flag=True)
    assert numeric_features(mixed, [*COLS, "city", "flag"], {"d": "categorical"}) == ["a", "b", "c"]


def test_the_monitor_reports_the_share_and_its_gauge():
    rng = np.random.default_rng(3)
    ref = _frame(rng, 2_000).assign(y=rng.integers(0, 2, 2_000))
    ref["prediction"] = (ref["a"] > 0).astype(int)
    mon = Monitor("m", 1, ref, features=COLS, target="y", task="binary", min_rows=100)
    cur = _frame(rng, 500)
    cur.iloc[:40] = 8.0
    cur["prediction"] = (cur["a"] > 0).astype(int)
    res = mon.compute(cur, "t0", "t1")
    assert res.outliers["high"] and res.outliers["share"] >= 40 / 500
    gauges = {g["name"]: g["value"] for g in res.gauges()}
    assert gauges["driftline_outlier_share"] == res.outliers["share"]
    assert res.summary()["outlier_share"] == res.outliers["share"]
    assert res.to_dict()["outliers"]["method"] == "half_space_trees"
    off = Monitor("m", 1, ref, features=COLS, target="y", task="binary", min_rows=100,
                  outliers=False)
    assert off.compute(cur, "t0", "t1").outliers is None
    assert "driftline_outlier_share" not in {g["name"] for g in off.compute(cur, "t0", "t1").gauges()}
