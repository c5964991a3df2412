"""One entry point: the seed's full metric set for a task, each scalar with its band."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.metrics._bands import BAND_METHODS, BandMethod, band, check_n_boot
from driftline.metrics._inputs import (
    Prepared,
    UndefinedMetricError,
    check_level,
    label_inputs,
    regression_inputs,
    score_inputs,
)
from driftline.metrics._registry import TASKS, get
from driftline.metrics._report import ClassificationReport, ConfusionMatrix, matrix_of, report_of
from driftline.metrics._value import MetricValue, clean

__all__ = ["REPORT_SCHEMA", "MetricReport", "evaluate"]

REPORT_SCHEMA = "driftline.metric_report/1"
Task = Literal["binary", "multiclass", "regression"]

_REGRESSION = ("mae", "mse", "rmse", "r2", "mape")
_SCORED = ("log_loss", "roc_auc", "pr_auc")


@dataclass(frozen=True)
class MetricReport:
    """Every metric of one evaluation, with bands, the confusion matrix and per-class scores.

    Attributes
    ----------
    task : ``"binary"``, ``"multiclass"`` or ``"regression"``.
    n : rows evaluated.
    classes : the label order (``()`` for regression).
    metrics : one :class:`MetricValue` per computed scalar metric.
    omitted : ``(name, reason)`` for each metric of the task that could not be computed.
    confusion_matrix, class_report : for classification; ``None`` for regression.
    notes : anything else worth knowing, such as labels derived from scores.
    level, band_method, n_boot, seed : how the bands were made (``band_method`` ``None``
        without bands).

    Examples
    --------
    >>> r = evaluate("regression", [1.0, 2.0, 3.0, 4.0], [1.1, 1.9, 3.2, 3.9], bands=False)
    >>> round(r["mae"].value, 3), "mae" in r, r.to_dict()["schema"]
    (0.125, True, 'driftline.metric_report/1')
    """

    task: Task
    n: int
    classes: tuple[Any, ...]
    metrics: tuple[MetricValue, ...]
    omitted: tuple[tuple[str, str], ...] = ()
    confusion_matrix: ConfusionMatrix | None = None
    class_report: ClassificationReport | None = None
    notes: tuple[str, ...] = ()
    level: float = 0.95
    band_method: str | None = "auto"
    n_boot: int = 1000
    seed: int | None = 0

    def __getitem__(self, name: str) -> MetricValue:
        for m in self.metrics:
            if m.name == name:
                return m
        why = dict(self.omitted).get(name)
        if why is not None:
            raise KeyError(f"{name} was omitted: {why}")
        raise KeyError(f"{name} is not in this report; it has {[m.name for m in self.metrics]!r}")

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self.metrics)

    def scalars(self) -> dict[str, float]:
        """Each computed metric's value, by name.

        Examples
        --------
        >>> evaluate("binary", [0, 1, 1], [0, 1, 0], bands=False).scalars()
        {'accuracy': 0.6666666666666666}
        """
        return {m.name: m.value for m in self.metrics}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready, versioned dict (``"schema": "driftline.metric_report/1"``)."""
        return {
            "schema": REPORT_SCHEMA,
            "task": self.task,
            "n": self.n,
            "classes": list(self.classes),
            "metrics": {m.name: m.to_dict() for m in self.metrics},
            "omitted": dict(self.omitted),
            "confusion_matrix": None if self.confusion_matrix is None else self.confusion_matrix.to_dict(),
            "per_class": None if self.class_report is None else self.class_report.to_dict(),
            "notes": list(self.notes),
            "bands": {"level": self.level, "method": self.band_method, "n_boot": self.n_boot,
                      "seed": clean(self.seed)},
        }


