"""Evaluation metrics on numpy arrays, each with a band for its sampling error.

The seed's metrics, defined once: regression (MAE, MSE, RMSE, R², MAPE) and classification
(accuracy, log loss, ROC AUC, PR AUC, confusion matrix, per-class precision, recall and F1),
matching scikit-learn's definitions. :func:`evaluate` computes a task's full set;
:func:`metric_band` gives one metric with a confidence band (seeded bootstrap, or an analytic
interval where one is well known); :func:`paired_bootstrap` decides whether a challenger is worse
than the champion on the same rows. Metric names are registered: :func:`available` lists them
and :func:`get` returns one.

This package imports numpy only.

Examples
--------
>>> import numpy as np
>>> from driftline import metrics
>>> rng = np.random.default_rng(0)
>>> y = rng.normal(size=200)
>>> report = metrics.evaluate("regression", y, y + rng.normal(0, 0.5, 200))
>>> round(report["rmse"].value, 2), report["rmse"].lower < report["rmse"].value
(0.5, True)
>>> metrics.available("binary")
('accuracy', 'log_loss', 'pr_auc', 'roc_auc')
"""

from driftline.metrics._bands import BAND_METHODS, metric_band
from driftline.metrics._classification import accuracy, log_loss
from driftline.metrics._evaluate import REPORT_SCHEMA, MetricReport, evaluate
from driftline.metrics._paired import DECISIONS, PairedComparison, paired_bootstrap
from driftline.metrics._ranking import pr_auc, roc_auc
from driftline.metrics._registry import TASKS, MetricSpec, available, get
from driftline.metrics._regression import MAPE_EPS, mae, mape, mse, r2, rmse
from driftline.metrics._report import (
    ClassificationReport,
    ClassScores,
    ConfusionMatrix,
    classification_report,
    confusion_matrix,
)
from driftline.metrics._value import MetricValue

__all__ = [
    "BAND_METHODS",
    "DECISIONS",
    "MAPE_EPS",
    "REPORT_SCHEMA",
    "TASKS",
    "ClassScores",
    "ClassificationReport",
    "ConfusionMatrix",
    "MetricReport",
    "MetricSpec",
    "MetricValue",
    "PairedComparison",
    "accuracy",
    "available",
    "classification_report",
    "confusion_matrix",
    "evaluate",
    "get",
    "log_loss",
    "mae",
    "mape",
    "metric_band",
    "mse",
    "paired_bootstrap",
    "pr_auc",
    "r2",
    "rmse",
    "roc_auc",
]
