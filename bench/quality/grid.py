"""The quality grid: false alarms and power of the default rule, against two rules peers use.

    .venv/bin/python bench/quality/grid.py            # the full grid (make bench-quality)
    .venv/bin/python bench/quality/grid.py --quick    # a smoke run with few replicates

For each n (rows per side) it draws independent replicates of a 25-column table (see _sim.py)
and reports, for driftline's default rule, plain KS/chi-square at alpha and a fixed distance
threshold: the false-alarm rate per column and per table on stationary data, and the power to
flag one column moved by a numeric mean shift or a category share move. It writes
bench/quality/results.json, bench/quality/RESULTS.md, and the section of bench/RESULTS.md
between ``<!-- quality:start -->`` and ``<!-- quality:end -->`` (the rest of that file is
left alone; the markers are appended when absent).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import _sim
from _sim import ALPHA, MOVES, SHIFTS_SD, Tally

HERE = Path(__file__).resolve().parent
SIZES = (30, 100, 300, 1_000, 3_000, 10_000, 100_000, 1_000_000)
REPLICATES = {30: 2000, 100: 2000, 300: 1000, 1_000: 1000, 3_000: 500, 10_000: 500,
              100_000: 100, 1_000_000: 10}
QUICK = {30: 40, 100: 40, 300: 20, 1_000: 20, 3_000: 10, 10_000: 10, 100_000: 2, 1_000_000: 1}
CONDITIONAL = {"n": 1_000, "references": 20, "windows": 250}
START, END = "<!-- quality:start -->", "<!-- quality:end -->"


def tasks(replicates: dict[int, int]) -> list[tuple[int, int, int]]:
    """Chunks of replicates, the largest n first so the pool ends evenly."""
    out = []
    for n in sorted(replicates, reverse=True):
        total = replicates[n]
        step = 1 if n >= 100_000 else max(1, total // 20)
        out += [(n, s, min(s + step, total)) for s in range(0, total, step)]
    return out


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers)."""
    import resource

    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def simulate(replicates: dict[int, int], workers: int) -> dict[int, Tally]:
    totals = {n: Tally() for n in replicates}
    jobs = tasks(replicates)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, (n, tally) in enumerate(pool.map(_sim.run_chunk, jobs), start=1):
            totals[n].merge(tally)
            if done % 25 == 0 or done == len(jobs):
                print(f"  {done}/{len(jobs)} chunks", file=sys.stderr, flush=True)
    return totals


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {
        "cpus": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version(), "processor": platform.processor() or "unknown",
        "numpy": metadata.version("numpy"), "scipy": metadata.version("scipy"),
        "driftline": metadata.version("driftline"), "load_average_at_start": list(load),
    }


def margin(trials: int) -> float:
    return ALPHA + 2.0 * math.sqrt(ALPHA * (1.0 - ALPHA) / trials)


def summarise(totals: dict[int, Tally]) -> dict[str, Any]:
    """Rates with the trials they are computed over."""
    out: dict[str, Any] = {}
    for n, t in sorted(totals.items()):
        r = t.replicates
        per_col = {"num": r * _sim.N_NUMERIC, "cat": r * _sim.N_CATEGORICAL}
        rates: dict[str, Any] = {}
        for key, hits in sorted(t.counts.items()):
            parts = key.split(":")
            trials = per_col.get(parts[-1], r)
            rates[key] = {"hits": hits, "trials": trials, "rate": hits / trials}
        out[str(n)] = {"replicates": r, "margin": margin(r), "rates": rates}
    return out


def pct(x: float) -> str:
    if x == 0:
        return "0"
    return f"{100 * x:.2f}" if x < 0.01 else f"{100 * x:.1f}"


def rate(cell: dict[str, Any], key: str) -> str:
    return pct(cell["rates"][key]["rate"])


