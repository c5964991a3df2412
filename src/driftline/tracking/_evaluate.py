"""Evaluate a fitted model for a run: the task's full metric set, and a summary of the
parameters the model learned (kept apart from its hyperparameters)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftline.errors import ParameterError

__all__ = ["Evaluation", "evaluate_model", "summarize_model"]

_TASKS = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class Evaluation:
    """A model's metrics on one dataset.

    ``metrics`` holds the scalars; ``confusion_matrix`` and ``report`` (classification) are
    JSON-ready dicts; ``omitted`` says which metrics could not be computed, and why.

    Examples
    --------
    >>> Evaluation("regression", 3, {"mae": 0.5}).to_dict()["metrics"]
    {'mae': 0.5}
    """

    task: str
    n: int
    metrics: Mapping[str, float]
    confusion_matrix: Mapping[str, Any] | None = None
    report: Mapping[str, Any] | None = None
    omitted: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"task": self.task, "n": self.n, "metrics": dict(self.metrics),
                "confusion_matrix": None if self.confusion_matrix is None
                else dict(self.confusion_matrix),
                "report": None if self.report is None else dict(self.report),
                "omitted": dict(self.omitted)}


def _infer_task(model: Any, y: np.ndarray) -> str:
    if hasattr(model, "predict_proba") or hasattr(model, "classes_"):
        return "binary" if len(np.unique(y)) <= 2 else "multiclass"
    return "regression"


def evaluate_model(model: Any, X: Any, y: Any, *, task: str | None = None,
                   classes: Any = None) -> Evaluation:
    """Score a fitted model on ``(X, y)`` with the task's full metric set.

    Regression: MAE, MSE, RMSE, R² and MAPE. Classification (``binary``, ``multiclass``):
    accuracy, log loss, ROC AUC and PR AUC (from ``predict_proba`` when the model has it), the
    confusion matrix and the per-class report. ``task`` defaults to classification for models
    with ``predict_proba`` (binary for two labels), else regression.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2)); y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    >>> ev = evaluate_model(LogisticRegression().fit(X, y), X, y)
    >>> ev.task, sorted(ev.metrics)
    ('binary', ['accuracy', 'log_loss', 'pr_auc', 'roc_auc'])
    >>> ev.confusion_matrix["rows"], len(ev.report["per_class"])
    ('true', 2)
    """
    from driftline.metrics import evaluate

    y_arr = np.asarray(y)
    task = task or _infer_task(model, y_arr)
    if task not in _TASKS:
        raise ParameterError.choice("task", task, _TASKS)
    pred = np.asarray(model.predict(X))
    if task == "regression":
        rep = evaluate("regression", y_arr, pred, bands=False)
        return Evaluation(task, int(rep.n), rep.scalars(), omitted=dict(rep.omitted))
    score = None
    model_classes = getattr(model, "classes_", None)
    labels = list(classes) if classes is not None else (
        list(model_classes) if model_classes is not None else None)
    if hasattr(model, "predict_proba"):
        score = np.asarray(model.predict_proba(X), dtype=float)
        if task == "binary" and score.ndim == 2:
            score = score[:, -1]
    rep = evaluate("binary" if task == "binary" else "multiclass", y_arr, pred, score,
                   classes=labels, bands=False)
    return Evaluation(task, int(rep.n), rep.scalars(),
                      None if rep.confusion_matrix is None else rep.confusion_matrix.to_dict(),
                      None if rep.class_report is None else rep.class_report.to_dict(),
                      dict(rep.omitted))


def _stats(prefix: str, values: np.ndarray) -> dict[str, float]:
    v = np.abs(np.asarray(values, dtype=float).ravel())
    if not v.size:
        return {}
    return {f"{prefix}_mean_abs": float(v.mean()), f"{prefix}_max_abs": float(v.max()),
            f"{prefix}_zero_share": float(np.mean(v == 0))}


def summarize_model(model: Any) -> dict[str, Any]:
    """A summary of what ``model`` learned: the estimator's class, its parameter count and,
    where available, coefficient statistics (linear models) or tree statistics (trees,
    forests, gradient boosting, LightGBM, XGBoost). Pipelines are summarised by their last
    step.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.random.default_rng(0).normal(size=(10, 2)); y = X @ [1.0, -2.0]
    >>> s = summarize_model(LinearRegression().fit(X, y))
    >>> s["family"], s["n_parameters"], round(s["coef_max_abs"], 6)
    ('linear', 3, 2.0)
    """
    steps = getattr(model, "steps", None)
    if steps:
        return {**summarize_model(steps[-1][1]), "pipeline_steps": len(steps)}
    out: dict[str, Any] = {"estimator": type(model).__name__}
    coef = getattr(model, "coef_", None)
    if coef is not None:
        c = np.asarray(coef, dtype=float)
        icpt = np.atleast_1d(np.asarray(getattr(model, "intercept_", []), dtype=float))
        out.update({"family": "linear", "n_parameters": int(c.size + icpt.size),
                    **_stats("coef", c)})
        return out
    trees = _trees(model)
    if trees is not None:
        out.update({"family": "trees", **trees})
        return out
    weights = getattr(model, "coefs_", None)  # an MLP
    if weights is not None:
        n = sum(int(np.size(w)) for w in weights)
        n += sum(int(np.size(b)) for b in getattr(model, "intercepts_", []))
        out.update({"family": "neural_network", "n_parameters": n, "n_layers": len(weights),
                    **_stats("weight", np.concatenate([np.ravel(w) for w in weights]))})
        return out
    return out


def _trees(model: Any) -> dict[str, Any] | None:
    """Tree counts, depths and leaves of tree models, or ``None``."""
    booster = getattr(model, "booster_", None)  # LightGBM's scikit-learn API
    if booster is not None and hasattr(booster, "dump_model"):
        info = booster.dump_model()["tree_info"]
        leaves = [int(t["num_leaves"]) for t in info]
        return {"n_trees": len(info), "n_leaves": int(sum(leaves)),
                "n_parameters": int(sum(leaves)), "mean_leaves": float(np.mean(leaves))
                if leaves else 0.0}
    get_booster = getattr(model, "get_booster", None)  # XGBoost's scikit-learn API
    if callable(get_booster):
        frame = get_booster().trees_to_dataframe()
        n_leaves = int((frame["Feature"] == "Leaf").sum())
        return {"n_trees": int(frame["Tree"].nunique()), "n_leaves": n_leaves,
                "n_parameters": n_leaves}
    fitted = []
    if hasattr(model, "tree_"):
        fitted = [model]
    elif hasattr(model, "estimators_"):
        fitted = [e for e in np.ravel(np.asarray(model.estimators_, dtype=object))
                  if hasattr(e, "tree_")]
    if fitted:
        leaves = [int(e.tree_.n_leaves) for e in fitted]
        depths = [int(e.tree_.max_depth) for e in fitted]
        return {"n_trees": len(fitted), "n_leaves": int(sum(leaves)),
                "n_parameters": int(sum(e.tree_.node_count for e in fitted)),
                "max_depth": max(depths)}
    predictors = getattr(model, "_predictors", None)  # HistGradientBoosting
    if predictors:
        nodes = [p.nodes for it in predictors for p in it]
        leaves = [int(n["is_leaf"].sum()) for n in nodes]
        return {"n_trees": len(nodes), "n_leaves": int(sum(leaves)),
                "n_parameters": int(sum(len(n) for n in nodes)),
                "n_iterations": int(getattr(model, "n_iter_", len(predictors)))}
    return None
