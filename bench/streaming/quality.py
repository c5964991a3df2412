"""Detection quality of driftline's streaming detectors next to river 0.26's, on error streams.

    taskset -c 0 .venv/bin/python bench/streaming/quality.py
    .venv/bin/python bench/streaming/quality.py --streams 20 --stationary 2   # a quicker run

Error streams (1 = error) of length 10,000 are Bernoulli(0.2) up to position 5,000 and
Bernoulli(p1) from there, for p1 = 0.3, 0.4 and 0.6, with ``--streams`` (100) seeded streams
per p1. Per detector and implementation it reports:

* the median detection delay: first detection at or after position 5,000, minus 5,000, over
  the streams where there is one;
* missed: streams with no detection in the 5,000 values after the change;
* pre-change: streams with at least one detection before position 5,000 (false alarms that
  precede the change; a detector that fired there has restarted, as it would in use);
* false alarms per 100k steps on ``--stationary`` (10) seeded Bernoulli(0.2) streams of
  100,000 values: all detections counted.

driftline runs ``update_many``; river runs its ``update`` in a Python loop on the same streams
(FHDDM fed ``1 - x``, see docs/streaming.md). KSWIN (``seed=42`` on both sides) is slow in
both libraries, river's at about 3,000 updates/s, so it gets ``--kswin-streams`` (10) streams
per p1 and ``--kswin-stationary`` (1) stationary stream. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throughput import DETECTORS

SEED = 20261126
LENGTH = 10_000
CHANGE = 5_000
P0 = 0.2
SHIFTS = (0.3, 0.4, 0.6)
STATIONARY_LENGTH = 100_000


def drift_stream(p1: float, i: int) -> np.ndarray:
    rng = np.random.default_rng([SEED, round(p1 * 100), i])
    u = rng.random(LENGTH)
    p = np.where(np.arange(LENGTH) < CHANGE, P0, p1)
    return (u < p).astype(np.int64)


def stationary_stream(i: int) -> np.ndarray:
    return (np.random.default_rng([SEED, 0, i]).random(STATIONARY_LENGTH) < P0).astype(np.int64)


def river_indices(det: Any, xs: list[int]) -> list[int]:
    out = []
    for i, x in enumerate(xs):
        det.update(x)
        if det.drift_detected:
            out.append(i)
    return out


def detections(name: str, impl: str, arr: np.ndarray) -> list[int]:
    make_dl, make_river, flip = DETECTORS[name]
    if impl == "driftline":
        return [int(i) for i in make_dl().update_many(arr)]
    xs = arr.tolist()
    return river_indices(make_river(), [1 - x for x in xs] if flip else xs)


def evaluate(name: str, impl: str, n_streams: int, n_stationary: int) -> dict[str, Any]:
    row: dict[str, Any] = {"detector": name, "impl": impl, "streams": n_streams, "stationary": n_stationary}
    t0 = time.perf_counter()
    for p1 in SHIFTS:
        delays, missed, early = [], 0, 0
        for i in range(n_streams):
            idx = detections(name, impl, drift_stream(p1, i))
            after = [d for d in idx if d >= CHANGE]
            if any(d < CHANGE for d in idx):
                early += 1
            if after:
                delays.append(after[0] - CHANGE)
            else:
                missed += 1
        row[p1] = (statistics.median(delays) if delays else None, missed, early)
    alarms = sum(len(detections(name, impl, stationary_stream(i))) for i in range(n_stationary))
    row["fa_per_100k"] = alarms / (n_stationary * STATIONARY_LENGTH / 100_000)
    row["seconds"] = time.perf_counter() - t0
    return row


def table(rows: list[dict[str, Any]]) -> str:
    head = "| detector | library | streams per p1 |"
    rule = "|---|---|---:|"
    for p1 in SHIFTS:
        head += f" 0.2→{p1}: median delay | missed | pre-change |"
        rule += "---:|---:|---:|"
    head += " false alarms / 100k (stationary steps) |"
    rule += "---:|"
    lines = [head, rule]
    for r in rows:
        cells = [r["detector"], r["impl"], str(r["streams"])]
        for p1 in SHIFTS:
            med, missed, early = r[p1]
            cells += ["—" if med is None else f"{med:g}", f"{missed}", f"{early}"]
        cells.append(f"{r['fa_per_100k']:.1f} ({r['stationary'] * STATIONARY_LENGTH:,})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=100, help="seeded drifting streams per p1 (default 100)")
    ap.add_argument("--stationary", type=int, default=10, help="stationary streams of 100,000 (default 10)")
    ap.add_argument("--kswin-streams", type=int, default=10)
    ap.add_argument("--kswin-stationary", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated detector names")
    args = ap.parse_args()
    names = [s for s in args.only.split(",") if s] or list(DETECTORS)
    print(f"# started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load average {os.getloadavg()[0]:.2f}",
          flush=True)
    rows = []
    for name in names:
        ns, nst = (args.kswin_streams, args.kswin_stationary) if name == "KSWIN" else (
            args.streams, args.stationary)
        impls = ["driftline"] + (["river"] if DETECTORS[name][1] is not None else [])
        for impl in impls:
            row = evaluate(name, impl, ns, nst)
            rows.append(row)
            print(f"# {name} {impl}: {row['seconds']:.1f} s", file=sys.stderr, flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
