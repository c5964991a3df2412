"""The confusion matrix and the per-class precision, recall, F1 and support report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline.metrics._inputs import Prepared, label_inputs
from driftline.metrics._value import clean

__all__ = ["ClassScores", "ClassificationReport", "ConfusionMatrix", "classification_report",
           "confusion_matrix"]


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of rows by true class (rows) and predicted class (columns), in ``classes`` order.

    Examples
    --------
    >>> cm = confusion_matrix(["a", "b", "b"], ["a", "a", "b"])
    >>> cm.classes, cm.counts
    (('a', 'b'), ((1, 0), (1, 1)))
    >>> int(cm.array().sum()), cm.to_dict()["rows"]
    (3, 'true')
    """

    classes: tuple[Any, ...]
    counts: tuple[tuple[int, ...], ...]

    def array(self) -> np.ndarray:
        """The counts as a ``(k, k)`` integer array."""
        return np.array(self.counts, dtype=np.int64).reshape(len(self.classes), len(self.classes))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``classes``, ``counts`` (a list of rows) and the axes' meaning."""
        return {"classes": list(self.classes), "counts": [list(r) for r in self.counts],
                "rows": "true", "columns": "predicted"}


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall, F1 and support of one class, or of an average over classes.

    ``label`` is the class, or ``"macro"`` / ``"weighted"`` for an average (whose ``support`` is
    the total number of rows).

    Examples
    --------
    >>> ClassScores("a", 0.5, 1.0, 0.6666666666666666, 2).to_dict()["f1"]
    0.6666666666666666
    """

    label: Any
    precision: float
    recall: float
    f1: float
    support: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"label": self.label, "precision": clean(self.precision), "recall": clean(self.recall),
                "f1": clean(self.f1), "support": self.support}


@dataclass(frozen=True)
class ClassificationReport:
    """Per-class scores with their macro and support-weighted averages.

    Attributes
    ----------
    classes : the label order.
    per_class : one :class:`ClassScores` per class, in ``classes`` order.
    macro : the unweighted mean over classes (every class in ``classes`` counts, even one with
        no rows).
    weighted : the mean weighted by each class's support.

    Examples
    --------
    >>> r = classification_report([0, 0, 1, 1], [0, 1, 1, 1])
    >>> r[1].precision, r.macro.recall, r.to_dict()["weighted"]["support"]
    (0.6666666666666666, 0.75, 4)
    """

    classes: tuple[Any, ...]
    per_class: tuple[ClassScores, ...]
    macro: ClassScores
    weighted: ClassScores

    def __getitem__(self, label: Any) -> ClassScores:
        for row in self.per_class:
            if row.label == label:
                return row
        raise KeyError(f"{label!r} is not a class of this report; classes are {list(self.classes)!r}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``classes``, ``per_class`` (a list), ``macro`` and ``weighted``."""
        return {"classes": list(self.classes), "per_class": [c.to_dict() for c in self.per_class],
                "macro": self.macro.to_dict(), "weighted": self.weighted.to_dict()}


def confusion_matrix(y_true: Any, y_pred: Any, *,
                     classes: Sequence[Any] | None = None) -> ConfusionMatrix:
    """Count rows by (true class, predicted class).

    Parameters
    ----------
    y_true, y_pred : labels, numbers or strings.
    classes : the row and column order; default the sorted union of the labels. A label that
        is not in an explicit ``classes`` is refused (sklearn would drop those rows silently).

    Examples
    --------
    >>> confusion_matrix([1, 0, 1, 1], [1, 0, 0, 1], classes=[1, 0]).counts
    ((2, 1), (0, 1))
    """
    return matrix_of(label_inputs(y_true, y_pred, classes))


def classification_report(y_true: Any, y_pred: Any, *,
                          classes: Sequence[Any] | None = None) -> ClassificationReport:
    """Precision, recall, F1 and support per class, with macro and weighted averages.

    Notes
    -----
    For class ``c``: precision ``TP / (TP + FP)``, recall ``TP / (TP + FN)``, F1
    ``2 TP / (2 TP + FP + FN)``, support ``TP + FN``. A ratio whose denominator is 0 is 0,
    as :func:`sklearn.metrics.precision_recall_fscore_support` gives with ``zero_division=0``.

    Examples
    --------
    >>> r = classification_report(["a", "a", "b"], ["a", "b", "b"], classes=["a", "b", "c"])
    >>> [(s.label, s.precision, s.recall, s.support) for s in r.per_class]
    [('a', 1.0, 0.5, 2), ('b', 0.5, 1.0, 1), ('c', 0.0, 0.0, 0)]
    """
    return report_of(label_inputs(y_true, y_pred, classes))


def matrix_of(p: Prepared) -> ConfusionMatrix:
    """The confusion matrix of prepared label inputs."""
    k = len(p.classes)
    m = np.bincount(p.y * k + p.pred, minlength=k * k).reshape(k, k)
    return ConfusionMatrix(p.classes, tuple(tuple(int(v) for v in row) for row in m.tolist()))


def report_of(p: Prepared) -> ClassificationReport:
    """The per-class report of prepared label inputs."""
    m = matrix_of(p).array().astype(float)
    tp, predicted, support = np.diag(m), m.sum(axis=0), m.sum(axis=1)
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, support)
    f1 = _ratio(2 * tp, predicted + support)
    rows = tuple(ClassScores(c, float(a), float(b), float(f), int(s))
                 for c, a, b, f, s in zip(p.classes, precision, recall, f1, support, strict=True))
    total = int(support.sum())
    macro = ClassScores("macro", float(precision.mean()), float(recall.mean()), float(f1.mean()), total)
    w = support / total
    weighted = ClassScores("weighted", float(precision @ w), float(recall @ w), float(f1 @ w), total)
    return ClassificationReport(p.classes, rows, macro, weighted)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)
