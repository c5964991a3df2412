"""The monitor: one window of logged traffic against the champion's reference.

For each window it computes feature drift, prediction drift, label drift and realized
performance (once enough labels have arrived, with the window's label coverage), data
quality, and the recommended action for each drift type found, as a :class:`MonitorResult`.
A window too small to judge says so and gives no verdict. With ``engine="profile"`` the
per-feature and prediction drift tests run on mergeable profiles instead of the rows (see
:mod:`driftline.monitor._profiled`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.drift._actions import action_for
from driftline.errors import ParameterError
from driftline.monitor._result import RESULT_SCHEMA, MonitorResult

if TYPE_CHECKING:
    import pandas as pd

    from driftline.drift import DriftReport
    from driftline.profile import TableProfile

__all__ = ["RESULT_SCHEMA", "Monitor", "MonitorResult"]

def _column_summary(col: Any) -> dict[str, Any]:
    effect = col.effect_size
    floor = col.effect_threshold
    score = None
    if effect is not None and np.isfinite(effect):
        score = float(effect / floor) if floor else float(effect)
    return {"method": col.method, "statistic": _f(col.statistic), "p_value": _f(col.p_value),
            "effect_size": _f(effect), "effect_name": col.effect_size_name,
            "threshold": _f(floor), "drifted": col.drifted, "tested": col.tested,
            "score": score, "action": col.action if col.drifted else None,
            "reason": col.reason}


def _f(v: Any) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


class Monitor:
    """Compare windows of logged traffic with a version's reference.

    Parameters
    ----------
    model, version : what the results are about.
    reference : the version's scored holdout (features, target, prediction, scores).
    features : the model's features.
    target : the label column of the reference; logged windows carry labels as ``label``.
    task : binary, multiclass or regression.
    min_rows : windows with fewer rows get no verdict.
    min_labels : realized performance and label drift need at least this many labels.
    alpha : the drift tests' significance level.
    estimate : estimate each window's performance without labels (see
        :class:`~driftline.monitor._estimated.PerformanceEstimator`: CBPE from the logged
        scores, DLE for regressors), marked ``source="estimated"``; when labels cover the window
        too, ``estimated["error"]`` is the estimate minus the realized value per metric. For
        classifiers also the window's class priors estimated from its predicted labels
        (``label_shift``: BBSE with RLLS, and a chi-square test of the prediction mix).
    multivariate : whole-row drift methods to run on each window's numeric features (opt-in:
        ``pca_reconstruction``, ``mmd``, ``domain_classifier``; see
        :class:`~driftline.monitor._multivariate.MultivariateWatch`).
    outliers : the share of outliers in each window (see :class:`OutlierShare`): ``True`` with
        the defaults, a mapping of its parameters (``quantile``, ``n_trees``, ``height``,
        ``seed``), or ``False``. Needs a numeric feature and 200 reference rows; otherwise
        there is no outlier share.
    engine : ``"exact"`` (default) runs the drift tests on the window's rows; ``"profile"``
        runs the per-feature and prediction drift tests on profiles: the window's (given to
        :meth:`compute` as ``profile=``, or built from the window) against
        ``reference_profile``. Everything else still reads the window's rows.
    reference_profile : the reference's :class:`~driftline.profile.TableProfile` for
        ``engine="profile"`` (default: profiled here from ``reference``, as
        :meth:`Registry.load_reference_profile <driftline.registry.Registry.load_reference_profile>`
        would).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=500), "y": rng.integers(0, 2, 500)})
    >>> ref["prediction"] = (ref["x"] > 0).astype(int)
    >>> mon = Monitor("m", 1, ref, features=["x"], target="y", task="binary", min_rows=100)
    >>> cur = pd.DataFrame({"x": rng.normal(1.0, 1.0, 300)})
    >>> cur["prediction"] = (cur["x"] > 0).astype(int)
    >>> cur["label"] = None
    >>> res = mon.compute(cur, "t0", "t1")
    >>> res.dataset_drift, res.drifted_features, res.label_coverage
    (True, ('x',), 0.0)
    """

    def __init__(self, model: str, version: int, reference: pd.DataFrame, *,
                 features: Sequence[str], target: str, task: str, prediction: str = "prediction",
                 kinds: Mapping[str, str] | None = None, min_rows: int = 200,
                 min_labels: int = 100, alpha: float = 0.05,
                 segments: Sequence[str] = (), max_segments: int = 20,
                 outliers: bool | Mapping[str, Any] = True, estimate: bool = True,
                 multivariate: Sequence[str] = (), engine: str = "exact",
                 reference_profile: TableProfile | None = None) -> None:
        from driftline.drift import Reference, Schema

        if task not in ("binary", "multiclass", "regression"):
            raise ParameterError.choice("task", task, ("binary", "multiclass", "regression"))
        if engine not in ("exact", "profile"):
            raise ParameterError.choice("engine", engine, ("exact", "profile"))
        if min_rows < 1 or min_labels < 1:
            raise ParameterError.invalid("min_rows", min_rows, "a positive number of rows")
        self.model, self.version, self.task = model, version, task
        self.features = [str(f) for f in features]
        self.target, self.prediction = target, prediction
        self.min_rows, self.min_labels, self.alpha = min_rows, min_labels, alpha
        kinds = {k: v for k, v in (kinds or {}).items() if k in self.features}
        cols = [*self.features, prediction]
        self._ref_x = Reference.fit(reference[cols], schema=Schema(kinds=kinds),
                                    prediction=prediction)
        self._ref_y = Reference.fit(reference[[target, prediction]], target=target,
                                    prediction=prediction)
        unknown = [c for c in segments if c not in self.features]
        if unknown:
            raise ParameterError.choice("segment column", unknown[0], self.features)
        self.segments = tuple(segments)
        self.max_segments = max_segments
        self._reference = reference
        self._kinds = kinds
        self.engine = engine
        self.reference_profile = reference_profile
        if engine == "profile" and reference_profile is None:
            from driftline.registry._registry import profile_reference

            self.reference_profile = profile_reference(
                reference, self.features, {"kinds": kinds, "prediction": prediction})
        self._segment_refs: dict[tuple[str, Any], Any] = {}
        self._outliers = self._outlier_scorer(outliers, reference, kinds)
        self._multivariate = None
        if multivariate:
            from driftline.monitor._multivariate import MultivariateWatch
            from driftline.monitor._outliers import numeric_features

            self._multivariate = MultivariateWatch(
                reference, numeric_features(reference, self.features, kinds),
                methods=multivariate, alpha=alpha, prediction=prediction)
        self._estimator = None
        self._label_shift = None
        if estimate:
            from driftline.monitor._estimated import LabelShiftWatch, PerformanceEstimator

            self._estimator = PerformanceEstimator(reference, task=task, target=target,
                                                   features=self.features, prediction=prediction)
            if task != "regression":
                self._label_shift = LabelShiftWatch(reference, target=target,
                                                    prediction=prediction, alpha=alpha)

    def _outlier_scorer(self, outliers: bool | Mapping[str, Any], reference: pd.DataFrame,
                        kinds: Mapping[str, str]) -> Any:
        from driftline.monitor._outliers import _MIN_REFERENCE, OutlierShare, numeric_features

        if outliers is False:
            return None
        params = {} if outliers is True else dict(outliers)
        numeric = numeric_features(reference, self.features, kinds)
        if not numeric or len(reference) < _MIN_REFERENCE:
            return None
        return OutlierShare(reference, numeric, **params)

    def compute(self, window: Any, start: Any, end: Any, *,
                profile: TableProfile | None = None) -> MonitorResult:
        """The result for one window (the log's columns: features, prediction, label).

        With ``engine="profile"``, ``profile`` is the window's profile built against
        :attr:`reference_profile` (built from ``window`` when not given), and ``window`` may
        also be a Dask DataFrame, which is profiled on its cluster (the parts that need rows
        are then left out; see :func:`~driftline.monitor._profiled.compute_on_profile`).
        """
        if self.engine == "profile":
            from driftline.monitor._profiled import compute_on_profile

            return compute_on_profile(self, window, start, end, profile)
        if profile is not None:
            raise ParameterError.invalid("profile", "a TableProfile", "None with engine='exact'",
                                         "Create the Monitor with engine='profile'.")
        if type(window).__module__.split(".")[0] == "dask":
            raise ParameterError.invalid("window", "a Dask DataFrame",
                                         "a pandas DataFrame with engine='exact'",
                                         "Create the Monitor with engine='profile'.")
        n = len(window)
        labels = window["label"] if "label" in window.columns else None
        labelled = np.zeros(n, dtype=bool) if labels is None else labels.notna().to_numpy()
        n_lab = int(labelled.sum())
        base = {"model": self.model, "version": self.version, "start": str(start),
                "end": str(end), "n_rows": n, "label_coverage": n_lab / n if n else 0.0,
                "n_labelled": n_lab}
        if n < self.min_rows:
            return MonitorResult(**base, too_small=True,
                                 reason=f"{n} rows; at least {self.min_rows} are needed to judge")
        report = self._ref_x.compare(window[[*self.features, self.prediction]],
                                     alpha=self.alpha)
        features = {c.column: _column_summary(c) for c in report.features}
        shown = {c.column: c.distribution.to_dict() for c in report.features
                 if c.distribution is not None}
        preds = report.prediction_drift
        prediction = _column_summary(preds[0]) if preds else None
        if preds and preds[0].distribution is not None:
            shown["__prediction__"] = preds[0].distribution.to_dict()
        problems = _quality_problems(report)
        actions: dict[str, str] = {}
        if any(v["drifted"] for v in features.values()):
            actions["feature"] = action_for("feature")
        if prediction is not None and prediction["drifted"]:
            actions["prediction"] = action_for("prediction")
        rows = self._from_rows(window, labelled, labels, shown, actions)
        tested = [v for v in features.values() if v["tested"]]
        return MonitorResult(
            **base, dataset_drift=bool(report.drifted),
            drift_share=(sum(bool(v["drifted"]) for v in tested) / len(tested)) if tested else None,
            features=features, prediction_drift=prediction, quality_ok=not problems,
            quality_problems=problems, actions=actions, distributions=shown, **rows)

    def _from_rows(self, window: pd.DataFrame, labelled: np.ndarray, labels: pd.Series | None,
                   shown: dict[str, Any], actions: dict[str, str]) -> dict[str, Any]:
        """The parts of a result that need the window's rows: label drift and realized
        performance (on the labelled rows), segments, outliers, estimated performance, label
        shift and the multivariate methods. Adds to ``shown`` and ``actions``."""
        label = performance = None
        if int(labelled.sum()) >= self.min_labels:
            assert labels is not None
            lab = window.loc[labelled, [self.prediction]].assign(
                **{self.target: _labels_like(labels[labelled], self._ref_y)})
            ref_y = self._label_reference(lab[self.prediction])
            rep_y = ref_y.compare(lab[[self.target, self.prediction]], alpha=self.alpha)
            if rep_y.target_drift is not None:
                label = _column_summary(rep_y.target_drift)
                if rep_y.target_drift.distribution is not None:
                    shown["__label__"] = rep_y.target_drift.distribution.to_dict()
                if label["drifted"]:
                    actions["label"] = action_for("label")
            if rep_y.concept_drift is not None and rep_y.concept_drift.drifted:
                actions["concept"] = action_for("concept")
            performance = self._performance(window[labelled], lab[self.target])
        segments = self._segments(window, labelled, labels) if self.segments else ()
        outliers = None if self._outliers is None else self._outliers.measure(window)
        estimated = None if self._estimator is None else self._estimator.estimate(window)
        label_shift = None if self._label_shift is None else self._label_shift.estimate(window)
        multi = {} if self._multivariate is None else self._multivariate.evaluate(window)
        if estimated is not None and performance:
            estimated["error"] = {k: v - float(performance[k])
                                  for k, v in estimated["metrics"].items()
                                  if isinstance(performance.get(k), (int, float))}
        return {"label_drift": label, "performance": performance, "segments": segments,
                "outliers": outliers, "estimated": estimated, "label_shift": label_shift,
                "multivariate": multi}

    def _label_reference(self, predicted: pd.Series) -> Any:
        """The reference the labelled rows' labels are compared with.

        Labels often arrive for some predictions only (loans: only the approved ones). Then
        the labelled rows' label mix differs from the reference's even with nothing shifted,
        because they were selected by prediction. For classification, when the labelled rows'
        prediction mix differs from the reference's (total variation above 0.02), the
        reference is resampled (seeded) to the same prediction mix: the test then compares
        P(y | prediction), which a label shift still moves and the selection does not.
        """
        if self.task == "regression":
            return self._ref_y
        import pandas as pd

        from driftline.drift import Reference

        ref = self._reference
        cur = predicted.astype(str).value_counts(normalize=True)
        ref_pred = ref[self.prediction].astype(str)
        base = ref_pred.value_counts(normalize=True)
        if 0.5 * float(cur.sub(base, fill_value=0.0).abs().sum()) <= 0.02:
            return self._ref_y
        rng = np.random.default_rng(0)
        parts = []
        for cls, share in cur.items():
            rows = np.flatnonzero((ref_pred == cls).to_numpy())
            if len(rows):
                parts.append(rng.choice(rows, max(1, round(share * len(ref))), replace=True))
        if not parts:
            return self._ref_y
        sample = ref.iloc[np.concatenate(parts)]
        return Reference.fit(pd.DataFrame(sample[[self.target, self.prediction]]),
                             target=self.target, prediction=self.prediction)

    def _segments(self, window: pd.DataFrame, labelled: np.ndarray,
                  labels: pd.Series | None) -> tuple[dict[str, Any], ...]:
        """Drift and performance per value of each segment column, within the budget of
        ``max_segments`` values per column (the most frequent), ranked worst first."""
        from driftline.drift import Reference, Schema

        out = []
        floor = max(1, self.min_rows // 4)  # a segment is judged on fewer rows than a window
        for col in self.segments:
            counts = window[col].value_counts()
            for value in counts.index[: self.max_segments]:
                mask = (window[col] == value).to_numpy()
                ref_mask = (self._reference[col] == value).to_numpy()
                if mask.sum() < floor or ref_mask.sum() < floor:
                    continue
                key = (col, value)
                if key not in self._segment_refs:
                    cols = [*[f for f in self.features if f != col], self.prediction]
                    kinds = {k: v for k, v in (self._kinds or {}).items() if k in cols}
                    self._segment_refs[key] = Reference.fit(
                        self._reference.loc[ref_mask, cols], schema=Schema(kinds=kinds),
                        prediction=self.prediction)
                ref = self._segment_refs[key]
                part = window.loc[mask, [c for c in ref.columns if c in window.columns]]
                rep = ref.compare(part, alpha=self.alpha)
                tested = [c for c in rep.features if c.tested]
                share = sum(bool(c.drifted) for c in tested) / len(tested) if tested else 0.0
                entry: dict[str, Any] = {
                    "column": col, "value": _plain(value), "n_rows": int(mask.sum()),
                    "dataset_drift": bool(rep.drifted), "drift_share": share,
                    "drifted_features": [c.column for c in tested if c.drifted]}
                seg_lab = labelled & mask
                if labels is not None and seg_lab.sum() >= floor:
                    y = _labels_like(labels[seg_lab], self._ref_y)
                    entry["performance"] = self._performance(window[seg_lab],
                                                             pd_series(y))
                out.append(entry)
        out.sort(key=lambda e: (-e["drift_share"], _perf_key(e)))
        return tuple(out)

    def _performance(self, rows: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
        """Realized metrics from :mod:`driftline.metrics` (the one place they come from), as
        ``{metric: value}`` plus ``bands: {metric: [lower, upper]}``, the sampling-error
        band of each at 95%."""
        from driftline.errors import DataError
        from driftline.metrics import evaluate

        score_cols = [c for c in rows.columns if str(c).startswith("score_")]
        proba = rows[score_cols].to_numpy(dtype=float) if score_cols else None
        classes = [str(c)[len("score_"):] for c in score_cols] or None
        y_true = y.to_numpy()
        pred = rows[self.prediction].to_numpy()
        if classes is not None:  # compare labels as text, the way scores are named
            y_true = np.array([str(v) for v in y_true], dtype=object)
            pred = np.array([str(v) for v in pred], dtype=object)
        if self.task == "regression":
            proba, classes = None, None
        try:
            report = evaluate(self.task, y_true, pred, proba, classes=classes, n_boot=200)
        except DataError as exc:  # e.g. one class only in the window's labels
            return {"error": str(exc)[:200]}
        out: dict[str, Any] = dict(report.scalars())
        out["bands"] = {m.name: [m.lower, m.upper] for m in report.metrics
                        if m.lower is not None and m.upper is not None}
        return out


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def pd_series(values: Any) -> Any:
    import pandas as pd

    return pd.Series(values)


def _perf_key(entry: Mapping[str, Any]) -> float:
    perf = entry.get("performance") or {}
    for name in ("roc_auc", "accuracy"):
        if name in perf:
            return float(perf[name])
    return -float(perf.get("rmse", 0.0)) if "rmse" in perf else 0.0


def _labels_like(labels: pd.Series, ref: Any) -> Any:
    """Late labels arrive as JSON values; give them the reference target's dtype."""
    import pandas as pd

    values = labels.to_numpy()
    try:
        return pd.to_numeric(pd.Series(values)).to_numpy()
    except (ValueError, TypeError):
        return values.astype(object)


def _quality_problems(report: DriftReport) -> tuple[str, ...]:
    out = []
    for name, q in report.quality.items():
        for check in q.checks:
            if check.status == "fail":
                out.append(f"{name}: {check.message}")
    return tuple(out)
