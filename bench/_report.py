"""Render the generated sections of bench/RESULTS.md from results.json.

Generated text sits between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` markers; the
prose around the markers is written by hand and kept as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _results import Summary, summarise
from _tasks import BY_NAME, TASKS

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
SIZE_LABELS = {"100k": "100k + 100k rows", "1m": "1M + 1M rows"}
SIZES = ("100k", "1m")
ONESHOT, FITTED = "driftline-oneshot", "driftline-fitted"


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3g} s" if seconds >= 0.001 else f"{seconds * 1e3:.3g} ms"


def fmt_range(s: Summary) -> str:
    return f"{s.low:.3g}–{s.high:.3g} s"


def fmt_bytes(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def fmt_ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.3g}×"


def ratio(results: dict[str, Any], top: str, bottom: str, size: str,
          cpu: bool = False) -> float | None:
    """Median wall (or CPU) time of task ``top`` over that of task ``bottom`` at ``size``."""
    a, b = (summarise(results["tasks"].get(t, {}).get(size)) for t in (top, bottom))
    if not (a and b):
        return None
    if cpu:
        return a.cpu_median / b.cpu_median if a.cpu_median and b.cpu_median else None
    return a.median / b.median


def drift_tables(results: dict[str, Any]) -> str:
    out = []
    for size in SIZES:
        if not any(size in results["tasks"].get(t.name, {}) for t in TASKS):
            continue
        out += [f"### {SIZE_LABELS[size]}", "",
                "| tool | median | min–max | CPU (median) | peak RSS | time ÷ driftline "
                "one-shot | columns flagged | runs |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        base = summarise(results["tasks"].get(ONESHOT, {}).get(size))
        for task in TASKS:
            entry = results["tasks"].get(task.name, {}).get(size)
            out.append(_row(task.label, entry, base))
        out.append("")
    return "\n".join(out).rstrip()


def _row(label: str, entry: dict[str, Any] | None, base: Summary | None) -> str:
    s = summarise(entry)
    if s is None:
        why = _cell(entry["message"]) if entry else "not run"
        return f"| {label} | {why} | | | | | | |"
    flagged = "—" if s.n_drifted is None else f"{s.n_drifted}/{s.n_columns}"
    cpu = "—" if s.cpu_median is None else fmt_s(s.cpu_median)
    vs = fmt_ratio(s.median / base.median) if base else "—"
    return (f"| {label} | {fmt_s(s.median)} | {fmt_range(s)} | {cpu} | "
            f"{fmt_bytes(s.peak_rss_bytes)} | {vs} | {flagged} | {s.n_runs} |")


def _cell(text: str, limit: int = 160) -> str:
    """Text safe inside a Markdown table cell, shortened to ``limit`` characters."""
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdict(value: float | None, ok: Callable[[float], bool]) -> str:
    if value is None:
        return "not measured yet"
    return "met" if ok(value) else "**not met**"


def targets_table(results: dict[str, Any]) -> str:
    rows = [
        ("driftline ≥ 10× faster than Evidently default", "evidently-default", ONESHOT,
         lambda x: x >= 10, "Evidently ÷ driftline"),
        ("driftline ≥ 3× faster than NannyML default", "nannyml-default", ONESHOT,
         lambda x: x >= 3, "NannyML ÷ driftline"),
        ("one-shot within 2× of the floor (at 1M)", ONESHOT, "floor-full",
         lambda x: x <= 2, "driftline ÷ floor"),
        ("fitted within 2× of the fitted floor", FITTED, "floor-fitted",
         lambda x: x <= 2, "driftline fitted ÷ fitted floor"),
    ]
    out = ["| target | ratio of medians | 100k wall | 1M wall | 1M CPU | verdict (1M wall) |",
           "|---|---|---:|---:|---:|---|"]
    for title, top, bottom, ok, what in rows:
        small, big = (ratio(results, top, bottom, size) for size in SIZES)
        big_cpu = ratio(results, top, bottom, "1m", cpu=True)
        out.append(f"| {title} | {what} | {fmt_ratio(small)} | {fmt_ratio(big)} | "
                   f"{fmt_ratio(big_cpu)} | {_verdict(big, ok)} |")
    imp = results.get("import_time")
    value = None if not imp else imp["median_ms"]
    shown = "—" if value is None else f"{value:.0f} ms"
    out.append(f"| `import driftline` ≤ 150 ms | median of 5 imports | | {shown} | | "
               f"{_verdict(value, lambda x: x <= 150)} |")
    return "\n".join(out)


def growth_table(results: dict[str, Any]) -> str:
    out = ["| tool | 100k + 100k | 1M + 1M | growth (1M ÷ 100k) |", "|---|---:|---:|---:|"]
    for task in TASKS:
        small, big = (summarise(results["tasks"].get(task.name, {}).get(s)) for s in SIZES)
        if small is None and big is None:
            continue
        growth = big.median / small.median if small and big else None
        cells = [fmt_s(x.median) if x else "—" for x in (small, big)]
        out.append(f"| {task.label} | {cells[0]} | {cells[1]} | {fmt_ratio(growth)} |")
    return "\n".join(out)


def machine_section(results: dict[str, Any]) -> str:
    m = results.get("machine") or {}
    out = [
        f"- CPU: {m.get('cpu_model', '?')}, {m.get('cores', '?')} cores; "
        f"memory {m.get('memory_gib', '?')} GiB; {m.get('os', '?')}",
        f"- Python {m.get('python', '?')}; last run started {m.get('measured', '?')} "
        f"with a 1-minute load average of {m.get('load_average_at_start', float('nan')):.1f}",
        "",
        "| environment | packages |",
        "|---|---|",
    ]
    by_venv: dict[str, dict[str, str]] = {}
    for name, sizes in sorted(results["tasks"].items()):
        if name not in BY_NAME:
            continue
        for entry in sizes.values():
            by_venv.setdefault(BY_NAME[name].venv, {}).update(entry.get("versions") or {})
    for venv, found in sorted(by_venv.items()):
        listed = ", ".join(f"{k} {v}" for k, v in sorted(found.items()))
        out.append(f"| `{venv}` | {listed} |")
    return "\n".join(out)


def import_section(results: dict[str, Any]) -> str:
    imp = results.get("import_time")
    if not imp:
        return "Not measured yet: run `.venv/bin/python bench/import_time.py`."
    runs = ", ".join(f"{x:.0f}" for x in imp["runs_ms"])
    heavy = ", ".join(imp["heavy_modules_loaded"]) or "none"
    verdict = "met" if imp["median_ms"] <= imp["target_ms"] else "**not met**"
    return (f"`import driftline` ({imp['driftline_version']}): **{imp['median_ms']:.0f} ms** "
            f"median of {len(imp['runs_ms'])} fresh interpreters (runs: {runs} ms), "
            f"target ≤ {imp['target_ms']:.0f} ms: {verdict}. Heavy modules loaded by the "
            f"import: {heavy}. Measured {imp.get('measured', '?')}.")


SECTIONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "machine": machine_section,
    "drift-table": drift_tables,
    "targets": targets_table,
    "growth": growth_table,
    "import-time": import_section,
}


def replace_section(text: str, name: str, body: str) -> str:
    """Put ``body`` between the named markers, appending the markers if they are absent."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return f"{text.rstrip()}\n\n{block}\n"


def update(results: dict[str, Any], path: Path = RESULTS_MD) -> None:
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    for name, render in SECTIONS.items():
        text = replace_section(text, name, render(results))
    path.write_text(text)
