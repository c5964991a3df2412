"""A small periodic sample of a serving process for the built-in UI, which needs no
Prometheus: host CPU and memory, the process's own CPU and memory, GPUs when present,
in-flight requests and the requests counted so far by model, version and status class."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

from driftline.errors import require

if TYPE_CHECKING:
    from driftline.telemetry._gpu import GpuReader
    from driftline.telemetry._serving import ServingMetrics

__all__ = ["ServiceSampler"]


class ServiceSampler:
    """Take samples of this process (``sample()`` returns a JSON-ready dict).

    Request counts are cumulative since the process started, so a reader computes rates
    from the differences between two samples of one ``replica``, and a lost sample loses
    no requests.

    Parameters
    ----------
    metrics : the service's metrics, for request counts and in-flight requests (optional).
    gpu : a GPU reader (see :class:`GpuReader`); ``None`` detects NVIDIA GPUs, ``False``
        never reads GPUs.

    Examples
    --------
    >>> sampler = ServiceSampler(gpu=False)
    >>> s = sampler.sample()
    >>> 0.0 <= s["cpu"] <= 1.0 and s["memory_total"] > 0 and s["requests"] == []
    True
    >>> ":" in sampler.replica
    True
    """

    def __init__(self, metrics: ServingMetrics | None = None,
                 gpu: bool | GpuReader | None = None) -> None:
        psutil = require("psutil", extra="serve", feature="Service samples")
        self._psutil = psutil
        self._process = psutil.Process()
        psutil.cpu_percent(interval=None)
        self._process.cpu_percent(interval=None)
        self.metrics = metrics
        self.replica = f"{socket.gethostname()}:{os.getpid()}"[:128]
        self._gpu: GpuReader | None = None
        if gpu is None:
            from driftline.telemetry._gpu import detect_gpus

            self._gpu = detect_gpus()
        elif gpu is not False and gpu is not True:
            self._gpu = gpu

    def sample(self) -> dict[str, Any]:
        """Read the machine, the process and the request counters now."""
        memory = self._psutil.virtual_memory()
        total = float(memory.total)
        cores = self._psutil.cpu_count() or 1
        out: dict[str, Any] = {
            "cpu": min(max(self._psutil.cpu_percent(interval=None) / 100.0, 0.0), 1.0),
            "memory_used": total - float(memory.available), "memory_total": total,
            "process_cpu": self._process.cpu_percent(interval=None) / 100.0 / cores,
            "process_rss": float(self._process.memory_info().rss),
            "inflight": 0.0, "requests": [], "gpus": [],
        }
        if self.metrics is not None:
            out["inflight"] = self.metrics.inflight_now()
            out["requests"] = [[m, v, c, n] for (m, v, c), n in
                               sorted(self.metrics.request_counts().items())]
        if self._gpu is not None:
            try:
                out["gpus"] = [{"index": g.index, "utilization": g.utilization,
                                "memory_used": g.memory_used, "memory_total": g.memory_total}
                               for g in self._gpu()]
            except Exception:  # a GPU that cannot be read costs its series, not the sample
                out["gpus"] = []
        return out
