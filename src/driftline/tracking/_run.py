"""A tracked run: params, metrics with steps, tags, artifacts and evaluations, written to the
store as they are logged, and mirrored to the run sinks."""

from __future__ import annotations

import contextvars
import json
import math
import mimetypes
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError
from driftline.tracking._record import RunRecord, get_run
from driftline.tracking._sink import RunSink, default_sinks, notify

if TYPE_CHECKING:
    from driftline.store import Store
    from driftline.tracking._evaluate import Evaluation

__all__ = ["Run", "active_run", "track"]

_ACTIVE: contextvars.ContextVar[Run | None] = contextvars.ContextVar("driftline_run",
                                                                    default=None)


def _plain(value: Any) -> Any:
    """A JSON-ready copy: numpy scalars to Python, containers recursively, the rest as str."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return _plain(item())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def finite_or_none(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not one (``None``, a string, a flag,
    an array, a masked value, NaN or infinity): what callbacks and importers skip."""
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)) or np.ma.is_masked(value):
        return None
    if getattr(value, "ndim", 0) != 0:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def _number(name: str, value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ParameterError.invalid(name, value, "a number") from None
    if not math.isfinite(out):
        raise ParameterError.invalid(name, value, "a finite number")
    return out


class Run:
    """A run in progress; use :func:`track` to start one.

    Everything logged goes to the store at once (a crash loses nothing logged before it) and
    then to the run's sinks. Params are hyperparameters, set before training; the summary of
    what the model learned goes to :meth:`log_model_params` (or :meth:`evaluate` does it).

    Examples
    --------
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> with track("credit", store=store, run_name="lr", params={"C": 0.5}) as run:
    ...     run.log_metrics({"auc": 0.81, "log_loss": 0.45})
    ...     run.set_tags({"team": "risk"})
    >>> rec = run.record()
    >>> rec.status, rec.params, rec.metrics["auc"], rec.tags
    ('finished', {'C': 0.5}, 0.81, {'team': 'risk'})
    """

    def __init__(self, store: Store, run_id: str, model: str, *, name: str | None,
                 kind: str, parent_id: str | None, sinks: tuple[RunSink, ...]) -> None:
        self.store, self.id, self.model, self.name = store, run_id, model, name
        self.kind, self.parent_id, self.sinks = kind, parent_id, sinks
        self.sink_errors = 0
        self.status = "running"

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, model={self.model!r}, name={self.name!r}, kind={self.kind!r})"

    def _notify(self, method: str, *args: Any) -> None:
        self.sink_errors += notify(self.sinks, method, *args)

    # -- logging ---------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        """Log one hyperparameter."""
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log hyperparameters (merged into those already logged)."""
        plain = _plain(dict(params))
        self.store.update_run(self.id, params=plain)
        self._notify("log_params", self.id, plain)

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        """Log one metric value; ``step`` (an iteration, an epoch) makes a curve."""
        self.log_metrics({name: value}, step=step)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Log several metric values at the same step."""
        if step is not None and (not isinstance(step, int) or isinstance(step, bool)):
            step = int(_number("step", step))
        values = {str(k): _number(f"metrics[{k!r}]", v) for k, v in metrics.items()}
        self.store.log_run_metrics(self.id, [(k, v, step) for k, v in values.items()])
        self._notify("log_metrics", self.id, values, step)

    def set_tag(self, key: str, value: Any) -> None:
        """Set one tag."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags (merged into those already set)."""
        plain = _plain(dict(tags))
        self.store.update_run(self.id, tags=plain)
        self._notify("set_tags", self.id, plain)

    def log_model_params(self, summary: Mapping[str, Any]) -> None:
        """Log the summary of the parameters the model learned (kept apart from params)."""
        plain = _plain(dict(summary))
        self.store.update_run(self.id, model_params=plain)
        self._notify("set_tags", self.id, {f"model_params.{k}": v for k, v in plain.items()})

    def log_artifact(self, path: str | Path, name: str | None = None) -> str:
        """Store a file with the run (in the database, so every replica sees it); returns its
        SHA-256."""
        p = Path(path)
        if not p.is_file():
            raise ParameterError.invalid("path", str(path), "an existing file")
        media = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
        return self._artifact(name or p.name, p.read_bytes(), media)

    def log_dict(self, name: str, obj: Any) -> str:
        """Store a JSON document with the run (``name`` should end in ``.json``)."""
        data = json.dumps(_plain(obj), indent=1, sort_keys=True).encode()
        return self._artifact(name, data, "application/json")

    def log_text(self, name: str, text: str) -> str:
        """Store a text with the run."""
        return self._artifact(name, text.encode(), "text/plain")

    def _artifact(self, name: str, data: bytes, media_type: str) -> str:
        digest = self.store.add_run_artifact(self.id, name, data, media_type=media_type)
        self._notify("log_artifact", self.id, name, data, media_type)
        return digest

    def evaluate(self, model: Any, X: Any, y: Any, *, task: str | None = None,
                 prefix: str = "", classes: Any = None) -> Evaluation:
        """Score ``model`` on ``(X, y)`` and log the task's full metric set (regression: MAE,
        MSE, RMSE, R², MAPE; classification: accuracy, log loss, ROC AUC, PR AUC, the
        confusion matrix and the per-class report), the model's hyperparameters (when none
        were logged) and the summary of its learned parameters.

        See :func:`driftline.tracking.evaluate_model`, which computes without logging.
        """
        from driftline.tracking._evaluate import evaluate_model, summarize_model

        result = evaluate_model(model, X, y, task=task, classes=classes)
        self.log_metrics({f"{prefix}{k}": v for k, v in result.metrics.items()})
        if result.confusion_matrix is not None:
            self.log_dict(f"{prefix}confusion_matrix.json", result.confusion_matrix)
        if result.report is not None:
            self.log_dict(f"{prefix}classification_report.json", result.report)
        if not self.record().params:
            get_params = getattr(model, "get_params", None)
            if callable(get_params):
                self.log_params(get_params(deep=False))
        self.log_model_params(summarize_model(model))
        return result

    # -- structure -------------------------------------------------------------------
    def child(self, name: str | None = None, *, params: Mapping[str, Any] | None = None,
              kind: str = "trial", tags: Mapping[str, Any] | None = None,
              started_at: datetime | None = None) -> Any:
        """A nested run (a trial of this study): a context manager like :func:`track`."""
        return track(self.model, run_name=name, params=params, tags=tags, store=self.store,
                     kind=kind, parent=self, sinks=self.sinks, started_at=started_at)

    def link(self, *, version: int | None = None, decision_id: int | None = None,
             artifact: bytes | None = None) -> None:
        """Record the model version this run produced and the decision that caused it."""
        self.store.update_run(self.id, version=version, decision_id=decision_id)
        if version is not None:
            self._notify("version", self.id, self.model, int(version), artifact)

    def end(self, status: str = "finished", *, ended_at: datetime | None = None) -> None:
        """End the run (``finished``, ``failed`` or ``pruned``), now or at ``ended_at`` (an
        imported trial's own end); a second call does nothing."""
        if self.status != "running":
            return
        if status not in ("finished", "failed", "pruned"):
            raise ParameterError.choice("status", status, ("finished", "failed", "pruned"))
        self.store.update_run(self.id, status=status, ended_at=ended_at)
        self.status = status
        self._notify("end", self.id, status)

    def record(self) -> RunRecord:
        """The run as stored now."""
        return get_run(self.store, self.id)


