"""Telemetry: the Prometheus metrics of the serving service. Needs the ``serve`` extra.

Everything is served from one explicit ``CollectorRegistry`` (never prometheus_client's
global one), with base units, ``_total`` counters, histograms in seconds and bounded labels.
``docs/metrics.md`` lists every metric family.

Examples
--------
>>> from driftline.telemetry import ServingMetrics
>>> metrics = ServingMetrics(gpu=False)
>>> metrics.add_model("credit", "1")
>>> metrics.observe_request("credit", "predict", 200, 0.003)
>>> body, content_type = metrics.exposition()
>>> b'driftline_requests_total{code="2xx",endpoint="predict",model="credit",version="1"} 1.0' in body
True
"""

from driftline.errors import require

require("prometheus_client", extra="serve", feature="driftline.telemetry (the /metrics endpoint)")

from driftline.telemetry._gpu import (  # noqa: E402
    GpuCollector,
    GpuReader,
    GpuReading,
    NvmlReader,
    detect_gpus,
)
from driftline.telemetry._labels import (  # noqa: E402
    DROP_REASONS,
    ENDPOINTS,
    LATENCY_BUCKETS,
    MODEL_ENDPOINTS,
    STATUS_CLASSES,
    status_class,
)
from driftline.telemetry._loop import LOOP_METRICS, LoopCollector, LoopSample  # noqa: E402
from driftline.telemetry._model_state import (  # noqa: E402
    MODEL_STATE_METRICS,
    ModelStateCollector,
    ModelStateSample,
    ModelStateSource,
)
from driftline.telemetry._sampler import ServiceSampler  # noqa: E402
from driftline.telemetry._serving import ServingMetrics  # noqa: E402
from driftline.telemetry._system import SystemCollector  # noqa: E402

__all__ = [
    "DROP_REASONS",
    "ENDPOINTS",
    "LATENCY_BUCKETS",
    "LOOP_METRICS",
    "MODEL_ENDPOINTS",
    "MODEL_STATE_METRICS",
    "STATUS_CLASSES",
    "GpuCollector",
    "GpuReader",
    "GpuReading",
    "LoopCollector",
    "LoopSample",
    "ModelStateCollector",
    "ModelStateSample",
    "ModelStateSource",
    "NvmlReader",
    "ServiceSampler",
    "ServingMetrics",
    "SystemCollector",
    "detect_gpus",
    "status_class",
]
