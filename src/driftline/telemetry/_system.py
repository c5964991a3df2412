"""Host CPU and memory utilisation from psutil, computed at scrape time.

The process itself is covered by prometheus_client's ``ProcessCollector``; this collector
describes the machine (or container) the process runs on, so a dashboard can tell a slow
model from a saturated host.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from driftline.errors import require

__all__ = ["SystemCollector"]

_HELP = {
    "driftline_system_cpu_utilization_ratio":
        "Share of the host's CPU time that was busy since the previous scrape (0 to 1).",
    "driftline_system_memory_utilization_ratio":
        "Share of the host's memory in use, (total - available) / total (0 to 1).",
    "driftline_system_memory_used_bytes": "Host memory in use, total - available, in bytes.",
    "driftline_system_memory_total_bytes": "Total host memory in bytes.",
}


class SystemCollector(Collector):
    """Export host CPU and memory utilisation, read from psutil at each scrape.

    CPU utilisation is ``psutil.cpu_percent(interval=None) / 100``: the busy share since the
    previous call, which never blocks. The constructor primes it, so the first scrape
    already measures the time since the collector was built.

    Parameters
    ----------
    psutil
        The psutil module, or a stand-in with ``cpu_percent`` and ``virtual_memory`` (tests);
        by default psutil itself, from the ``serve`` extra.

    Examples
    --------
    >>> collector = SystemCollector()
    >>> values = {m.name: m.samples[0].value for m in collector.collect()}
    >>> 0.0 <= values["driftline_system_memory_utilization_ratio"] <= 1.0
    True
    >>> values["driftline_system_memory_total_bytes"] > 0
    True
    """

    def __init__(self, psutil: ModuleType | None = None) -> None:
        if psutil is None:
            psutil = require("psutil", extra="serve", feature="System metrics")
        self._psutil = psutil
        self._psutil.cpu_percent(interval=None)

    def describe(self) -> list[Metric]:
        """The families this collector exports."""
        return [GaugeMetricFamily(name, help_text) for name, help_text in _HELP.items()]

    def collect(self) -> Iterator[Metric]:
        """Read psutil and yield the four gauges."""
        cpu = min(max(self._psutil.cpu_percent(interval=None) / 100.0, 0.0), 1.0)
        memory = self._psutil.virtual_memory()
        total = float(memory.total)
        used = total - float(memory.available)
        values = {
            "driftline_system_cpu_utilization_ratio": cpu,
            "driftline_system_memory_utilization_ratio": used / total if total else 0.0,
            "driftline_system_memory_used_bytes": used,
            "driftline_system_memory_total_bytes": total,
        }
        for name, value in values.items():
            yield GaugeMetricFamily(name, _HELP[name], value=value)
