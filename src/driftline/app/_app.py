"""The ASGI app: the serving routes of every project, health, and ``/metrics``.

One process serves one or more project files (one model each). Models that share a store URL
share its connection pool; each project has its own prediction-log writer, with its own mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from driftline.config import Project
    from driftline.serving import ServingState

__all__ = ["ServeSettings", "check_bind", "create_app"]


@dataclass(frozen=True)
class ServeSettings:
    """Process-wide serving settings (the project files hold the per-model ones).

    Examples
    --------
    >>> ServeSettings().poll_seconds
    2.0
    """

    poll_seconds: float = 2.0
    write_timeout_s: float = 10.0
    metrics: bool = True
    worker: bool = True
    environ: Mapping[str, str] | None = field(default=None, repr=False)
    # the web UI under /ui; serving=False gives the UI alone (``driftline ui``)
    ui: bool = True
    serving: bool = True
    allowed_hosts: tuple[str, ...] = ()
    # how often the service writes a sample of itself (CPU, memory, requests) for the UI
    sample_seconds: float = 15.0
    sample_days: int = 30


def _load(projects: Sequence[Project | str | Path]) -> list[Project]:
    from driftline.config import Project as _Project
    from driftline.config import load_project

    loaded = [p if isinstance(p, _Project) else load_project(p, check_files=False)
              for p in projects]
    if not loaded:
        raise ConfigError("give at least one project file to serve.")
    names = [p.config.model.name for p in loaded]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"model {dup[0]!r} is named by more than one project file; one "
                          "project file describes one model.")
    return loaded


def _state(projects: list[Project], settings: ServeSettings) -> tuple[ServingState, list[Any]]:
    from driftline.retrain import open_registry
    from driftline.serving import ModelService, PredictionLog, ServingState, Tokens
    from driftline.serving._log import LogMetrics
    from driftline.store import Store

    env = os.environ if settings.environ is None else settings.environ
    metrics = None
    if settings.metrics:
        from driftline.telemetry import ServingMetrics

        metrics = ServingMetrics()
    sink = LogMetrics() if metrics is None else LogMetrics(metrics.log_write, metrics.log_dropped)
    stores: dict[str, Store] = {}
    services = {}
    logs = []
    for project in projects:
        cfg = project.config
        url = project.store_url
        store = stores.get(url) or stores.setdefault(url, Store.open(url))
        registry = open_registry(project, store)
        log = PredictionLog(store, mode=cfg.logging.mode, batch_size=cfg.logging.batch_size,
                            flush_interval_ms=cfg.logging.flush_interval_ms, metrics=sink,
                            inline=store.engine.dialect.name == "sqlite")
        salt = (env.get(cfg.privacy.hash_salt_env) or "").encode()
        svc = ModelService(project, registry, log, salt=salt)
        svc.tokens = Tokens.from_env(cfg.auth.token_env, cfg.auth.admin_token_env, env)
        svc.refresh()
        services[svc.name] = svc
        logs.append(log)
        if metrics is not None:
            if svc.current is None:
                metrics.add_external_model(svc.name)
            else:
                metrics.add_model(svc.name, str(svc.current.number), "champion")
    if metrics is not None:  # drift, performance and loop metrics, read at scrape time
        metrics.model_state.source = lambda: [
            sample for svc in services.values()
            for sample in svc.registry.store.latest_gauges(svc.name)]
        metrics.loop.source = lambda: [
            sample for svc in services.values() for sample in [
                *svc.registry.store.loop_samples(svc.name), *_schedule_sample(svc)]]
    return ServingState(services, metrics=metrics, write_timeout_s=settings.write_timeout_s), [
        *logs, *stores.values()]


def create_app(projects: Sequence[Project | str | Path],
               settings: ServeSettings | None = None) -> FastAPI:
    """Build the app for these project files (champions are loaded before it returns).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> from fastapi.testclient import TestClient
    >>> with TestClient(create_app([d / "driftline.yaml"])) as client:
    ...     client.get("/v2/health/ready").status_code, client.get("/v2/health/live").json()
    (503, {'live': True})
    """
    from fastapi import FastAPI

    from driftline.serving import build_router

    settings = settings or ServeSettings()
    if settings.worker:  # the worker's retraining runs mirror to MLflow when it is configured
        from driftline.integrations import configure_tracking

        configure_tracking(os.environ if settings.environ is None else settings.environ)
    loaded = _load(projects)
    if settings.serving:
        state, resources = _state(loaded, settings)
        views = [(s.project, s.registry, s) for s in state.services.values()]
    else:  # the UI alone: no model is loaded, nothing is served
        from driftline.serving import ServingState

        state = ServingState({})
        views, resources = _registries(loaded)
    sampler = _sampler(state, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for r in resources:
            if hasattr(r, "start"):
                r.start()
        poller = asyncio.create_task(_poll(state, settings.poll_seconds, settings.sample_days))
        worker = asyncio.create_task(_work(state)) if settings.worker and state.services else None
        samples = (asyncio.create_task(_sample(state, sampler, settings.sample_seconds))
                   if sampler is not None else None)
        try:
            yield
        finally:
            for task in (poller, worker, samples):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            for r in resources:  # flush every queued prediction, then close the pools
                if hasattr(r, "close"):
                    await asyncio.to_thread(r.close)


    app = FastAPI(title="driftline", version=_version(), lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.serving = state
    _install_errors(app)
    _health_routes(app, state)
    if settings.serving:
        app.include_router(build_router(state))
    if settings.ui:
        from driftline.serving import Tokens
        from driftline.ui import ModelView, UISettings, build_ui_router

        env = os.environ if settings.environ is None else settings.environ
        ui = build_ui_router([ModelView(p, r, svc, tokens=Tokens.from_env(
            p.config.auth.token_env, p.config.auth.admin_token_env, env)) for p, r, svc in views],
            UISettings(allowed_hosts=settings.allowed_hosts))
        app.router.routes.extend(ui.routes)
    if state.metrics is not None:
        app.add_middleware(_RequestMetrics, metrics=state.metrics)
    return app


def _registries(projects: list[Project]) -> tuple[list[tuple[Any, Any, None]], list[Any]]:
    """Each project's registry, sharing one store per URL (the UI without serving)."""
    from driftline.retrain import open_registry
    from driftline.store import Store

    stores: dict[str, Store] = {}
    views = []
    for project in projects:
        url = project.store_url
        store = stores.get(url) or stores.setdefault(url, Store.open(url))
        store.add_model(project.config.model.name, project.config.model.task)
        views.append((project, open_registry(project, store), None))
    return views, list(stores.values())