def active_run() -> Run | None:
    """The innermost run open in this context (thread, task), or ``None``.

    Examples
    --------
    >>> active_run() is None
    True
    """
    return _ACTIVE.get()


@contextmanager
def track(model: str, *, run_name: str | None = None, params: Mapping[str, Any] | None = None,
          tags: Mapping[str, Any] | None = None, store: Store | str | None = None,
          kind: str = "run", parent: str | Run | None = None,
          sinks: tuple[RunSink, ...] | None = None,
          started_at: datetime | None = None) -> Iterator[Run]:
    """Track a training or tuning run of ``model``.

    Parameters
    ----------
    model : the model's name (the run may come before the model is registered).
    run_name, params, tags : the run's name, hyperparameters and tags.
    store : a :class:`~driftline.store.Store` or its URL. Inside another run, that run's store
        is the default; otherwise it is required here (``driftline.track``, the surface,
        falls back to ``DRIFTLINE_STORE_URL`` and then ``sqlite:///./driftline.db``).
    kind : ``"run"``, ``"study"``, ``"trial"`` or ``"retrain"``.
    parent : the parent run (or its id). Inside another ``track`` block the enclosing run is
        the parent, so runs nest: a study holds its trials.
    sinks : where to mirror the run besides the store; default the enclosing run's sinks, or
        :func:`~driftline.tracking.default_sinks`.
    started_at : the start time to record (an imported trial's own); default now.

    The run ends ``finished``, or ``failed`` when the block raises (the error's type and
    message become the tags ``error.type`` and ``error.message``; the exception propagates).

    Examples
    --------
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> with track("credit", store=store, run_name="outer") as outer:
    ...     with track("credit", run_name="inner") as inner:
    ...         inner.log_metric("auc", 0.9)
    >>> inner.parent_id == outer.id, inner.record().status
    (True, 'finished')
    """
    enclosing = _ACTIVE.get()
    if isinstance(parent, Run):
        parent_run: Run | None = parent
        parent_id: str | None = parent.id
    elif parent is not None:
        parent_run, parent_id = None, str(parent)
    else:
        parent_run = enclosing
        parent_id = None if enclosing is None else enclosing.id
    resolved = _store(store, parent_run)
    if parent_run is not None and resolved is not parent_run.store:
        parent_id = None if parent is None else parent_id  # another store: no implicit nesting
    if sinks is None:
        sinks = parent_run.sinks if parent_run is not None else default_sinks()
    run_id = uuid.uuid4().hex
    resolved.create_run(run_id, model, name=run_name, parent_id=parent_id, kind=kind,
                        params=_plain(dict(params or {})), tags=_plain(dict(tags or {})),
                        started_at=started_at)
    run = Run(resolved, run_id, model, name=run_name, kind=kind, parent_id=parent_id,
              sinks=tuple(sinks))
    run._notify("start", run.record())
    token = _ACTIVE.set(run)
    try:
        yield run
    except BaseException as exc:
        run.set_tags({"error.type": type(exc).__name__, "error.message": str(exc)[:500]})
        run.end("failed")
        raise
    else:
        run.end("finished")
    finally:
        _ACTIVE.reset(token)


def _store(store: Store | str | None, parent: Run | None) -> Store:
    if store is None:
        if parent is None:
            raise ParameterError(
                "store is needed outside another run: pass a Store or a URL such as "
                "'sqlite:///driftline.db' (driftline.track reads DRIFTLINE_STORE_URL).")
        return parent.store
    if isinstance(store, str):
        from driftline.store import Store as _Store

        return _Store.open(store)
    return store
