"""The serving service's metrics: one explicit registry, Prometheus conventions, bounded labels.

Every label value comes from a fixed set or from the models the service was told about, so no
request can create a series:

* ``model`` is a model added with :meth:`ServingMetrics.add_model` (or
  :meth:`~ServingMetrics.add_external_model`), or ``"_unknown"`` for any other name (or none)
  on an endpoint of :data:`MODEL_ENDPOINTS`; the other endpoints (health checks,
  ``/metrics``, unmatched paths) never name a model and always count ``model=""``;
* ``version`` is a version added for that model, ``""`` otherwise;
* ``endpoint`` is one of :data:`ENDPOINTS`; any other path counts as ``"_other"``;
* ``code`` is the status class, one of :data:`STATUS_CLASSES`.

All of these series are created up front (the placeholders at construction, a model's when it
is added), so an unknown model or a random path never adds one, and ``rate()`` sees every
series from zero.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from driftline.errors import ParameterError
from driftline.telemetry._gpu import GpuCollector, GpuReader, NvmlReader, detect_gpus
from driftline.telemetry._labels import (
    DROP_REASONS,
    ENDPOINTS,
    LATENCY_BUCKETS,
    MODEL_ENDPOINTS,
    OTHER_ENDPOINT,
    SERVED_STAGES,
    STATUS_CLASSES,
    UNKNOWN_MODEL,
)
from driftline.telemetry._loop import LoopCollector
from driftline.telemetry._model_state import ModelStateCollector, ModelStateSource
from driftline.telemetry._system import SystemCollector

__all__ = ["ServingMetrics"]

_ENDPOINT_SET = frozenset(ENDPOINTS)
_MODELLESS = tuple(e for e in ENDPOINTS if e not in MODEL_ENDPOINTS)


class _Route:
    """The pre-labelled children one (model, version, endpoint) writes to."""

    __slots__ = ("codes", "duration")

    def __init__(self, codes: tuple[Any, ...], duration: Any) -> None:
        self.codes = codes
        self.duration = duration


class _ModelSeries:
    """The pre-labelled children of one model's per-model metrics."""

    __slots__ = ("dropped", "feedback", "ingested", "log_write")

    def __init__(self, feedback: Any, ingested: Any, log_write: Any, dropped: dict[str, Any]) -> None:
        self.feedback = feedback
        self.ingested = ingested
        self.log_write = log_write
        self.dropped = dropped