def _sampler(state: ServingState, settings: ServeSettings) -> Any:
    """The sampler of this process when it serves and samples are on (else ``None``)."""
    if not state.services or settings.sample_seconds <= 0:
        return None
    from driftline.telemetry import ServiceSampler

    return ServiceSampler(state.metrics, gpu=None if settings.metrics else False)


async def _sample(state: ServingState, sampler: Any, seconds: float) -> None:
    """Write a sample of this process to every store it serves from, every ``seconds``."""
    stores = list({id(s.registry.store): s.registry.store for s in state.services.values()}
                  .values())
    while True:
        await asyncio.sleep(seconds)
        try:
            sample = await asyncio.to_thread(sampler.sample)
            for store in stores:
                await asyncio.to_thread(store.add_service_sample, sampler.replica, sample)
        except Exception:  # the store is briefly unreachable: the next sample tries again
            logging.getLogger("driftline.app").debug("service sample failed", exc_info=True)


async def _poll(state: ServingState, seconds: float, sample_days: int = 30) -> None:
    """Follow the champion the store names (promotions by the CLI, the worker or another
    replica), merge the small batches of served traffic every 30 s, and apply each project's
    retention policy (and drop service samples older than ``sample_days``) once an hour."""
    last_retention = -float("inf")
    last_compaction = time.monotonic()
    while True:
        await asyncio.sleep(seconds)
        if time.monotonic() - last_compaction >= COMPACT_EVERY_S:
            last_compaction = time.monotonic()
            for svc in state.services.values():  # small served batches → large ones
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(svc.registry.store.compact, svc.name)
        if time.monotonic() - last_retention >= RETENTION_EVERY_S:
            last_retention = time.monotonic()
            cutoff = datetime.now(timezone.utc) - timedelta(days=sample_days)
            for svc in state.services.values():
                with contextlib.suppress(Exception):  # retried next hour; never stops serving
                    await asyncio.to_thread(_retention, svc)
                    await asyncio.to_thread(svc.registry.store.prune_service_samples, cutoff)
        for svc in state.services.values():
            try:
                changed = await asyncio.to_thread(svc.refresh)
            except Exception:  # the store is briefly unreachable: keep serving, try again
                continue
            if changed and state.metrics is not None and svc.current is not None:
                state.metrics.add_model(svc.name, str(svc.current.number), "champion")


RETENTION_EVERY_S = 3600.0
COMPACT_EVERY_S = 30.0


def _schedule_sample(svc: Any) -> list[tuple[str, dict[str, str], float]]:
    """``driftline_retrain_expected_interval_seconds`` for scheduled policies only."""
    from driftline.policy import scheduled_interval

    seconds = scheduled_interval(svc.project.config)
    if seconds is None:
        return []
    return [("driftline_retrain_expected_interval_seconds", {"model": svc.name}, seconds)]


