"""Wasserstein at n = 10**6 against a fitted reference, timed next to np.sort of the window.

Run: .venv/bin/python bench/wasserstein_fitted.py [m ...]   (default m = 10**6 and 999_983)

m = n puts each current value against exactly one reference value (strided views); m = 999_983
is the general case (slot ends by integer division). Each repetition times the three calls back
to back; CPU time (process_time) is shown next to wall time because a shared machine inflates
wall time.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from driftline import stats
from driftline.stats import Sample
from driftline.stats._wasserstein import wasserstein_distance


def clock(f: Callable[[], object]) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    f()
    return time.perf_counter() - w0, time.process_time() - c0


def main(m: int, reps: int = 21) -> None:
    rng = np.random.default_rng(0)
    ref = stats.fit(rng.normal(size=10**6))
    _ = ref.std, ref.cumsum, ref.mean  # the fitted state, computed once
    cur = rng.normal(0.02, 1, size=m)
    cur_s = Sample.numerical(cur)
    _ = cur_s.mean
    calls: dict[str, Callable[[], object]] = {
        "np.sort(current)": lambda: np.sort(cur),
        "wasserstein_distance(fitted, prepared current)": lambda: wasserstein_distance(ref, cur_s),
        "stats.wasserstein(fitted, raw current)": lambda: stats.wasserstein(ref, cur),
    }
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in calls}
    for _ in range(reps):
        for k, f in calls.items():
            times[k].append(clock(f))
    base = np.array(times["np.sort(current)"])
    print(f"n=1_000_000 m={m:_}  (wall min/median, cpu min/median; ratio to np.sort by median cpu)")
    for k, v in times.items():
        a = np.array(v) * 1e3
        print(f"  {k:48s} wall {a[:, 0].min():6.1f}/{np.median(a[:, 0]):6.1f} ms  "
              f"cpu {a[:, 1].min():6.1f}/{np.median(a[:, 1]):6.1f} ms  "
              f"x{np.median(a[:, 1]) / np.median(base[:, 1] * 1e3):.2f}")


if __name__ == "__main__":
    for m in map(int, sys.argv[1:] or ["1000000", "999983"]):
        main(m)
