"""Per-iteration training curves: the callbacks of LightGBM, XGBoost and hand-written loops, and
the curves scikit-learn estimators keep or replay, checked against each library's own record."""

from __future__ import annotations

import copy
import pickle

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from sklearn.base import clone
from sklearn.ensemble import (
    AdaBoostRegressor,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
)
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.neural_network import MLPClassifier

from driftline import metrics
from driftline.errors import ParameterError
from driftline.store import Store
from driftline.tracking import metric_history, track
from driftline.tracking._callbacks import (
    RunCallback,
    TrainingCallback,
    lightgbm_callback,
    log_curves,
    log_staged,
    xgboost_callback,
)

CONVERGENCE = "ignore::sklearn.exceptions.ConvergenceWarning"


@pytest.fixture
def store():
    return Store.open("sqlite://")


@pytest.fixture
def binary():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] - X[:, 1] + rng.normal(size=400) > 0).astype(int)
    return X[:300], y[:300], X[300:], y[300:]


def _curve(values):
    return [(i, float(v)) for i, v in enumerate(values)]


# -- LightGBM -----------------------------------------------------------------------------------
def test_lightgbm_train_logs_the_curve_lightgbm_records(store, binary):
    X, y, Xv, yv = binary
    record: dict = {}
    train, valid = lgb.Dataset(X, y), lgb.Dataset(Xv, yv)
    params = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1}
    with track("gbm", store=store) as run:
        lgb.train(params, train, num_boost_round=8, valid_sets=[valid],
                  callbacks=[lightgbm_callback(run), lgb.record_evaluation(record)])
    history = metric_history(store, run.id)
    assert set(history) == {"valid_0_binary_logloss", "valid_0_auc"}
    assert history["valid_0_binary_logloss"] == _curve(record["valid_0"]["binary_logloss"])
    assert history["valid_0_auc"] == _curve(record["valid_0"]["auc"])
    assert [s for s, _ in history["valid_0_auc"]] == list(range(8))


def test_lightgbm_sklearn_api_and_cv(store, binary):
    X, y, Xv, yv = binary
    with track("gbm", store=store) as run:
        model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(
            X, y, eval_X=(Xv,), eval_y=(yv,), callbacks=[lightgbm_callback(run, prefix="fit/")])
        lgb.cv({"objective": "binary", "verbose": -1}, lgb.Dataset(X, y), num_boost_round=3,
               nfold=3, callbacks=[lightgbm_callback(run, prefix="cv/")])
    history = metric_history(store, run.id)
    assert history["fit/valid_0_binary_logloss"] == _curve(
        model.evals_result_["valid_0"]["binary_logloss"])
    assert [s for s, _ in history["cv/valid_binary_logloss"]] == [0, 1, 2]
    assert all(v >= 0 for _, v in history["cv/valid_binary_logloss_std"])


# -- XGBoost ------------------------------------------------------------------------------------
def test_xgboost_train_logs_the_curve_xgboost_records(store, binary):
    X, y, Xv, yv = binary
    record: dict = {}
    dtrain, dvalid = xgb.DMatrix(X, label=y), xgb.DMatrix(Xv, label=yv)
    params = {"objective": "binary:logistic", "eval_metric": ["logloss", "error"]}
    with track("xgb", store=store) as run:
        cb = xgboost_callback(run)
        assert isinstance(cb, xgb.callback.TrainingCallback)
        xgb.train(params, dtrain, num_boost_round=6, evals=[(dtrain, "train"), (dvalid, "valid")],
                  evals_result=record, verbose_eval=False, callbacks=[cb])
    history = metric_history(store, run.id)
    assert set(history) == {f"{d}_{m}" for d in ("train", "valid") for m in ("logloss", "error")}
    for data in ("train", "valid"):
        for metric in ("logloss", "error"):
            assert history[f"{data}_{metric}"] == _curve(record[data][metric])


