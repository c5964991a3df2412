"""How long ``import driftline`` takes in a fresh interpreter.

    .venv/bin/python bench/import_time.py            # measure, print, update RESULTS.md

Each timing runs in a new subprocess and wraps only ``import driftline`` in
``time.perf_counter``; interpreter start-up is not counted. One warm-up run (which may write
bytecode caches) is discarded, then the median of five is reported. The run also lists which
heavy modules the import pulled in; the target is none.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from typing import Any

REPEATS = 5
TARGET_MS = 150.0
HEAVY = ("numpy", "scipy", "pandas", "pyarrow", "polars", "sklearn", "matplotlib", "plotly",
         "sqlalchemy", "fastapi", "torch")
_PROBE = f"""
import json, sys, time
t = time.perf_counter()
import driftline
elapsed = time.perf_counter() - t
heavy = [m for m in {HEAVY!r} if m in sys.modules]
print(json.dumps({{"seconds": elapsed, "heavy": heavy, "version": driftline.__version__}}))
"""


def time_once(python: str) -> dict[str, Any]:
    proc = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(python: str = sys.executable, repeats: int = REPEATS) -> dict[str, Any]:
    """Median import time in ms over ``repeats`` fresh interpreters, after one warm-up."""
    time_once(python)
    runs = [time_once(python) for _ in range(repeats)]
    runs_ms = [r["seconds"] * 1e3 for r in runs]
    return {
        "median_ms": statistics.median(runs_ms),
        "runs_ms": runs_ms,
        "heavy_modules_loaded": sorted({m for r in runs for m in r["heavy"]}),
        "driftline_version": runs[-1]["version"],
        "target_ms": TARGET_MS,
    }


def main() -> None:
    import _report
    import _results

    found = measure()
    found["measured"] = _results.now()
    print(json.dumps(found))
    results = _results.load()
    results["import_time"] = found
    _results.save(results)
    _report.update(results)


if __name__ == "__main__":
    main()
