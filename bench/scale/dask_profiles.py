"""Drift at 10M rows through Dask profiles, against the in-memory path (issue 10, part "Dask").

    .venv/bin/python bench/scale/dask_profiles.py                       # 1M, 2M, 5M, 10M rows
    .venv/bin/python bench/scale/dask_profiles.py --sizes 1m,2m --skip-memory
    .venv/bin/python bench/scale/dask_profiles.py --worker-memory 768MiB --sizes 10m

Data (written once, seeded, to ``--data``, default ``bench/out/scale/dask_profiles/``, one
500,000-row Parquet file at a time, so that writing it never holds more than one file's rows):
one table of 10M rows × 25 columns, split in halves. ``reference/part-000 … part-009.parquet``
hold its first 5M rows and ``current/part-000 … part-009.parquet`` its last 5M rows. A size of
``S`` rows compares the first ``S/2`` rows of each half (``S/1M`` files on each side, read through
a glob such as ``reference/part-00[0-4].parquet``). Columns: ``num_00 … num_19`` float64
(``num_00 … num_04`` normal, the others normal, lognormal and uniform in turn) and
``cat_0 … cat_4`` categorical with 20 levels of unequal shares. In the current half,
``num_00 … num_04`` shift by 0.5, 0.2, 0.1, 0.05 and 0.02 SD, and ``cat_0`` and ``cat_1`` move
10 % and 2 % of their mass onto their rarest level; everything else is drawn from the same
distributions.

Each measurement runs in a fresh process (OMP/OPENBLAS/MKL threads = 1). The parent samples the
resident memory of that process and all its descendants every 0.2 s with psutil and reports the
peak of the sum ("peak RSS, tree"; shared pages, such as libraries, count once per process, so it
overstates) and the peak of the proportional sum (PSS, which shares them out).

- **dask**: ``open_client(ComputeConfig(scheduler="local", workers=2, threads_per_worker=1,
  memory_limit=--worker-memory))``: a LocalCluster of 2 worker processes with 1 thread each, its
  scheduler inside the measured process; the workers import driftline, DataSketches and pyarrow
  before the clock starts ("start", as a long-lived cluster would have them). Then what
  ``compare(ref_glob, cur_glob, engine="dask")`` runs, step by step to time each:
  ``profile_dask`` of the reference (two passes over it), ``profile_dask`` of the current half
  against it (one pass), ``compare_profiles``. No row reaches the client. "wall" is these three
  steps; starting the cluster is reported apart.
- **memory**: read both halves into pandas (``pd.read_parquet`` per file, ``pd.concat``), then
  ``compare(reference, current)``: the exact path, every value in one process.

The verdicts of the two are compared column by column: every certain verdict of the profiles
should equal the exact path's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_DATA = ROOT / "bench" / "out" / "scale" / "dask_profiles"
SEED = 10
FILE_ROWS = 500_000
FILES_PER_SIDE = 10
N_NUMERIC, N_CATEGORICAL, N_LEVELS = 20, 5, 20
NUMERIC_SHIFTS = (0.5, 0.2, 0.1, 0.05, 0.02)   # num_00 … num_04, in SD
CATEGORICAL_SHIFTS = (0.10, 0.02)             # cat_0, cat_1: mass moved onto the rarest level
SIZES = {"1m": 1_000_000, "2m": 2_000_000, "5m": 5_000_000, "10m": 10_000_000}
TARGET_RSS_GB = 1.5
THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ------------------------------------------------------------------------ data


def _chunk(side: str, index: int) -> Any:
    """One 500k-row file of one half, from its own seed."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([SEED, 0 if side == "reference" else 1, index])
    drift = side == "current"
    cols: dict[str, Any] = {}
    for j in range(N_NUMERIC):
        shift = NUMERIC_SHIFTS[j] if drift and j < len(NUMERIC_SHIFTS) else 0.0
        kind = 0 if j < len(NUMERIC_SHIFTS) else j % 3
        if kind == 0:
            cols[f"num_{j:02d}"] = rng.normal(shift, 1.0, FILE_ROWS)
        elif kind == 1:
            cols[f"num_{j:02d}"] = rng.lognormal(0.1 * j, 0.5, FILE_ROWS)
        else:
            cols[f"num_{j:02d}"] = rng.uniform(-j, j + 1.0, FILE_ROWS)
    levels = [f"L{i:02d}" for i in range(N_LEVELS)]
    base = 1.0 / np.arange(1, N_LEVELS + 1) ** 0.8
    base /= base.sum()
    for j in range(N_CATEGORICAL):
        p = base.copy()
        moved = CATEGORICAL_SHIFTS[j] if drift and j < len(CATEGORICAL_SHIFTS) else 0.0
        if moved:
            p = p * (1.0 - moved)
            p[-1] += moved
        codes = rng.choice(N_LEVELS, FILE_ROWS, p=p)
        cols[f"cat_{j}"] = pd.Categorical.from_codes(codes, levels)
    return pd.DataFrame(cols)