def test_xgboost_sklearn_api(store, binary):
    X, y, Xv, yv = binary
    with track("xgb", store=store) as run:
        model = xgb.XGBClassifier(n_estimators=4, eval_metric="logloss",
                                  callbacks=[xgboost_callback(run, prefix="xgb/")])
        model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
    assert metric_history(store, run.id)["xgb/validation_0_logloss"] == _curve(
        model.evals_result()["validation_0"]["logloss"])


def test_a_clone_shares_the_run_and_a_pickle_is_detached(store, binary):
    X, y, _, _ = binary
    with track("xgb", store=store) as run:
        cb = xgboost_callback(run)
        model = xgb.XGBClassifier(n_estimators=2, callbacks=[cb])
        assert clone(model).callbacks[0] is cb and copy.deepcopy(cb) is cb
        restored = pickle.loads(pickle.dumps(model))
        assert restored.callbacks[0].run is None
        restored.fit(X, y, eval_set=[(X, y)], verbose=False)  # trains; logs nothing
        for other in (RunCallback(run, prefix="p"), lightgbm_callback(run)):
            back = pickle.loads(pickle.dumps(other))
            assert back.run is None and back.prefix == other.prefix
    assert metric_history(store, run.id) == {}


# -- scikit-learn: staged predictions -----------------------------------------------------------
def test_log_staged_gradient_boosting_ends_at_the_model_s_own_predictions(store, binary):
    X, y, Xv, yv = binary
    model = GradientBoostingClassifier(n_estimators=12, random_state=0).fit(X, y)
    with track("gb", store=store) as run:
        last = log_staged(run, model, Xv, yv, prefix="valid_")
    history = metric_history(store, run.id)
    assert set(history) == {"valid_accuracy", "valid_log_loss"}
    assert [s for s, _ in history["valid_accuracy"]] == list(range(12))
    assert last["accuracy"] == history["valid_accuracy"][-1][1] == metrics.accuracy(
        yv, model.predict(Xv))
    assert last["log_loss"] == pytest.approx(metrics.log_loss(yv, model.predict_proba(Xv)[:, 1]))
    with track("gb", store=store) as thin:
        log_staged(thin, model, Xv, yv, every=5)
    assert [s for s, _ in metric_history(store, thin.id)["accuracy"]] == [0, 5, 10, 11]


def test_log_staged_adaboost_regression(store):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=200)
    model = AdaBoostRegressor(n_estimators=6, random_state=0).fit(X, y)
    with track("ada", store=store) as run:
        last = log_staged(run, model, X, y)
    history = metric_history(store, run.id)
    assert set(history) == {"mae", "rmse", "r2"}
    assert len(history["r2"]) == len(model.estimators_)
    pred = model.predict(X)
    assert last == {"mae": metrics.mae(y, pred), "rmse": metrics.rmse(y, pred),
                    "r2": metrics.r2(y, pred)}


# -- scikit-learn: the curves estimators keep ---------------------------------------------------
@pytest.mark.filterwarnings(CONVERGENCE)
def test_log_curves_mlp_loss_and_validation_scores(store, binary):
    X, y, _, _ = binary
    plain = MLPClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0).fit(X, y)
    stopped = MLPClassifier(hidden_layer_sizes=(8,), max_iter=15, early_stopping=True,
                            n_iter_no_change=50, random_state=0).fit(X, y)
    with track("mlp", store=store) as run:
        assert log_curves(run, plain) == ["loss", "n_iter"]
        assert log_curves(run, stopped, prefix="es/") == ["es/loss", "es/validation_score",
                                                          "es/n_iter"]
    history = metric_history(store, run.id)
    assert history["loss"] == _curve(plain.loss_curve_)
    assert history["es/validation_score"] == _curve(stopped.validation_scores_)
    assert history["n_iter"] == [(None, 15.0)]