def evaluate(
    task: Task,
    y_true: Any,
    y_pred: Any = None,
    y_score: Any = None,
    *,
    classes: Sequence[Any] | None = None,
    bands: bool = True,
    band_method: BandMethod = "auto",
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> MetricReport:
    """Compute the task's full metric set, each scalar with its sampling-error band.

    Parameters
    ----------
    task : ``"regression"``: MAE, MSE, RMSE, R² and MAPE. ``"binary"`` or ``"multiclass"``:
        accuracy, log loss, ROC AUC and PR AUC (one-vs-rest macro averages for multiclass),
        the confusion matrix and the per-class report.
    y_true : true targets or labels (numbers or strings).
    y_pred : predictions (labels for classification). For classification it may be ``None``
        when ``y_score`` is given: labels are then the highest-scoring class (binary:
        ``classes[1]`` when P > 0.5).
    y_score : classification scores: P(``classes[1]``) or an ``(n, 2)`` array for binary, an
        ``(n, k)`` array with columns in ``classes`` order for multiclass. Without it, log loss,
        ROC AUC and PR AUC are omitted, and ``omitted`` says so.
    classes : the label order; default the sorted labels of ``y_true`` and ``y_pred``. A binary
        task needs exactly two (``classes[1]`` is the positive class).
    bands : whether to compute bands.
    band_method : ``"auto"`` (analytic where known, else bootstrap) or ``"bootstrap"``;
        see :func:`metric_band`.
    level, n_boot, seed : the bands' confidence level, bootstrap resamples and seed.

    Notes
    -----
    A metric that is undefined on these rows (ROC AUC with one class present, R² on one row,
    log loss on scores outside [0, 1]) is left out of ``metrics`` and listed in ``omitted``
    with the reason, never reported as NaN.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 300)
    >>> p = np.clip(0.3 * y + rng.uniform(0, 0.7, 300), 0, 1)
    >>> r = evaluate("binary", y, y_score=p)
    >>> sorted(r.scalars()), r["roc_auc"].method
    (['accuracy', 'log_loss', 'pr_auc', 'roc_auc'], 'delong')
    >>> evaluate("binary", y, (p > 0.5).astype(int)).to_dict()["omitted"]["roc_auc"]
    'no y_score given'
    """
    if task not in TASKS:
        raise ParameterError.choice("task", task, TASKS)
    if band_method not in ("auto", "bootstrap"):
        raise ParameterError.choice("band_method", band_method, [m for m in BAND_METHODS if m != "analytic"])
    opts = {"level": check_level(level), "method": band_method, "n_boot": check_n_boot(n_boot),
            "seed": seed} if bands else None
    if task == "regression":
        return _regression(y_true, y_pred, y_score, opts)
    return _classification(task, y_true, y_pred, y_score, classes, opts)


def _regression(y_true: Any, y_pred: Any, y_score: Any, opts: dict[str, Any] | None) -> MetricReport:
    if y_score is not None:
        raise ParameterError.invalid("y_score", "an array", "None for task='regression'",
                                     "Pass the predictions as y_pred.")
    if y_pred is None:
        raise ParameterError.invalid("y_pred", None, "the predictions for task='regression'")
    p = regression_inputs(y_true, y_pred)
    values, omitted = _scalars(_REGRESSION, p, opts)
    return _report("regression", p, values, omitted, opts)


def _classification(task: Task, y_true: Any, y_pred: Any, y_score: Any,
                    classes: Sequence[Any] | None, opts: dict[str, Any] | None) -> MetricReport:
    if y_pred is None and y_score is None:
        raise ParameterError.invalid("y_pred", None, f"labels (or give y_score) for task={task!r}")
    notes: list[str] = []
    scored = None
    if y_pred is None:
        scored = score_inputs(y_true, y_score, classes)
        y_pred = np.asarray(scored.classes, dtype=object)[np.argmax(scored.pred, axis=1)].tolist()
        notes.append("y_pred derived from y_score: the highest-scoring class of each row")
    labels = label_inputs(y_true, y_pred, classes if scored is None else scored.classes)
    _check_class_count(task, labels.classes, classes)
    if scored is None and y_score is not None:
        k = 2 if np.ndim(y_score) == 1 else int(np.shape(y_score)[-1])
        if classes is None and k != len(labels.classes):
            raise DataError(f"y_score has {k} columns but y_true and y_pred have {len(labels.classes)} "
                            f"labels {list(labels.classes)!r}; pass classes=[...] with one label per "
                            "column, in column order.")
        scored = score_inputs(y_true, y_score, labels.classes)
    if scored is not None and task == "binary" and scored.pred.shape[1] != 2:
        raise DataError(f"y_score must have 2 columns (or be 1-D) for task='binary'; "
                        f"got {scored.pred.shape[1]}.")
    values, omitted = _scalars(("accuracy",), labels, opts)
    if scored is None:
        omitted += [(name, "no y_score given") for name in _SCORED]
    else:
        more, why = _scalars(_SCORED, scored, opts)
        values += more
        omitted += why
    return _report(task, labels, values, omitted, opts, matrix_of(labels), report_of(labels),
                   tuple(notes))


def _check_class_count(task: Task, found: tuple[Any, ...], given: Sequence[Any] | None) -> None:
    need_two = task == "binary" and len(found) != 2
    if need_two or len(found) < 2:
        where = "classes has" if given is not None else "y_true and y_pred have"
        want = "exactly 2 classes" if task == "binary" else "at least 2 classes"
        raise DataError(f"task={task!r} needs {want}; {where} {len(found)}: {list(found)!r}. "
                        "Pass classes=[...] with every class of the model, in order.")


def _scalars(names: Sequence[str], p: Prepared, opts: dict[str, Any] | None
             ) -> tuple[list[MetricValue], list[tuple[str, str]]]:
    values, omitted = [], []
    for name in names:
        spec = get(name)
        try:
            if opts is None:
                values.append(MetricValue(name, spec.compute(p), n=p.n, method=None))
            else:
                values.append(band(spec, p, **opts))
        except UndefinedMetricError as exc:
            omitted.append((name, str(exc)))
    return values, omitted


def _report(task: Task, p: Prepared, values: list[MetricValue], omitted: list[tuple[str, str]],
            opts: dict[str, Any] | None, matrix: ConfusionMatrix | None = None,
            per_class: ClassificationReport | None = None, notes: tuple[str, ...] = ()) -> MetricReport:
    o = opts or {}
    return MetricReport(task, p.n, p.classes, tuple(values), tuple(omitted), matrix, per_class, notes,
                        level=o.get("level", 0.95), band_method=o.get("method"),
                        n_boot=o.get("n_boot", 0), seed=o.get("seed"))
