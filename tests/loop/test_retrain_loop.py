"""The loop end to end on a small synthetic stream: drift with labels → retrain in a separate
process → validation on rows neither model saw → promotion; a worse challenger rejected and
audited; too few labels deferred."""

from __future__ import annotations

import pandas as pd
import pytest

from driftline.datasets import make_credit_frames
from tests.monitor.test_monitor import _log
from tests.serving.project import TRAIN_CODE, make_project

BAD_TRAIN = TRAIN_CODE + '''

def train_bad(data, *, previous=None, params):
    from sklearn.dummy import DummyClassifier
    return DummyClassifier(strategy="prior").fit(data.X, data.y)
'''


@pytest.fixture
def project(tmp_path):
    from driftline.config import load_project
    from driftline.retrain import register

    path = make_project(tmp_path / "p", n=1_500)
    (tmp_path / "p" / "credit_model.py").write_text(BAD_TRAIN)
    register(path, promote=True)
    return load_project(path)


def _drifted(project, n=3_000, seed=5, flip=True):
    """Covariate drift plus a strong concept change: the label's link to the features flips,
    so the champion's ranking becomes worse than chance and a retrain must recover it."""
    _, cur = make_credit_frames(10, n, drift=True, seed=seed)
    return _log(project, cur, start=pd.Timestamp("2026-04-01", tz="UTC"),
                labels=1 - cur["default"] if flip else cur["default"], prefix="z")


def test_concept_drift_retrain_validates_and_promotes(project):
    from driftline.retrain import retrain

    registry = _drifted(project)
    outcome = retrain(project, mode="stateless", registry=registry, trigger="test")
    assert outcome.outcome == "promoted", outcome.reason
    assert registry.champion("credit").version == outcome.version == 2
    v = outcome.validation
    assert v["decision"] == "pass" and v["n"] == 900  # 30% of 3,000 labelled rows
    assert v["value_b"] > v["value_a"]  # the challenger learned the new concept
    kinds = [e["kind"] for e in registry.store.events("credit")]
    assert kinds[-3:] == ["retrain_started", "retrain_finished", "promoted"]
    last = registry.store.decisions("credit")[-1]
    assert last["action"] == "promote" and "passed" in last["payload"]["reasons"][0]
    assert outcome.training["pid"] > 0 and outcome.training["threads"] == 1


def test_a_worse_challenger_is_rejected_and_audited(project):
    from driftline.retrain import retrain

    text = project.path.read_text().replace("credit_model:train", "credit_model:train_bad")
    project.path.write_text(text)
    from driftline.config import load_project

    bad_project = load_project(project.path)
    registry = _drifted(bad_project, flip=False)  # the champion still ranks well
    outcome = retrain(bad_project, registry=registry, trigger="test")
    assert outcome.outcome == "rejected", outcome.reason
    assert registry.champion("credit").version == 1
    assert registry.get("credit", outcome.version).stage == "archived"
    history = registry.history("credit")
    assert history[-1].stage == "archived" and history[-1].reason.startswith("rejected:")
    assert registry.store.decisions("credit")[-1]["action"] == "reject"
    assert registry.store.events("credit")[-1]["kind"] == "challenger_rejected"


def test_too_few_labels_defer_the_decision(project):
    from driftline.retrain import retrain

    registry = _drifted(project, n=200)
    outcome = retrain(project, registry=registry)
    assert outcome.outcome == "deferred" and "at least 100" in outcome.reason
    assert registry.champion("credit").version == 1
    assert registry.store.decisions("credit")[-1]["action"] == "defer"