async def _work(state: ServingState) -> None:
    """The embedded worker: every ``monitoring.every``, monitor new windows, decide, and
    retrain (in a separate process) under the model's lease; several replicas can run it,
    and only the lease holder acts."""
    import driftline.integrations._optuna  # noqa: F401 - registers training.tuning.tuner: optuna
    from driftline.config import parse_duration
    from driftline.worker import Worker

    services = list(state.services.values())
    worker = Worker([s.project for s in services])
    worker.registries = {s.name: s.registry for s in services}  # share the stores
    every = min(parse_duration(s.project.config.monitoring.every) for s in services)
    log = logging.getLogger("driftline.worker")
    try:
        while True:
            try:
                await asyncio.to_thread(worker.run_once)
            except Exception:  # keep serving; the next turn tries again
                log.exception("worker turn failed")
            await asyncio.sleep(every)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(worker.close)


def _retention(svc: Any) -> None:
    r = svc.project.config.retention
    if r.days is not None:
        svc.registry.store.apply_retention(svc.name, days=r.days, action=r.action,
                                           fraction=r.downsample_fraction,
                                           seed=svc.project.config.training.seed)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("driftline")
    except PackageNotFoundError:  # pragma: no cover
        return "0"


def _health_routes(app: FastAPI, state: ServingState) -> None:
    from driftline.serving import docs_models, json_response

    @app.get("/v2/health/live", response_model=docs_models.Live, name="live")
    async def live() -> Any:
        return json_response({"live": True})

    @app.get("/v2/health/ready", response_model=docs_models.Ready, name="ready",
             responses={503: {"model": docs_models.Ready, "description": "Not ready."}})
    async def ready() -> Any:
        models = {n: s.ready for n, s in state.services.items()}
        if models and all(models.values()):
            return json_response({"ready": True, "models": models})
        errors = [f"{n}: {s.load_error}" for n, s in state.services.items() if not s.ready]
        return json_response({"ready": False, "models": models,
                              "error": "; ".join(errors) or "no models are served"}, 503)

    if state.metrics is not None:
        metrics = state.metrics

        from starlette.requests import Request
        from starlette.responses import Response

        async def scrape(request: Request) -> Response:
            body, content_type = await asyncio.to_thread(
                metrics.exposition, request.headers.get("accept"))
            return Response(body, media_type=content_type)

        scrape.__annotations__["request"] = Request
        app.add_api_route("/metrics", scrape, methods=["GET"], name="metrics",
                          include_in_schema=False)


def _install_errors(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from driftline.serving import RequestError, json_response

    async def request_error(request: Any, exc: Exception) -> Any:
        assert isinstance(exc, RequestError)
        return json_response(exc.to_dict(), exc.status)

    async def http_error(request: Any, exc: Exception) -> Any:
        assert isinstance(exc, HTTPException)
        text = {404: "no such endpoint.", 405: "method not allowed on this endpoint."}.get(
            exc.status_code, "request refused.")
        response = json_response({"error": text, "field": None}, exc.status_code)
        for key, value in (exc.headers or {}).items():  # e.g. Allow on a 405
            response.headers[key] = value
        return response

    async def validation_error(request: Any, exc: Exception) -> Any:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":
            return json_response({"error": "malformed JSON.", "field": "body"}, 400)
        where = ".".join(str(p) for p in first.get("loc", ())) or None
        return json_response({"error": str(first.get("msg", "invalid request")),
                              "field": where}, 422)

    async def internal_error(request: Any, exc: Exception) -> Any:
        return json_response({"error": "internal error; the server log has the details.",
                              "field": None}, 500)

    app.add_exception_handler(RequestError, request_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, internal_error)


class _RequestMetrics:
    """Pure ASGI middleware: counts requests by model, endpoint and status class, times
    them, and tracks in-flight requests. Labels come from the matched route's name, so an
    unknown path or model adds no series."""

    def __init__(self, app: Any, metrics: Any) -> None:
        self.app = app
        self.metrics = metrics
        self.inflight = metrics.inflight

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        with self.inflight():
            try:
                await self.app(scope, receive, capture)
            finally:
                route = scope.get("route")
                name = getattr(route, "name", "") or ""
                endpoint, _, model = name.partition(":")
                self.metrics.observe_request(
                    None if model in ("", "*") else model, endpoint or "_other", status[0],
                    time.perf_counter() - started)


def check_bind(host: str, services_complete: bool, insecure: bool) -> None:
    """Refuse a non-loopback address unless every model has both tokens, or ``insecure``.

    Examples
    --------
    >>> check_bind("127.0.0.1", False, False)
    >>> check_bind("0.0.0.0", False, False)
    Traceback (most recent call last):
    ...
    driftline.errors.ConfigError: refusing to listen on 0.0.0.0 without auth: ...
    """
    if _loopback(host) or services_complete or insecure:
        return
    raise ConfigError(f"refusing to listen on {host} without auth: set the environment "
                      "variables named by auth.token_env and auth.admin_token_env for every "
                      "project, bind to 127.0.0.1, or pass --insecure to accept the risk.")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