def test_log_curves_hist_gradient_boosting_early_stopping(store, binary):
    X, y, _, _ = binary
    model = HistGradientBoostingClassifier(max_iter=10, early_stopping=True, n_iter_no_change=20,
                                           random_state=0).fit(X, y)
    with track("hgb", store=store) as run:
        names = log_curves(run, model)
    assert names == ["train_score", "validation_score", "n_iter"]
    history = metric_history(store, run.id)
    assert history["validation_score"] == _curve(model.validation_score_)
    assert history["train_score"] == _curve(model.train_score_)
    assert len(history["train_score"]) == model.n_iter_ + 1  # step 0: before any tree


def test_log_curves_sgd_logs_n_iter_once(store, binary):
    X, y, _, _ = binary
    model = SGDClassifier(random_state=0).fit(X, y)
    with track("sgd", store=store) as run:
        assert log_curves(run, model) == ["n_iter"]
    assert metric_history(store, run.id) == {"n_iter": [(None, float(model.n_iter_))]}


def test_models_without_curves_or_stages_are_refused_with_the_fix(store, binary):
    X, y, _, _ = binary
    model = LogisticRegression().fit(X, y)
    with track("lr", store=store) as run:
        with pytest.raises(ParameterError, match=r"model must be .*GradientBoosting.*got "
                                                 r"'LogisticRegression'.*log_curves"):
            log_staged(run, model, X, y)
        with pytest.raises(ParameterError, match=r"model must be .*loss_curve_.*got "
                                                 r"'LogisticRegression'.*log_staged"):
            log_curves(run, model)
        gb = GradientBoostingClassifier(n_estimators=2).fit(X, y)
        with pytest.raises(ParameterError, match=r"every must be an integer >= 1; got 0"):
            log_staged(run, gb, X, y, every=0)
        with pytest.raises(ParameterError, match=r"task must be one of .*got 'ranking'"):
            log_staged(run, gb, X, y, task="ranking")
        with pytest.raises(ParameterError, match=r"prefix must be a string; got 3"):
            lightgbm_callback(run, prefix=3)
    with pytest.raises(ParameterError, match=r"run must be a driftline Run"):
        RunCallback("run-id")


# -- a hand-written loop --------------------------------------------------------------------------
def test_run_callback_in_a_hand_written_gradient_descent(store):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 2))
    y = X @ np.array([2.0, -1.0])
    w = np.zeros(2)
    losses = []
    with track("gd", store=store) as run:
        cb = RunCallback(run, prefix="train/")
        assert isinstance(cb, TrainingCallback)
        cb.on_train_begin()
        for epoch in range(5):
            residual = X @ w - y
            w -= 0.1 * X.T @ residual / len(y)
            losses.append(float(np.mean((X @ w - y) ** 2)))
            cb.on_epoch_end(epoch, {"loss": np.float64(losses[-1]), "lr": 0.1, "phase": "fit",
                                    "weights": w.copy(), "diverged": False, "grad": float("nan"),
                                    "note": None})
        cb.on_train_end({"loss": losses[-1]})
    history = metric_history(store, run.id)
    assert set(history) == {"train/loss", "train/lr"}
    assert history["train/loss"] == [*_curve(losses), (None, losses[-1])]
    assert [s for s, _ in history["train/lr"]] == [0, 1, 2, 3, 4]


def test_run_callback_takes_the_calls_keras_makes(store):
    with track("keras", store=store) as run:
        cb = RunCallback(run)
        cb.set_params({"epochs": 2, "steps": 3})
        cb.set_model("a model")
        cb.on_train_begin()
        for epoch in range(2):
            cb.on_epoch_begin(epoch)
            for batch in range(3):
                cb.on_train_batch_begin(batch)
                cb.on_train_batch_end(batch, {"loss": 1.0})
            cb.on_test_begin()
            cb.on_test_batch_begin(0)
            cb.on_test_batch_end(0, {"loss": 1.0})
            cb.on_test_end({"loss": 1.0})
            cb.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.5 / (epoch + 1)})
        cb.on_train_end({"loss": 0.5, "val_loss": 0.75})
    assert cb.params == {"epochs": 2, "steps": 3} and cb.model == "a model"
    assert metric_history(store, run.id)["val_loss"] == [(0, 1.5), (1, 0.75), (None, 0.75)]