def test_retrain_and_decisions_commands(project, capsys):
    import json

    from driftline.cli import main

    _drifted(project)
    assert main(["retrain", str(project.path), "--promote", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "promoted" and out["version"] == 2
    assert main(["decisions", str(project.path), "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)["decisions"]
    assert [r["action"] for r in rows] == ["retrain", "promote"]
    assert "on demand" in rows[0]["payload"]["reasons"][0]


def test_a_rejected_challenger_needs_force_and_a_reason(project, capsys):
    from driftline.cli import main
    from driftline.config import load_project
    from driftline.retrain import retrain

    project.path.write_text(project.path.read_text().replace("credit_model:train",
                                                             "credit_model:train_bad"))
    bad = load_project(project.path)
    registry = _drifted(bad, flip=False)
    outcome = retrain(bad, registry=registry)
    assert outcome.outcome == "rejected"
    v = str(outcome.version)
    assert main(["promote", str(project.path), "--version", v]) == 2
    assert "failed validation" in capsys.readouterr().err
    assert main(["promote", str(project.path), "--version", v, "--force"]) == 2
    assert "reason" in capsys.readouterr().err
    assert main(["promote", str(project.path), "--version", v, "--force", "--reason",
                 "business override, ticket 42"]) == 0
    assert registry.champion("credit").version == outcome.version
    last = registry.store.decisions("credit")[-1]
    assert last["action"] == "force_promote" and "ticket 42" in last["payload"]["reasons"][0]
    assert registry.store.events("credit")[-1]["kind"] == "forced_promotion"


def test_realized_performance_recovers_in_the_windows_after_promotion(project):
    from driftline.monitor import monitor_project
    from driftline.retrain import retrain

    text = project.path.read_text() + "monitoring: {window: {rows: 500}, min_labels: 100}\n"
    project.path.write_text(text)
    from driftline.config import load_project

    proj = load_project(project.path)
    registry = _drifted(proj)  # predictions by v1 on the flipped concept
    before = monitor_project(proj, registry=registry)
    assert retrain(proj, registry=registry).outcome == "promoted"
    _, more = make_credit_frames(10, 1_000, drift=True, seed=31)
    _log(proj, more, start=pd.Timestamp("2026-04-02", tz="UTC"), labels=1 - more["default"],
         prefix="after")  # predictions by the new champion
    after = monitor_project(proj, registry=registry)
    auc_before = [r.performance["roc_auc"] for r in before]
    auc_after = [r.performance["roc_auc"] for r in after]
    assert len(auc_before) == 6 and len(auc_after) == 2
    assert max(auc_before) < 0.4 < 0.55 < min(auc_after), (auc_before, auc_after)


def test_the_data_quality_gate_holds_retraining_and_an_event_says_why(project):
    from driftline.config import load_project
    from driftline.retrain import run_loop_once

    text = project.path.read_text() + ("policies: {stage: 1}\n"
                                       "monitoring: {window: {rows: 500}}\n")
    project.path.write_text(text)
    proj = load_project(project.path)
    from driftline.retrain import open_registry
    from driftline.serving import log_frame

    registry = open_registry(proj)
    _, cur = make_credit_frames(10, 600, drift=False, seed=41)
    model = registry.load(registry.champion("credit"))
    X = cur[list(registry.champion("credit").features)]
    rows = X.assign(prediction=model.predict(X), id=[f"q{k}" for k in range(len(X))],
                    timestamp=[pd.Timestamp("2026-04-03", tz="UTC") + pd.Timedelta(seconds=k)
                               for k in range(len(X))])
    rows["income"] = float("nan")  # a column gone all-null upstream, in a model served elsewhere
    log_frame(registry, "credit", rows)
    out = run_loop_once(proj, registry=registry, demand="please retrain")
    assert out["decision"]["action"] == "hold", out["decision"]
    assert any("quality" in r for r in out["decision"]["reasons"])
    held = [e for e in registry.store.events("credit") if e["kind"] == "retrain_held"]
    assert held and "income" in " ".join(held[-1]["payload"]["reasons"])
    assert registry.champion("credit").version == 1


def test_every_retrain_is_a_tracked_run_linked_to_its_version_and_decision(project):
    """The loop's retrain is a tracked run: params, the challenger's full metric set on the
    validation rows with the champion's beside it, the verdict, the version it produced and
    the policy decision that caused it."""
    from driftline.retrain import run_loop_once
    from driftline.tracking import list_runs

    registry = _drifted(project)
    out = run_loop_once(project, registry=registry, demand="new data")
    assert out["decision"]["action"] == "retrain"
    (run,) = list_runs(registry.store, "credit", kind="retrain")
    assert run.status == "finished" and run.version == out["retrain"]["version"]
    decision = [d for d in registry.store.decisions("credit") if d["action"] == "retrain"][-1]
    assert run.decision_id == decision["id"]
    assert run.tags["champion_version"] == 1 and run.tags["trigger"] == out["decision"]["trigger"]
    v = out["retrain"]["validation"]
    assert run.tags["validation.decision"] == v["decision"]
    assert run.tags["outcome"] == out["retrain"]["outcome"]
    assert run.tags["validation.value_b"] == pytest.approx(v["value_b"])
    assert {"accuracy", "log_loss", "roc_auc", "pr_auc"} <= set(run.metrics)
    assert run.metrics["roc_auc"] == pytest.approx(v["value_b"])  # the same rows, the same model
    assert run.tags["champion.roc_auc"] == pytest.approx(v["value_a"])
    assert run.model_params["n_parameters"] > 0
    names = {a["name"] for a in registry.store.run_artifacts(run.id)}
    assert names == {"confusion_matrix.json", "classification_report.json"}


def test_a_failing_retrain_ends_its_tracked_run_failed(project):
    from driftline.retrain import retrain
    from driftline.tracking import list_runs

    registry = _drifted(project)
    (project.base_dir / "credit_model.py").write_text(
        "def train(data, *, previous=None, params):\n    raise RuntimeError('boom')\n")
    with pytest.raises(Exception, match="boom"):
        retrain(project, registry=registry, trigger="test")
    (run,) = list_runs(registry.store, "credit", kind="retrain")
    assert run.status == "failed" and run.version is None and "boom" in run.tags["error.message"]
