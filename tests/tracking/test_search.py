"""scikit-learn searches imported as tracked studies: one trial per candidate with the params
and scores of ``cv_results_``, the rank-1 candidate as the best trial, and the main-effect
importances, checked on real GridSearchCV and RandomizedSearchCV fits."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from driftline.errors import ParameterError
from driftline.store import Store
from driftline.tracking import list_runs, metric_history, track
from driftline.tracking._search import log_search, log_study_summary, param_importances


@pytest.fixture
def store():
    return Store.open("sqlite://")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=300, n_features=8, n_informative=3, random_state=0)


def _artifact(store, run_id, name):
    return json.loads(store.run_artifact(run_id, name)[1])


def test_grid_search_trials_mirror_cv_results(store, data):
    X, y = data
    grid = {"C": [0.001, 0.1, 10.0], "l1_ratio": [0.0, 1.0]}  # penalty: l2 (0) or l1 (1)
    search = GridSearchCV(LogisticRegression(solver="liblinear"), grid, cv=3).fit(X, y)
    res = search.cv_results_
    with track("credit", store=store, run_name="grid", kind="study") as study:
        ids = log_search(study, search)

    trials = {r.id: r for r in list_runs(store, parent=study.id)}
    assert len(ids) == len(trials) == len(res["params"]) == 6
    for i, run_id in enumerate(ids):
        trial = trials[run_id]
        assert trial.kind == "trial" and trial.status == "finished"
        assert trial.params == res["params"][i]
        assert trial.metrics["mean_test_score"] == pytest.approx(res["mean_test_score"][i])
        assert trial.metrics["std_test_score"] == pytest.approx(res["std_test_score"][i])
        assert trial.metrics["mean_fit_time"] == pytest.approx(res["mean_fit_time"][i])
        assert trial.tags["trial_number"] == i
        assert trial.tags["rank"] == res["rank_test_score"][i]
        assert trial.tags["score_std"] == pytest.approx(res["std_test_score"][i])
        assert trial.tags["fit_time"] == pytest.approx(res["mean_fit_time"][i])

    rec = study.record()
    assert rec.tags["objective"] == "mean_test_score"
    assert rec.tags["direction"] == "maximize" and rec.tags["source"] == "sklearn"
    assert rec.tags["best_trial"] == ids[search.best_index_]
    assert trials[rec.tags["best_trial"]].tags["rank"] == 1
    assert rec.metrics["best_value"] == pytest.approx(search.best_score_)
    assert rec.tags["n_splits"] == 3 and rec.tags["n_candidates"] == 6
    assert _artifact(store, study.id, "best_params.json") == search.best_params_
    importances = _artifact(store, study.id, "param_importances.json")
    assert set(importances) == {"C", "l1_ratio"}
    assert all(v >= 0 for v in importances.values())
    assert sum(importances.values()) == pytest.approx(1.0)


def test_the_irrelevant_parameter_gets_the_lower_share(store, data):
    # lbfgs is deterministic: random_state changes nothing, C changes the score a lot
    X, y = data
    grid = {"C": [0.0005, 0.01, 1.0], "random_state": [0, 1, 2]}
    search = GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y)
    with track("credit", store=store, kind="study") as study:
        log_search(study, search)
    importances = _artifact(store, study.id, "param_importances.json")
    assert importances["C"] == pytest.approx(1.0)
    assert importances["random_state"] == pytest.approx(0.0, abs=1e-9)


def test_multi_metric_search_defaults_to_the_refit_scorer(store, data):
    X, y = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.001, 1.0]}, cv=3,
                          scoring=["accuracy", "roc_auc"], refit="roc_auc").fit(X, y)
    with track("credit", store=store, kind="study") as study:
        ids = log_search(study, search)
    rec = study.record()
    assert rec.tags["objective"] == "mean_test_roc_auc"
    assert rec.tags["best_trial"] == ids[search.best_index_]
    trial = next(r for r in list_runs(store, parent=study.id) if r.id == ids[0])
    assert {"mean_test_accuracy", "mean_test_roc_auc", "std_test_accuracy",
            "std_test_roc_auc"} <= set(trial.metrics)
    assert trial.tags["rank"] == search.cv_results_["rank_test_roc_auc"][0]

    with track("credit", store=store, kind="study") as other:
        ids = log_search(other, search, objective="accuracy")
    acc = search.cv_results_["mean_test_accuracy"]
    assert other.record().tags["objective"] == "mean_test_accuracy"
    assert other.record().metrics["best_value"] == pytest.approx(acc.max())
    with track("credit", store=store, kind="study") as bad, \
            pytest.raises(ParameterError, match="objective must be one of"):
        log_search(bad, search, objective="f1")


def test_randomized_search_with_a_failing_candidate(store):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = X @ [1.0, 0.5, 0.0] + rng.normal(0, 0.3, 90)
    dist = {"alpha": [0.01, 0.1, 1.0, 10.0, 100.0, -1.0]}  # a negative alpha fails to fit
    search = RandomizedSearchCV(Ridge(), dist, n_iter=6, cv=3, random_state=0,
                                error_score=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    with track("prices", store=store, kind="study") as study:
        ids = log_search(study, search)
    runs = {r.id: r for r in list_runs(store, parent=study.id)}
    scores = search.cv_results_["mean_test_score"]
    statuses = [runs[i].status for i in ids]
    assert statuses == ["failed" if math.isnan(s) else "finished" for s in scores]
    assert "failed" in statuses
    assert runs[study.record().tags["best_trial"]].params == search.best_params_
    importances = _artifact(store, study.id, "param_importances.json")
    assert importances == {"alpha": 1.0}


def test_log_search_needs_a_study_and_a_fitted_search(store):
    with track("m", store=store) as run, pytest.raises(ParameterError, match="kind 'study'"):
        log_search(run, GridSearchCV(Ridge(), {"alpha": [1.0]}))
    with track("m", store=store, kind="study") as study, \
            pytest.raises(ParameterError, match="cv_results_"):
        log_search(study, GridSearchCV(Ridge(), {"alpha": [1.0]}))


def test_param_importances_bins_many_numeric_values_and_handles_edges():
    rng = np.random.default_rng(0)
    lr = 10 ** rng.uniform(-4, 0, 200)            # continuous: binned into quantiles
    noise = rng.uniform(0, 1, 200)
    values = -np.abs(np.log10(lr) + 2) + rng.normal(0, 0.05, 200)
    params = [{"lr": a, "noise": b} for a, b in zip(lr, noise, strict=True)]
    imp = param_importances(params, values)
    assert imp["lr"] > 0.9 > imp["noise"] and sum(imp.values()) == pytest.approx(1.0)
    assert param_importances(params, values) == imp  # deterministic
    # failed trials (None, NaN) are left out; a conditional parameter's absence is a group
    cond = [{"kind": "a"}, {"kind": "b", "depth": 3}, {"kind": "b", "depth": 5}, {"kind": "a"}]
    imp = param_importances(cond, [0.1, 0.9, 0.9, None])
    assert set(imp) == {"depth", "kind"} and imp["depth"] == pytest.approx(imp["kind"])
    assert param_importances([{"a": 1}, {"a": 2}], [0.5, 0.5]) == {"a": 1.0}
    assert param_importances([], []) == {}
    with pytest.raises(ParameterError, match="one value per trial"):
        param_importances([{"a": 1}], [0.1, 0.2])


def test_log_study_summary_normalises_and_checks(store):
    with track("m", store=store, kind="study") as study:
        log_study_summary(study, source="driftline", objective="auc", direction="minimize",
                          best_trial=None, best_value=float("nan"),
                          importances={"a": 2.0, "b": -1.0, "c": float("nan")})
        with pytest.raises(ParameterError, match="direction must be one of"):
            log_study_summary(study, source="x", objective="auc", direction="max",
                              best_trial=None, best_value=None, importances={})
    assert _artifact(store, study.id, "param_importances.json") == {"a": 1.0, "b": 0.0, "c": 0.0}
    assert "best_value" not in study.record().metrics
    assert metric_history(store, study.id) == {}
