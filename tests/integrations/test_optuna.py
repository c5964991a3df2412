"""Optuna studies tracked in driftline, with real Optuna: completed, pruned and failed trials
with their own times and intermediate curves, the study's summary and importances, and the
retraining loop's Optuna tuner."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import optuna
import pytest

from driftline.errors import ParameterError
from driftline.integrations import OptunaTracker, OptunaTuner, log_study, track_study
from driftline.retrain import SearchSpace, make_tuner
from driftline.store import Store
from driftline.tracking import list_runs, metric_history, track

optuna.logging.set_verbosity(optuna.logging.ERROR)


@pytest.fixture
def store():
    return Store.open("sqlite://")


def _artifact(store, run_id, name):
    return json.loads(store.run_artifact(run_id, name)[1])


def _pruned_study():
    """Five trials in a known order: two complete, one pruned at step 1 by the median
    pruner, one that raises, one complete with a user attribute."""
    study = optuna.create_study(direction="minimize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=2,
                                                                   n_warmup_steps=1))
    for x, k in ((0.1, "a"), (0.2, "b"), (0.9, "a"), (0.5, "b"), (0.12, "b")):
        study.enqueue_trial({"x": x, "k": k})

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_categorical("k", ["a", "b"])
        if x == 0.5:
            raise ValueError("diverged")
        if x == 0.12:
            trial.set_user_attr("note", "enqueued")
        for step in range(4):
            trial.report(x + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return x

    return study, objective


def test_trials_are_tracked_with_statuses_times_curves_and_the_best(store):
    study, objective = _pruned_study()
    with track("credit", store=store, run_name="tpe", kind="study") as run:
        tracker = OptunaTracker(run, metric="loss")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.optimize(objective, n_trials=5, callbacks=[tracker], catch=(ValueError,))
        best_id = log_study(run, study, metric="loss")

    trials = {r.tags["trial_number"]: r for r in list_runs(store, parent=run.id)}
    assert sorted(trials) == [0, 1, 2, 3, 4] == sorted(tracker.run_ids)
    assert [trials[n].status for n in range(5)] == [
        "finished", "finished", "pruned", "failed", "finished"]
    assert [t.state.name for t in study.trials] == [
        "COMPLETE", "COMPLETE", "PRUNED", "FAIL", "COMPLETE"]
    for t in study.trials:
        rec = trials[t.number]
        assert rec.kind == "trial" and rec.params == t.params
        assert rec.duration == pytest.approx((t.datetime_complete - t.datetime_start)
                                             .total_seconds(), abs=1e-3)
        assert abs((rec.started_at - t.datetime_start.astimezone(rec.started_at.tzinfo))
                   .total_seconds()) < 1e-3
    # the curves: a completed trial's four steps, then its value; the pruned one stops at 1
    curve = metric_history(store, trials[0].id)["loss"]
    assert curve == [(0, pytest.approx(1.1)), (1, pytest.approx(0.6)),
                     (2, pytest.approx(0.1 + 1 / 3)), (3, pytest.approx(0.35)),
                     (None, pytest.approx(0.1))]
    pruned = metric_history(store, trials[2].id)["loss"]
    assert [s for s, _ in pruned] == [0, 1, None]
    assert pruned[-1][1] == pytest.approx(study.trials[2].value)  # Optuna's: the last report
    assert "loss" not in trials[3].metrics
    assert trials[4].tags["note"] == "enqueued" and trials[4].metrics["loss"] == 0.12

    rec = run.record()
    assert best_id == tracker.run_ids[study.best_trial.number] == trials[0].id
    assert rec.tags["best_trial"] == best_id and rec.tags["objective"] == "loss"
    assert rec.tags["direction"] == "minimize" and rec.tags["source"] == "optuna"
    assert rec.metrics["best_value"] == study.best_value == 0.1
    assert (rec.tags["n_complete"], rec.tags["n_pruned"], rec.tags["n_failed"]) == (3, 1, 1)
    assert _artifact(store, run.id, "best_params.json") == study.best_params
    importances = _artifact(store, run.id, "param_importances.json")
    assert set(importances) == {"x", "k"}
    assert sum(importances.values()) == pytest.approx(1.0)

    log_study(run, study, metric="loss")  # again: nothing is tracked twice
    assert len(list_runs(store, parent=run.id)) == 5


def test_importances_are_optunas(store):
    def objective(trial):  # x matters, n hardly does
        return -(trial.suggest_float("x", -2, 2) ** 2) + 0.001 * trial.suggest_int("n", 0, 3)

    run_id = track_study("m", optuna.create_study(direction="maximize",
                                                  sampler=optuna.samplers.RandomSampler(seed=1)),
                         objective, 30, store=store)
    same = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    same.optimize(objective, n_trials=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = optuna.importance.get_param_importances(same)
    got = _artifact(store, run_id, "param_importances.json")
    assert got == pytest.approx(expected)
    assert got["x"] > got["n"]
    rec = store.run(run_id)
    assert rec["tags"]["importance_method"] == "optuna" and rec["kind"] == "study"
    assert len(list_runs(store, parent=run_id)) == 30


def test_degenerate_studies_are_summarised_gracefully(store):
    one = optuna.create_study()
    one.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with track("m", store=store, kind="study") as run:
        best = log_study(run, one)
    assert best == run.record().tags["best_trial"]
    assert _artifact(store, run.id, "param_importances.json") == {"x": 1.0}
    assert run.record().tags["importance_method"] == "main_effect"

    failing = optuna.create_study()

    def boom(trial):
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("no")

    failing.optimize(boom, n_trials=2, catch=(RuntimeError,))
    with track("m", store=store, kind="study") as run:
        assert log_study(run, failing) is None
    rec = run.record()
    assert "best_trial" not in rec.tags and "best_value" not in rec.metrics
    assert [r.status for r in list_runs(store, parent=run.id)] == ["failed", "failed"]

    with track("m", store=store) as plain, pytest.raises(ParameterError, match="kind 'study'"):
        OptunaTracker(plain)


def test_multi_objective_values_and_pareto_front(store):
    study = optuna.create_study(directions=["minimize", "maximize"],
                                sampler=optuna.samplers.RandomSampler(seed=0))
    with track("m", store=store, kind="study") as run:
        tracker = OptunaTracker(run)
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                       n_trials=6, callbacks=[tracker])
        best = log_study(run, study)
    rec = run.record()
    assert rec.tags["objective"] == "value_0" and rec.tags["objectives"] == ["value_0", "value_1"]
    assert rec.tags["directions"] == ["minimize", "maximize"]
    front = {tracker.run_ids[t.number] for t in study.best_trials}
    assert set(rec.tags["best_trials"]) == front and best in front
    t0 = next(r for r in list_runs(store, parent=run.id) if r.tags["trial_number"] == 0)
    assert t0.metrics == {"value_0": study.trials[0].values[0],
                          "value_1": study.trials[0].values[1]}


def test_optuna_tuner_is_registered_and_records_failures():
    assert isinstance(make_tuner("optuna", seed=3), OptunaTuner)
    space = SearchSpace.from_dict({"x": {"low": 1e-3, "high": 1.0, "log": True},
                                   "n": {"low": 1, "high": 4, "type": "int"},
                                   "kind": ["a", "b"]})

    def objective(p):
        if p["kind"] == "b" and p["n"] == 4:
            raise ValueError("unlucky")
        return p["x"] * p["n"]

    res = OptunaTuner(seed=0).tune(objective, space, n_trials=15, direction="maximize")
    assert len(res.trials) == 15
    assert all(t.status in ("finished", "failed") for t in res.trials)
    failed = [t for t in res.trials if t.status == "failed"]
    assert all(t.error == "ValueError: unlucky" and t.params["n"] == 4 for t in failed)
    done = [t.value for t in res.trials if t.status == "finished"]
    assert res.best_value == max(done)
    again = OptunaTuner(seed=0).tune(objective, space, n_trials=15, direction="maximize")
    assert [t.params for t in again.trials] == [t.params for t in res.trials]  # seeded


def test_importing_the_packages_does_not_import_optuna():
    code = ("import sys, driftline.retrain, driftline.integrations, driftline.tracking; "
            "assert 'optuna' not in sys.modules, 'optuna imported'; "
            "from driftline.integrations import OptunaTuner; "
            "assert 'optuna' not in sys.modules, 'optuna imported by the adapter'; "
            "from driftline.retrain import available_tuners; print(available_tuners())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "('optuna', 'random')"
