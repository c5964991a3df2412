"""Plumbing shared by the runners: arguments, loading, timing and the one JSON line.

Each runner is a script run in its own process, in the virtual environment of the tool it
measures, so it imports only the standard library, pandas and the tool itself. It prints exactly
one JSON line on stdout: the wall time of the timed phase and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any


def parse_args(description: str, variants: Sequence[str]) -> argparse.Namespace:
    """``--data DIR`` (with reference.parquet and current.parquet) and ``--variant``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, required=True, help="folder of the two parquet files")
    parser.add_argument("--variant", choices=variants, default=variants[0])
    return parser.parse_args()


def load(folder: Path) -> tuple[Any, Any]:
    """Read the reference and current frames; categoricals come back as ``category``."""
    import pandas as pd

    return (pd.read_parquet(folder / "reference.parquet"),
            pd.read_parquet(folder / "current.parquet"))


def split_columns(frame: Any) -> tuple[list[str], list[str]]:
    """Names of the numeric columns and of the categorical (``category`` dtype) columns."""
    import pandas as pd

    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in frame.columns if c not in categorical]
    return numeric, categorical


class Timer:
    """Wall time (``time.perf_counter``) and this process's CPU time of a ``with`` block.

    CPU time counts every thread of the process, so it can exceed wall time; on a busy shared
    machine it is the steadier of the two figures.
    """

    seconds: float = float("nan")
    cpu_seconds: float = float("nan")

    def __enter__(self) -> Timer:
        self._cpu = _cpu_time()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        self.cpu_seconds = _cpu_time() - self._cpu


def _cpu_time() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def versions(packages: Iterable[str]) -> dict[str, str]:
    """Installed versions of ``packages`` plus Python's, for the results file."""
    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def emit(*, tool: str, variant: str, timer: Timer, n_drifted: int | None, n_columns: int,
         packages: Iterable[str]) -> None:
    """Print the run's JSON line; call it after the timed phase so RSS covers that phase."""
    record = {
        "tool": tool,
        "variant": variant,
        "seconds": timer.seconds,
        "cpu_seconds": timer.cpu_seconds,
        "peak_rss_bytes": peak_rss_bytes(),
        "n_drifted": n_drifted,
        "n_columns": n_columns,
        "versions": versions(packages),
    }
    print(json.dumps(record), flush=True)
