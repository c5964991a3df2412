"""The window-based triggers: data drift and performance degradation with k-of-m persistence."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import ParameterError
from driftline.policy import OnDataDrift, OnPerformanceDegradation, higher_is_better

from ._build import HOUR, T0, ctx, window, windows


@pytest.mark.parametrize("pattern, k, m, fired", [
    ("...", 1, 1, False), ("..D", 1, 1, True), ("D..", 1, 1, False),
    ("D.D", 2, 3, True), ("DD.", 2, 3, True), ("D..D", 2, 3, False),
    ("D?D", 2, 2, True),  # the unjudged window does not count either way
    ("DD?.", 3, 4, False), ("DDD.", 3, 4, True), ("D", 2, 3, False), ("DD", 2, 3, True),
    ("????", 1, 1, False),
], ids=lambda v: str(v))
def test_on_data_drift_persistence(pattern, k, m, fired):
    assert OnDataDrift(persistence=(k, m)).evaluate(ctx(windows=windows(pattern))).fired is fired


def test_on_data_drift_reason_counts_features_and_windows():
    r = OnDataDrift(persistence=(3, 4)).evaluate(ctx(windows=windows(".DD.D")))
    assert r.fired and r.reason == "data drift in 7/20 features, 3 of last 4 windows"
    r = OnDataDrift(persistence=(2, 3)).evaluate(ctx(windows=windows("D...")))
    assert not r.fired and r.reason == "no persistent data drift: 0 of last 3 windows drifted (need 2 of 3)"
    assert OnDataDrift().evaluate(ctx(windows=windows("??"))).reason == (
        "no window judged for drift since the last retrain")


def test_on_data_drift_on_named_features_and_share():
    ws = [window(0, True, drifted_features=("age",), drift_share=0.05),
          window(1, False, drifted_features=("income",), drift_share=0.05)]
    assert OnDataDrift(features=("income",)).evaluate(ctx(windows=ws)).reason == (
        "drift in income, 1 of last 1 window")
    assert not OnDataDrift(features=("age",)).evaluate(ctx(windows=ws)).fired
    assert not OnDataDrift(share=0.3).evaluate(ctx(windows=ws)).fired
    high = [window(0, False, drifted_features=("a",) * 8, drift_share=0.4)]
    r = OnDataDrift(share=0.3).evaluate(ctx(windows=high))
    assert r.fired and r.reason.startswith("drift share 0.40 >= 0.30")


def test_on_data_drift_ignores_evidence_already_acted_on():
    ws = windows("DDD...")
    assert OnDataDrift(persistence=(2, 6)).evaluate(ctx(windows=ws)).fired
    acted = ctx(windows=ws, last_retrain_decision_at=ws[2].end)
    assert not OnDataDrift(persistence=(2, 6)).evaluate(acted).fired


def test_on_data_drift_seeded_stream():
    """Stationary data: drift verdicts are false alarms with probability alpha, so 1 of 1 fires
    about alpha of the time and 3 of 3 almost never; a real shift makes 2 of 3 fire at once."""
    rng = np.random.default_rng(7)
    alpha, n = 0.05, 600
    verdicts = rng.random(n) < alpha
    stream = [window(i, bool(d)) for i, d in enumerate(verdicts)]
    one = sum(OnDataDrift().evaluate(ctx(windows=stream[: i + 1])).fired for i in range(n))
    three = sum(OnDataDrift(persistence=(3, 3)).evaluate(ctx(windows=stream[: i + 1])).fired
                for i in range(n))
    assert one == int(verdicts.sum()) and abs(one / n - alpha) < 4 * np.sqrt(alpha * (1 - alpha) / n)
    assert three <= 2  # expected about n * alpha**3 = 0.08
    shifted = stream[:50] + [window(50 + i, True) for i in range(3)]
    fired_at = next(i for i in range(48, 53)
                    if OnDataDrift(persistence=(2, 3)).evaluate(ctx(windows=shifted[: i + 1])).fired)
    assert fired_at <= 51  # the second drifted window after the shift


def _perf(values, coverage=0.9, metric="roc_auc"):
    return [window(i, False, performance={metric: v}, label_coverage=coverage) for i, v in enumerate(values)]


def test_on_performance_degradation_absolute_and_relative():
    base = {"roc_auc": 0.80}
    drop = OnPerformanceDegradation("roc_auc", 0.05)
    assert not drop.evaluate(ctx(windows=_perf([0.76]), baseline=base)).fired  # above 0.75
    r = drop.evaluate(ctx(windows=_perf([0.74]), baseline=base))
    assert r.fired
    assert r.reason == "roc_auc 0.74 below 0.75 (baseline 0.8 - 0.05), 1 of last 1 labelled window"
    rel = OnPerformanceDegradation("roc_auc", 0.1, relative=True)
    assert rel.threshold(0.8) == pytest.approx(0.72)
    assert not rel.evaluate(ctx(windows=_perf([0.73]), baseline=base)).fired
    assert rel.evaluate(ctx(windows=_perf([0.71]), baseline=base)).fired


def test_on_performance_degradation_lower_is_better_metrics():
    assert not higher_is_better("rmse") and higher_is_better("accuracy")
    trig = OnPerformanceDegradation("rmse", 0.2, relative=True)
    base = {"rmse": 10.0}
    assert trig.evaluate(ctx(windows=_perf([12.5], metric="rmse"), baseline=base)).fired
    assert not trig.evaluate(ctx(windows=_perf([8.0], metric="rmse"), baseline=base)).fired
    assert "above 12" in trig.evaluate(ctx(windows=_perf([12.5], metric="rmse"), baseline=base)).reason
    custom = OnPerformanceDegradation("pinball", 1.0, higher_is_better=False)
    assert custom.evaluate(ctx(windows=_perf([3.5], metric="pinball"), baseline={"pinball": 2.0})).fired


def test_on_performance_degradation_skips_poorly_labelled_windows_and_persists():
    base = {"roc_auc": 0.80}
    trig = OnPerformanceDegradation("roc_auc", 0.05, persistence=(2, 3), min_coverage=0.5)
    bad_low_coverage = _perf([0.70, 0.70], coverage=0.2)
    r = trig.evaluate(ctx(windows=bad_low_coverage, baseline=base))
    assert not r.fired and "label coverage >= 50%" in r.reason
    assert not trig.evaluate(ctx(windows=_perf([0.70, 0.79, 0.79]), baseline=base)).fired
    assert trig.evaluate(ctx(windows=_perf([0.70, 0.79, 0.70]), baseline=base)).fired
    r = trig.evaluate(ctx(windows=_perf([0.70]), baseline={}))
    assert not r.fired and r.reason == "no baseline roc_auc for the champion"


@pytest.mark.parametrize("make, match", [
    (lambda: OnDataDrift(persistence=(3, 2)), r"persistence must be a pair \(k, m\)"),
    (lambda: OnDataDrift(persistence=(0, 2)), "persistence must be"),
    (lambda: OnDataDrift(share=1.5), r"share must be a share in \(0, 1\]"),
    (lambda: OnDataDrift(features="income"), "features must be a non-empty sequence"),
    (lambda: OnPerformanceDegradation("roc_auc", -0.1), "max_drop must be a number >= 0"),
    (lambda: OnPerformanceDegradation("roc_auc", 1.2, relative=True), r"share in \[0, 1\) when relative"),
    (lambda: OnPerformanceDegradation("roc_auc", 0.1, min_coverage=2), "min_coverage must be"),
], ids=["k-above-m", "k-zero", "share", "features-str", "drop-negative", "relative-drop", "coverage"])
def test_signal_parameters_are_validated(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_windows_helper_is_hourly():
    assert [w.end for w in windows("..")] == [T0 + HOUR, T0 + 2 * HOUR]
