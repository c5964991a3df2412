"""Oracle table: every metric against scikit-learn on seeded data.

Tolerance: ``rtol = atol = 1e-12`` everywhere. The definitions are the same; only the order of
floating-point operations differs (a trapezoid against a sum over tie groups, for instance).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from driftline import metrics

skm = pytest.importorskip("sklearn.metrics")

TOL = {"rtol": 1e-12, "atol": 1e-12}
LABELS = np.array(["ant", "bee", "cat"])


# -- data -----------------------------------------------------------------------------------
def regression(seed: int = 0, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.normal(5.0, 3.0, n)
    pred = y + rng.normal(0.0, 1.0, n)
    y[:12] = 0.0         # zero targets: MAPE divides by max(|y|, eps)
    pred[:6] = 0.0       # ... half of them predicted exactly
    return y, pred


def binary(seed: int = 1, n: int = 400, decimals: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Labels 0/1 and P(1), rounded so that many scores tie."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + rng.uniform(0.0, 0.65, n), 0.0, 1.0)
    return y, np.round(p, decimals)


def multiclass(seed: int = 2, n: int = 450) -> tuple[np.ndarray, np.ndarray]:
    """String labels and (n, 3) probabilities with ties, rows summing to 1."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, n)
    s = rng.dirichlet([1.0, 1.0, 1.0], n) + 0.6 * np.eye(3)[codes]
    s = np.round(s / s.sum(axis=1, keepdims=True), 2)
    s[:, 2] = 1.0 - s[:, 0] - s[:, 1]
    return LABELS[codes], np.clip(s, 0.0, 1.0)


def predicted(y: np.ndarray, seed: int, share_right: float, labels: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(y.size) < share_right, y, rng.choice(labels, y.size))


# -- the table ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    ours: Callable[[], Any]
    theirs: Callable[[], Any]


