"""GPU utilisation and memory through NVML, exported only where a GPU is present.

``pynvml`` (the ``gpu`` extra, nvidia-ml-py) is imported when a reader is built, never at
import time. Without the package, the NVIDIA driver or a device, no reader is built and the
``driftline_gpu_*`` series are absent, not zero: a zero would claim an idle GPU.

The collector reads devices through a plain callable, so tests and other vendors can supply
their own reader.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from driftline.errors import require

__all__ = ["GpuCollector", "GpuReader", "GpuReading", "NvmlReader", "detect_gpus"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GpuReading:
    """One device at one moment: its index, busy share (0 to 1) and memory in bytes.

    Examples
    --------
    >>> GpuReading(0, 0.5, 2 * 1024**3, 16 * 1024**3).utilization
    0.5
    """

    index: int
    utilization: float
    memory_used: int
    memory_total: int


GpuReader = Callable[[], Sequence[GpuReading]]
"""A callable that reads every device; it may raise when a device cannot be read."""


class NvmlReader:
    """Read every NVIDIA GPU through NVML; building one initialises NVML.

    Parameters
    ----------
    nvml
        The ``pynvml`` module, or a stand-in with the same functions (tests); by default
        ``pynvml`` from the ``gpu`` extra. Construction raises
        :class:`~driftline.errors.MissingDependencyError` when it is not installed, and
        NVML's own error when the driver is missing.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> fake = NS(nvmlInit=lambda: None, nvmlShutdown=lambda: None,
    ...           nvmlDeviceGetCount=lambda: 1, nvmlDeviceGetHandleByIndex=lambda i: i,
    ...           nvmlDeviceGetUtilizationRates=lambda h: NS(gpu=40, memory=10),
    ...           nvmlDeviceGetMemoryInfo=lambda h: NS(used=1024, total=4096, free=3072))
    >>> NvmlReader(fake)()
    [GpuReading(index=0, utilization=0.4, memory_used=1024, memory_total=4096)]
    """

    def __init__(self, nvml: ModuleType | Any | None = None) -> None:
        if nvml is None:
            nvml = require("pynvml", extra="gpu", feature="GPU metrics")
        self._nvml = nvml
        self._nvml.nvmlInit()
        count = int(self._nvml.nvmlDeviceGetCount())
        self._handles = [(i, self._nvml.nvmlDeviceGetHandleByIndex(i)) for i in range(count)]

    def __len__(self) -> int:
        return len(self._handles)

    def __call__(self) -> list[GpuReading]:
        nvml, readings = self._nvml, []
        for index, handle in self._handles:
            rates = nvml.nvmlDeviceGetUtilizationRates(handle)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            readings.append(GpuReading(index, float(rates.gpu) / 100.0, int(memory.used),
                                       int(memory.total)))
        return readings

    def close(self) -> None:
        """Shut NVML down (optional; the driver cleans up at process exit)."""
        self._nvml.nvmlShutdown()


def detect_gpus(nvml: ModuleType | Any | None = None) -> NvmlReader | None:
    """An :class:`NvmlReader` if NVML works and sees at least one GPU, else ``None``.

    Never raises: a missing ``pynvml``, a missing driver or zero devices all give ``None``.

    Examples
    --------
    >>> reader = detect_gpus()
    >>> reader is None or len(reader) > 0
    True
    """
    try:
        reader = NvmlReader(nvml)
    except Exception as exc:  # ImportError, NVMLError_LibraryNotFound, NVMLError_DriverNotLoaded, ...
        _log.debug("no GPU metrics: %s", exc)
        return None
    if len(reader) == 0:
        reader.close()
        return None
    return reader


_FAMILIES = {
    "driftline_gpu_utilization_ratio":
        "Share of the last sample period during which the GPU was busy (0 to 1).",
    "driftline_gpu_memory_used_bytes": "GPU memory in use, in bytes.",
    "driftline_gpu_memory_total_bytes": "Total GPU memory, in bytes.",
}
_ERRORS = "driftline_gpu_read_errors"
_ERRORS_HELP = "Scrapes in which the GPUs could not be read (no GPU series in those scrapes)."


class GpuCollector(Collector):
    """Export per-device GPU gauges, labelled ``gpu`` (the device index), from ``reader``.

    A reader that raises costs that scrape its GPU series and one increment of
    ``driftline_gpu_read_errors_total``; the rest of the scrape is unaffected.

    Examples
    --------
    >>> collector = GpuCollector(lambda: [GpuReading(0, 0.25, 1024, 4096)])
    >>> [(s.name, s.labels, s.value) for m in collector.collect() for s in m.samples][0]
    ('driftline_gpu_utilization_ratio', {'gpu': '0'}, 0.25)
    """

    def __init__(self, reader: GpuReader) -> None:
        self._reader = reader
        self._errors = 0
        self._lock = threading.Lock()

    def describe(self) -> list[Metric]:
        """The families this collector exports."""
        families: list[Metric] = [GaugeMetricFamily(n, h, labels=("gpu",)) for n, h in _FAMILIES.items()]
        families.append(CounterMetricFamily(_ERRORS, _ERRORS_HELP))
        return families

    def collect(self) -> Iterator[Metric]:
        """Read the devices and yield the gauges (none if the read failed)."""
        try:
            readings = list(self._reader())
        except Exception:
            _log.warning("reading the GPUs failed; no GPU series in this scrape", exc_info=True)
            with self._lock:
                self._errors += 1
            readings = []
        if readings:
            util, used, total = (GaugeMetricFamily(n, h, labels=("gpu",)) for n, h in _FAMILIES.items())
            for r in readings:
                util.add_metric((str(r.index),), r.utilization)
                used.add_metric((str(r.index),), r.memory_used)
                total.add_metric((str(r.index),), r.memory_total)
            yield from (util, used, total)
        yield CounterMetricFamily(_ERRORS, _ERRORS_HELP, value=self._errors)
