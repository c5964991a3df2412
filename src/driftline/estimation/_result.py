"""The frozen results of performance estimation: banded metrics and the expected confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from driftline.metrics import MetricValue
from driftline.metrics._value import clean

__all__ = ["ESTIMATE_SCHEMA", "EstimatedConfusionMatrix", "PerformanceEstimate"]

ESTIMATE_SCHEMA = "driftline.performance_estimate/1"


@dataclass(frozen=True)
class EstimatedConfusionMatrix:
    """Expected counts of rows by true class (rows) and predicted class (columns), with bands.

    Attributes
    ----------
    classes : the label order of rows and columns.
    expected : the expected count of each cell (floats; the cells sum to ``n``).
    lower, upper : each cell's band at ``level`` (``None`` without bands).
    level : the bands' confidence level.

    Examples
    --------
    >>> cm = EstimatedConfusionMatrix((0, 1), ((4.2, 0.8), (1.1, 3.9)), ((3.0, 0.0), (0.0, 3.0)),
    ...                               ((5.0, 2.0), (2.0, 5.0)))
    >>> round(float(cm.array().sum()), 6), cm.to_dict()["rows"]
    (10.0, 'true')
    """

    classes: tuple[Any, ...]
    expected: tuple[tuple[float, ...], ...]
    lower: tuple[tuple[float, ...], ...] | None = None
    upper: tuple[tuple[float, ...], ...] | None = None
    level: float = 0.95

    def array(self) -> np.ndarray:
        """The expected counts as a ``(k, k)`` float array."""
        return np.array(self.expected, dtype=float).reshape(len(self.classes), len(self.classes))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, shaped like :meth:`driftline.metrics.ConfusionMatrix.to_dict`."""
        return {"classes": list(self.classes), "counts": clean(self.expected),
                "lower": clean(self.lower), "upper": clean(self.upper), "level": self.level,
                "rows": "true", "columns": "predicted"}


@dataclass(frozen=True)
class PerformanceEstimate:
    """Metrics estimated without labels on one chunk, each with a band for its sampling error.

    Shaped like :class:`driftline.metrics.MetricReport`, so estimated and realized metrics read
    the same way: ``estimate["accuracy"]`` and ``report["accuracy"]`` are both
    :class:`driftline.metrics.MetricValue`.

    Attributes
    ----------
    method : ``"cbpe"`` or ``"dle"``.
    task : ``"binary"``, ``"multiclass"`` or ``"regression"``.
    n : rows in the chunk.
    classes : the label order (``()`` for regression).
    metrics : one :class:`~driftline.metrics.MetricValue` per estimated metric; its band is the
        range the *realized* metric on this chunk is expected to fall in, at ``level``, when the
        method's assumptions hold.
    confusion_matrix : the expected confusion matrix (classification), else ``None``.
    notes : anything worth knowing, such as whether scores were calibrated.
    level, band_method, n_sim, seed : how the bands were made.

    Examples
    --------
    >>> e = PerformanceEstimate("dle", "regression", 3, (), (MetricValue("mae", 0.5, 0.4, 0.6, 3),))
    >>> e["mae"].value, "mse" in e, e.to_dict()["schema"]
    (0.5, False, 'driftline.performance_estimate/1')
    """

    method: Literal["cbpe", "dle"]
    task: Literal["binary", "multiclass", "regression"]
    n: int
    classes: tuple[Any, ...]
    metrics: tuple[MetricValue, ...]
    confusion_matrix: EstimatedConfusionMatrix | None = None
    notes: tuple[str, ...] = ()
    level: float = 0.95
    band_method: str | None = None
    n_sim: int = 0
    seed: int | None = 0

    def __getitem__(self, name: str) -> MetricValue:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"{name} is not in this estimate; it has {[m.name for m in self.metrics]!r}")

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self.metrics)

    def scalars(self) -> dict[str, float]:
        """Each estimated metric's value, by name.

        Examples
        --------
        >>> PerformanceEstimate("dle", "regression", 1, (), (MetricValue("mae", 0.5),)).scalars()
        {'mae': 0.5}
        """
        return {m.name: m.value for m in self.metrics}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready, versioned dict (``"schema": "driftline.performance_estimate/1"``)."""
        return {
            "schema": ESTIMATE_SCHEMA,
            "method": self.method,
            "task": self.task,
            "n": self.n,
            "classes": list(self.classes),
            "metrics": {m.name: m.to_dict() for m in self.metrics},
            "confusion_matrix": None if self.confusion_matrix is None else self.confusion_matrix.to_dict(),
            "notes": list(self.notes),
            "bands": {"level": self.level, "method": self.band_method, "n_sim": self.n_sim,
                      "seed": clean(self.seed)},
        }