def write_data(folder: Path, force: bool = False) -> None:
    """Write the 20 files unless they are there (a temporary name first, then a rename)."""
    stamp = folder / "params.json"
    params = {"version": 2, "seed": SEED, "file_rows": FILE_ROWS, "files": FILES_PER_SIDE,
              "numeric_shifts": NUMERIC_SHIFTS, "categorical_shifts": CATEGORICAL_SHIFTS}
    if not force and stamp.is_file() and json.loads(stamp.read_text()) == json.loads(json.dumps(params)):
        return
    started = time.perf_counter()
    for side in ("reference", "current"):
        (folder / side).mkdir(parents=True, exist_ok=True)
        for i in range(FILES_PER_SIDE):
            path = folder / side / f"part-{i:03d}.parquet"
            tmp = path.with_suffix(".tmp")
            _chunk(side, i).to_parquet(tmp, index=False)
            tmp.replace(path)
            print(f"  wrote {path.relative_to(folder)}", flush=True)
    stamp.write_text(json.dumps(params))
    print(f"data written in {time.perf_counter() - started:.0f} s", flush=True)


def files_of(folder: Path, rows: int) -> tuple[str, str, int]:
    """The globs of the first ``rows / 2`` rows of each half, and the file count per side."""
    per_side = rows // 2 // FILE_ROWS
    if not 1 <= per_side <= FILES_PER_SIDE or per_side * FILE_ROWS * 2 != rows:
        raise SystemExit(f"--sizes: {rows} rows is not 1 to {FILES_PER_SIDE} files of {FILE_ROWS} "
                         "rows per side")
    pattern = "part-*.parquet" if per_side == FILES_PER_SIDE else f"part-00[0-{per_side - 1}].parquet"
    return str(folder / "reference" / pattern), str(folder / "current" / pattern), per_side


# ------------------------------------------------------------------------ the measured children


def _verdicts(report: Any) -> dict[str, Any]:
    out = {}
    for name, r in report.columns.items():
        out[name] = {"method": r.method, "statistic": r.statistic, "drifted": r.drifted,
                     "effect": r.effect_size, "p_adjusted": r.p_value_adjusted,
                     **({"verdict": r.verdict, "low": r.low, "high": r.high,
                         "effect_bound": r.effect_bound} if hasattr(r, "uncertain") else {})}
    return out


def _warm_worker() -> None:
    import datasketches  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import driftline.profile._dask  # noqa: F401


def child_dask(ref_glob: str, cur_glob: str, worker_memory: str) -> dict[str, Any]:
    from driftline.config._compute import ComputeConfig, close_clients, open_client
    from driftline.profile import compare_profiles, profile_dask

    t = time.perf_counter()
    client = open_client(ComputeConfig(scheduler="local", workers=2, threads_per_worker=1,
                                       memory_limit=worker_memory))
    client.run(_warm_worker)  # a long-lived cluster has these loaded; count it with the start
    start_s = time.perf_counter() - t
    t = time.perf_counter()
    ref = profile_dask(ref_glob, client=client)
    ref_s = time.perf_counter() - t
    cur = profile_dask(cur_glob, reference=ref, client=client)
    cur_s = time.perf_counter() - t - ref_s
    report = compare_profiles(ref, cur)
    wall = time.perf_counter() - t
    result = {"start_s": start_s, "wall_s": wall, "reference_s": ref_s, "current_s": cur_s,
              "compare_s": wall - ref_s - cur_s, "n_reference": ref.n_rows, "n_current": cur.n_rows,
              "profile_bytes": len(ref.to_bytes()), "columns": _verdicts(report)}
    close_clients()
    return result


