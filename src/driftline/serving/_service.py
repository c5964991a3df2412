"""One served model: its champion, loaded and checked, swapped atomically.

A version is loaded completely (artifact checksum, libraries, schema, a smoke prediction on
its reference) before it replaces the champion, by a single reference assignment. A request
takes the model once, at its start, so it is served by one version from start to end, and a
version that fails to load leaves the champion serving.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ConfigError, DriftlineError
from driftline.serving._auth import Tokens
from driftline.serving._oip import RequestError

if TYPE_CHECKING:
    import pandas as pd

    from driftline.config import Project
    from driftline.registry import ModelVersion, Registry
    from driftline.serving._log import PredictionLog

__all__ = ["LoadedModel", "ModelService"]


@dataclass(frozen=True)
class LoadedModel:
    """A version ready to predict: the model object and what requests must send.

    Examples
    --------
    >>> import pandas as pd
    >>> class Half:
    ...     def predict(self, X):
    ...         return X["x"].to_numpy() / 2
    >>> m = LoadedModel(None, Half(), {"x": "number"}, None)
    >>> m.predict(pd.DataFrame({"x": [4.0]}))[0].tolist()
    [2.0]
    """

    version: ModelVersion | None
    model: Any
    inputs: dict[str, str]
    classes: tuple[Any, ...] | None
    # True when predict() was checked, on the version's reference rows, to equal the class of
    # highest probability: one predict_proba call then serves both (half the model's cost).
    derive_labels: bool = False

    @property
    def number(self) -> int:
        """The version number (0 for an unregistered model)."""
        return 0 if self.version is None else self.version.version

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions and, for classifiers, class probabilities (columns as ``classes``)."""
        try:
            if self.derive_labels:
                proba = np.asarray(self.model.predict_proba(frame), dtype=np.float64)
                return self._labels[np.argmax(proba, axis=1)], proba
            predicted = np.asarray(self.model.predict(frame))
            proba = None
            if self.classes is not None and hasattr(self.model, "predict_proba"):
                proba = np.asarray(self.model.predict_proba(frame), dtype=np.float64)
        except (ValueError, TypeError, KeyError) as exc:
            raise RequestError(422, "the model could not predict these rows "
                                    f"({type(exc).__name__}); check the feature values.",
                               field="instances") from None
        if predicted.ndim > 1 and predicted.shape[1:] == (1,):
            predicted = predicted[:, 0]
        return predicted, proba

    @property
    def _labels(self) -> np.ndarray:
        return np.asarray(self.model.classes_)


