"""The model registry: versions with their artifacts, references and lineage, and their stages.

Each registered version records its artifact (SHA-256 checked on every load), the libraries
that wrote it, its schema, its reference (the scored holdout, never training rows), the range
and hash of its training data, its params, metrics and seed, its parent version and the trigger
that produced it. Stages (champion, challenger, archived) and their history live in the store.
A version's reference also gets its mergeable profile (:mod:`driftline.profile`), stored next to
it with its own checksum, which the monitor's ``engine: profile`` compares windows with.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.errors import DataError, ParameterError, require
from driftline.registry._artifacts import ArtifactRecord, load_artifact, save_artifact
from driftline.registry._paths import safe_artifact_path, sha256_file

if TYPE_CHECKING:
    import pandas as pd

    from driftline.profile import TableProfile
    from driftline.store import StageChange, Store

__all__ = ["ModelVersion", "Registry", "profile_reference"]

PROFILE_FORMAT = "driftline-profile"
"""The format recorded for a reference profile artifact: :meth:`TableProfile.to_bytes`."""


@dataclass(frozen=True)
class ModelVersion:
    """A registered version of a model.

    ``inputs`` maps each feature to the JSON type a request must send for it (``number``,
    ``integer``, ``boolean`` or ``string``); serving validates requests against it.
    ``reference_profile`` is the stored profile of the reference (``None`` for versions
    registered before profiles, or without the optional dependency; see
    :meth:`Registry.load_reference_profile`).

    Examples
    --------
    >>> art = ArtifactRecord("m/v1/model.skops", "skops", "0" * 64)
    >>> mv = ModelVersion("m", 1, "champion", "binary", ("x",), art)
    >>> ModelVersion.from_dict(mv.to_dict()) == mv
    True
    """

    model: str
    version: int
    stage: str
    task: str
    features: tuple[str, ...]
    artifact: ArtifactRecord
    schema: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    classes: tuple[Any, ...] | None = None
    reference: ArtifactRecord | None = None
    training_range: tuple[str, str] | None = None
    data_hash: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    seed: int | None = None
    parent: int | None = None
    trigger: str = "manual"
    created_at: str | None = None
    reference_profile: ArtifactRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the store keeps as the version's record)."""
        out = asdict(self)
        out["features"] = list(self.features)
        out["classes"] = None if self.classes is None else list(self.classes)
        out["training_range"] = None if self.training_range is None else list(self.training_range)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelVersion:
        """Rebuild a version from :meth:`to_dict` output."""
        d = dict(data)
        d["artifact"] = ArtifactRecord(**d["artifact"])
        for key in ("reference", "reference_profile"):
            if d.get(key):
                d[key] = ArtifactRecord(**d[key])
        d["features"] = tuple(d["features"])
        if d.get("classes") is not None:
            d["classes"] = tuple(d["classes"])
        if d.get("training_range") is not None:
            d["training_range"] = tuple(d["training_range"])
        return cls(**d)


