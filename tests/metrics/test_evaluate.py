"""The one entry point: each task's full metric set, bands, omissions with reasons, to_dict."""

from __future__ import annotations

import json

import numpy as np
import pytest

from driftline import metrics
from driftline.errors import DataError, ParameterError

skm = pytest.importorskip("sklearn.metrics")

TOL = {"rtol": 1e-12, "atol": 1e-12}


def binary_data(n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.round(np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1), 2)
    return y, (p > 0.5).astype(int), p


def multiclass_data(n: int = 300, seed: int = 1):
    rng = np.random.default_rng(seed)
    labels = np.array(["high", "low", "mid"])
    codes = rng.integers(0, 3, n)
    s = rng.dirichlet([1, 1, 1], n) + 0.5 * np.eye(3)[codes]
    s /= s.sum(axis=1, keepdims=True)
    return labels[codes], labels[np.argmax(s, axis=1)], s, labels


def test_regression_gives_the_full_set_with_bands():
    rng = np.random.default_rng(2)
    y = rng.normal(3, 1, 200)
    pred = y + rng.normal(0, 0.5, 200)
    r = metrics.evaluate("regression", y, pred)
    assert [m.name for m in r.metrics] == ["mae", "mse", "rmse", "r2", "mape"]
    assert all(m.lower is not None and m.lower <= m.value <= m.upper for m in r.metrics)
    assert r.confusion_matrix is None and r.class_report is None and r.omitted == ()
    np.testing.assert_allclose(r["r2"].value, skm.r2_score(y, pred), **TOL)
    np.testing.assert_allclose(r["mape"].value, skm.mean_absolute_percentage_error(y, pred), **TOL)


def test_binary_with_scores_matches_sklearn():
    y, pred, p = binary_data()
    r = metrics.evaluate("binary", y, pred, p)
    want = {"accuracy": skm.accuracy_score(y, pred), "log_loss": skm.log_loss(y, p),
            "roc_auc": skm.roc_auc_score(y, p), "pr_auc": skm.average_precision_score(y, p)}
    assert r.scalars().keys() == want.keys()
    np.testing.assert_allclose(list(r.scalars().values()), list(want.values()), **TOL)
    np.testing.assert_array_equal(r.confusion_matrix.array(), skm.confusion_matrix(y, pred))
    assert r.classes == (0, 1) and r.n == 300


def test_binary_scores_as_one_column_or_two_agree():
    y, pred, p = binary_data()
    one = metrics.evaluate("binary", y, pred, p)
    two = metrics.evaluate("binary", y, pred, np.column_stack([1 - p, p]))
    assert one.to_dict() == two.to_dict()


def test_multiclass_with_string_labels_matches_sklearn():
    y, pred, s, labels = multiclass_data()
    r = metrics.evaluate("multiclass", y, pred, s, classes=list(labels))
    np.testing.assert_allclose(r["roc_auc"].value, skm.roc_auc_score(y, s, multi_class="ovr"), **TOL)
    np.testing.assert_allclose(r["pr_auc"].value, skm.average_precision_score(y, s), **TOL)
    np.testing.assert_allclose(r["log_loss"].value, skm.log_loss(y, s, labels=labels), **TOL)
    assert r["roc_auc"].method == "bootstrap" and r["accuracy"].method == "wilson"
    f1 = skm.f1_score(y, pred, average=None, labels=labels, zero_division=0)
    np.testing.assert_allclose([c.f1 for c in r.class_report.per_class], f1, **TOL)


def test_without_scores_the_score_metrics_are_omitted_with_the_reason():
    y, pred, _ = binary_data()
    r = metrics.evaluate("binary", y, pred)
    assert list(r.scalars()) == ["accuracy"]
    assert dict(r.omitted) == {name: "no y_score given" for name in ("log_loss", "roc_auc", "pr_auc")}
    assert "roc_auc" not in r and "roc_auc" not in r.to_dict()["metrics"]
    with pytest.raises(KeyError, match="omitted: no y_score given"):
        r["roc_auc"]


def test_a_single_class_omits_the_ranking_metrics():
    y = np.zeros(40, dtype=int)
    p = np.linspace(0.0, 1.0, 40)
    r = metrics.evaluate("binary", y, (p > 0.5).astype(int), p, classes=[0, 1])
    assert set(r.scalars()) == {"accuracy", "log_loss"}
    omitted = dict(r.omitted)
    assert "only one class" in omitted["roc_auc"] and "only one class" in omitted["pr_auc"]


