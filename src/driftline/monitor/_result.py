"""What the monitor found in one window: :class:`MonitorResult`, its JSON form, the gauges
it sets and the light summary the UI charts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["RESULT_SCHEMA", "MonitorResult"]

RESULT_SCHEMA = "driftline.monitor_result/1"


@dataclass(frozen=True)
class MonitorResult:
    """What the monitor found in one window.

    Examples
    --------
    >>> r = MonitorResult("credit", 1, "2026-01-01T00:00:00+00:00", "2026-01-01T01:00:00+00:00",
    ...                   n_rows=40, too_small=True, reason="40 rows; at least 200 are needed")
    >>> r.to_dict()["too_small"], r.gauges()[0]["name"]
    (True, 'driftline_label_coverage')
    """

    model: str
    version: int
    start: str
    end: str
    n_rows: int
    too_small: bool = False
    reason: str | None = None
    dataset_drift: bool | None = None
    drift_share: float | None = None
    features: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    prediction_drift: Mapping[str, Any] | None = None
    label_drift: Mapping[str, Any] | None = None
    label_coverage: float = 0.0
    n_labelled: int = 0
    performance: Mapping[str, Any] | None = None
    quality_ok: bool = True
    quality_problems: tuple[str, ...] = ()
    actions: Mapping[str, str] = field(default_factory=dict)
    segments: tuple[Mapping[str, Any], ...] = ()
    outliers: Mapping[str, Any] | None = None
    estimated: Mapping[str, Any] | None = None
    label_shift: Mapping[str, Any] | None = None
    multivariate: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # display aggregates per column (bin counts or top labels on both sides), for the UI
    distributions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False,
                                                           compare=False)

    @property
    def drifted_features(self) -> tuple[str, ...]:
        """The features that drifted in this window."""
        return tuple(k for k, v in self.features.items() if v.get("drifted"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, versioned by ``schema``; ``gauges`` are what /metrics exports."""
        return {
            "schema": RESULT_SCHEMA, "model": self.model, "version": self.version,
            "start": self.start, "end": self.end, "n_rows": self.n_rows,
            "too_small": self.too_small, "reason": self.reason,
            "dataset_drift": self.dataset_drift, "drift_share": self.drift_share,
            "drifted_features": list(self.drifted_features),
            "features": {k: dict(v) for k, v in self.features.items()},
            "prediction_drift": None if self.prediction_drift is None else dict(self.prediction_drift),
            "label_drift": None if self.label_drift is None else dict(self.label_drift),
            "label_coverage": self.label_coverage, "n_labelled": self.n_labelled,
            "performance": None if self.performance is None else dict(self.performance),
            "quality_ok": self.quality_ok, "quality_problems": list(self.quality_problems),
            "actions": dict(self.actions), "segments": [dict(x) for x in self.segments],
            "outliers": None if self.outliers is None else dict(self.outliers),
            "estimated": None if self.estimated is None else dict(self.estimated),
            "label_shift": None if self.label_shift is None else dict(self.label_shift),
            "multivariate": {k: dict(v) for k, v in self.multivariate.items()},
            "gauges": self.gauges(),
        }

    def gauges(self) -> list[dict[str, Any]]:
        """The Prometheus gauges this result sets (read from the store at scrape time)."""
        m = {"model": self.model}
        out: list[dict[str, Any]] = [
            {"name": "driftline_label_coverage", "labels": m, "value": self.label_coverage}]
        if self.too_small:
            return out
        if self.drift_share is not None:
            out.append({"name": "driftline_dataset_drift_share", "labels": m,
                        "value": self.drift_share})
        if self.dataset_drift is not None:
            out.append({"name": "driftline_dataset_drift", "labels": m,
                        "value": float(self.dataset_drift)})
        if self.outliers is not None:
            out.append({"name": "driftline_outlier_share", "labels": m,
                        "value": float(self.outliers["share"])})
        for method, r in self.multivariate.items():
            if r.get("drifted") is not None:
                out.append({"name": "driftline_multivariate_drift",
                            "labels": {**m, "method": method}, "value": float(bool(r["drifted"]))})
        shift = self.label_shift or {}
        for cls, prior in zip(shift.get("classes") or (), shift.get("target_prior") or (),
                              strict=False):
            out.append({"name": "driftline_estimated_class_prior",
                        "labels": {**m, "class": str(cls)}, "value": float(prior)})
        if shift.get("shifted") is not None:
            out.append({"name": "driftline_label_shift", "labels": m,
                        "value": float(bool(shift["shifted"]))})
        for metric, value in ((self.estimated or {}).get("metrics") or {}).items():
            if isinstance(value, (int, float)) and np.isfinite(value):
                out.append({"name": "driftline_model_performance",
                            "labels": {**m, "version": str(self.version), "metric": metric,
                                       "source": "estimated"},
                            "value": float(value)})
        for name, f in self.features.items():
            score = f.get("score")
            if score is not None and np.isfinite(score):
                out.append({"name": "driftline_feature_drift_score",
                            "labels": {**m, "feature": name}, "value": float(score)})
        for metric, value in (self.performance or {}).items():
            if isinstance(value, (int, float)) and np.isfinite(value):
                out.append({"name": "driftline_model_performance",
                            "labels": {**m, "version": str(self.version), "metric": metric,
                                       "source": "realized"},
                            "value": float(value)})
        return out

    def value_rows(self) -> list[dict[str, Any]]:
        """One row per feature × method, for the per-window table the UI queries."""
        return [{"feature": name, "method": f.get("method"), "statistic": f.get("statistic"),
                 "p_value": f.get("p_value"), "effect_size": f.get("effect_size"),
                 "drifted": f.get("drifted"), "score": f.get("score")}
                for name, f in self.features.items()]

    def summary(self) -> dict[str, Any]:
        """The few fields charted over many windows: a few hundred bytes, whatever the number
        of features (the full result stays in :meth:`to_dict`)."""
        def small(d: Mapping[str, Any] | None) -> dict[str, Any] | None:
            keys = ("method", "statistic", "p_value", "score", "drifted")
            return None if d is None else {k: d.get(k) for k in keys}

        return {"version": self.version, "start": self.start, "end": self.end,
                "n_rows": self.n_rows, "too_small": self.too_small,
                "dataset_drift": self.dataset_drift, "drift_share": self.drift_share,
                "n_features": len(self.features), "n_drifted": len(self.drifted_features),
                "label_coverage": self.label_coverage, "n_labelled": self.n_labelled,
                "performance": None if self.performance is None else dict(self.performance),
                "prediction_drift": small(self.prediction_drift),
                "label_drift": small(self.label_drift), "quality_ok": self.quality_ok,
                "actions": dict(self.actions),
                "outlier_share": None if self.outliers is None else self.outliers["share"],
                "estimated": None if self.estimated is None else dict(self.estimated),
                "label_shift": None if self.label_shift is None else dict(self.label_shift),
                "multivariate": {k: {"p_value": v.get("p_value"), "drifted": v.get("drifted")}
                                 for k, v in self.multivariate.items()}}
