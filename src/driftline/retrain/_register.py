"""Train (or take) a model, score a holdout it never saw, and register it as a version.

This is what ``driftline train PROJECT.yaml [--promote]`` and ``dl.register(...)`` run. The
holdout is split off by driftline itself: the model never trains on it, and, scored by the
model, it becomes the version's drift reference (training rows are never the reference).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ConfigError

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import pandas as pd

    from driftline.config import Project
    from driftline.registry import ModelVersion, Registry, TrainingData
    from driftline.store import Store

__all__ = ["RegisterResult", "holdout_metrics", "input_types", "open_registry", "register"]

# The metric each task is compared on, and whether higher is better.
PRIMARY = {"binary": ("roc_auc", True), "multiclass": ("accuracy", True),
           "regression": ("rmse", False)}


@dataclass(frozen=True)
class RegisterResult:
    """What :func:`register` did: the new version, whether it became champion, and why.

    Examples
    --------
    >>> RegisterResult(None, False, "kept the champion").to_dict()["promoted"]
    False
    """

    version: ModelVersion | None
    promoted: bool
    reason: str
    champion_metrics: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"version": None if self.version is None else self.version.to_dict(),
                "promoted": self.promoted, "reason": self.reason,
                "champion_metrics": self.champion_metrics}


def input_types(frame: pd.DataFrame, features: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The JSON type each feature arrives as in a request: number, boolean or string, with
    a ``?`` when the training data had missing values there (requests may then send null).

    Examples
    --------
    >>> import pandas as pd
    >>> input_types(pd.DataFrame({"a": [1.5, None], "b": ["x", "y"], "c": [True, False]}),
    ...             ["a", "b", "c"])
    {'a': 'number?', 'b': 'string', 'c': 'boolean'}
    """
    import pandas as pd

    out = {}
    for f in features:
        dtype = frame[f].dtype
        known = frame[f].dropna()
        if pd.api.types.is_bool_dtype(dtype) or (
                pd.api.types.is_object_dtype(dtype) and len(known)
                and known.map(type).isin([bool, np.bool_]).all()):
            out[f] = "boolean"  # a CSV column of true/false with blanks reads as object
        elif pd.api.types.is_numeric_dtype(dtype):
            out[f] = "number"
        else:
            out[f] = "string"
        if frame[f].isna().any():
            out[f] += "?"
    return out


def holdout_metrics(task: str, y: Any, predicted: Any, proba: np.ndarray | None = None,
                    classes: Any = None) -> dict[str, float]:
    """A version's metrics on its holdout, from :func:`driftline.metrics.evaluate` (the one
    place metrics come from); metrics undefined on these rows are left out.

    Examples
    --------
    >>> m = holdout_metrics("regression", [1.0, 2.0, 4.0], [1.0, 4.0, 4.0])
    >>> round(m["mae"], 4), round(m["rmse"], 4)
    (0.6667, 1.1547)
    >>> holdout_metrics("binary", [0, 1, 1], [0, 1, 0], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]],
    ...                 [0, 1])["roc_auc"]
    1.0
    """
    from driftline.metrics import evaluate

    if task == "regression":
        proba, classes = None, None
    try:
        report = evaluate(task, np.asarray(y), np.asarray(predicted), proba,
                          classes=None if classes is None else list(classes), bands=False)
    except Exception:  # e.g. a holdout with a single class: fall back to accuracy alone
        pred, truth = np.asarray(predicted), np.asarray(y)
        return {} if task == "regression" else {"accuracy": float(np.mean(pred == truth))}
    return {k: float(v) for k, v in report.scalars().items()}


def open_registry(project: Project, store: Store | None = None) -> Registry:
    """The project's registry (store from the project file unless given).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from driftline.config import load_project
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> reg = open_registry(load_project(d / "driftline.yaml", check_files=False))
    >>> reg.root == d / "artifacts", reg.allow_pickle
    (True, False)
    """
    from driftline.registry import Registry
    from driftline.store import Store

    cfg = project.config
    return Registry(store or Store.open(project.store_url), project.resolve(cfg.artifacts.root),
                    allow_pickle=cfg.artifacts.allow_pickle,
                    trusted_types=cfg.artifacts.trusted_types)