class ModelService:
    """The champion of one project's model, and the prediction log it writes to.

    Parameters
    ----------
    project : the loaded project file.
    registry : the project's registry.
    log : the prediction log writer (shared by the models of one store).
    salt : the key for PII columns marked ``hash``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from driftline.config import load_project
    >>> from driftline.retrain import open_registry
    >>> from driftline.serving import PredictionLog
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> project = load_project(d / "driftline.yaml", check_files=False)
    >>> registry = open_registry(project)
    >>> svc = ModelService(project, registry, PredictionLog(registry.store))
    >>> svc.refresh(), svc.ready, svc.load_error
    (False, False, 'no champion has been promoted yet')
    """

    def __init__(self, project: Project, registry: Registry, log: PredictionLog, *,
                 salt: bytes = b"") -> None:
        cfg = project.config
        self.project = project
        self.name = cfg.model.name
        self.task = cfg.model.task
        self.registry = registry
        self.log = log
        self.pii = dict(cfg.privacy.pii_columns)
        if any(v == "hash" for v in self.pii.values()) and not salt:
            raise ConfigError(f"privacy.pii_columns hashes columns but the environment variable "
                              f"{cfg.privacy.hash_salt_env} (privacy.hash_salt_env) is empty; "
                              "set it to a secret salt.")
        self.salt = salt
        self.max_rows = cfg.limits.max_rows_per_request
        self.model_id = registry.store.add_model(self.name, self.task)
        self.tokens = Tokens()
        self.current: LoadedModel | None = None
        self.load_error: str | None = None
        self._lock = threading.Lock()

    # -- loading and swapping -------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """A champion is loaded and passed its smoke prediction."""
        return self.current is not None

    def _contract(self) -> dict[str, str] | None:
        features = self.project.config.model.features
        if self.current is not None:
            return self.current.inputs
        return None if features is None else dict.fromkeys(features, "")

    def load(self, version: ModelVersion) -> LoadedModel:
        """Load and check a version without serving it; raise if it cannot serve."""
        model = self.registry.load(version)
        inputs = dict(version.inputs) or dict.fromkeys(version.features, "number")
        contract = self._contract()
        if contract is not None and (list(contract) != list(inputs) or any(
                t and t != inputs[f] for f, t in contract.items())):
            raise DriftlineError(
                f"version {version.version} takes features {_sig(inputs)}, but {self.name!r} "
                f"is served with {_sig(contract)}; clients would break. Register a version "
                "with the same features, or serve it as a new model.")
        loaded = LoadedModel(version, model, inputs, version.classes)
        if version.reference is not None:
            sample = self.registry.load_reference(version).head(256)[list(inputs)]
            try:
                predicted, proba = loaded.predict(sample)
            except RequestError:
                raise DriftlineError(f"version {version.version} cannot predict its own "
                                     "reference rows.") from None
            if len(predicted) != len(sample):
                raise DriftlineError(f"version {version.version} returned {len(predicted)} "
                                     f"predictions for {len(sample)} rows.")
            if proba is not None and hasattr(model, "classes_") and proba.shape == (
                    len(sample), len(model.classes_)):
                derived = np.asarray(model.classes_)[np.argmax(proba, axis=1)]
                if np.array_equal(derived, predicted):
                    loaded = replace(loaded, derive_labels=True)
        return loaded

    def refresh(self) -> bool:
        """Serve the champion the store names (another replica or the CLI may have changed
        it). Returns whether the served version changed."""
        with self._lock:
            champion = self.registry.champion(self.name)
            if champion is None:
                if self.current is None:
                    self.load_error = "no champion has been promoted yet"
                return False
            if self.current is not None and self.current.number == champion.version:
                return False
            try:
                loaded = self.load(champion)
            except Exception as exc:  # keep serving what we have
                self.load_error = f"version {champion.version} failed to load: {exc}"
                self.registry.store.add_event(self.name, "load_failed", {
                    "version": champion.version, "error": str(exc)[:500]})
                return False
            self.current, self.load_error = loaded, None
            return True

    def swap_to(self, version: int | None, *, action: str, reason: str,
                force: bool = False) -> LoadedModel:
        """Promote (or roll back to) a version: load it fully first, then switch the stage
        and the served model. If it does not load, nothing changes."""
        with self._lock:
            if action == "rollback":
                target = self._rollback_target(version)
            else:
                if version is None:
                    challenger = self.registry.challenger(self.name)
                    if challenger is None:
                        raise RequestError(409, f"{self.name!r} has no challenger to promote; "
                                                "give a version.", field="version")
                    version = challenger.version
                target = self._get(version)
            if self.current is not None and target.version == self.current.number:
                raise RequestError(409, f"version {target.version} is already the champion.",
                                   field="version")
            try:
                loaded = self.load(target)
            except DriftlineError as exc:
                self.registry.store.add_event(self.name, f"{action}_refused", {
                    "version": target.version, "error": str(exc)[:500]})
                raise RequestError(409, f"version {target.version} was not promoted: {exc} "
                                        "The champion keeps serving.", field="version") from None
            try:
                self.registry.promote(self.name, target.version, reason=f"{action}: {reason}"
                                      if not force else reason, force=force)
            except DriftlineError as exc:  # e.g. a challenger that failed validation
                raise RequestError(409, str(exc).replace("--force and a --reason",
                                                         "force: true and a reason"),
                                   field="version") from None
            self.current, self.load_error = loaded, None
            return loaded

    def _get(self, version: int) -> ModelVersion:
        try:
            return self.registry.get(self.name, version)
        except DriftlineError:
            known = [v.version for v in self.registry.versions(self.name)]
            raise RequestError(404, f"{self.name!r} has no version {version}; it has "
                                    f"{known or 'none'}.", field="version") from None

    def _rollback_target(self, version: int | None) -> ModelVersion:
        if version is not None:
            return self._get(version)
        previous = self.registry.previous_champion(self.name)
        if previous is None:
            raise RequestError(409, f"{self.name!r} has no earlier champion to roll back to.",
                               field="version")
        return self._get(previous)

    # -- predicting and logging -----------------------------------------------------------
    def payload(self, columns: dict[str, np.ndarray], predicted: np.ndarray,
                proba: np.ndarray | None, classes: tuple[Any, ...] | None) -> Any:
        """What the log stores for these rows: features (PII protected), prediction, scores."""
        out: Any = dict(columns)
        if self.pii:
            import pandas as pd

            from driftline.store._privacy import protect

            protected = protect(pd.DataFrame(out), self.pii, self.salt)
            out = {str(c): protected[c].to_numpy() for c in protected.columns}
        out["prediction"] = predicted
        if proba is not None and classes is not None:
            for k, c in enumerate(classes):
                out[f"score_{c}"] = proba[:, k]
        return out

    def pending(self, loaded: LoadedModel, columns: dict[str, np.ndarray], predicted: np.ndarray,
                proba: np.ndarray | None, ids: list[str], hashes: list[str],
                latency_ms: float) -> Any:
        """A batch for the log writer."""
        from driftline.store import PendingBatch

        now = datetime.now(timezone.utc)
        return PendingBatch(self.model_id, loaded.number,
                            self.payload(columns, predicted, proba, loaded.classes), ids,
                            [now] * len(ids), hashes, [latency_ms] * len(ids), "served")


def new_ids(n: int) -> list[str]:
    """Server-generated row ids: 128 random bits, as hex."""
    return [os.urandom(16).hex() for _ in range(n)]


def _sig(inputs: dict[str, str]) -> str:
    shown = ", ".join(f"{k}:{v}" if v else k for k, v in list(inputs.items())[:8])
    return f"[{shown}{', ...' if len(inputs) > 8 else ''}]"