class Registry:
    """Register, load, promote and roll back model versions.

    Parameters
    ----------
    store : the :class:`~driftline.store.Store` that keeps versions and stages.
    root : the artifact root; no artifact path may leave it.
    allow_pickle, trusted_types : the project's artifact policy.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from driftline.store import Store
    >>> reg = Registry(Store.open("sqlite://"), tempfile.mkdtemp())
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> mv = reg.register("credit", LogisticRegression().fit(X, [0, 0, 1, 1]), task="binary",
    ...                   features=["x"], reference=X.assign(prediction=[0, 0, 1, 1]))
    >>> mv.version, mv.stage
    (1, 'challenger')
    >>> reg.promote("credit", 1, reason="first version").stage
    'champion'
    >>> reg.load(reg.champion("credit")).predict(X).tolist()
    [0, 0, 1, 1]
    """

    def __init__(self, store: Store, root: str | Path, *, allow_pickle: bool = False,
                 trusted_types: Sequence[str] = ()) -> None:
        self.store = store
        self.root = Path(root)
        self.allow_pickle = allow_pickle
        self.trusted_types = tuple(trusted_types)
        # profiles built from the stored reference of versions that have none on disk
        self._built_profiles: dict[tuple[str, int], TableProfile] = {}

    # -- registering --------------------------------------------------------------------
    def register(
        self, name: str, model: Any, *, task: str, features: Sequence[str],
        schema: Mapping[str, Any] | None = None, inputs: Mapping[str, str] | None = None,
        reference: pd.DataFrame | None = None,
        training_range: tuple[Any, Any] | None = None, data_hash: str = "",
        params: Mapping[str, Any] | None = None, metrics: Mapping[str, float] | None = None,
        seed: int | None = None, parent: int | None = None, trigger: str = "manual",
    ) -> ModelVersion:
        """Save ``model`` and its reference under the artifact root and record a new
        version as the model's challenger.

        With a ``reference``, its profile (:func:`profile_reference`: the features and the
        ``prediction`` column, with the schema's kinds) is stored next to it as
        ``reference.profile``, checksummed like the reference. Without the optional
        dependency of profiles (``driftline[profile]``) the version is registered without one,
        and :meth:`load_reference_profile` builds it when first asked.
        """
        self.store.add_model(name, task)
        number = self.store.next_version(name)
        folder = f"{name}/v{number}"
        artifact = save_artifact(model, self.root, folder, allow_pickle=self.allow_pickle)
        ref = None if reference is None else self._save_reference(reference, folder)
        ref_profile = None if reference is None else self._save_reference_profile(
            reference, folder, features, schema or {})
        classes = getattr(model, "classes_", None)
        mv = ModelVersion(
            model=name, version=number, stage="challenger", task=task,
            features=tuple(str(f) for f in features), artifact=artifact,
            schema=dict(schema or {}), inputs=dict(inputs or {}),
            classes=None if classes is None else tuple(_plain(c) for c in classes),
            reference=ref,
            training_range=None if training_range is None else (
                str(training_range[0]), str(training_range[1])),
            data_hash=data_hash, params=dict(params or {}),
            metrics={k: float(v) for k, v in (metrics or {}).items()}, seed=seed,
            parent=parent, trigger=trigger,
            created_at=self.store.now().isoformat(),  # the store's clock
            reference_profile=ref_profile,
        )
        self.store.add_version(name, mv.to_dict(), version=number, reason=f"registered ({trigger})")
        return mv

    def _save_reference(self, frame: pd.DataFrame, folder: str) -> ArtifactRecord:
        pq = require("pyarrow.parquet", extra="serve", feature="Storing references")
        rel = f"{folder}/reference.parquet"
        target = safe_artifact_path(self.root, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        import pyarrow as pa

        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), target)
        return ArtifactRecord(rel, "parquet", sha256_file(target))

    def _save_reference_profile(self, frame: pd.DataFrame, folder: str, features: Sequence[str],
                                schema: Mapping[str, Any]) -> ArtifactRecord | None:
        from driftline.errors import MissingDependencyError

        try:
            profile = profile_reference(frame, features, schema)
        except MissingDependencyError:  # profiles are optional; built on first use instead
            return None
        rel = f"{folder}/reference.profile"
        target = safe_artifact_path(self.root, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(profile.to_bytes())
        return ArtifactRecord(rel, PROFILE_FORMAT, sha256_file(target))

    # -- reading ------------------------------------------------------------------------
    def _version(self, row: Any) -> ModelVersion:
        record = dict(row.record)
        record["stage"] = row.stage
        return ModelVersion.from_dict(record)

    def get(self, name: str, version: int) -> ModelVersion:
        """One version, with its current stage."""
        return self._version(self.store.get_version(name, version))

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, oldest first."""
        return [self._version(r) for r in self.store.versions(name)]

    def champion(self, name: str) -> ModelVersion | None:
        """The current champion, or ``None``."""
        row = self.store.version_in_stage(name, "champion")
        return None if row is None else self._version(row)

    def challenger(self, name: str) -> ModelVersion | None:
        """The current challenger, or ``None``."""
        row = self.store.version_in_stage(name, "challenger")
        return None if row is None else self._version(row)

    def history(self, name: str) -> list[StageChange]:
        """Every stage change, oldest first: who was champion when."""
        return self.store.stage_history(name)

    def load(self, version: ModelVersion) -> Any:
        """The version's model, after the path, checksum and library checks."""
        return load_artifact(version.artifact, self.root, allow_pickle=self.allow_pickle,
                             trusted_types=self.trusted_types)

    def load_reference(self, version: ModelVersion) -> pd.DataFrame:
        """The version's reference (its scored holdout), checksum verified."""
        if version.reference is None:
            raise DataError(f"version {version.version} of {version.model!r} has no reference.")
        path = safe_artifact_path(self.root, version.reference.path)
        data = path.read_bytes()
        import hashlib

        if hashlib.sha256(data).hexdigest() != version.reference.sha256:
            raise DataError(f"reference {version.reference.path!r} does not match its recorded "
                            "SHA-256; it was changed after registration.")
        pq = require("pyarrow.parquet", extra="serve", feature="Reading references")
        return pq.read_table(io.BytesIO(data)).to_pandas()

    def load_reference_profile(self, version: ModelVersion) -> TableProfile:
        """The profile of the version's reference, checksum verified.

        A version registered before reference profiles (or without their optional dependency)
        has none stored: its profile is then built from the stored reference (itself checksum
        verified) with :func:`profile_reference`, and kept in memory for this registry's later
        calls.

        Raises
        ------
        DataError
            The version has no reference, or a stored file does not match its checksum.

        Examples
        --------
        >>> import tempfile, pandas as pd
        >>> from sklearn.linear_model import LogisticRegression
        >>> from driftline.store import Store
        >>> reg = Registry(Store.open("sqlite://"), tempfile.mkdtemp())
        >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
        >>> mv = reg.register("m", LogisticRegression().fit(X, [0, 0, 1, 1]), task="binary",
        ...                   features=["x"], reference=X.assign(prediction=[0, 0, 1, 1]))
        >>> mv.reference_profile.path
        'm/v1/reference.profile'
        >>> profile = reg.load_reference_profile(mv)
        >>> profile.kinds, profile.n_rows
        ({'x': 'numerical', 'prediction': 'binary'}, 4)
        """
        from driftline.profile import TableProfile

        record = version.reference_profile
        if record is None:
            key = (version.model, version.version)
            if key not in self._built_profiles:
                self._built_profiles[key] = profile_reference(
                    self.load_reference(version), version.features, version.schema)
            return self._built_profiles[key]
        path = safe_artifact_path(self.root, record.path)
        if not path.is_file():
            raise DataError(f"reference profile {record.path!r} is missing from the artifact "
                            "root.")
        data = path.read_bytes()
        import hashlib

        if hashlib.sha256(data).hexdigest() != record.sha256:
            raise DataError(f"reference profile {record.path!r} does not match its recorded "
                            "SHA-256; it was changed after registration.")
        return TableProfile.from_bytes(data)

    # -- stages -------------------------------------------------------------------------
    def failed_validation(self, name: str, version: int) -> str | None:
        """Why ``version`` was rejected by validation, or ``None`` if it never was."""
        for h in reversed(self.history(name)):
            if h.version == version and h.reason.startswith("rejected:"):
                return h.reason
        return None

    def promote(self, name: str, version: int, *, reason: str = "manual",
                force: bool = False, epoch: int | None = None) -> ModelVersion:
        """Make ``version`` the champion (the previous champion is archived).

        A version that failed validation is never promoted by accident: that needs
        ``force=True`` and a reason, both recorded as a decision and an event. A worker passes
        its lease ``epoch``, checked in the promotion's transaction (fencing).
        """
        failed = self.failed_validation(name, version)
        if failed is not None:
            if not force:
                raise DataError(f"version {version} of {name!r} failed validation ({failed}); "
                                "promoting it needs --force and a --reason, which are recorded.")
            if not reason or reason in ("manual", "promoted from the CLI"):
                raise ParameterError.invalid("reason", reason, "the reason for overriding a "
                                             "failed validation")
            payload = {"model": name, "action": "force_promote", "trigger": "manual",
                       "version": version, "reasons": [f"forced over failed validation: {reason}"],
                       "failed": failed}
            self.store.add_decision(name, payload)
            self.store.add_event(name, "forced_promotion", payload)
            reason = f"forced: {reason}"
        self.store.set_stage(name, version, "champion", reason=reason, epoch=epoch)
        from driftline.tracking._sink import notify_stage

        notify_stage(name, version, "champion")  # MLflow's champion alias, when mirrored
        return self.get(name, version)

    def previous_champion(self, name: str) -> int | None:
        """The version a rollback returns to: the champion before the current one.

        The history is replayed as a stack: a promotion pushes, a rollback pops back to its
        target. So with champions 1, 2, 3, rollbacks go to 2, then to 1 (not back to 3).
        """
        stack: list[int] = []
        for h in self.history(name):
            if h.stage != "champion":
                continue
            if h.reason.startswith(ROLLBACK) and h.version in stack:
                del stack[stack.index(h.version) + 1:]
            else:
                if h.version in stack:
                    stack.remove(h.version)
                stack.append(h.version)
        return stack[-2] if len(stack) >= 2 else None

    def rollback(self, name: str, version: int | None = None, *,
                 reason: str = "") -> ModelVersion:
        """Make the previous champion (or ``version``) the champion again."""
        current = self.champion(name)
        if version is None:
            version = self.previous_champion(name)
            if version is None:
                raise DataError(f"model {name!r} has no earlier champion to roll back to.")
        elif current is not None and version == current.version:
            raise ParameterError.invalid("version", version, "a version other than the current "
                                         "champion")
        text = reason if reason.startswith(ROLLBACK) else f"{ROLLBACK}: {reason or 'manual'}"
        return self.promote(name, version, reason=text)


ROLLBACK = "rollback"


def profile_reference(frame: pd.DataFrame, features: Sequence[str],
                      schema: Mapping[str, Any] | None = None) -> TableProfile:
    """The profile of a version's reference: the columns and kinds the monitor compares.

    Profiles the features and the prediction column (``schema["prediction"]``, by default
    ``prediction``) that ``frame`` holds, with the schema's kinds for the features and the
    kinds :func:`driftline.compare` infers for the rest, exactly as the monitor's exact path
    fits its reference. Text and timestamp features are not profiled.

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"x": [0.5, 1.5, 2.5], "c": [1, 2, 1], "prediction": [0, 1, 0],
    ...                     "y": [0, 1, 1]})
    >>> profile_reference(ref, ["x", "c"], {"kinds": {"c": "categorical"}}).kinds
    {'x': 'numerical', 'c': 'categorical', 'prediction': 'binary'}
    """
    from driftline.profile import profile_frame

    schema = schema or {}
    prediction = str(schema.get("prediction") or "prediction")
    names = [str(f) for f in features]
    present = {str(c) for c in frame.columns}
    cols = [c for c in (*names, prediction) if c in present]
    kinds = {str(k): str(v) for k, v in (schema.get("kinds") or {}).items()
             if k in names and k in cols}
    return profile_frame(frame[cols], kinds=kinds)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
