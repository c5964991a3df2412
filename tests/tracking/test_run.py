"""The tracking API on a real store (SQLite, and PostgreSQL when it runs here): params,
stepped metrics, tags, artifacts, nesting, failures, sinks that fail, and evaluations whose
numbers match scikit-learn's."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from driftline.errors import ParameterError
from driftline.store import Store
from driftline.tracking import (
    active_run,
    evaluate_model,
    get_run,
    list_runs,
    metric_history,
    remove_default_sink,
    summarize_model,
    track,
)


@pytest.fixture
def store(store_url):
    s = Store.open(store_url)
    yield s
    s.engine.dispose()  # before the PostgreSQL database is dropped


def test_params_metrics_tags_and_artifacts_are_stored_as_logged(store, tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    with track("credit", store=store, run_name="lr", params={"C": np.float64(0.5)},
               tags={"team": "risk"}) as run:
        assert active_run() is run
        run.log_param("penalty", "l2")
        for step, loss in enumerate([0.9, 0.5, 0.25]):
            run.log_metric("loss", loss, step=step)
        run.log_metrics({"auc": 0.8, "acc": np.float32(0.75)})
        run.set_tag("stage", "dev")
        run.log_artifact(f)
        run.log_dict("cfg.json", {"depth": np.int64(3)})
    assert active_run() is None
    rec = get_run(store, run.id)
    assert rec.status == "finished" and rec.duration is not None and rec.duration >= 0
    assert rec.params == {"C": 0.5, "penalty": "l2"}
    assert rec.metrics == {"loss": 0.25, "auc": 0.8, "acc": pytest.approx(0.75)}
    assert rec.tags == {"team": "risk", "stage": "dev"}
    assert metric_history(store, run.id)["loss"] == [(0, 0.9), (1, 0.5), (2, 0.25)]
    assert metric_history(store, run.id, "auc") == {"auc": [(None, 0.8)]}
    assert store.run_artifact(run.id, "notes.txt") == ("text/plain", b"hello")
    media, data = store.run_artifact(run.id, "cfg.json")
    assert media == "application/json" and json.loads(data) == {"depth": 3}
    assert json.loads(json.dumps(rec.to_dict()))["params"]["C"] == 0.5


def test_runs_nest_and_a_failure_is_recorded_and_raised(store):
    with track("credit", store=store, run_name="study", kind="study") as study:
        with track("credit", run_name="t0", kind="trial") as t0:  # the store comes from above
            t0.log_metric("auc", 0.7)
        with pytest.raises(ZeroDivisionError), track("credit", kind="trial") as t1:
            _ = 1 / 0
        with study.child("t2", params={"C": 2}) as t2:
            t2.end("pruned")
    assert {r.id for r in list_runs(store, "credit", parent=study.id)} == {t0.id, t1.id, t2.id}
    statuses = {r.id: r.status for r in list_runs(store, "credit")}
    assert statuses == {study.id: "finished", t0.id: "finished", t1.id: "failed",
                        t2.id: "pruned"}
    failed = get_run(store, t1.id)
    assert failed.tags["error.type"] == "ZeroDivisionError" and failed.parent_id == study.id
    assert [r.id for r in list_runs(store, "credit", top_level=True)] == [study.id]


def test_bad_input_names_the_parameter(store):
    with pytest.raises(ParameterError, match="store is needed"), track("credit"):
        pass
    with track("credit", store=store) as run:
        with pytest.raises(ParameterError, match=r"metrics\['auc'\] must be a finite number"):
            run.log_metric("auc", float("nan"))
        with pytest.raises(ParameterError, match="path must be an existing file"):
            run.log_artifact("/no/such/file")
        with pytest.raises(ParameterError, match="status must be one of"):
            run.end("done")
    with pytest.raises(ParameterError, match="kind must be one of"), \
            track("credit", store=store, kind="experiment"):
        pass
    assert metric_history(store, run.id) == {}  # the rejected value was not stored


class _Recorder:
    def __init__(self, fail: str | None = None):
        self.calls, self.fail = [], fail

    def __getattr__(self, method):
        def call(*args):
            if method == self.fail:
                raise RuntimeError("sink down")
            self.calls.append((method, args))
        return call


def test_sinks_see_every_change_and_a_failing_sink_breaks_nothing(store):
    good, bad = _Recorder(), _Recorder(fail="log_metrics")
    with track("credit", store=store, sinks=(good, bad), params={"C": 1}) as run:
        run.log_metric("auc", 0.8, step=3)
        with run.child("trial") as child:
            child.log_metric("auc", 0.9)
        run.link(version=7, artifact=b"model")
    methods = [m for m, _ in good.calls]
    assert methods == ["start", "log_metrics", "start", "log_metrics", "end", "version", "end"]
    assert good.calls[1][1] == (run.id, {"auc": 0.8}, 3)
    assert good.calls[2][1][0].parent_id == run.id  # the child's record names its parent
    assert good.calls[5][1] == (run.id, "credit", 7, b"model")
    assert run.sink_errors == 1 and child.sink_errors == 1
    assert get_run(store, run.id).status == "finished" and get_run(store, run.id).version == 7


def test_runs_in_threads_do_not_nest_into_each_other(store):
    ids: dict[str, str | None] = {}

    def work(name):
        with track("credit", store=store, run_name=name) as r:
            ids[name] = r.parent_id

    with track("credit", store=store, run_name="main"):
        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert ids == {"w0": None, "w1": None, "w2": None}


def test_evaluate_matches_scikit_learn_for_each_task(store):
    from sklearn import metrics as skm
    from sklearn.linear_model import LinearRegression, LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y_bin = (X[:, 0] + rng.normal(size=600) > 0).astype(int)
    y_multi = np.digitize(X[:, 1] + 0.5 * rng.normal(size=600), [-0.5, 0.5])
    y_reg = X @ [1.0, -2.0, 0.5] + rng.normal(size=600) + 10

    lr = LogisticRegression().fit(X, y_bin)
    with track("m", store=store) as run:
        ev = run.evaluate(lr, X, y_bin)
    p = lr.predict_proba(X)[:, 1]
    assert ev.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y_bin, lr.predict(X)))
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y_bin, p), rel=1e-12)
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y_bin, p), rel=1e-9)
    assert ev.metrics["pr_auc"] == pytest.approx(skm.average_precision_score(y_bin, p), rel=1e-9)
    assert ev.confusion_matrix["counts"] == skm.confusion_matrix(y_bin, lr.predict(X)).tolist()
    rec = run.record()
    assert rec.params["C"] == 1.0  # the hyperparameters, since none were logged
    assert rec.model_params == summarize_model(lr) and rec.model_params["n_parameters"] == 4
    report = json.loads(store.run_artifact(run.id, "classification_report.json")[1])
    sk = skm.classification_report(y_bin, lr.predict(X), output_dict=True)
    assert report["per_class"][1]["f1"] == pytest.approx(sk["1"]["f1-score"])

    multi = LogisticRegression(max_iter=500).fit(X, y_multi)
    ev = evaluate_model(multi, X, y_multi)
    assert ev.task == "multiclass" and len(ev.report["per_class"]) == 3
    assert ev.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y_multi, multi.predict_proba(X), multi_class="ovr"), rel=1e-9)

    reg = LinearRegression().fit(X, y_reg)
    ev = evaluate_model(reg, X, y_reg)
    pred = reg.predict(X)
    assert ev.task == "regression"
    assert ev.metrics["mae"] == pytest.approx(skm.mean_absolute_error(y_reg, pred))
    assert ev.metrics["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y_reg, pred)))
    assert ev.metrics["r2"] == pytest.approx(skm.r2_score(y_reg, pred))
    assert ev.metrics["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y_reg, pred))


def test_learned_parameters_are_summarised_apart_from_hyperparameters():
    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] > 0).astype(int)
    tree = DecisionTreeRegressor(max_depth=3).fit(X, X @ [1.0, 2.0, 0.0, -1.0])
    s = summarize_model(tree)
    assert s["family"] == "trees" and s["n_trees"] == 1 and s["max_depth"] == 3
    assert s["n_leaves"] == tree.get_n_leaves()
    forest = summarize_model(RandomForestClassifier(n_estimators=7, random_state=0).fit(X, y))
    assert forest["n_trees"] == 7
    hgb = summarize_model(HistGradientBoostingRegressor(max_iter=5).fit(X, y))
    assert hgb["n_trees"] == 5 and hgb["n_iterations"] == 5
    booster = lgb.LGBMClassifier(n_estimators=6, verbose=-1).fit(X, y)
    assert summarize_model(booster)["n_trees"] == 6
    xg = summarize_model(xgb.XGBClassifier(n_estimators=4, max_depth=2).fit(X, y))
    assert xg["n_trees"] == 4 and xg["n_leaves"] > 0
    mlp = summarize_model(MLPRegressor(hidden_layer_sizes=(5,), max_iter=50).fit(X, y))
    assert mlp["family"] == "neural_network" and mlp["n_parameters"] == 4 * 5 + 5 + 5 * 1 + 1
    piped = summarize_model(make_pipeline(StandardScaler(), tree))
    assert piped["pipeline_steps"] == 2 and piped["family"] == "trees"
    assert summarize_model(object()) == {"estimator": "object"}


def test_stage_changes_reach_the_default_sinks_that_mirror_stages(tmp_path):
    from driftline.errors import DataError
    from driftline.registry import Registry
    from driftline.tracking import add_default_sink

    class Stages:
        def __init__(self, error=None):
            self.seen, self.error = [], error

        def mirror_stage(self, model, version, stage):
            if self.error is not None:
                raise self.error
            self.seen.append((model, version, stage))

    import pandas as pd
    from sklearn.dummy import DummyClassifier

    ok, unknown, broken = Stages(), Stages(DataError("not mirrored")), Stages(RuntimeError("x"))
    reg = Registry(Store.open("sqlite://"), tmp_path)
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    reg.register("m", DummyClassifier().fit(X, [0, 0, 1, 1]), task="binary", features=["x"],
                 reference=X.assign(prediction=[0, 0, 1, 1]))
    for s in (ok, unknown, broken):
        add_default_sink(s)
    try:
        reg.promote("m", 1, reason="first")  # the broken sink is logged, never raised
    finally:
        for s in (ok, unknown, broken):
            remove_default_sink(s)
    assert ok.seen == [("m", 1, "champion")] and reg.champion("m").version == 1


def test_times_in_any_zone_are_stored_as_the_same_instant(store):
    from datetime import datetime, timedelta, timezone

    paris = timezone(timedelta(hours=1))
    start = datetime(2026, 3, 1, 12, 0, tzinfo=paris)
    with track("credit", store=store, started_at=start) as run:
        run.end(ended_at=start + timedelta(seconds=90))
    rec = run.record()
    assert rec.started_at == start and rec.duration == 90.0
