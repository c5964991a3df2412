"""bench/out/results.json: reading, merging, the machine record and per-task summaries.

The file keeps every task's latest measurement per size, so ``run.py --only driftline`` updates
driftline's rows and leaves the peers' (which take half an hour) as they were.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

RESULTS_JSON = Path(__file__).resolve().parent / "out" / "results.json"


def load(path: Path = RESULTS_JSON) -> dict[str, Any]:
    """The stored results, or an empty record when there are none yet."""
    if path.exists():
        return json.loads(path.read_text())
    return {"machine": {}, "tasks": {}, "import_time": None}


def save(results: dict[str, Any], path: Path = RESULTS_JSON) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, OS and Python of this machine."""
    return {
        "cpu_model": _cpuinfo_field("model name") or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gib": _mem_total_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def _cpuinfo_field(name: str) -> str | None:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def _mem_total_gib() -> float | None:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return None


@dataclass(frozen=True)
class Summary:
    """One task at one size: the spread of its runs' timed phases."""

    median: float
    low: float
    high: float
    cpu_median: float | None
    peak_rss_bytes: int
    n_runs: int
    n_drifted: int | None
    n_columns: int | None


def summarise(entry: dict[str, Any] | None) -> Summary | None:
    """The summary of a task/size entry, or None when it has no successful run."""
    if not entry or entry.get("status") != "ok" or not entry.get("runs"):
        return None
    runs = entry["runs"]
    seconds = [r["seconds"] for r in runs]
    cpu = [r["cpu_seconds"] for r in runs if r.get("cpu_seconds") is not None]
    drifted = {r.get("n_drifted") for r in runs}
    return Summary(
        median=statistics.median(seconds),
        low=min(seconds),
        high=max(seconds),
        cpu_median=statistics.median(cpu) if cpu else None,
        peak_rss_bytes=max(r["peak_rss_bytes"] for r in runs),
        n_runs=len(runs),
        n_drifted=drifted.pop() if len(drifted) == 1 else None,
        n_columns=runs[0].get("n_columns"),
    )