def child_memory(ref_glob: str, cur_glob: str) -> dict[str, Any]:
    import glob

    import pandas as pd

    from driftline import compare

    t = time.perf_counter()
    ref = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob(ref_glob))], ignore_index=True)
    cur = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob(cur_glob))], ignore_index=True)
    read_s = time.perf_counter() - t
    t = time.perf_counter()
    report = compare(ref, cur)
    compare_s = time.perf_counter() - t
    return {"read_s": read_s, "compare_s": compare_s, "wall_s": read_s + compare_s,
            "n_reference": len(ref), "n_current": len(cur), "columns": _verdicts(report)}


# ------------------------------------------------------------------------ the parent


def measure(args: list[str]) -> dict[str, Any]:
    """Run this script as a child with ``args``; sample its process tree's memory every 0.2 s."""
    import psutil

    env = dict(os.environ, **{v: "1" for v in THREADS})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    out_path = Path(args[args.index("--out") + 1])
    proc = subprocess.Popen([sys.executable, __file__, *args], env=env)
    root = psutil.Process(proc.pid)
    peak_rss = peak_pss = peak_procs = 0
    at_peak: list[tuple[str, int]] = []
    while proc.poll() is None:
        rss = pss = 0
        procs = [root]
        with contextlib.suppress(psutil.NoSuchProcess):
            procs += root.children(recursive=True)
        each = []
        for p in procs:
            try:
                full = p.memory_full_info()
                role = _role(p, root)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            rss += full.rss
            pss += getattr(full, "pss", full.rss)
            each.append((role, full.rss))
        if rss > peak_rss:
            at_peak = sorted(each, key=lambda x: -x[1])
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        peak_procs = max(peak_procs, len(procs))
        time.sleep(0.2)
    if proc.returncode != 0:
        raise SystemExit(f"child {args[:3]} failed with status {proc.returncode}")
    result = json.loads(out_path.read_text())
    result.update(peak_rss=peak_rss, peak_pss=peak_pss, processes=peak_procs, at_peak=at_peak)
    return result


def _role(p: Any, root: Any) -> str:
    """What a process of the tree is: the measured process, a Dask worker, or a helper."""
    if p.pid == root.pid:
        return "client + scheduler"
    cmd = " ".join(p.cmdline())
    if "resource_tracker" in cmd:
        return "multiprocessing resource tracker"
    return "worker" if "spawn" in cmd else cmd[:60]


def agreement(dask: dict[str, Any], memory: dict[str, Any]) -> tuple[int, int, int, list[str]]:
    """(certain and equal, certain and different, uncertain, the differing columns)."""
    same = differ = uncertain = 0
    wrong = []
    for name, r in dask["columns"].items():
        exact = memory["columns"][name]["drifted"]
        if r["verdict"] == "uncertain":
            uncertain += 1
        elif r["drifted"] == exact:
            same += 1
        else:
            differ += 1
            wrong.append(name)
    return same, differ, uncertain, wrong


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f}"


def report(results: dict[str, dict[str, Any]], worker_memory: str) -> str:
    lines = ["| rows (reference + current) | Dask: start s | Dask: wall s (ref 2 passes / current / "
             "compare) | Dask: peak RSS, tree GB (PSS) | memory: read s | memory: compare s | memory: "
             "wall s | memory: peak RSS GB | wall memory / Dask | peak RSS memory / Dask | verdicts "
             "equal / different / uncertain |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for size, r in results.items():
        d, m = r["dask"], r.get("memory")
        rows = SIZES[size]
        cells = [f"{rows / 1e6:g}M ({rows / 2e6:g}M + {rows / 2e6:g}M)", f"{d['start_s']:.1f}",
                 f"{d['wall_s']:.1f} ({d['reference_s']:.1f} / {d['current_s']:.1f} / "
                 f"{d['compare_s']:.2f})",
                 f"{_gb(d['peak_rss'])} ({_gb(d['peak_pss'])})"]
        if m is None:
            cells += ["–"] * 7
        else:
            same, differ, uncertain, wrong = agreement(d, m)
            cells += [f"{m['read_s']:.1f}", f"{m['compare_s']:.1f}", f"{m['wall_s']:.1f}",
                      f"{_gb(m['peak_rss'])}", f"{m['wall_s'] / d['wall_s']:.2f}×",
                      f"{m['peak_rss'] / d['peak_rss']:.2f}×",
                      f"{same} / {differ} / {uncertain}" + (f" ({', '.join(wrong)})" if wrong else "")]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"Dask: LocalCluster, 2 worker processes × 1 thread, memory_limit {worker_memory} "
                 "per worker; peak RSS is the sum over the measured process (client, scheduler and "
                 "the nannies, which a LocalCluster runs in-process), the 2 worker processes and "
                 "multiprocessing's resource tracker.")
    return "\n".join(lines)


