"""Stream outliers: driftline's HalfSpaceTrees and LODA next to river 0.26's on Shuttle, in one process.

    taskset -c 1 .venv/bin/python bench/streaming/outliers.py                 # 10 seeds, 42..51
    taskset -c 1 .venv/bin/python bench/streaming/outliers.py --seeds 3 --no-river-loda   # quicker

The stream is river's ``datasets.Shuttle()`` (49,097 rows, 9 integer features, 3,511 anomalies),
in river's order, whole. Every scorer runs prequentially: each row is scored, then learned.
For each seed (``--first``, 42, and the ``--seeds`` - 1 after it):

* river ``preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees(seed=seed)``, ``score_one`` then
  ``learn_one`` on dicts: the setup of river's documentation, which gives 0.9608 with seed 42;
* driftline ``HalfSpaceTrees(seed=seed, scaling="minmax")`` (the same scaling, inside the scorer):
  ``score_learn_many`` on the whole array, and a ``score_one`` + ``learn_one`` loop over rows;
  the script checks that the three give river's scores exactly;
* driftline ``LODA(seed=seed, scaling="minmax")`` (the same preprocessing) and ``LODA(seed=seed)``
  (features as given), ``score_learn_many`` and the per-row loop;
* river ``preprocessing.MinMaxScaler() | anomaly.LODA(seed=seed)``, for reference
  (``--no-river-loda`` skips it: it runs at about 4,000 rows/s).

ROC AUC is :func:`driftline.metrics.roc_auc` on the 0/1 labels (exact, ties at their mid-rank).
Throughput is rows per second of process CPU time, over the whole prequential pass (scaling
included; converting the rows to dicts or arrays is not). Nothing is asserted: the script
prints one table per seed, then the medians and the verdict against the target (driftline's
median >= river's HST median - 0.005).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np
from river import anomaly, datasets, preprocessing

from driftline.metrics import roc_auc
from driftline.streaming import LODA, HalfSpaceTrees

TARGET_MARGIN = 0.005


def load() -> tuple[np.ndarray, np.ndarray, list[dict[str, int]]]:
    dicts, labels = [], []
    for x, y in datasets.Shuttle():
        dicts.append(x)
        labels.append(y)
    X = np.array([list(x.values()) for x in dicts], dtype=float)
    return X, np.array(labels), dicts


def river_run(model: Any, dicts: list[dict[str, int]]) -> tuple[np.ndarray, float]:
    scores = []
    t0 = time.process_time()
    for x in dicts:
        scores.append(model.score_one(x))
        model.learn_one(x)
    return np.array(scores, dtype=float), time.process_time() - t0


def many_run(scorer: Any, X: np.ndarray) -> tuple[np.ndarray, float]:
    t0 = time.process_time()
    scores = scorer.score_learn_many(X)
    return scores, time.process_time() - t0


def loop_run(scorer: Any, X: np.ndarray) -> tuple[np.ndarray, float]:
    rows = list(X)
    scores = []
    t0 = time.process_time()
    for x in rows:
        scores.append(scorer.score_one(x))
        scorer.learn_one(x)
    return np.array(scores), time.process_time() - t0


# name -> (runner, factory given the seed); the runners take the dicts (river) or the array
SCORERS: dict[str, tuple[str, Callable[[int], Any]]] = {
    "river HST": ("river", lambda s: preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees(seed=s)),
    "driftline HST": ("many", lambda s: HalfSpaceTrees(seed=s, scaling="minmax")),
    "driftline HST, per row": ("loop", lambda s: HalfSpaceTrees(seed=s, scaling="minmax")),
    "driftline LODA": ("many", lambda s: LODA(seed=s, scaling="minmax")),
    "driftline LODA, per row": ("loop", lambda s: LODA(seed=s, scaling="minmax")),
    "driftline LODA, unscaled": ("many", lambda s: LODA(seed=s)),
    "river LODA": ("river", lambda s: preprocessing.MinMaxScaler() | anomaly.LODA(seed=s)),
}


def run_seed(seed: int, names: list[str], X: np.ndarray, y: np.ndarray,
             dicts: list[dict[str, int]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    scores: dict[str, np.ndarray] = {}
    for name in names:
        kind, make = SCORERS[name]
        model = make(seed)
        if kind == "river":
            s, cpu = river_run(model, dicts)
        elif kind == "many":
            s, cpu = many_run(model, X)
        else:
            s, cpu = loop_run(model, X)
        scores[name] = s
        out[name] = {"auc": roc_auc(y, s), "rows_per_s": len(X) / cpu}
        print(f"# seed {seed}: {name} done", file=sys.stderr, flush=True)
    if "river HST" in scores:
        for name in ("driftline HST", "driftline HST, per row"):
            if name in scores:
                out[name]["differ"] = int(np.count_nonzero(scores[name] != scores["river HST"]))
    if "driftline LODA" in scores and "driftline LODA, per row" in scores:
        out["driftline LODA, per row"]["differ"] = int(
            np.count_nonzero(scores["driftline LODA"] != scores["driftline LODA, per row"]))
    return out


def _rate(v: float) -> str:
    return f"{v / 1e6:.2f}M/s" if v >= 1e6 else f"{v / 1e3:.0f}k/s" if v >= 1e3 else f"{v:.0f}/s"


def report(results: dict[int, dict[str, dict[str, float]]], names: list[str]) -> str:
    seeds = list(results)
    lines = ["| scorer | " + " | ".join(f"seed {s}" for s in seeds) + " | median AUC | median rows/s |",
             "|---|" + "---:|" * (len(seeds) + 2)]
    for name in names:
        aucs = [results[s][name]["auc"] for s in seeds]
        rates = [results[s][name]["rows_per_s"] for s in seeds]
        lines.append(f"| {name} | " + " | ".join(f"{a:.4f}" for a in aucs)
                     + f" | **{statistics.median(aucs):.4f}** | {_rate(statistics.median(rates))} |")
    checks = []
    for name in names:
        differ = [results[s][name].get("differ") for s in seeds]
        if differ[0] is not None:
            against = "river HST" if "HST" in name else "driftline LODA (score_learn_many)"
            checks.append(f"- {name}: scores that differ from {against}'s, per seed: "
                          + ", ".join(str(d) for d in differ))
    verdict = []
    if "river HST" in names:
        river = statistics.median(results[s]["river HST"]["auc"] for s in seeds)
        verdict.append(f"Target: median >= river HST median - {TARGET_MARGIN} = {river - TARGET_MARGIN:.4f}")
        for name in names:
            if name.startswith("driftline") and "per row" not in name:
                med = statistics.median(results[s][name]["auc"] for s in seeds)
                ok = "met" if med >= river - TARGET_MARGIN else "MISSED"
                verdict.append(f"- {name}: {med:.4f} ({med - river:+.4f} against river's HST): {ok}")
    return "\n".join([*lines, "", *checks, "", *verdict])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="number of seeds (default 10)")
    ap.add_argument("--first", type=int, default=42, help="first seed (default 42)")
    ap.add_argument("--no-river-loda", action="store_true", help="skip river's LODA (slow)")
    args = ap.parse_args()
    names = [n for n in SCORERS if not (args.no_river_loda and n == "river LODA")]
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"# python {platform.python_version()}, driftline {metadata.version('driftline')}, "
          f"river {metadata.version('river')}, numpy {np.__version__}; CPU affinity {affinity}; "
          f"load average {os.getloadavg()[0]:.2f}; started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
          flush=True)
    X, y, dicts = load()
    print(f"# Shuttle: {len(X):,} rows, {X.shape[1]} features, {int(y.sum()):,} anomalies", flush=True)
    t0 = time.perf_counter()
    seeds = range(args.first, args.first + args.seeds)
    results = {seed: run_seed(seed, names, X, y, dicts) for seed in seeds}
    print(report(results, names))
    print(f"\n# wall time {time.perf_counter() - t0:.0f} s; load average at the end "
          f"{os.getloadavg()[0]:.2f}; "
          f"finished {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")


if __name__ == "__main__":
    main()
