"""Serving latency while a retrain runs on the same core (issue 4).

    .venv/bin/python bench/serving/during_retrain.py [--duration 15] [--repeats 3]

driftline's server runs on core 1 as in `run.py`, with durable logging; wrk loads it from core
0 at concurrency 8. Each round measures twice: once alone, and once while training runs back
to back through `driftline.retrain.run_training` (the loop's own isolated runner: a separate
process, niced by 10, one BLAS/OpenMP thread) pinned to the server's core, the worst case on a
two-core machine. The table gives both and how many trainings finished during the load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import model  # noqa: E402
import run  # noqa: E402


def _train_loop(built: model.Built, stop: threading.Event, done: list[float]) -> None:
    import pandas as pd

    from driftline.registry import TrainingData
    from driftline.retrain import run_training

    folder = built.project_yaml.parent
    frame = pd.read_csv(folder / "reference.csv")
    data = TrainingData.from_frame(frame, target=model.bench_model.TARGET,
                                   features=model.bench_model.FEATURES)
    os.sched_setaffinity(0, {int(run.SERVER_CPU)})  # children inherit the server's core
    while not stop.is_set():
        t = time.perf_counter()
        run_training("bench_model:train", folder, data, nice=10, threads=1, timeout=600)
        done.append(time.perf_counter() - t)


def measure(built: model.Built, seconds: float, warmup: float, retrain: bool,
            log: Path) -> dict[str, Any]:
    server = run.driftline_server(built)
    with run.running(server, log):
        run.wrk(server, built.request_path, warmup)
        stop, done = threading.Event(), []
        trainer = threading.Thread(target=_train_loop, args=(built, stop, done))
        if retrain:
            trainer.start()
            time.sleep(1.0)  # a training process is running when the load starts
        figures = run.wrk(server, built.request_path, seconds)
        stop.set()
        if retrain:
            trainer.join(600)
    figures["trainings_finished"] = len(done)
    figures["training_s"] = round(statistics.median(done), 2) if done else None
    return figures


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    run.renice(run.DEFAULT_NICE)
    built = model.build()
    run.train_driftline(built)
    rows: dict[str, list[dict[str, Any]]] = {"alone": [], "during retrain": []}
    for r in range(args.repeats):
        for label, retrain in (("alone", False), ("during retrain", True)):
            f = measure(built, args.duration, args.warmup, retrain,
                        run.LOGS / f"during-retrain-{r}-{retrain}.log")
            rows[label].append(f)
            print(f"round {r + 1} {label}: {f['rps']:.1f} req/s p50 {f['p50_ms']:.1f} ms "
                  f"p99 {f['p99_ms']:.1f} ms errors {f['errors']} trainings "
                  f"{f['trainings_finished']}", file=sys.stderr, flush=True)
    print("| setup | req/s | p50 ms | p99 ms | errors | trainings finished (median s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, runs in rows.items():
        med = {k: statistics.median(x[k] for x in runs) for k in ("rps", "p50_ms", "p99_ms")}
        errors = sum(x["errors"] for x in runs)
        trainings = sum(x["trainings_finished"] for x in runs)
        times = [x["training_s"] for x in runs if x["training_s"]]
        ts = f"{trainings} ({statistics.median(times):.1f} s)" if times else "0"
        print(f"| driftline, {label} | {med['rps']:.1f} | {med['p50_ms']:.1f} | "
              f"{med['p99_ms']:.1f} | {errors} | {ts} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
