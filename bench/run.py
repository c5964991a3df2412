"""Drift benchmark: driftline against its peers, each run in a fresh process.

    .venv/bin/python bench/run.py                         # everything: what `make bench` runs
    .venv/bin/python bench/run.py --sizes 100k --repeats 3
    .venv/bin/python bench/run.py --only driftline,floor  # groups or task names

Every repetition of every task is its own subprocess, in the tool's own virtual environment
(bench/.venv-<peer>, made by bench/setup_peers.sh), so imports and peak RSS never carry over.
Results merge into bench/out/results.json (a task not run keeps its previous figures), and the
generated sections of bench/RESULTS.md are rewritten from that file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import _report
import _results
import data
import import_time
from _tasks import BENCH, RUNNERS, Task, select

ROOT = BENCH.parent
TIMEOUT_S = 1800
# Keep the peers quiet: no usage analytics from NannyML or Evidently during a benchmark.
PEER_ENV = {"NML_DISABLE_USAGE_LOGGING": "1", "DO_NOT_TRACK": "1"}
DRIFTLINE_PROBE = """
import driftline as dl, numpy as np
x = {"x": np.arange(10.0)}
dl.compare(x, x).drifted
"""
FITTED_PROBE = "import driftline as dl; dl.drift.Reference.fit"
# Niceness of the measured processes. On a shared machine, a raised priority keeps other work
# from stretching the timed phases; it needs root, and is skipped silently without it.
DEFAULT_NICE = -10


def _renice(niceness: int) -> None:
    with contextlib.suppress(OSError):  # PermissionError when not root
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    # Under Linux autogroup scheduling, nice only ranks processes within one session; the
    # session's autogroup niceness is what ranks it against other sessions' work.
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(niceness))


def interpreter(task: Task) -> Path:
    return ROOT / task.venv / "bin" / "python" if task.peer else Path(sys.executable)


def unavailable(task: Task) -> str | None:
    """Why the task cannot run here, or None when it can."""
    python = interpreter(task)
    if not python.exists():
        return (f"skipped: {task.venv} is missing; create it with "
                f"`bash bench/setup_peers.sh {task.peer}`")
    if task.group != "driftline":
        return None
    probes = [DRIFTLINE_PROBE] + ([FITTED_PROBE] if task.variant == "fitted" else [])
    for probe in probes:
        proc = subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                              cwd=ROOT, check=False)
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines() or ["(no message)"]
            return f"not available: {lines[-1]}"
    return None


def run_once(task: Task, folder: Path, niceness: int) -> dict[str, Any]:
    """One repetition in a fresh process; returns the runner's JSON record."""
    command = [str(interpreter(task)), str(RUNNERS / task.script),
               "--data", str(folder), "--variant", task.variant]
    load = os.getloadavg()[0]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False,
                          env={**os.environ, **PEER_ENV}, timeout=TIMEOUT_S,
                          preexec_fn=lambda: _renice(niceness))
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise RuntimeError(f"exit code {proc.returncode}: {last.strip()}")
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    record["load_average_before"] = load
    record["niceness"] = niceness
    return record


def run_size(tasks: list[Task], size: str, repeats: int, niceness: int,
             results: dict[str, Any]) -> None:
    """All repetitions of ``tasks`` at one size, stored into ``results`` as they finish.

    Repetitions go round-robin (every task once, then every task again), so a spell of load
    from elsewhere on the machine spreads over the tools instead of landing on one of them.
    """
    entries = {}
    for task in tasks:
        reason = unavailable(task)
        if reason:
            print(f"  {task.name:18} {reason}", flush=True)
        entries[task.name] = ({"status": reason.split(":")[0], "message": reason} if reason
                              else {"status": "ok", "runs": []})
        entries[task.name]["measured"] = _results.now()
        results["tasks"].setdefault(task.name, {})[size] = entries[task.name]
    for i in range(repeats):
        for task in tasks:
            entry = entries[task.name]
            if entry["status"] == "ok":
                _repeat(task, size, niceness, entry, f"{i + 1}/{repeats}")
                _results.save(results)  # keep what is done if a later run is interrupted


def _repeat(task: Task, size: str, niceness: int, entry: dict[str, Any], label: str) -> None:
    """Run one repetition and record it in ``entry``, or mark the entry as failed."""
    try:
        record = run_once(task, data.data_dir(size), niceness)
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        # driftline's API is still being written: a crash there means "not available yet".
        status = "not available" if task.group == "driftline" else "failed"
        print(f"  {task.name:18} {status}: {exc}", flush=True)
        entry.update(status=status, message=f"{status}: {exc}")
        return
    entry["runs"].append(record)
    entry["versions"] = record["versions"]
    print(f"  {task.name:18} run {label}: {record['seconds']:9.3f} s  "
          f"cpu {record['cpu_seconds']:8.2f} s  "
          f"rss {record['peak_rss_bytes'] / 2**20:7.0f} MiB  "
          f"flagged {record['n_drifted']}  load {record['load_average_before']:.1f}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m", help="comma-separated: 100k,1m")
    parser.add_argument("--repeats", type=int, default=3, help="repetitions per task and size")
    parser.add_argument("--only", default=None,
                        help="comma-separated task or group names (default: all), e.g. "
                             "driftline,floor or evidently-ks; 'import-time' times the import")
    parser.add_argument("--report-only", action="store_true",
                        help="only regenerate RESULTS.md from bench/out/results.json")
    parser.add_argument("--nice", type=int, default=DEFAULT_NICE,
                        help=f"niceness of the measured processes (default {DEFAULT_NICE}, "
                             "applied when permitted; 0 leaves it)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be an integer >= 1; got {args.repeats}")
    return args


def main() -> None:
    args = parse_args()
    if args.report_only:
        _report.update(_results.load())
        print(f"wrote {_report.RESULTS_MD.relative_to(ROOT)}")
        return
    sizes = data.parse_sizes(args.sizes)
    tasks, time_import = select(args.only)
    results = _results.load()
    results["machine"] = {**_results.machine(), "load_average_at_start": os.getloadavg()[0],
                          "measured": _results.now()}
    for size in sizes:
        print(f"{size}: data in {data.write(size)}", flush=True)
        run_size(tasks, size, args.repeats, args.nice, results)
    if time_import:
        results["import_time"] = {**import_time.measure(), "measured": _results.now()}
        print(f"import driftline: {results['import_time']['median_ms']:.1f} ms (median)")
        _results.save(results)
    _report.update(results)
    print(f"wrote {_results.RESULTS_JSON.relative_to(ROOT)} and "
          f"{_report.RESULTS_MD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
