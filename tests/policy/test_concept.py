"""The concept-drift trigger, and concept drifts speeding up the performance trigger."""

from __future__ import annotations

import pytest

from driftline.errors import ParameterError
from driftline.policy import (
    ConceptDrift,
    OnConceptDrift,
    OnPerformanceDegradation,
    policy_from_config,
)

from ._build import HOUR, T0, ctx, window


def drift(hours: float, before=0.1, after=0.3, detector="ADWIN", error="error_rate", index=500):
    return ConceptDrift(T0 + hours * HOUR, detector, index, before, after, 1, error)


def test_fires_on_a_fresh_worsening_drift_only():
    assert OnConceptDrift().evaluate(ctx(concept_drifts=[drift(1)])).fired
    better = drift(1, before=0.3, after=0.1)
    assert not better.worse
    r = OnConceptDrift().evaluate(ctx(concept_drifts=[better]))
    assert not r.fired and "no concept drift" in r.reason
    assert OnConceptDrift(worse_only=False).evaluate(ctx(concept_drifts=[better])).fired
    # evidence that already led to a retrain is not used twice
    stale = ctx(concept_drifts=[drift(1)], last_retrain_decision_at=T0 + 2 * HOUR)
    assert not OnConceptDrift().evaluate(stale).fired


def test_min_events_and_detector_filter():
    two = ctx(concept_drifts=[drift(1), drift(2, detector="DDM", index=900)])
    r = OnConceptDrift(min_events=3).evaluate(two)
    assert not r.fired and r.reason.endswith("(2 since the last retrain; need 3)")
    r = OnConceptDrift(min_events=2).evaluate(two)
    assert r.fired and r.reason.startswith("DDM concept drift at label 900")
    assert not OnConceptDrift(detectors=("KSWIN",)).evaluate(two).fired
    assert OnConceptDrift(detectors=("DDM",)).evaluate(two).fired


@pytest.mark.parametrize("kwargs, name", [({"min_events": 0}, "min_events"),
                                          ({"min_events": True}, "min_events"),
                                          ({"detectors": "ADWIN"}, "detectors"),
                                          ({"detectors": ()}, "detectors")])
def test_bad_parameters_name_themselves(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        OnConceptDrift(**kwargs)


def test_a_drift_lets_one_breaching_window_fire_the_performance_trigger():
    trig = OnPerformanceDegradation("roc_auc", 0.05, persistence=(2, 3))
    ws = [window(0, performance={"roc_auc": 0.80}, label_coverage=1.0),
          window(1, performance={"roc_auc": 0.70}, label_coverage=1.0)]
    base = {"roc_auc": 0.80}
    assert not trig.evaluate(ctx(windows=ws, baseline=base)).fired  # 1 of 2: not persistent
    r = trig.evaluate(ctx(windows=ws, baseline=base, concept_drifts=[drift(1.5)]))
    assert r.fired and "confirmed by ADWIN concept drift at label 500" in r.reason
    # without the detector, or with an improving drift, persistence is still required
    off = OnPerformanceDegradation("roc_auc", 0.05, persistence=(2, 3), concept_drift=False)
    assert not off.evaluate(ctx(windows=ws, baseline=base, concept_drifts=[drift(1.5)])).fired
    improving = drift(1.5, before=0.3, after=0.1)
    assert not trig.evaluate(ctx(windows=ws, baseline=base, concept_drifts=[improving])).fired
    # a drift does not make a window that holds fire
    fine = [window(0, performance={"roc_auc": 0.79}, label_coverage=1.0)]
    assert not trig.evaluate(ctx(windows=fine, baseline=base, concept_drifts=[drift(1.5)])).fired


@pytest.mark.parametrize("metric, baseline, after, error, fired", [
    ("accuracy", 0.9, 0.3, "error_rate", True),     # accuracy 0.7 < 0.85
    ("accuracy", 0.9, 0.12, "error_rate", False),   # accuracy 0.88 holds
    ("error_rate", 0.1, 0.3, "error_rate", True),   # lower is better: 0.3 > 0.15
    ("mae", 2.0, 3.0, "mae", True),
    ("mae", 2.0, 2.01, "mae", False),
    ("roc_auc", 0.9, 0.5, "error_rate", False),     # the error says nothing about ROC AUC
    ("accuracy", 0.9, 3.0, "mae", False),           # nor a regressor's error about accuracy
])
def test_the_error_after_a_drift_is_judged_at_once_where_it_is_the_metric(metric, baseline, after,
                                                                           error, fired):
    trig = OnPerformanceDegradation(metric, 0.05)
    d = drift(1, before=0.0, after=after, error=error)
    r = trig.evaluate(ctx(baseline={metric: baseline}, concept_drifts=[d]))
    assert r.fired is fired, r.reason
    if fired:
        assert "after ADWIN concept drift" in r.reason


def test_the_project_file_builds_both():
    from driftline.config._model import PoliciesConfig

    cfg = PoliciesConfig.model_validate({"triggers": [
        {"type": "on_concept_drift", "min_events": 2, "detectors": ["DDM"]},
        {"type": "on_performance_degradation", "metric": "accuracy", "max_drop": 0.05,
         "concept_drift": False}]})
    a, b = policy_from_config(cfg).trigger.triggers
    assert a == OnConceptDrift(2, ("DDM",))
    assert b.concept_drift is False
    with pytest.raises(ValueError, match="on_concept_drift takes min_events, detectors, worse_only"):
        PoliciesConfig.model_validate({"triggers": [{"type": "on_concept_drift", "metric": "x"}]})