def test_scores_outside_zero_one_omit_only_log_loss():
    y, pred, p = binary_data()
    r = metrics.evaluate("binary", y, pred, 4 * p - 2)   # decision scores, not probabilities
    assert "log_loss" not in r and "roc_auc" in r
    assert "probabilities in [0, 1]" in dict(r.omitted)["log_loss"]


def test_labels_can_be_derived_from_scores():
    y, _, s, labels = multiclass_data()
    r = metrics.evaluate("multiclass", y, y_score=s, classes=list(labels))
    np.testing.assert_allclose(r["accuracy"].value,
                               skm.accuracy_score(y, labels[np.argmax(s, axis=1)]), **TOL)
    assert "derived from y_score" in r.notes[0]


def test_to_dict_is_versioned_and_json_ready():
    y, pred, s, _ = multiclass_data()
    d = metrics.evaluate("multiclass", y, pred, s).to_dict()
    assert d["schema"] == metrics.REPORT_SCHEMA == "driftline.metric_report/1"
    assert d["classes"] == ["high", "low", "mid"]
    assert d["confusion_matrix"]["counts"][0][0] >= 0 and d["per_class"]["macro"]["label"] == "macro"
    assert d["bands"] == {"level": 0.95, "method": "auto", "n_boot": 1000, "seed": 0}
    json.dumps(d, allow_nan=False)


def test_bands_can_be_turned_off_or_forced_to_bootstrap():
    y, pred, p = binary_data()
    off = metrics.evaluate("binary", y, pred, p, bands=False)
    assert all(m.lower is None and m.method is None for m in off.metrics)
    assert off.to_dict()["bands"]["method"] is None
    boot = metrics.evaluate("binary", y, pred, p, band_method="bootstrap", n_boot=200, seed=3)
    assert {m.method for m in boot.metrics} == {"bootstrap"}
    assert boot == metrics.evaluate("binary", y, pred, p, band_method="bootstrap", n_boot=200, seed=3)


def test_one_row_regression_omits_r2():
    r = metrics.evaluate("regression", [1.0], [1.5])
    assert "r2" not in r and "at least 2 rows" in dict(r.omitted)["r2"]
    assert r["mae"].value == 0.5 and r["mae"].lower is None


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: metrics.evaluate("ranking", [1], [1]), ParameterError,
     "task must be one of 'binary', 'multiclass', 'regression'; got 'ranking'"),
    (lambda: metrics.evaluate("regression", [1.0], [1.0], [0.5]), ParameterError, "y_score must be None"),
    (lambda: metrics.evaluate("regression", [1.0]), ParameterError, "y_pred must be the predictions"),
    (lambda: metrics.evaluate("binary", [0, 1]), ParameterError, "y_pred must be labels (or give y_score)"),
    (lambda: metrics.evaluate("binary", [0, 1, 2], [0, 1, 2]), DataError,
     "task='binary' needs exactly 2 classes; y_true and y_pred have 3"),
    (lambda: metrics.evaluate("binary", [1, 1], [1, 1]), DataError, "Pass classes=[...]"),
    (lambda: metrics.evaluate("multiclass", ["a", "b", "c"], ["a", "b", "c"], np.eye(3)[:, :2]),
     DataError, "y_score has 2 columns but y_true and y_pred have 3"),
    (lambda: metrics.evaluate("binary", [0, 1, 2], [0, 1, 2], np.eye(3), classes=[0, 1, 2]),
     DataError, "exactly 2 classes"),
    (lambda: metrics.evaluate("binary", [0, 1], [0, 1], band_method="analytic"), ParameterError,
     "band_method must be one of 'auto', 'bootstrap'"),
    (lambda: metrics.evaluate("binary", [0, 1], [0, np.nan]), DataError, "y_pred must be finite"),
])
def test_refusals(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_every_task_is_covered_by_the_registry():
    for task in metrics.TASKS:
        assert metrics.available(task)
    assert set(metrics.available("multiclass")) >= {"accuracy", "log_loss", "roc_auc", "pr_auc"}