def _train(project: Project, data: TrainingData) -> Any:
    cfg = project.config.training
    if cfg.function is not None:
        fn = project.load_callable(cfg.function)
        model = fn(data, previous=None, params=dict(cfg.params))
    else:
        assert cfg.estimator is not None
        est = project.load_callable(cfg.estimator)(**cfg.params)
        kwargs = {} if data.sample_weight is None else {"sample_weight": data.sample_weight}
        model = est.fit(data.X, data.y, **kwargs)
    if model is None or not hasattr(model, "predict"):
        raise ConfigError(f"training.{'function' if cfg.function else 'estimator'} returned "
                          f"{type(model).__name__}, not a model with predict(); return the "
                          "fitted model.")
    return model


def _score(model: Any, frame: pd.DataFrame, features: tuple[str, ...],
           ) -> tuple[np.ndarray, np.ndarray | None, Any]:
    X = frame[list(features)]
    predicted = np.asarray(model.predict(X))
    classes = getattr(model, "classes_", None)
    proba = None
    if classes is not None and hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=float)
    return predicted, proba, classes


def _scored_reference(frame: pd.DataFrame, target: str, features: tuple[str, ...],
                      predicted: np.ndarray, proba: np.ndarray | None, classes: Any,
                      ) -> tuple[pd.DataFrame, dict[str, str]]:
    keep = [*features, target]
    ref = frame[keep].reset_index(drop=True).assign(prediction=predicted)
    scores: dict[str, str] = {}
    if proba is not None:
        for k, label in enumerate(classes):
            scores[str(label)] = f"score_{label}"
            ref[f"score_{label}"] = proba[:, k]
    return ref, scores


def _frame_hash(frame: pd.DataFrame) -> str:
    import pandas as pd

    values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(values.tobytes()).hexdigest()


def register(project: Project | str | Path, *, model: Any = None, data: pd.DataFrame | None = None,
             promote: bool = False, trigger: str = "manual", store: Store | None = None,
             ) -> RegisterResult:
    """Train a version with the project's training function (or take ``model``), score the
    holdout, and register it; with ``promote``, make it champion.

    The first version is promoted without a comparison. A later one is promoted only if it
    is at least as good as the champion on the new holdout, by the task's primary metric
    (ROC AUC for binary, accuracy for multiclass, RMSE for regression).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, pandas as pd
    >>> from driftline.config import load_project
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> pd.DataFrame({"x": x, "y": (x + rng.normal(size=400) > 0).astype(int)}).to_csv(
    ...     d / "ref.csv", index=False)
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {estimator: 'sklearn.linear_model:LogisticRegression'}\\n"
    ...     "reference: {path: ref.csv}\\n")
    >>> res = register(d / "driftline.yaml", promote=True)
    >>> reg = open_registry(load_project(d / "driftline.yaml"))
    >>> res.version.version, res.promoted, len(reg.load_reference(res.version))
    (1, True, 100)
    """
    from driftline.config import Project as _Project
    from driftline.config import load_project
    from driftline.drift._io import read_table
    from driftline.registry import TrainingData, split_holdout

    proj = project if isinstance(project, _Project) else load_project(project)
    cfg = proj.config
    frame = data if data is not None else read_table(proj.reference_path, "reference")
    if cfg.reference.max_rows is not None and len(frame) > cfg.reference.max_rows:
        frame = frame.sample(cfg.reference.max_rows, random_state=cfg.training.seed)
    schema_cfg = cfg.model.schema_
    all_data = TrainingData.from_frame(
        frame, target=cfg.model.target, features=cfg.model.features,
        timestamp=schema_cfg.timestamp)
    features = tuple(f for f in all_data.features
                     if f not in set(schema_cfg.ignore) | {schema_cfg.id})
    all_data = TrainingData.from_frame(frame, target=cfg.model.target, features=features,
                                       timestamp=schema_cfg.timestamp)
    train, holdout = split_holdout(all_data, cfg.reference.holdout_fraction,
                                   seed=cfg.training.seed, timestamp=schema_cfg.timestamp)
    if model is not None:  # trained elsewhere (a retrain tracks its own run)
        return _register(proj, model, frame, train, holdout, features, promote, trigger, store)
    from driftline.tracking import track

    registry = open_registry(proj, store)
    with track(cfg.model.name, run_name=f"train ({trigger})", store=registry.store,
               params=dict(cfg.training.params), tags={"trigger": trigger}) as run:
        fitted = _train(proj, train)
        result = _register(proj, fitted, frame, train, holdout, features, promote, trigger,
                           registry.store)
        assert result.version is not None
        try:  # the holdout's full metric set (the registry keeps the primary ones)
            run.evaluate(fitted, holdout.frame[list(features)], holdout.y, task=cfg.model.task)
        except Exception:
            _log.warning("could not evaluate the trained model for its tracked run",
                         exc_info=True)
        run.log_metrics(result.version.metrics)
        run.set_tags({"promoted": result.promoted})
        run.link(version=result.version.version,
                 artifact=_artifact_bytes(registry, result.version))
    if result.promoted:  # promoted before the sinks had the version: tell them again
        from driftline.tracking._sink import notify_stage

        notify_stage(cfg.model.name, result.version.version, "champion")
    return result


