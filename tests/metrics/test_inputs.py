"""Validation at the boundary: every refusal names the argument, what is allowed and the value."""

from __future__ import annotations

import numpy as np
import pytest

from driftline import metrics
from driftline.errors import DataError, DriftlineWarning, ParameterError


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: metrics.mae([1.0, 2.0], [1.0]), DataError, ["y_true and y_pred", "got 2 and 1"]),
        (lambda: metrics.mae([], []), DataError, ["y_true is empty"]),
        (lambda: metrics.accuracy([], []), DataError, ["y_true is empty"]),
        (lambda: metrics.mse([1.0, 2.0], [1.0, np.nan]), DataError, ["y_pred must be finite", "1 NaN"]),
        (lambda: metrics.rmse([np.inf, 2.0], [1.0, 2.0]), DataError, ["y_true must be finite"]),
        (lambda: metrics.mae(["a", "b"], [1.0, 2.0]), DataError, ["y_true must hold numbers"]),
        (lambda: metrics.mae(np.ones((2, 2)), np.ones((2, 2))), DataError, ["1-D", "(2, 2)"]),
        (lambda: metrics.mae(np.array([1.0, None], dtype=object), [1.0, 2.0]), DataError, ["y_true"]),
        (lambda: metrics.roc_auc([0, 1], [0.2, np.nan]), DataError, ["y_score must be finite"]),
        (lambda: metrics.roc_auc([0, 1, 1], [0.2, 0.4]), DataError, ["y_true and y_score", "3 and 2"]),
        (lambda: metrics.accuracy([0, 1], ["0", "1"]), DataError, ["y_pred has string labels",
                                                                  "y_true has numeric labels"]),
        (lambda: metrics.accuracy([0.0, np.nan], [0.0, 1.0]), DataError, ["y_true must be finite"]),
        (lambda: metrics.accuracy(np.array(["a", None], dtype=object), ["a", "b"]), DataError,
         ["one kind", "None"]),
        (lambda: metrics.confusion_matrix(["a", "z"], ["a", "a"], classes=["a", "b"]), DataError,
         ["y_true has label(s) ['z']", "not in classes"]),
        (lambda: metrics.confusion_matrix(["a"], ["a"], classes=["a", "a"]), ParameterError,
         ["classes must be a sequence of distinct labels"]),
        (lambda: metrics.confusion_matrix(["a"], ["a"], classes="ab"), ParameterError, ["classes"]),
        (lambda: metrics.roc_auc(["a", "b", "c"], np.eye(3)[:, :2]), DataError,
         ["2 columns but y_true has 3", "classes=[...]"]),
        (lambda: metrics.roc_auc([0, 1], [0.1, 0.9], classes=[0, 1, 2]), ParameterError,
         ["classes must be 2 labels"]),
        (lambda: metrics.roc_auc([0, 1], np.ones((2, 2, 2))), DataError, ["shape (2, 2, 2)"]),
        (lambda: metrics.roc_auc([0, 1], [0.1, 0.9], average="micro"), ParameterError,
         ["average must be one of 'macro', 'weighted'; got 'micro'"]),
        (lambda: metrics.get("auc"), ParameterError, ["metric must be one of", "'roc_auc'", "got 'auc'"]),
        (lambda: metrics.available("ranking"), ParameterError, ["task must be one of"]),
    ],
    ids=["length", "empty-regression", "empty-labels", "nan-pred", "inf-true", "strings-as-numbers",
         "2d-regression", "none-in-numbers", "nan-score", "score-length", "mixed-label-kinds",
         "nan-label", "none-label", "unknown-label", "duplicate-classes", "classes-string",
         "columns-vs-classes", "classes-vs-1d-score", "3d-score", "average", "unknown-metric",
         "unknown-task"],
)
def test_refusals_teach(call, error, words):
    with pytest.raises(error) as info:
        call()
    for w in words:
        assert w in str(info.value)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: metrics.roc_auc([1, 1, 1], [0.2, 0.4, 0.9], classes=[0, 1]), ["only one class", "1"]),
        (lambda: metrics.pr_auc(["a", "a"], [0.2, 0.4], classes=["a", "b"]), ["only one class", "'a'"]),
        (lambda: metrics.roc_auc(["a", "b", "a"], np.full((3, 3), 1 / 3), classes=["a", "b", "c"]),
         ["class(es) ['c']", "one-vs-rest"]),
        (lambda: metrics.r2([1.0], [2.0]), ["at least 2 rows"]),
        (lambda: metrics.log_loss([0, 1], [-0.5, 2.0]), ["probabilities in [0, 1]", "y_score has values in"]),
    ],
    ids=["roc_auc-one-class", "pr_auc-one-class", "roc_auc-absent-class", "r2-one-row", "log_loss-range"],
)
def test_undefined_metrics_raise_data_error(call, words):
    with pytest.raises(DataError) as info:
        call()
    for w in words:
        assert w in str(info.value)


def test_log_loss_warns_when_rows_do_not_sum_to_one():
    with pytest.warns(DriftlineWarning, match="do not sum to 1"):
        metrics.log_loss([0, 1], [[0.5, 0.4], [0.1, 0.8]])


def test_labels_may_be_bools_ints_floats_or_strings():
    assert metrics.accuracy([True, False], [True, True]) == 0.5
    assert metrics.accuracy([1.0, 2.0], [1, 2]) == 1.0
    assert metrics.accuracy(np.array(["a", "b"], dtype=object), ["a", "a"]) == 0.5
    assert metrics.confusion_matrix([1, 2], [2, 2]).classes == (1, 2)


def test_accepts_lists_tuples_and_object_arrays_of_numbers():
    assert metrics.mae((1, 2), np.array([1.0, 4.0], dtype=object)) == 1.0
