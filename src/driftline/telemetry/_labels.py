"""The values of the bounded labels, and the latency buckets."""

from __future__ import annotations

__all__ = ["DROP_REASONS", "ENDPOINTS", "LATENCY_BUCKETS", "MODEL_ENDPOINTS", "OTHER_ENDPOINT",
           "SERVED_STAGES", "STATUS_CLASSES", "UNKNOWN_MODEL", "status_class"]

ENDPOINTS = ("live", "ready", "metadata", "model_ready", "infer", "predict", "feedback", "log",
             "promote", "rollback", "retrain", "metrics", "_other")
"""Values of the ``endpoint`` label; a path the service does not route counts as ``_other``."""

MODEL_ENDPOINTS = ("metadata", "model_ready", "infer", "predict", "feedback", "log", "promote",
                   "rollback", "retrain")
"""Endpoints that can name a model; the others are always counted with ``model=""``."""

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
"""Values of the ``code`` label. Codes outside 200-599 count as ``5xx``."""

DROP_REASONS = ("queue_full", "timeout", "write_failed", "other")
"""Values of the ``reason`` label of ``driftline_prediction_log_dropped_total``."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Histogram buckets in seconds, 1 ms to 10 s (``+Inf`` is added)."""

UNKNOWN_MODEL = "_unknown"
OTHER_ENDPOINT = "_other"
SERVED_STAGES = ("champion", "challenger")


def status_class(code: int) -> str:
    """The ``code`` label of an HTTP status: ``"2xx"`` ... ``"5xx"``.

    Examples
    --------
    >>> status_class(201), status_class(404), status_class(503), status_class(99)
    ('2xx', '4xx', '5xx', '5xx')
    """
    index = code // 100 - 2
    return STATUS_CLASSES[index if 0 <= index <= 3 else 3]
