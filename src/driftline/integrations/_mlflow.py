"""The MLflow export: :class:`MLflowSink` mirrors tracked runs, their params, metric curves, tags
and artifacts, and the model versions they produced, to an MLflow tracking server or database.

It uses ``mlflow.tracking.MlflowClient`` only, never the fluent ``mlflow.start_run`` state, so it
is safe across threads and leaves the process's global tracking URI alone. MLflow is imported
when a sink is created, never by ``import driftline.integrations``.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from driftline.errors import DataError, DriftlineWarning, ParameterError, require

if TYPE_CHECKING:
    from driftline.tracking import RunRecord

__all__ = ["MLflowSink"]

# MLflow's limits (mlflow.utils.validation): longer values are truncated, batches are split.
_KEY_LENGTH = 250
_PARAM_LENGTH = 6000
_TAG_LENGTH = 8000
_PARAMS_TAGS_PER_BATCH = 100
_METRICS_PER_BATCH = 1000
_STATUS = {"finished": "FINISHED", "failed": "FAILED", "pruned": "KILLED"}
_STAGES = ("champion", "challenger", "archived")
_BAD_KEY = re.compile(r"[^\w.\- :/]")
_MAX_MAPPED = 10_000  # driftline -> MLflow run ids kept in memory; older ones are searched for
# The registry's artifact formats, told apart by their first bytes (see registry._handlers).
_MODEL_FILES = ((b"PK\x03\x04", "model.skops"), (b"\x80", "model.pkl"),
                (b"tree", "model.lgb.txt"), (b"{", "model.ubj"))


def _key(key: Any) -> str:
    """``key`` as a valid MLflow param, metric or tag key: characters MLflow refuses become
    ``_``, and it is cut to 250 characters."""
    out = _BAD_KEY.sub("_", str(key))[:_KEY_LENGTH]
    if out and (posixpath.normpath(out) != out or out.startswith(("/", ".."))):
        out = out.replace("/", "_")
    if out in ("", ".", "..") or out.startswith(".."):
        out = ("_" + out)[:_KEY_LENGTH]
    return out


def _text(value: Any, limit: int) -> str:
    """``value`` as MLflow stores it: a string (containers as JSON), cut to ``limit``."""
    if isinstance(value, str):
        out = value
    elif isinstance(value, (Mapping, list, tuple)):
        out = json.dumps(value, sort_keys=True, default=str)
    else:
        out = str(value)
    return out[:limit]


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _redact(uri: str) -> str:
    """``uri`` without the password of its user info, for ``repr`` and log lines."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class MLflowSink:
    """Mirror tracked runs to MLflow: a :class:`~driftline.tracking.RunSink`.

    Each driftline model gets an MLflow experiment (``experiment``, or ``driftline/<model>``),
    created on first use with ``artifact_location`` as its artifact root when given. Each run
    becomes an MLflow run named like it, tagged ``driftline.run_id``, ``driftline.kind`` and
    ``driftline.model``; a trial's run points at its study's run with ``mlflow.parentRunId``
    (a parent not mirrored by this sink object is found by its ``driftline.run_id`` tag, so
    nesting survives a restart). Params, metrics (``step`` defaults to 0), tags and artifacts
    follow as they are logged; the end status maps to ``FINISHED``, ``FAILED`` or ``KILLED``
    (pruned). A model version the run produced becomes a version of the registered model of
    the same name, tagged ``driftline.version``, with the model file under the run's ``model/``
    artifacts; :meth:`mirror_stage` moves the ``champion`` and ``challenger`` aliases.

    MLflow params cannot change once logged: a param logged again with another value keeps
    its first value in MLflow, and the new one goes to the tag ``param.<key>`` with a
    :class:`~driftline.errors.DriftlineWarning` (driftline's store has the new value). Keys
    lose the characters MLflow refuses (they become ``_``); keys are cut to 250 characters,
    param values to 6000 and tag values to 8000.

    MLflow errors propagate from every method: the run's tracking logs and counts them in
    ``Run.sink_errors``, and the store stays the record. A run whose creation fails halfway is
    deleted from MLflow rather than left half-mirrored.

    Parameters
    ----------
    tracking_uri : the MLflow tracking URI (``http://host:5000``, ``sqlite:///mlflow.db``,
        ``postgresql://...``); also used as the model registry URI, whatever the process's
        global MLflow settings say.
    experiment : one experiment name for every model; default ``driftline/<model>``.
    artifact_location : the artifact root of the experiments this sink creates; default
        MLflow's (for a database URI, ``./mlruns`` in the working directory).

    Examples
    --------
    >>> import tempfile
    >>> from driftline.store import Store
    >>> from driftline.tracking import track
    >>> root = tempfile.mkdtemp()
    >>> sink = MLflowSink(f"sqlite:///{root}/mlflow.db", artifact_location=f"{root}/artifacts")
    >>> with track("credit", store=Store.open("sqlite://"), sinks=(sink,),
    ...            run_name="baseline", params={"C": 0.5}) as run:
    ...     run.log_metric("auc", 0.81)
    >>> mirrored = sink.client.get_run(sink.mlflow_run_id(run.id))
    >>> mirrored.info.run_name, mirrored.info.status, mirrored.data.params, mirrored.data.metrics
    ('baseline', 'FINISHED', {'C': '0.5'}, {'auc': 0.81})
    >>> run.sink_errors
    0
    """

    def __init__(self, tracking_uri: str, *, experiment: str | None = None,
                 artifact_location: str | None = None) -> None:
        if not isinstance(tracking_uri, str) or not tracking_uri:
            raise ParameterError.invalid("tracking_uri", tracking_uri, "an MLflow tracking URI")
        if experiment is not None and (not isinstance(experiment, str) or not experiment):
            raise ParameterError.invalid("experiment", experiment, "a non-empty experiment name")
        require("mlflow", extra="mlflow", feature="The MLflow export (MLflowSink)")
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.artifact_location = artifact_location
        self._client: Any = None
        self._lock = threading.RLock()
        self._experiments: dict[str, str] = {}  # experiment name -> id
        self._runs: dict[str, str] = {}  # driftline run id -> MLflow run id
        self._params: dict[str, dict[str, str]] = {}  # MLflow run id -> params it holds

    def __repr__(self) -> str:
        return f"MLflowSink({_redact(self.tracking_uri)!r})"

    # -- plumbing --------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The ``MlflowClient`` (created on first use; for a new database URI, that creates
        MLflow's tables)."""
        with self._lock:
            if self._client is None:
                from mlflow.tracking import MlflowClient

                self._client = MlflowClient(self.tracking_uri, registry_uri=self.tracking_uri)
            return self._client

    def _experiment_name(self, model: str) -> str:
        return self.experiment or f"driftline/{model}"

    def _experiment_id(self, model: str) -> str:
        from mlflow.exceptions import MlflowException

        name = self._experiment_name(model)
        with self._lock:
            if name in self._experiments:
                return self._experiments[name]
            client = self.client
            exp = client.get_experiment_by_name(name)
            if exp is None:
                try:
                    exp_id = client.create_experiment(name, artifact_location=self.artifact_location)
                except MlflowException as exc:  # created meanwhile by another process
                    if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                        raise
                    exp = client.get_experiment_by_name(name)
                    if exp is None:
                        raise
                    exp_id = exp.experiment_id
            elif exp.lifecycle_stage != "active":
                raise DataError(f"MLflow experiment {name!r} is deleted; restore it in MLflow or "
                                "give MLflowSink another experiment name.")
            else:
                exp_id = exp.experiment_id
            self._experiments[name] = str(exp_id)
            return str(exp_id)

    def _search(self, run_id: str, experiment_ids: list[str]) -> str | None:
        """The MLflow run mirroring driftline run ``run_id`` in those experiments, if any."""
        if not experiment_ids or not re.fullmatch(r"[\w.-]+", run_id):
            return None
        found = self.client.search_runs(experiment_ids,
                                        filter_string=f"tags.`driftline.run_id` = '{run_id}'",
                                        max_results=1)
        return str(found[0].info.run_id) if found else None

    def _remember(self, run_id: str, mlflow_id: str) -> None:
        with self._lock:
            self._runs[run_id] = mlflow_id
            while len(self._runs) > _MAX_MAPPED:
                self._runs.pop(next(iter(self._runs)))

    def _searched_experiments(self) -> list[str]:
        with self._lock:
            ids = set(self._experiments.values())
        if self.experiment is not None:
            exp = self.client.get_experiment_by_name(self.experiment)
            if exp is not None:
                ids.add(str(exp.experiment_id))
        else:
            found = self.client.search_experiments(filter_string="name LIKE 'driftline/%'")
            ids.update(str(e.experiment_id) for e in found)
        return sorted(ids)

    def mlflow_run_id(self, run_id: str) -> str:
        """The id of the MLflow run that mirrors driftline run ``run_id``.

        Raises :class:`~driftline.errors.DataError` when no run of this sink's experiments
        has the tag ``driftline.run_id`` = ``run_id``.
        """
        with self._lock:
            mlflow_id = self._runs.get(run_id)
        if mlflow_id is not None:
            return mlflow_id
        mlflow_id = self._search(run_id, self._searched_experiments())
        if mlflow_id is None:
            raise DataError(f"run {run_id!r} is not mirrored in MLflow at "
                            f"{_redact(self.tracking_uri)} (its start was not exported).")
        self._remember(run_id, mlflow_id)
        return mlflow_id

    def _log_batch(self, mlflow_id: str, *, metrics: Sequence[Any] = (), params: Sequence[Any] = (),
                   tags: Sequence[Any] = ()) -> None:
        for chunk in _chunks(list(params), _PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(mlflow_id, params=chunk)
        for chunk in _chunks(list(tags), _PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(mlflow_id, tags=chunk)
        for chunk in _chunks(list(metrics), _METRICS_PER_BATCH):
            self.client.log_batch(mlflow_id, metrics=chunk)

    def _write_params(self, mlflow_id: str, params: Mapping[str, Any], logged: dict[str, str],
                      ) -> None:
        """Log the params MLflow does not have yet; changed values go to ``param.<key>`` tags."""
        from mlflow.entities import Param, RunTag

        new: dict[str, str] = {}
        changed: dict[str, str] = {}
        for k, v in params.items():
            key, value = _key(k), _text(v, _PARAM_LENGTH)
            if key not in logged:
                new[key] = value
            elif logged[key] != value:
                changed[_key(f"param.{key}")] = _text(v, _TAG_LENGTH)
        self._log_batch(mlflow_id, params=[Param(k, v) for k, v in new.items()],
                        tags=[RunTag(k, v) for k, v in changed.items()])
        logged.update(new)
        if changed:
            warnings.warn(f"MLflow params cannot change: the new values of {sorted(changed)} "
                          f"went to tags of MLflow run {mlflow_id} (driftline's store has them as "
                          "params).", DriftlineWarning, stacklevel=2)

    # -- RunSink ---------------------------------------------------------------------
    def start(self, record: RunRecord) -> None:
        """Create the MLflow run of ``record`` (with its first params and tags)."""
        with self._lock:
            if record.id in self._runs:
                return
        client = self.client
        exp_id = self._experiment_id(record.model)
        tags = {_key(k): _text(v, _TAG_LENGTH) for k, v in record.tags.items()}
        tags.update({_key(f"model_params.{k}"): _text(v, _TAG_LENGTH)
                     for k, v in record.model_params.items()})
        tags.update({"driftline.run_id": record.id, "driftline.kind": record.kind,
                     "driftline.model": record.model})
        if record.parent_id is not None:
            tags["driftline.parent_id"] = record.parent_id
            with self._lock:
                parent = self._runs.get(record.parent_id)
            if parent is None:
                parent = self._search(record.parent_id, [exp_id])
            if parent is not None:
                tags["mlflow.parentRunId"] = parent
        start_ms = int(record.started_at.timestamp() * 1000)
        mlflow_id = str(client.create_run(exp_id, start_time=start_ms, tags=tags,
                                          run_name=record.name).info.run_id)
        logged: dict[str, str] = {}
        try:
            self._write_params(mlflow_id, record.params, logged)
        except BaseException:
            with contextlib.suppress(Exception):  # never leave a half-mirrored run behind;
                client.delete_run(mlflow_id)   # the first error is the one to report
            raise
        with self._lock:
            self._params[mlflow_id] = logged
        self._remember(record.id, mlflow_id)

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Log the params MLflow does not have yet (see the class notes on changed values)."""
        mlflow_id = self.mlflow_run_id(run_id)
        with self._lock:
            logged = self._params.get(mlflow_id)
        if logged is None:  # mirrored by another process: read what it holds
            logged = dict(self.client.get_run(mlflow_id).data.params)
        self._write_params(mlflow_id, params, logged)
        with self._lock:
            self._params[mlflow_id] = logged

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int | None) -> None:
        """Log metric values at ``step`` (0 when ``None``), timestamped now."""
        from mlflow.entities import Metric

        mlflow_id = self.mlflow_run_id(run_id)
        now = int(time.time() * 1000)
        self._log_batch(mlflow_id, metrics=[Metric(_key(k), float(v), now, step or 0)
                                            for k, v in metrics.items()])

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set tags (values as strings)."""
        from mlflow.entities import RunTag

        mlflow_id = self.mlflow_run_id(run_id)
        self._log_batch(mlflow_id, tags=[RunTag(_key(k), _text(v, _TAG_LENGTH))
                                         for k, v in tags.items()])

    def _upload(self, mlflow_id: str, name: str, data: bytes, folder: str | None = None) -> None:
        parts = [_key(p) for p in PurePosixPath(name.replace("\\", "/")).parts
                 if p not in ("/", ".", "..")] or ["artifact"]
        directory = "/".join(p for p in (folder, *parts[:-1]) if p) or None
        with tempfile.TemporaryDirectory(prefix="driftline-mlflow-") as tmp:
            path = Path(tmp) / parts[-1]
            path.write_bytes(data)
            self.client.log_artifact(mlflow_id, str(path), artifact_path=directory)

    def log_artifact(self, run_id: str, name: str, data: bytes, media_type: str) -> None:
        """Upload ``data`` as the run's artifact ``name`` (a ``/`` in it makes folders)."""
        self._upload(self.mlflow_run_id(run_id), name, data)

    def end(self, run_id: str, status: str) -> None:
        """End the MLflow run: ``FINISHED``, ``FAILED``, or ``KILLED`` for a pruned run."""
        if status not in _STATUS:
            raise ParameterError.choice("status", status, tuple(_STATUS))
        mlflow_id = self.mlflow_run_id(run_id)
        self.client.set_terminated(mlflow_id, _STATUS[status])
        with self._lock:
            self._params.pop(mlflow_id, None)

    def _model_version(self, model: str, version: int) -> Any:
        """The MLflow version of registered model ``model`` mirroring driftline ``version``."""
        if "'" in model:
            raise ParameterError.invalid("model", model, "a name without quotes")
        found = self.client.search_model_versions(
            f"name = '{model}' and tags.`driftline.version` = '{int(version)}'")
        return found[0] if found else None

    def version(self, run_id: str, model: str, version: int, artifact: bytes | None) -> None:
        """Register the run's model as a version of the MLflow registered model ``model``
        (created if needed), with ``artifact`` uploaded under the run's ``model/``; a version
        already mirrored is left as it is."""
        from mlflow.exceptions import MlflowException

        mlflow_id = self.mlflow_run_id(run_id)
        if self._model_version(model, version) is not None:
            return
        client = self.client
        if artifact is not None:
            file = next((f for magic, f in _MODEL_FILES if artifact.startswith(magic)), "model.bin")
            self._upload(mlflow_id, file, artifact, folder="model")
        try:
            client.create_registered_model(model, tags={"driftline.model": model})
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        source = str(client.get_run(mlflow_id).info.artifact_uri).rstrip("/") + "/model"
        client.create_model_version(name=model, source=source, run_id=mlflow_id,
                                    tags={"driftline.version": str(int(version)),
                                          "driftline.run_id": run_id})

    # -- stages ----------------------------------------------------------------------
    def mirror_stage(self, model: str, version: int, stage: str) -> None:
        """Mirror a stage change of driftline ``version`` of ``model``: ``champion`` and
        ``challenger`` become aliases of its MLflow version (moved from the version that had
        them); ``archived`` removes those aliases from it. The tag ``driftline.stage`` of the
        MLflow version records the stage either way.

        Raises :class:`~driftline.errors.DataError` when the version was not mirrored (its
        run was not linked to it with this sink).
        """
        if stage not in _STAGES:
            raise ParameterError.choice("stage", stage, _STAGES)
        found = self._model_version(model, version)
        if found is None:
            raise DataError(f"version {version} of model {model!r} is not mirrored in MLflow at "
                            f"{_redact(self.tracking_uri)}.")
        client = self.client
        mlflow_version = str(found.version)
        if stage == "archived":
            for alias in client.get_model_version(model, mlflow_version).aliases:
                if alias in ("champion", "challenger"):
                    client.delete_registered_model_alias(model, alias)
        else:
            client.set_registered_model_alias(model, stage, mlflow_version)
        client.set_model_version_tag(model, mlflow_version, "driftline.stage", stage)