def _artifact_bytes(registry: Registry, version: ModelVersion) -> bytes | None:
    path = registry.root / version.artifact.path
    return path.read_bytes() if path.is_file() else None


def _register(proj: Project, fitted: Any, frame: pd.DataFrame, train: TrainingData,
              holdout: TrainingData, features: tuple[str, ...], promote: bool, trigger: str,
              store: Store | None) -> RegisterResult:
    cfg = proj.config
    predicted, proba, classes = _score(fitted, holdout.frame, features)
    metrics = holdout_metrics(cfg.model.task, holdout.y, predicted, proba, classes)
    reference, scores = _scored_reference(holdout.frame, cfg.model.target, features,
                                          predicted, proba, classes)
    schema = _schema(reference, cfg, features, scores)
    registry = open_registry(proj, store)
    registry.store.add_model(cfg.model.name, cfg.model.task)
    champion = registry.champion(cfg.model.name)
    mv = registry.register(
        cfg.model.name, fitted, task=cfg.model.task, features=features, schema=schema,
        inputs=input_types(frame, features), reference=reference,
        training_range=train.time_range, data_hash=_frame_hash(train.frame),
        params=dict(cfg.training.params), metrics=metrics, seed=cfg.training.seed,
        parent=None if champion is None else champion.version, trigger=trigger)
    if not promote:
        return RegisterResult(mv, False, "registered as challenger (not asked to promote)")
    if champion is None:
        mv = registry.promote(cfg.model.name, mv.version, reason="first version")
        return RegisterResult(mv, True, "first version: promoted without a champion comparison")
    return _compare_and_promote(registry, mv, champion, holdout, features)


def _schema(reference: pd.DataFrame, cfg: Any, features: tuple[str, ...],
            scores: dict[str, str]) -> dict[str, Any]:
    from driftline.drift import Schema
    from driftline.drift._frames import column_of
    from driftline.drift._schema import infer_kind

    kinds = {f: infer_kind(column_of(f, reference[f])).value for f in features}
    kinds.update(cfg.model.schema_.kinds)
    return Schema(kinds=kinds, target=cfg.model.target, prediction="prediction",
                  prediction_scores=scores).to_dict()


def _compare_and_promote(registry: Registry, mv: ModelVersion, champion: ModelVersion,
                         holdout: TrainingData, features: tuple[str, ...]) -> RegisterResult:
    name, higher_better = PRIMARY[mv.task]
    try:
        old = registry.load(champion)
    except Exception as exc:  # a champion that no longer loads cannot defend its place
        mv = registry.promote(mv.model, mv.version, reason=f"champion failed to load: {exc}")
        return RegisterResult(mv, True, f"the champion did not load ({exc}); promoted")
    predicted, proba, classes = _score(old, holdout.frame, features)
    theirs = holdout_metrics(mv.task, holdout.y, predicted, proba, classes)
    mine = mv.metrics
    if name not in mine or name not in theirs:
        name, higher_better = ("accuracy", True) if "accuracy" in mine else ("rmse", False)
    a, b = mine[name], theirs[name]
    better = a >= b if higher_better else a <= b
    verdict = (f"challenger {name}={a:.4g} vs champion {name}={b:.4g} on the challenger's "
               "holdout")
    if not better:
        return RegisterResult(mv, False, f"kept the champion: {verdict}", theirs)
    mv = registry.promote(mv.model, mv.version, reason=verdict)
    return RegisterResult(mv, True, f"promoted: {verdict}", theirs)