def tables(summary: dict[str, Any]) -> list[str]:
    """The markdown tables: false alarms per table and per column, then the power curves."""
    lines = [
        "**False alarms, whole table** (stationary data; share of replicates in which any of the "
        "25 columns is flagged, %). Margin = alpha + 2 binomial SDs at that R.",
        "",
        "| n per side | R | margin | default rule | plain KS/χ² | distance ≥ 0.1 |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n, cell in summary.items():
        lines.append(f"| {int(n):,} | {cell['replicates']} | {pct(cell['margin'])} | "
                     + " | ".join(rate(cell, f"fa:{rule}:dataset") for rule in _sim.RULES)
                     + " |")
    lines += [
        "", "**False alarms, per column** (%; numeric / categorical). *In table*: the column "
        "judged with the other 24 (Holm over 25); *alone*: a one-column table.", "",
        "| n per side | default, in table | default, alone | plain KS/χ² | distance ≥ 0.1 |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, cell in summary.items():
        cols = [f"{rate(cell, f'fa:{k}:num')} / {rate(cell, f'fa:{k}:cat')}"
                for k in ("default", "single", "plain", "distance")]
        lines.append(f"| {int(n):,} | " + " | ".join(cols) + " |")
    for label, kind, sizes, unit in (
            ("a normal column's mean shifted by", "num", SHIFTS_SD, "SD"),
            ("a categorical column's share moved by", "cat", MOVES, "points")):
        shown = [f"{s:g} {unit}" if unit == "SD" else f"{100 * s:g} {unit}" for s in sizes]
        lines += [
            "", f"**Power: {label} …** (% of replicates in which that column is flagged in its "
            "25-column table; default / plain / distance)", "",
            "| n per side | " + " | ".join(shown) + " |",
            "|---:|" + "---:|" * len(sizes),
        ]
        for n, cell in summary.items():
            cells = [" / ".join(rate(cell, f"power:{rule}:{kind}:{s}") for rule in _sim.RULES)
                     for s in sizes]
            lines.append(f"| {int(n):,} | " + " | ".join(cells) + " |")
    return lines


def conditional_section(cond: dict[str, Any]) -> list[str]:
    rates = sorted(cond["rates"])
    mean = sum(rates) / len(rates)
    sd = math.sqrt(sum((x - mean) ** 2 for x in rates) / (len(rates) - 1))
    binom = math.sqrt(ALPHA * (1 - ALPHA) / cond["windows"])
    return [
        "", f"**Why replicates redraw both samples.** Plain KS at alpha = 0.05, n = "
        f"{cond['n']:,} per side: {cond['references']} fixed references, {cond['windows']} "
        f"stationary windows each. The alarm rate *given a reference* ranges from "
        f"{pct(rates[0])}% to {pct(rates[-1])}% (mean {pct(mean)}%, SD between references "
        f"{pct(sd)} points, against {pct(binom)} points expected from binomial noise alone). "
        "Windows against one reference estimate that reference's rate, not the procedure's, "
        "so every replicate here draws a new reference and a new current sample.",
    ]


def cpu_note(cpu: float | None) -> str:
    if cpu is None:
        return ""
    return (f" CPU time over all processes: {cpu / 60:.1f} min, so about {cpu / 120:.1f} "
            "min of wall time on 2 otherwise idle cores.")


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    reps = ", ".join(f"{int(n):,}: {c['replicates']}" for n, c in result["summary"].items())
    head = [
        "# Decision-rule quality grid", "",
        f"Generated by `make bench-quality` (`.venv/bin/python bench/quality/grid.py`) on "
        f"{result['finished']}, in {result['runtime_seconds'] / 60:.1f} min on a machine with "
        f"{m['cpus']} cores ({m['platform']}; Python {m['python']}, numpy {m['numpy']}, scipy "
        f"{m['scipy']}; load average {m['load_average_at_start'][0]:.1f} at the start)."
        + cpu_note(result.get("cpu_seconds")), "",
        "Table: 20 numeric columns (normal, lognormal, uniform, exponential, Student t3, "
        "Poisson with ties, in turn) and 5 categorical columns of 20 Zipf-distributed levels. "
        "Every replicate draws the reference and the current sample afresh. alpha = 0.05. "
        f"Replicates R per n: {reps} (fewer at large n, where each costs more; read rates at "
        "small R with their binomial error).", "",
        "Rules: **default** = driftline's `method=\"auto\"` (Holm across the 25 columns, and "
        "the effect floors: normed Wasserstein ≥ 0.1, total variation ≥ 0.05); **plain** = "
        "KS / chi-square p ≤ 0.05 per column, no correction, no floor; **distance** = normed "
        "Wasserstein-1 ≥ 0.1 (numbers) or total variation ≥ 0.1 (categories) alone, computed "
        "at every n.", "",
    ]
    notes = ["", "Notes:", ""] + [f"- {x}" for x in result["notes"]]
    return "\n".join(head + tables(result["summary"]) + conditional_section(
        result["conditional"]) + notes) + "\n"


def notes(summary: dict[str, Any]) -> list[str]:
    from driftline import stats

    out = []
    for kind, measure, what in (("num", "wasserstein", "numeric"),
                                ("cat", "total_variation", "categorical and binary")):
        small = [n for n, c in summary.items()
                 if c["rates"].get(f"no_floor_effect:{kind}", {}).get("hits", 0)]
        if small:
            out.append(
                f"Below n = {stats.get(measure).min_n} per side the {what} floor's measure "
                f"({measure}, its min_n) gives no value, so the default rule cannot flag "
                f"{what} columns at n = {', '.join(small)}, however large the change; the "
                "column carries a small-sample warning and the verdict `False`.")
    big = summary.get(str(SIZES[-1]))
    if big:
        p = big["rates"]["p_below_1e-6:num:0.02"]
        q = big["rates"]["p_below_1e-6:cat:0.005"]
        out.append(
            f"At n = {SIZES[-1]:,}, the raw p-value was below 1e-6 in {p['hits']}/{p['trials']}"
            f" replicates for the 0.02 SD shift and {q['hits']}/{q['trials']} for the "
            "0.5-point share move: the floors, not the tests, keep those quiet.")
    out.append(
        "A change exactly at a floor (0.1 SD; 5 points) is flagged about half the time at "
        "large n by the numeric floor, and nearly always by the categorical one, because the "
        "plug-in total variation is biased upward.")
    return out


def write_section(path: Path, body: str) -> None:
    """Replace the text between the markers, appending the markers when absent."""
    text = path.read_text() if path.exists() else ""
    block = f"{START}\n{body.rstrip()}\n{END}"
    if START in text and END in text and text.index(START) < text.index(END):
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + block + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few replicates (smoke run)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the outputs")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the markdown from the folder's results.json")
    args = parser.parse_args()
    if args.render:
        result = json.loads((args.out / "results.json").read_text())
        result["notes"] = notes(result["summary"])
        publish(result, args.out)
        return
    replicates = QUICK if args.quick else REPLICATES
    started = time.perf_counter()
    info = machine()
    print(f"quality grid: {sum(replicates.values())} replicates on {args.workers} workers",
          file=sys.stderr)
    totals = simulate(replicates, args.workers)
    cond = dict(CONDITIONAL, windows=25 if args.quick else CONDITIONAL["windows"])
    cond["rates"] = _sim.conditional_rates(cond["n"], cond["references"], cond["windows"])
    summary = summarise(totals)
    result = {
        "alpha": ALPHA, "machine": info, "quick": args.quick,
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runtime_seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds(),
        "summary": summary,
        "conditional": cond, "notes": notes(summary),
    }
    publish(result, args.out)


def publish(result: dict[str, Any], out: Path) -> None:
    """Write results.json, RESULTS.md and (for the default folder) the bench/RESULTS.md section."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    (out / "RESULTS.md").write_text(text)
    if out.resolve() == HERE:
        section = text.replace("# Decision-rule quality grid", "## Decision-rule quality "
                               "(from bench/quality/RESULTS.md)", 1)
        write_section(HERE.parent / "RESULTS.md", section)
    print(text)


if __name__ == "__main__":
    main()