def _cases() -> list[Case]:
    y, p = regression()
    yb, sb = binary()
    yt, ys = binary(seed=3, decimals=1)     # heavy ties
    ym, sm = multiclass()
    ybs = np.where(yb == 1, "pos", "neg")
    pb = (sb > 0.5).astype(int)
    pm = predicted(ym, 4, 0.6, LABELS)
    sb2 = np.column_stack([1 - sb, sb])
    return [
        Case("mae-regression", lambda: metrics.mae(y, p), lambda: skm.mean_absolute_error(y, p)),
        Case("mse-regression", lambda: metrics.mse(y, p), lambda: skm.mean_squared_error(y, p)),
        Case("rmse-regression", lambda: metrics.rmse(y, p), lambda: skm.root_mean_squared_error(y, p)),
        Case("r2-regression", lambda: metrics.r2(y, p), lambda: skm.r2_score(y, p)),
        Case("r2-constant-target-perfect", lambda: metrics.r2([3.0, 3.0], [3.0, 3.0]),
             lambda: skm.r2_score([3.0, 3.0], [3.0, 3.0])),
        Case("r2-constant-target-miss", lambda: metrics.r2([3.0, 3.0], [3.0, 4.0]),
             lambda: skm.r2_score([3.0, 3.0], [3.0, 4.0])),
        Case("mape-zero-targets", lambda: metrics.mape(y, p),
             lambda: skm.mean_absolute_percentage_error(y, p)),
        Case("mape-nonzero-targets", lambda: metrics.mape(y[12:], p[12:]),
             lambda: skm.mean_absolute_percentage_error(y[12:], p[12:])),
        Case("accuracy-binary", lambda: metrics.accuracy(yb, pb), lambda: skm.accuracy_score(yb, pb)),
        Case("accuracy-multiclass-strings", lambda: metrics.accuracy(ym, pm),
             lambda: skm.accuracy_score(ym, pm)),
        Case("log_loss-binary-1d", lambda: metrics.log_loss(yb, sb), lambda: skm.log_loss(yb, sb)),
        Case("log_loss-binary-2d-strings", lambda: metrics.log_loss(ybs, sb2),
             lambda: skm.log_loss(ybs, sb2)),
        Case("log_loss-binary-clipped", lambda: metrics.log_loss([0, 1, 1], [0.0, 1.0, 0.0]),
             lambda: skm.log_loss([0, 1, 1], [0.0, 1.0, 0.0])),
        Case("log_loss-multiclass-strings", lambda: metrics.log_loss(ym, sm),
             lambda: skm.log_loss(ym, sm, labels=LABELS)),
        Case("roc_auc-binary-ties", lambda: metrics.roc_auc(yb, sb), lambda: skm.roc_auc_score(yb, sb)),
        Case("roc_auc-binary-heavy-ties", lambda: metrics.roc_auc(yt, ys),
             lambda: skm.roc_auc_score(yt, ys)),
        Case("roc_auc-binary-2d-strings", lambda: metrics.roc_auc(ybs, sb2),
             lambda: skm.roc_auc_score(ybs, sb)),
        Case("roc_auc-multiclass-macro", lambda: metrics.roc_auc(ym, sm),
             lambda: skm.roc_auc_score(ym, sm, multi_class="ovr", average="macro")),
        Case("roc_auc-multiclass-weighted", lambda: metrics.roc_auc(ym, sm, average="weighted"),
             lambda: skm.roc_auc_score(ym, sm, multi_class="ovr", average="weighted")),
        Case("pr_auc-binary-ties", lambda: metrics.pr_auc(yb, sb),
             lambda: skm.average_precision_score(yb, sb)),
        Case("pr_auc-binary-heavy-ties", lambda: metrics.pr_auc(yt, ys),
             lambda: skm.average_precision_score(yt, ys)),
        Case("pr_auc-binary-strings", lambda: metrics.pr_auc(ybs, sb),
             lambda: skm.average_precision_score(ybs, sb, pos_label="pos")),
        Case("pr_auc-multiclass-macro", lambda: metrics.pr_auc(ym, sm),
             lambda: skm.average_precision_score(ym, sm, average="macro")),
        Case("pr_auc-multiclass-weighted", lambda: metrics.pr_auc(ym, sm, average="weighted"),
             lambda: skm.average_precision_score(ym, sm, average="weighted")),
        Case("confusion_matrix-binary", lambda: metrics.confusion_matrix(yb, pb).array(),
             lambda: skm.confusion_matrix(yb, pb)),
        Case("confusion_matrix-label-order", lambda: metrics.confusion_matrix(
            ym, pm, classes=["cat", "ant", "bee"]).array(),
            lambda: skm.confusion_matrix(ym, pm, labels=["cat", "ant", "bee"])),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_sklearn(case):
    np.testing.assert_allclose(case.ours(), case.theirs(), **TOL)


def test_every_registered_metric_has_an_oracle_row():
    covered = {c.id.split("-")[0] for c in CASES}
    for name in metrics.available():
        assert name.removesuffix("_weighted") in covered, name


@pytest.mark.parametrize("classes", [None, ["ant", "bee", "cat", "dog"]], ids=["seen", "with-absent-class"])
def test_classification_report_matches_sklearn(classes):
    ym, _ = multiclass()
    pm = predicted(ym, 5, 0.5, LABELS[:2])   # "cat" is never predicted: zero division
    report = metrics.classification_report(ym, pm, classes=classes)
    labels = list(report.classes)
    p, r, f, s = skm.precision_recall_fscore_support(ym, pm, labels=labels, zero_division=0)
    ours = np.array([[c.precision, c.recall, c.f1, c.support] for c in report.per_class])
    np.testing.assert_allclose(ours, np.column_stack([p, r, f, s]), **TOL)
    for avg, row in [("macro", report.macro), ("weighted", report.weighted)]:
        want = skm.precision_recall_fscore_support(ym, pm, labels=labels, zero_division=0, average=avg)
        np.testing.assert_allclose([row.precision, row.recall, row.f1], want[:3], **TOL)
        assert row.support == ym.size


def test_weighted_registry_entries_compute_weighted_averages():
    ym, sm = multiclass()
    np.testing.assert_allclose(metrics.get("roc_auc_weighted")(ym, sm),
                               skm.roc_auc_score(ym, sm, multi_class="ovr", average="weighted"), **TOL)


def test_multiclass_ranking_needs_no_normalised_scores():
    ym, sm = multiclass()
    scaled = sm * np.array([1.0, 3.0, 0.5])  # a monotone map per column leaves each ranking alone
    assert metrics.roc_auc(ym, scaled) == pytest.approx(metrics.roc_auc(ym, sm), abs=1e-15)


def test_binary_string_labels_use_the_second_class_as_positive():
    yb, sb = binary()
    ybs = np.where(yb == 1, "yes", "no")
    assert metrics.roc_auc(ybs, sb) == metrics.roc_auc(yb, sb)
    flipped = metrics.roc_auc(ybs, 1 - sb, classes=["yes", "no"])
    assert flipped == pytest.approx(metrics.roc_auc(yb, sb), abs=1e-15)
