"""Monitor windows at scale: one fitted 1M-row reference, 100 windows of 10k rows, against NannyML.

    bash bench/setup_peers.sh nannyml                        # once: bench/.venv-nannyml
    .venv/bin/python bench/scale/monitor_windows.py          # full size, best of 3 (about 6 min on 2 cores)
    .venv/bin/python bench/scale/monitor_windows.py --reference-rows 100000 --windows 20 --repeats 1
    .venv/bin/python bench/scale/monitor_windows.py --only driftline-auto --profile

Issue 10 ("Scale-out"): the monitor over 100 windows of 10k rows against a 1M-row reference
should be at least 5x faster than NannyML computing the same chunks.

Data (written once, seeded, to ``--data``, default ``bench/out/scale/monitor_windows/``, and
reused while its parameters match; ``--force`` rewrites it): 25 columns from
:func:`driftline.datasets.make_drift_frames`, as in the per-column drift benchmarks: 20 numeric
(normal, lognormal, uniform) and 5 categorical (``category``, 20 levels). ``reference.parquet``
holds ``--reference-rows`` rows; ``analysis.parquet`` holds ``--windows`` consecutive windows of
``--window-rows`` rows. Most windows are drawn from the reference's distribution; "strong"
windows (30-39% and 85-100% of the way through) take rows whose first 5 numeric columns are
shifted by 0.5 SD and whose first 2 categorical columns move 10% of their mass onto their rarest
level; "weak" windows (60-69%) shift by 0.15 SD and move 4%. All three sources come from the same
seed and sizes, so the reference rows are identical in each (checked). Both tools read the same
two files; their SHA-256 is printed.

Variants, each timed in its own process (``taskset -c 1``; OMP/MKL/OPENBLAS threads = 1), best
of ``--repeats`` fresh processes, process CPU time and wall time of the timed phases only (imports,
parquet reading and an untimed warm-up on a few hundred rows are excluded):

- ``driftline-auto``: what the monitor does per window. ``driftline.drift.Reference.fit`` on the
  reference once ("fit"), then ``fitted.compare(window)`` for each window, default
  ``method="auto"`` (KS / chi-square, Holm across the columns, effect-size floors), ``n_jobs``
  left at its default as the monitor does ("windows").
- ``driftline-ks-chi2``: the same with ``method={"numerical": "ks", "categorical": "chi_square"},
  effect_floor=False, correction="none"``: raw per-column tests at p < 0.05, no effect sizes.
- ``nannyml-default``: ``nannyml.UnivariateDriftCalculator(chunk_size=window_rows)``, ``fit``
  on the reference ("fit": it also computes every reference chunk for its thresholds), then
  ``calculate`` on the analysis rows ("windows"); its default methods (Jensen-Shannon for
  both kinds in 0.13).
- ``nannyml-ks-chi2``: the same with ``continuous_methods=["kolmogorov_smirnov"],
  categorical_methods=["chi2"]``.

Peak RSS is each process's ``ru_maxrss`` as its parent sees it (``os.wait4``, the per-child form
of ``getrusage(RUSAGE_CHILDREN)``); it includes the interpreter, the imports and both frames.
The NannyML side runs ``peer_nannyml_windows.py`` in NannyML's venv; results come back as JSON
files. The report compares the drifted (window, column) cells of each variant with the injected
drift and with each other, and prints a markdown table with the ratios NannyML / driftline.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEER = HERE / "peer_nannyml_windows.py"
PEER_PYTHON = ROOT / "bench" / ".venv-nannyml" / "bin" / "python"
DEFAULT_DATA = ROOT / "bench" / "out" / "scale" / "monitor_windows"
TARGET = 5.0
SEED = 0
STRONG = {"mean_shift": 0.5, "share_shift": 0.10}  # make_drift_frames' defaults
WEAK = {"mean_shift": 0.15, "share_shift": 0.04}
DRIFTED_NUMERIC, DRIFTED_CATEGORICAL = 5, 2  # make_drift_frames' defaults
VARIANTS = ("driftline-auto", "driftline-ks-chi2", "nannyml-default", "nannyml-ks-chi2")
LABELS = {
    "driftline-auto": ("driftline", "`Reference.compare`, method=\"auto\" (KS/χ² + Holm + effect floors)"),
    "driftline-ks-chi2": ("driftline", "KS/χ² forced, no floors, no correction"),
    "nannyml-default": ("NannyML", "`UnivariateDriftCalculator` default (JS/JS)"),
    "nannyml-ks-chi2": ("NannyML", "`UnivariateDriftCalculator` KS/χ²"),
}
# (NannyML variant, driftline variant): the pairs whose time ratio is reported.
PAIRS = (
    ("nannyml-ks-chi2", "driftline-auto"),
    ("nannyml-ks-chi2", "driftline-ks-chi2"),
    ("nannyml-default", "driftline-auto"),
)
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


# ---------------------------------------------------------------- data


def schedule(n_windows: int) -> list[str]:
    """Each window's drift: ``quiet``, ``weak`` or ``strong``, by its position in the run."""
    out = []
    for w in range(n_windows):
        x = w / n_windows
        out.append("strong" if 0.30 <= x < 0.40 or x >= 0.85 else "weak" if 0.60 <= x < 0.70
                   else "quiet")
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_data(folder: Path, n_reference: int, n_windows: int, window_rows: int,
               force: bool) -> dict[str, Any]:
    """Write reference.parquet, analysis.parquet and meta.json unless they match already."""
    params = {"seed": SEED, "reference_rows": n_reference, "windows": n_windows,
              "window_rows": window_rows, "strong": STRONG, "weak": WEAK}
    meta_path = folder / "meta.json"
    if meta_path.exists() and not force:
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == params and all(
                (folder / f).exists() for f in ("reference.parquet", "analysis.parquet")):
            return meta
    import numpy as np
    import pandas as pd

    from driftline.datasets import make_drift_frames

    folder.mkdir(parents=True, exist_ok=True)
    n_analysis = n_windows * window_rows
    # One call draws the reference rows and, after them, rows of the same distribution for the
    # quiet windows; with equal seed and sizes the rng draws the same numbers whatever the
    # shift, so the strong and weak calls give the identical reference and only shift the rest.
    both, strong = make_drift_frames(n_reference + n_analysis, n_analysis, seed=SEED, **STRONG)
    check, weak = make_drift_frames(n_reference + n_analysis, n_analysis, seed=SEED, **WEAK)
    if not both.equals(check):
        raise SystemExit("the weak-drift call drew a different reference; the data is not aligned")
    del check
    reference = both.iloc[:n_reference].reset_index(drop=True)
    quiet = both.iloc[n_reference:].reset_index(drop=True)
    source = {"quiet": quiet, "strong": strong, "weak": weak}
    plan = schedule(n_windows)
    pieces = [source[kind].iloc[w * window_rows:(w + 1) * window_rows]
              for w, kind in enumerate(plan)]
    analysis = pd.concat(pieces, ignore_index=True)
    numeric = [c for c in reference.columns if c.startswith("num_")]
    categorical = [c for c in reference.columns if c.startswith("cat_")]
    for name, frame in (("reference", reference), ("analysis", analysis)):
        tmp = folder / f"{name}.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(folder / f"{name}.parquet")
    meta = {
        "params": params,
        "schedule": plan,
        "columns": list(reference.columns),
        "drifting_columns": numeric[:DRIFTED_NUMERIC] + categorical[:DRIFTED_CATEGORICAL],
        "numeric": numeric,
        "categorical": categorical,
        "sha256": {f: sha256(folder / f) for f in ("reference.parquet", "analysis.parquet")},
        "numpy": np.__version__,
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


# ---------------------------------------------------------------- driftline worker


DRIFTLINE_OPTIONS: dict[str, dict[str, Any]] = {
    "driftline-auto": {},
    "driftline-ks-chi2": {"method": {"numerical": "ks", "categorical": "chi_square"},
                          "effect_floor": False, "correction": "none"},
}


def driftline_worker(variant: str, data: Path, out: Path, window_rows: int, profile: bool) -> None:
    """The driftline side, in its own pinned process: fit once, compare every window."""
    import resource

    import pandas as pd
    import scipy.stats  # noqa: F401  (driftline imports SciPy's stats lazily; keep it untimed)

    import driftline
    from driftline.drift import Reference

    options = DRIFTLINE_OPTIONS[variant]
    reference = pd.read_parquet(data / "reference.parquet")
    analysis = pd.read_parquet(data / "analysis.parquet")
    # Untimed warm-up on a few hundred rows: whatever driftline imports or builds lazily.
    Reference.fit(reference.iloc[:500]).compare(analysis.iloc[:300], **options)

    def run(n_jobs: int | None = None) -> tuple[list[Any], float, float, float, float]:
        c0, w0 = time.process_time(), time.perf_counter()
        fitted = Reference.fit(reference, n_jobs=n_jobs)
        c1, w1 = time.process_time(), time.perf_counter()
        reports = [fitted.compare(analysis.iloc[a:a + window_rows], n_jobs=n_jobs, **options)
                   for a in range(0, len(analysis), window_rows)]
        c2, w2 = time.process_time(), time.perf_counter()
        return reports, c1 - c0, w1 - w0, c2 - c1, w2 - w1

    reports, fit_cpu, fit_wall, win_cpu, win_wall = run()
    columns = list(reference.columns)
    verdicts = [[bool(r.columns[c].drifted) for c in columns] for r in reports]
    methods: dict[str, list[str]] = {}
    for r in reports:
        for c in columns:
            kind = r.columns[c].kind
            if r.columns[c].method not in methods.setdefault(kind, []):
                methods[kind].append(r.columns[c].method)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    text = ""
    if profile:  # after the timed run, so the profiler's overhead is not in the figures above
        del reports
        prof = cProfile.Profile()
        # One thread: cProfile sees only the thread it runs in, not driftline's column threads.
        prof.runcall(run, 1)
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(30)
        text = buf.getvalue()
    out.write_text(json.dumps({
        "tool": "driftline", "variant": variant,
        "fit_cpu": fit_cpu, "fit_wall": fit_wall, "windows_cpu": win_cpu, "windows_wall": win_wall,
        "n_windows": len(verdicts), "columns": columns, "verdicts": verdicts, "methods": methods,
        "peak_rss_self": peak, "affinity": sorted(os.sched_getaffinity(0)),
        "versions": {"driftline": driftline.__version__, "pandas": pd.__version__},
        "profile": text,
    }))


# ---------------------------------------------------------------- orchestration


def run_variant(variant: str, data: Path, window_rows: int, work: Path, profile: bool = False,
                pin: str = "1") -> dict[str, Any]:
    """One fresh pinned process of ``variant``; its JSON plus the peak RSS the parent sees."""
    out = work / f"{variant}.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, **THREAD_ENV, "NML_DISABLE_USAGE_LOGGING": "1"}
    if variant.startswith("nannyml"):
        cmd = [str(PEER_PYTHON), str(PEER), "--data", str(data), "--out", str(out),
               "--variant", variant.removeprefix("nannyml-"), "--chunk-size", str(window_rows)]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", variant,
               "--data", str(data), "--out", str(out), "--window-rows", str(window_rows)]
        if profile:
            cmd.append("--profile")
    if pin:
        cmd = ["taskset", "-c", pin, *cmd]
    load = os.getloadavg()[0]
    log = work / f"{variant}.stderr"
    w0 = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, env=env, stderr=err)
        # wait4 reaps this child and returns its own rusage: its peak RSS alone.
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{variant} failed ({code}):\n{log.read_text()[-3000:]}")
    record = json.loads(out.read_text())
    record.update(peak_rss=usage.ru_maxrss * 1024, load_before=load,
                  process_wall=time.perf_counter() - w0)
    return record


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Best of the repetitions: minimum of each timed figure, maximum peak RSS."""
    out: dict[str, Any] = {"runs": len(runs)}
    for key in ("fit_cpu", "fit_wall", "windows_cpu", "windows_wall"):
        out[key] = min(r[key] for r in runs)
    out["total_cpu"] = min(r["fit_cpu"] + r["windows_cpu"] for r in runs)
    out["total_wall"] = min(r["fit_wall"] + r["windows_wall"] for r in runs)
    out["all_total_cpu"] = [round(r["fit_cpu"] + r["windows_cpu"], 3) for r in runs]
    out["peak_rss"] = max(r["peak_rss"] for r in runs)
    return out


# ---------------------------------------------------------------- verdicts


def verdict_summary(verdicts: list[list[bool]], meta: dict[str, Any]) -> dict[str, Any]:
    """Flagged cells by window class and column group, against the injected drift."""
    plan, columns = meta["schedule"], meta["columns"]
    drifting = set(meta["drifting_columns"])
    numeric = set(meta["numeric"])
    out: dict[str, Any] = {"windows_flagged": {k: 0 for k in ("strong", "weak", "quiet")},
                           "hits": {}, "false_alarms": {"numeric": 0, "categorical": 0}}
    for k in ("strong", "weak"):
        out["hits"][k] = {"numeric": 0, "categorical": 0}
    for w, row in enumerate(verdicts):
        kind = plan[w]
        if any(row):
            out["windows_flagged"][kind] += 1
        for c, flagged in zip(columns, row, strict=True):
            group = "numeric" if c in numeric else "categorical"
            if kind != "quiet" and c in drifting:
                out["hits"][kind][group] += int(flagged)
            else:
                out["false_alarms"][group] += int(flagged)
    return out


def agreement(a: list[list[bool]], b: list[list[bool]]) -> dict[str, Any]:
    cells = [(x, y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)]
    return {
        "cells": sum(x == y for x, y in cells), "n_cells": len(cells),
        "windows_any": sum(any(ra) == any(rb) for ra, rb in zip(a, b, strict=True)),
        "windows_same_set": sum(ra == rb for ra, rb in zip(a, b, strict=True)),
        "n_windows": len(a),
    }


# ---------------------------------------------------------------- report


def mib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def report(results: dict[str, dict[str, Any]], meta: dict[str, Any], loads: list[float],
           profile: str = "") -> str:
    p = meta["params"]
    n_win, rows = p["windows"], p["window_rows"]
    plan = meta["schedule"]
    counts = {k: plan.count(k) for k in ("strong", "weak", "quiet")}
    lines = [
        f"{p['reference_rows']:,}-row reference, {n_win} windows × {rows:,} rows "
        f"({counts['strong']} strong-drift, {counts['weak']} weak-drift, {counts['quiet']} quiet); "
        f"SHA-256 reference {meta['sha256']['reference.parquet'][:16]}…, "
        f"analysis {meta['sha256']['analysis.parquet'][:16]}…",
        f"1-minute load average before the runs: {min(loads):.1f}–{max(loads):.1f}; "
        f"`uptime` now: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}",
        "",
        "| tool | method set | fit s | windows s | total s | per window ms | total wall s "
        "| peak RSS | runs (total CPU s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for v in VARIANTS:
        if v not in results:
            continue
        b = results[v]["best"]
        tool, label = LABELS[v]
        lines.append(
            f"| {tool} | {label} | {b['fit_cpu']:.3f} | {b['windows_cpu']:.3f} | "
            f"{b['total_cpu']:.3f} | {1000 * b['windows_cpu'] / n_win:.2f} | "
            f"{b['total_wall']:.3f} | {mib(b['peak_rss'])} | "
            f"{', '.join(f'{t:g}' for t in b['all_total_cpu'])} |")
    lines += ["", "CPU seconds of the timed phases, best of the runs; per window = windows ÷ "
              f"{n_win}. Methods used: " + "; ".join(
                  f"{v}: " + ", ".join(f"{k} {'/'.join(m)}" for k, m in results[v]["methods"].items())
                  for v in VARIANTS if v in results)]
    ks = {tuple(results[v].get("ks_calculation_method") or ()) for v in results}
    ks.discard(())
    if ks:
        lines.append("NannyML KS mode: " + ", ".join("/".join(k) for k in ks))
    nan = {v: results[v].get("nan_values") for v in results if results[v].get("nan_values")}
    if nan:
        lines.append(f"NannyML values that failed (NaN): {nan}")
    lines += ["", "| NannyML ÷ driftline | total CPU | windows only CPU | total wall | "
              f"target ≥ {TARGET:g}× (total CPU) |", "|---|---:|---:|---:|---|"]
    for nml_v, dl_v in PAIRS:
        if nml_v in results and dl_v in results:
            n, d = results[nml_v]["best"], results[dl_v]["best"]
            r = n["total_cpu"] / d["total_cpu"]
            lines.append(
                f"| {nml_v} ÷ {dl_v} | {r:.2f}× | {n['windows_cpu'] / d['windows_cpu']:.2f}× | "
                f"{n['total_wall'] / d['total_wall']:.2f}× | {'met' if r >= TARGET else 'missed'} |")
    d_cells = {k: counts[k] * DRIFTED_NUMERIC for k in ("strong", "weak")}
    lines += [
        "",
        "Verdicts against the injected drift: windows with any column flagged (of "
        f"{counts['strong']} strong / {counts['weak']} weak / {counts['quiet']} quiet), drifting "
        f"cells flagged (numeric of {d_cells['strong']} strong / {d_cells['weak']} weak; "
        f"categorical of {counts['strong'] * DRIFTED_CATEGORICAL} / "
        f"{counts['weak'] * DRIFTED_CATEGORICAL}), and false alarms among the other cells:",
        "",
        "| variant | windows flagged strong / weak / quiet | numeric hits strong / weak "
        "| categorical hits strong / weak | false-alarm cells numeric / categorical |",
        "|---|---|---|---|---|",
    ]
    for v in VARIANTS:
        if v not in results:
            continue
        s = verdict_summary(results[v]["verdicts"], meta)
        wf, h, fa = s["windows_flagged"], s["hits"], s["false_alarms"]
        lines.append(
            f"| {v} | {wf['strong']} / {wf['weak']} / {wf['quiet']} | "
            f"{h['strong']['numeric']} / {h['weak']['numeric']} | "
            f"{h['strong']['categorical']} / {h['weak']['categorical']} | "
            f"{fa['numeric']} / {fa['categorical']} |")
    lines += ["", "| pair | cells agreeing | windows agreeing (any flag) | windows with the same "
              "flagged columns |", "|---|---:|---:|---:|"]
    for a, b in (*PAIRS, ("nannyml-default", "nannyml-ks-chi2"),
                 ("driftline-auto", "driftline-ks-chi2")):
        if a in results and b in results:
            g = agreement(results[a]["verdicts"], results[b]["verdicts"])
            lines.append(
                f"| {a} vs {b} | {g['cells']}/{g['n_cells']} | {g['windows_any']}/{g['n_windows']} "
                f"| {g['windows_same_set']}/{g['n_windows']} |")
    versions = {k: v for r in results.values() for k, v in r.get("versions", {}).items()}
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))]
    if profile:
        lines += ["", "cProfile of one driftline-auto run (fit + all windows, n_jobs=1 so that "
                  "the profiler sees the column work):", "", "```",
                  profile.strip(), "```"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"data and work folder (default {DEFAULT_DATA.relative_to(ROOT)})")
    parser.add_argument("--reference-rows", type=int, default=1_000_000)
    parser.add_argument("--windows", type=int, default=100)
    parser.add_argument("--window-rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per variant")
    parser.add_argument("--only", default=",".join(VARIANTS), help="comma-separated variants")
    parser.add_argument("--profile", action="store_true",
                        help="add one cProfiled driftline-auto run (not timed) to the report")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset -c 1")
    parser.add_argument("--force", action="store_true", help="rewrite the data")
    parser.add_argument("--json", type=Path, help="also write the full results here")
    parser.add_argument("--worker", choices=tuple(DRIFTLINE_OPTIONS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        driftline_worker(args.worker, args.data, args.out, args.window_rows, args.profile)
        return
    only = [v.strip() for v in args.only.split(",") if v.strip()]
    unknown = [v for v in only if v not in VARIANTS]
    if unknown:
        sys.exit(f"--only: unknown {unknown}; choose from {', '.join(VARIANTS)}")
    if any(v.startswith("nannyml") for v in only) and not PEER_PYTHON.exists():
        sys.exit(f"{PEER_PYTHON} is missing: run `bash bench/setup_peers.sh nannyml` first")
    if args.window_rows < 1 or args.windows < 1 or args.repeats < 1:
        sys.exit("--windows, --window-rows and --repeats must be positive")
    if shutil.which("taskset") is None and not args.no_pin:
        sys.exit("taskset is missing (util-linux); pass --no-pin to run unpinned")
    t0 = time.perf_counter()
    meta = write_data(args.data, args.reference_rows, args.windows, args.window_rows, args.force)
    print(f"data in {args.data} ({time.perf_counter() - t0:.1f} s): "
          + ", ".join(f"{f} sha256 {h}" for f, h in meta["sha256"].items()), flush=True)
    work = args.data / "runs"
    work.mkdir(exist_ok=True)
    pin = "" if args.no_pin else "1"
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in only}
    loads = []
    for rep in range(args.repeats):
        order = only[rep % len(only):] + only[:rep % len(only)]  # rotate: spread load drift
        for v in order:
            rec = run_variant(v, args.data, args.window_rows, work, pin=pin)
            loads.append(rec["load_before"])
            runs[v].append(rec)
            print(f"  run {rep + 1} {v}: fit {rec['fit_cpu']:.3f} s + windows "
                  f"{rec['windows_cpu']:.3f} s CPU (wall {rec['fit_wall'] + rec['windows_wall']:.3f} "
                  f"s), peak RSS {mib(rec['peak_rss'])}, load {rec['load_before']:.1f}", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for v, recs in runs.items():
        last = recs[-1]
        results[v] = {"best": best(recs), "verdicts": last["verdicts"], "methods": last["methods"],
                      "versions": last.get("versions", {}),
                      "ks_calculation_method": last.get("ks_calculation_method"),
                      "nan_values": last.get("nan_values"), "runs": recs}
        if any(r["verdicts"] != last["verdicts"] for r in recs):
            print(f"warning: {v}'s verdicts differ between runs", flush=True)
    profile = ""
    if args.profile:
        profile = run_variant("driftline-auto", args.data, args.window_rows, work, profile=True,
                              pin=pin)["profile"]
    text = report(results, meta, loads, profile)
    print()
    print(text)
    if args.json:
        for r in results.values():
            for rec in r["runs"]:
                rec.pop("verdicts", None)
        args.json.write_text(json.dumps({"meta": meta, "results": results, "profile": profile},
                                        indent=1))


if __name__ == "__main__":
    main()