class ServingMetrics:
    """The Prometheus metrics of the serving service, on their own ``CollectorRegistry``.

    Parameters
    ----------
    process
        Register prometheus_client's process, platform and garbage-collector collectors
        (``process_*``, ``python_*``).
    system
        Register :class:`SystemCollector` (host CPU and memory from psutil).
    gpu
        ``None`` detects NVIDIA GPUs through NVML and exports ``driftline_gpu_*`` only if
        there is one; ``True`` requires NVML (and raises without it); ``False`` never
        exports GPU series; a callable is used as the device reader (see
        :class:`GpuCollector`).
    model_state
        The source of the model-state gauges (see :class:`ModelStateCollector`); it can also
        be set later through ``metrics.model_state.source``.

    Examples
    --------
    >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
    >>> metrics.add_model("credit", "3")
    >>> with metrics.inflight():
    ...     metrics.observe_request("credit", "predict", 200, 0.012)
    >>> metrics.observe_request("nope", "predict", 404, 0.001)
    >>> metrics.registry.get_sample_value("driftline_requests_total", {
    ...     "model": "credit", "version": "3", "endpoint": "predict", "code": "2xx"})
    1.0
    >>> metrics.registry.get_sample_value("driftline_requests_total", {
    ...     "model": "_unknown", "version": "", "endpoint": "predict", "code": "4xx"})
    1.0
    >>> body, content_type = metrics.exposition()
    >>> content_type
    'text/plain; version=0.0.4; charset=utf-8'
    """

    def __init__(self, *, process: bool = True, system: bool = True,
                 gpu: bool | GpuReader | None = None,
                 model_state: ModelStateSource | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._define_metrics()
        self._routes: dict[tuple[str | None, str | None, str], _Route] = {}
        self._predictions: dict[tuple[str, str], Any] = {}
        self._per_model: dict[str, _ModelSeries] = {}
        self._stages: dict[tuple[str, str], str] = {}
        self._precreate_placeholders()
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        if system:
            self.registry.register(SystemCollector())
        reader = _gpu_reader(gpu)
        if reader is not None:
            self.registry.register(GpuCollector(reader))
        self.model_state = ModelStateCollector(model_state)
        self.registry.register(self.model_state)
        self.loop = LoopCollector()
        self.registry.register(self.loop)

    def _define_metrics(self) -> None:
        r = self.registry
        self._requests = Counter(
            "driftline_requests", "HTTP requests handled, by model, version, endpoint and status "
            "class.", ("model", "version", "endpoint", "code"), registry=r)
        self._duration = Histogram(
            "driftline_request_duration_seconds", "Time to handle an HTTP request, in seconds.",
            ("model", "endpoint"), buckets=LATENCY_BUCKETS, registry=r)
        self._inflight = Gauge("driftline_inflight_requests", "HTTP requests being handled now.",
                               registry=r)
        self._predicted = Counter("driftline_predictions", "Rows predicted, by model and version.",
                                  ("model", "version"), registry=r)
        self._feedback = Counter("driftline_feedback", "Labels received for logged predictions.",
                                 ("model",), registry=r)
        self._ingested = Counter("driftline_ingested", "Prediction rows logged through ingestion "
                                 "for models served elsewhere.", ("model",), registry=r)
        self._log_write = Histogram(
            "driftline_prediction_log_write_duration_seconds", "Time of one group-commit write to "
            "the prediction log, in seconds.", ("model",), buckets=LATENCY_BUCKETS, registry=r)
        self._dropped = Counter("driftline_prediction_log_dropped", "Predictions that were served "
                                "but not stored in the prediction log, by reason.",
                                ("model", "reason"), registry=r)
        self._info = Info("driftline_model", "The model versions being served, by stage (value 1).",
                          ("model", "stage"), registry=r)

    def _precreate_placeholders(self) -> None:
        for endpoint in _MODELLESS:
            self._routes[(None, None, endpoint)] = self._route("", "", endpoint)
        for endpoint in MODEL_ENDPOINTS:
            route = self._route(UNKNOWN_MODEL, "", endpoint)
            self._routes[(UNKNOWN_MODEL, None, endpoint)] = self._routes[(None, None, endpoint)] = route
        self._predictions[(UNKNOWN_MODEL, "")] = self._predicted.labels(UNKNOWN_MODEL, "")
        self._precreate_model(UNKNOWN_MODEL)

    def _route(self, model: str, version: str, endpoint: str) -> _Route:
        codes = tuple(self._requests.labels(model, version, endpoint, c) for c in STATUS_CLASSES)
        return _Route(codes, self._duration.labels(model, endpoint))

    def _precreate_model(self, model: str) -> None:
        if model not in self._per_model:
            dropped = {reason: self._dropped.labels(model, reason) for reason in DROP_REASONS}
            self._per_model[model] = _ModelSeries(self._feedback.labels(model),
                                                  self._ingested.labels(model),
                                                  self._log_write.labels(model), dropped)

    # -- the models being served ------------------------------------------------------------

    def add_model(self, model: str, version: str | int, stage: str = "champion") -> None:
        """Serve ``version`` of ``model`` in ``stage``: create its series and set its info.

        ``driftline_model_info`` keeps one series per model and stage: adding a new champion
        removes the previous champion's series, and a version that changes stage keeps only
        the new one. Requests that name the model without a version count under its champion.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.add_model("credit", "1")
        >>> metrics.add_model("credit", "2")
        >>> [s.labels["version"] for m in metrics.registry.collect() for s in m.samples
        ...  if s.name == "driftline_model_info"]
        ['2']
        """
        version = str(version)
        _check_name("model", model)
        _check_name("version", version)
        if stage not in SERVED_STAGES:
            raise ParameterError.invalid("stage", stage, f"one of {SERVED_STAGES}",
                                         "Call remove_model() when a version stops being served.")
        with self._lock:
            for endpoint in MODEL_ENDPOINTS:
                if (model, version, endpoint) not in self._routes:
                    self._routes[(model, version, endpoint)] = self._route(model, version, endpoint)
            self._predictions.setdefault((model, version), self._predicted.labels(model, version))
            self._precreate_model(model)
            for other in SERVED_STAGES:
                if other != stage and self._stages.get((model, other)) == version:
                    self._unset_stage(model, other)
            self._stages[(model, stage)] = version
            self._info.labels(model, stage).info({"version": version})
            if stage == "champion":
                for endpoint in MODEL_ENDPOINTS:
                    self._routes[(model, None, endpoint)] = self._routes[(model, version, endpoint)]

    def add_external_model(self, model: str) -> None:
        """Create the per-model series of a model served elsewhere whose predictions are ingested.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.add_external_model("churn")
        >>> metrics.ingested("churn", 100)
        >>> metrics.registry.get_sample_value("driftline_ingested_total", {"model": "churn"})
        100.0
        """
        _check_name("model", model)
        with self._lock:
            self._precreate_model(model)

    def remove_model(self, model: str, stage: str | None = None) -> None:
        """Stop serving ``model`` in ``stage`` (every stage if ``None``): remove its info series.

        Its counters stay, so ``rate()`` and ``increase()`` over past windows remain right.
        Requests for a model with no champion count under ``model="_unknown"``.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.add_model("credit", "1", "challenger")
        >>> metrics.remove_model("credit", "challenger")
        >>> metrics.registry.get_sample_value("driftline_model_info", {
        ...     "model": "credit", "stage": "challenger", "version": "1"}) is None
        True
        """
        with self._lock:
            for s in SERVED_STAGES if stage is None else (stage,):
                if (model, s) in self._stages:
                    self._unset_stage(model, s)

    def _unset_stage(self, model: str, stage: str) -> None:
        del self._stages[(model, stage)]
        self._info.remove(model, stage)
        if stage == "champion":
            for endpoint in MODEL_ENDPOINTS:
                self._routes.pop((model, None, endpoint), None)

    # -- the hot path -----------------------------------------------------------------------

    def observe_request(self, model: str | None, endpoint: str, code: int, seconds: float,
                        version: str | None = None) -> None:
        """Count one handled request and observe its duration.

        ``version=None`` means the model's current champion. On a model endpoint, an unknown
        model or version (or ``model=None``) counts as ``model="_unknown"``; the other
        endpoints count ``model=""``; an unknown endpoint counts as ``"_other"``.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.observe_request(None, "/wp-admin.php", 404, 0.0004)
        >>> metrics.registry.get_sample_value("driftline_requests_total", {
        ...     "model": "", "version": "", "endpoint": "_other", "code": "4xx"})
        1.0
        """
        route = self._routes.get((model, version, endpoint)) or self._resolve(model, version, endpoint)
        index = code // 100 - 2
        route.codes[index if 0 <= index <= 3 else 3].inc()
        route.duration.observe(seconds)

    def _resolve(self, model: str | None, version: str | None, endpoint: str) -> _Route:
        if endpoint not in _ENDPOINT_SET:
            endpoint = OTHER_ENDPOINT
        if endpoint in _MODELLESS:
            return self._routes[(None, None, endpoint)]
        route = self._routes.get((model, version, endpoint))
        return route or self._routes[(UNKNOWN_MODEL, None, endpoint)]

    def request_counts(self) -> dict[tuple[str, str, str], float]:
        """Requests counted so far by ``(model, version, code)``, summed over endpoints
        (requests that name no model are left out).

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.add_model("credit", "3")
        >>> metrics.observe_request("credit", "predict", 200, 0.01)
        >>> metrics.observe_request("credit", "feedback", 503, 0.01)
        >>> {k: v for k, v in metrics.request_counts().items() if v}
        {('credit', '3', '2xx'): 1.0, ('credit', '3', '5xx'): 1.0}
        """
        out: dict[tuple[str, str, str], float] = {}
        for family in self._requests.collect():
            for s in family.samples:
                if not s.name.endswith("_total") or not s.labels.get("model"):
                    continue
                key = (s.labels["model"], s.labels["version"], s.labels["code"])
                out[key] = out.get(key, 0.0) + s.value
        return out

    def inflight_now(self) -> float:
        """Requests being handled now.

        Examples
        --------
        >>> ServingMetrics(process=False, system=False, gpu=False).inflight_now()
        0.0
        """
        return float(self.registry.get_sample_value("driftline_inflight_requests") or 0.0)

    def inflight(self) -> AbstractContextManager[Any]:
        """A context manager that counts a request in ``driftline_inflight_requests``.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> with metrics.inflight():
        ...     metrics.registry.get_sample_value("driftline_inflight_requests")
        1.0
        """
        return self._inflight.track_inprogress()

    def predictions(self, model: str, version: str | int | None, n: int) -> None:
        """Count ``n`` predicted rows (``version=None``: the model's champion).

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.add_model("credit", 3)
        >>> metrics.predictions("credit", 3, 50)
        >>> metrics.registry.get_sample_value("driftline_predictions_total",
        ...                                   {"model": "credit", "version": "3"})
        50.0
        """
        if version is None:
            version = self._stages.get((model, "champion"), "")
        key = (model, version if isinstance(version, str) else str(version))
        child = self._predictions.get(key) or self._predictions[(UNKNOWN_MODEL, "")]
        child.inc(n)

    def _model(self, model: str) -> _ModelSeries:
        return self._per_model.get(model) or self._per_model[UNKNOWN_MODEL]

    def feedback(self, model: str, n: int) -> None:
        """Count ``n`` labels received for ``model``.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.feedback("nope", 2)
        >>> metrics.registry.get_sample_value("driftline_feedback_total", {"model": "_unknown"})
        2.0
        """
        self._model(model).feedback.inc(n)

    def ingested(self, model: str, n: int) -> None:
        """Count ``n`` prediction rows ingested for ``model`` (served elsewhere).

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.ingested("nope", 5)
        >>> metrics.registry.get_sample_value("driftline_ingested_total", {"model": "_unknown"})
        5.0
        """
        self._model(model).ingested.inc(n)

    def log_write(self, model: str, seconds: float) -> None:
        """Observe the duration of one group-commit write to the prediction log.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.log_write("nope", 0.004)
        >>> metrics.registry.get_sample_value(
        ...     "driftline_prediction_log_write_duration_seconds_count", {"model": "_unknown"})
        1.0
        """
        self._model(model).log_write.observe(seconds)

    def log_dropped(self, model: str, n: int, reason: str) -> None:
        """Count ``n`` predictions served but not stored; an unlisted ``reason`` counts as ``other``.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> metrics.log_dropped("nope", 3, "queue_full")
        >>> metrics.registry.get_sample_value("driftline_prediction_log_dropped_total",
        ...                                   {"model": "_unknown", "reason": "queue_full"})
        3.0
        """
        dropped = self._model(model).dropped
        (dropped.get(reason) or dropped["other"]).inc(n)

    # -- scraping ---------------------------------------------------------------------------

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The scrape body and its content type: OpenMetrics when ``accept`` asks for it.

        Examples
        --------
        >>> metrics = ServingMetrics(process=False, system=False, gpu=False)
        >>> body, content_type = metrics.exposition("application/openmetrics-text; version=1.0.0")
        >>> content_type.split(";")[0], body.endswith(b"# EOF\\n")
        ('application/openmetrics-text', True)
        """
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


def _check_name(what: str, value: object) -> None:
    if not isinstance(value, str) or not value or value.startswith("_"):
        raise ParameterError.invalid(what, value, "a non-empty string that does not start with '_'",
                                     "Names starting with '_' are reserved for placeholders.")


def _gpu_reader(gpu: bool | GpuReader | None) -> GpuReader | None:
    if gpu is None:
        return detect_gpus()
    if gpu is True:
        return NvmlReader()
    if gpu is False:
        return None
    if callable(gpu):
        return gpu
    raise ParameterError.invalid("gpu", gpu, "None, True, False or a device-reader callable")
