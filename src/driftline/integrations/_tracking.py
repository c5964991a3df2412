"""``driftline.track``: the tracking API at the surface, where the environment is read. The
store comes from ``store=``, else ``DRIFTLINE_STORE_URL``, else ``sqlite:///./driftline.db``;
runs mirror to MLflow when it is installed and ``MLFLOW_TRACKING_URI`` is set (artifacts of a
new experiment go to ``DRIFTLINE_MLFLOW_ARTIFACT_LOCATION`` when set)."""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftline.store import Store
    from driftline.tracking import Run, RunSink

__all__ = ["DEFAULT_STORE_URL", "configure_tracking", "track"]

#: The store a run goes to when neither ``store=`` nor ``DRIFTLINE_STORE_URL`` names one.
DEFAULT_STORE_URL = "sqlite:///./driftline.db"

_LOCK = threading.Lock()
_STORES: dict[str, Store] = {}
_MLFLOW: dict[str, Any] = {}


def _open(url: str) -> Store:
    """One Store per URL in this process (opening runs the migrations once)."""
    from pathlib import Path

    from driftline.store import Store

    rel = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
    if rel and not rel.startswith("/") and not rel.startswith(":memory:"):
        url = f"sqlite:///{Path(rel).resolve()}"  # the file in this directory, wherever we go
    with _LOCK:
        if url not in _STORES:
            _STORES[url] = Store.open(url)
        return _STORES[url]


def _mlflow_sinks(environ: Mapping[str, str]) -> tuple[RunSink, ...]:
    uri = environ.get("MLFLOW_TRACKING_URI")
    if not uri or importlib.util.find_spec("mlflow") is None:
        return ()
    from driftline.integrations._mlflow import MLflowSink

    with _LOCK:
        if uri not in _MLFLOW:
            _MLFLOW[uri] = MLflowSink(
                uri, artifact_location=environ.get("DRIFTLINE_MLFLOW_ARTIFACT_LOCATION") or None)
        return (_MLFLOW[uri],)


def configure_tracking(environ: Mapping[str, str] | None = None) -> tuple[RunSink, ...]:
    """Add the sinks the environment asks for to the process's default sinks, so that runs the
    service starts (the retraining loop's) mirror there too; returns the sinks added.

    Today that is MLflow, when ``mlflow`` is installed and ``MLFLOW_TRACKING_URI`` is set. The
    CLI and the service call it at start.

    Examples
    --------
    >>> configure_tracking({})
    ()
    """
    from driftline.tracking import add_default_sink

    sinks = _mlflow_sinks(os.environ if environ is None else environ)
    for sink in sinks:
        add_default_sink(sink)
    return sinks


@contextmanager
def track(model: str, *, run_name: str | None = None, params: Mapping[str, Any] | None = None,
          tags: Mapping[str, Any] | None = None, store: Store | str | None = None,
          kind: str = "run", parent: Any = None, sinks: tuple[RunSink, ...] | None = None,
          environ: Mapping[str, str] | None = None) -> Iterator[Run]:
    """Track a training or tuning run (see :func:`driftline.tracking.track`).

    Outside another run, the store is ``store`` or else ``DRIFTLINE_STORE_URL`` or else
    ``sqlite:///./driftline.db``, and the run mirrors to the default sinks plus MLflow when
    ``MLFLOW_TRACKING_URI`` is set and ``mlflow`` is installed. Inside another run, both come
    from the enclosing run. ``environ`` replaces ``os.environ`` (for tests).

    Examples
    --------
    >>> import tempfile
    >>> import driftline as dl
    >>> url = f"sqlite:///{tempfile.mkdtemp()}/runs.db"
    >>> with dl.track("credit", run_name="baseline", params={"C": 1.0},
    ...               environ={"DRIFTLINE_STORE_URL": url}) as run:
    ...     run.log_metric("roc_auc", 0.81)
    >>> run.record().metrics
    {'roc_auc': 0.81}
    """
    from driftline import tracking

    env = os.environ if environ is None else environ
    outer = tracking.active_run() is not None or isinstance(parent, tracking.Run)
    if store is None and not outer:
        store = env.get("DRIFTLINE_STORE_URL") or DEFAULT_STORE_URL
    if isinstance(store, str):
        store = _open(store)
    if sinks is None and not outer:
        sinks = tuple(dict.fromkeys((*tracking.default_sinks(), *_mlflow_sinks(env))))
    with tracking.track(model, run_name=run_name, params=params, tags=tags, store=store,
                        kind=kind, parent=parent, sinks=sinks) as run:
        yield run
