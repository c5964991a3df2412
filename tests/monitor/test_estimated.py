"""Estimated performance in the monitor: CBPE on the logged scores before labels arrive, marked
as estimated, compared with realized performance once labels cover a window, and blind to
concept drift (documented); a trigger that acts on it only when asked to."""

from __future__ import annotations

import pandas as pd
import pytest

from driftline.datasets import make_credit_frames
from driftline.monitor import monitor_project
from driftline.policy import OnPerformanceDegradation, PolicyContext, WindowSummary
from tests.monitor.test_monitor import _log
from tests.serving.project import make_project

T0 = pd.Timestamp("2026-05-01", tz="UTC")


@pytest.fixture
def project(tmp_path):
    from driftline.config import load_project
    from driftline.retrain import register

    path = make_project(tmp_path / "p", n=3_000,
                        extra="monitoring: {window: {rows: 600}, min_rows: 200, min_labels: 100}\n")
    register(path, promote=True)
    return load_project(path)


def _perf(r, key):
    return (r.estimated or {}).get("metrics", {}).get(key)


def test_unlabelled_windows_are_estimated_and_labelled_ones_measure_the_error(project):
    cur, _ = make_credit_frames(1_800, 10, seed=11)  # the reference's world: no shift
    registry = _log(project, cur.iloc[:1_200], start=T0, prefix="u")          # no labels
    _log(project, cur.iloc[1_200:], start=T0 + pd.Timedelta(hours=1), prefix="l",
         labels=cur["default"].iloc[1_200:])                                  # labelled
    results = monitor_project(project, registry=registry)
    assert [r.n_labelled for r in results] == [0, 0, 600]
    for r in results:
        assert r.estimated["method"] == "cbpe"
        assert 0.5 < _perf(r, "roc_auc") < 1.0 and 0.5 < _perf(r, "accuracy") <= 1.0
        lo, hi = r.estimated["bands"]["accuracy"]
        assert lo < _perf(r, "accuracy") < hi
    assert "error" not in results[0].estimated
    labelled = results[-1]
    # no shift: the estimate is near what the labels then show. The band covers the window's
    # sampling error only, not the calibration's on a 750-row holdout, so the check is looser.
    for metric in ("roc_auc", "accuracy"):
        assert abs(labelled.estimated["error"][metric]) < 0.1, labelled.estimated
    gauges = [g for g in results[0].gauges() if g["name"] == "driftline_model_performance"]
    assert {g["labels"]["source"] for g in gauges} == {"estimated"}
    assert {g["labels"]["metric"] for g in gauges} >= {"roc_auc", "accuracy", "f1"}


def test_the_blind_spot_concept_drift_is_not_seen_by_the_estimate(project):
    _, cur = make_credit_frames(10, 600, seed=12)
    registry = _log(project, cur, start=T0, prefix="c", labels=1 - cur["default"])  # flipped
    (r,) = monitor_project(project, registry=registry)
    assert r.performance["roc_auc"] < 0.5 < _perf(r, "roc_auc")  # labels say worse than chance
    assert r.estimated["error"]["roc_auc"] > 0.2


def test_the_trigger_acts_on_an_estimate_only_when_asked():
    t0 = pd.Timestamp("2026-05-01", tz="UTC").to_pydatetime()
    late = [WindowSummary(t0, 600, label_coverage=0.02, estimated_performance={"roc_auc": 0.62}),
            WindowSummary(t0 + pd.Timedelta(hours=1).to_pytimedelta(), 600, label_coverage=0.0,
                          estimated_performance={"roc_auc": 0.60})]
    ctx = PolicyContext(t0 + pd.Timedelta(hours=2).to_pytimedelta(), "m", late,
                        baseline={"roc_auc": 0.80})
    plain = OnPerformanceDegradation("roc_auc", 0.05, persistence=(2, 2))
    assert not plain.evaluate(ctx).fired  # no labels: nothing to judge
    r = OnPerformanceDegradation("roc_auc", 0.05, persistence=(2, 2), estimated=True).evaluate(ctx)
    assert r.fired and "0.6 (estimated) below 0.75" in r.reason
    assert "some estimated without labels" in r.reason
    # a labelled window is judged on its labels even when an estimate exists
    both = [WindowSummary(t0, 600, label_coverage=0.9, performance={"roc_auc": 0.79},
                          estimated_performance={"roc_auc": 0.50})]
    ctx2 = PolicyContext(t0 + pd.Timedelta(hours=1).to_pytimedelta(), "m", both,
                         baseline={"roc_auc": 0.80})
    assert not OnPerformanceDegradation("roc_auc", 0.05, estimated=True).evaluate(ctx2).fired


def test_class_priors_are_estimated_from_predictions_before_labels(project):
    """A pure prior shift (the reference's world resampled by class so that 80% default, P(x|y)
    unchanged): BBSE on the predicted labels sees it without a label, and an unshifted window
    does not move. The credit model is weak (ROC AUC about 0.7, C's condition number about 35),
    so RLLS shrinks the weights towards 1 a lot at 600 rows: the estimate moves the right way,
    not all the way."""
    import numpy as np

    world, _ = make_credit_frames(6_000, 10, seed=13)
    rng = np.random.default_rng(13)
    pos, neg = np.flatnonzero(world["default"] == 1), np.flatnonzero(world["default"] == 0)
    moved_rows = np.concatenate([rng.choice(pos, 480), rng.choice(neg, 120)])  # 80% default
    registry = _log(project, world.iloc[:600], start=T0, prefix="a")
    _log(project, world.iloc[rng.permutation(moved_rows)].reset_index(drop=True),
         start=T0 + pd.Timedelta(hours=1), prefix="b")
    quiet, moved = monitor_project(project, registry=registry)
    for r in (quiet, moved):
        assert r.label_shift["classes"] == ["0", "1"] and r.n_labelled == 0
        assert sum(r.label_shift["target_prior"]) == pytest.approx(1.0)
    truth = float(world["default"].iloc[:600].mean())
    assert abs(quiet.label_shift["target_prior"][1] - truth) < 0.08
    assert moved.label_shift["target_prior"][1] > quiet.label_shift["target_prior"][1] + 0.08
    w, raw = moved.label_shift["weights"][1], moved.label_shift["weights_unregularized"][1]
    assert 1.0 < w < raw  # shrunk towards "no shift", never past it
    assert moved.label_shift["shifted"] and not quiet.label_shift["shifted"]
    assert quiet.summary()["label_shift"]["method"] == "bbse_hard_rlls"


def test_an_estimate_alone_never_promotes(project):
    """Windows with estimates and no labels: a retrain has nothing to validate the challenger
    on, so it defers and the champion stays; the estimate is never a promotion criterion."""
    from driftline.retrain import open_registry, retrain

    cur, _ = make_credit_frames(1_200, 10, seed=14)
    registry = _log(project, cur, start=T0, prefix="e")  # no labels
    results = monitor_project(project, registry=registry)
    assert all(r.estimated is not None and r.n_labelled == 0 for r in results)
    before = open_registry(project).champion("credit").version
    out = retrain(project, registry=registry)
    assert out.outcome == "deferred" and "labelled rows" in out.reason
    assert open_registry(project).champion("credit").version == before