def columns_table(d: dict[str, Any], m: dict[str, Any] | None) -> str:
    lines = ["| column | profiles: method, statistic [low, high] | effect ± bound | verdict | exact "
             "statistic | exact effect | exact verdict |", "|---|---|---|---|---:|---:|---|"]
    for name, r in d["columns"].items():
        e = (m or {}).get("columns", {}).get(name, {})
        eb = r["effect_bound"]
        lines.append(
            f"| `{name}` | {r['method']} {r['statistic']:.4g} [{r['low']:.4g}, {r['high']:.4g}] | "
            + (f"{r['effect']:.4f} ± {eb:.4f}" if r["effect"] is not None and eb is not None else "–")
            + f" | {r['verdict']} | "
            + (f"{e['statistic']:.4g} | {e['effect']:.4f} | "
               f"{ {True: 'drifted', False: 'stable', None: 'no verdict'}[e['drifted']]} |"
               if e else "– | – | – |"))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="1m,2m,5m,10m", help="comma-separated: 1m,2m,5m,10m")
    parser.add_argument("--worker-memory", default="1GiB", help="memory_limit of each Dask worker")
    parser.add_argument("--skip-memory", action="store_true", help="measure the Dask path only")
    parser.add_argument("--force", action="store_true", help="rewrite the data")
    parser.add_argument("--child", choices=("dask", "memory"), help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        ref_glob, cur_glob, _ = files_of(args.data, args.rows)
        result = (child_dask(ref_glob, cur_glob, args.worker_memory) if args.child == "dask"
                  else child_memory(ref_glob, cur_glob))
        args.out.write_text(json.dumps(result))
        return

    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or not sizes:
        raise SystemExit(f"--sizes must be a comma-separated list of {', '.join(SIZES)}; "
                         f"got {args.sizes!r}")
    import psutil

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.1f} GiB; Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f} at {time.strftime('%H:%M UTC', time.gmtime())}",
          flush=True)
    write_data(args.data, args.force)
    results: dict[str, dict[str, Any]] = {}
    for size in sizes:
        rows = SIZES[size]
        common = ["--data", str(args.data), "--rows", str(rows)]
        print(f"{size}: dask ...", flush=True)
        r: dict[str, Any] = {"dask": measure(["--child", "dask", *common, "--worker-memory",
                                               args.worker_memory,
                                               "--out", str(args.data / f"dask-{size}.json")])}
        print(f"  wall {r['dask']['wall_s']:.1f} s, peak RSS {_gb(r['dask']['peak_rss'])} GB: "
              + ", ".join(f"{role} {_gb(b)}" for role, b in r["dask"]["at_peak"]), flush=True)
        if not args.skip_memory:
            print(f"{size}: memory ...", flush=True)
            r["memory"] = measure(["--child", "memory", *common,
                                   "--out", str(args.data / f"memory-{size}.json")])
            print(f"  wall {r['memory']['wall_s']:.1f} s, peak RSS {_gb(r['memory']['peak_rss'])} GB",
                  flush=True)
        results[size] = r
    (args.data / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\nload average {os.getloadavg()[0]:.1f} at {time.strftime('%H:%M UTC', time.gmtime())}\n")
    print(report(results, args.worker_memory))
    largest = sizes[-1]
    print(f"\nPer column at {largest}:\n")
    print(columns_table(results[largest]["dask"], results[largest].get("memory")))
    d = results[largest]["dask"]
    verdict = "met" if d["peak_rss"] <= TARGET_RSS_GB * 1e9 else "missed"
    print(f"\nTarget: Dask peak RSS ≤ {TARGET_RSS_GB} GB at {largest}: {verdict} "
          f"({_gb(d['peak_rss'])} GB).")


if __name__ == "__main__":
    main()
