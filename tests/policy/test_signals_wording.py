"""What the performance trigger says when it does not fire: a latest value above the limit
"holds"; one below it "is below", with the tally that is still short of persistence."""

from __future__ import annotations

from datetime import datetime, timezone

from driftline.policy import OnPerformanceDegradation, PolicyContext, WindowSummary


def _ctx(values):
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ws = tuple(WindowSummary(end=t0, n_rows=500, label_coverage=1.0,
                             performance={"roc_auc": v}) for v in values)
    return PolicyContext(t0, "m", ws, baseline={"roc_auc": 0.8})


def test_a_low_latest_value_short_of_persistence_is_called_below():
    trig = OnPerformanceDegradation("roc_auc", 0.05, persistence=(2, 3))
    res = trig.evaluate(_ctx([0.8, 0.3]))
    assert not res.fired
    assert res.reason.startswith("roc_auc 0.3 is below 0.75") and "1 of last 2" in res.reason


def test_a_good_latest_value_holds():
    trig = OnPerformanceDegradation("roc_auc", 0.05, persistence=(2, 3))
    res = trig.evaluate(_ctx([0.3, 0.79]))
    assert not res.fired and res.reason.startswith("roc_auc 0.79 holds against 0.75")
