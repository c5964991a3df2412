"""Throughput of frouros 0.9's streaming concept-drift detectors: the frouros peer of throughput.py.

Run it inside frouros's own venv (it does not import driftline, and frouros's pins, numpy 2.1 and
scipy 1.14, conflict with ours):

    bash bench/setup_peers.sh frouros                                             # once
    taskset -c 1 bench/.venv-frouros/bin/python bench/streaming/peer_frouros.py    # N = 1,000,000
    taskset -c 1 bench/.venv-frouros/bin/python bench/streaming/peer_frouros.py --n 200000 --only DDM,EDDM

It prints one JSON object to stdout (progress goes to stderr):
``{"frouros_version", "numpy", "n", ..., "detectors": {name: {"updates_per_s", "seconds", "drifts", "n"}}}``.

The stream is the same as throughput.py's: ``(np.random.default_rng(seed).random(n) < p)`` as int64,
1 = error, fed as Python ints. Detectors are named as in driftline; the frouros classes are ADWIN,
DDM, EDDM, HDDMA, HDDMW, PageHinkley, KSWIN, CUSUM, STEPD and RDDM of
``frouros.detectors.concept_drift``, with frouros's default configurations, except that KSWIN gets
``KSWINConfig(seed=42)`` as on the other sides (it only seeds numpy's global RNG, which KSWIN
samples from). frouros has no FHDDM; its GeometricMovingAverage, ECDDWT and BOCD have no driftline
counterpart and are not run.

What is timed, per detector: process CPU time (``time.process_time``), best of ``--repeats`` runs,
of a Python loop over the stream that calls ``det.update(x)`` and then reads ``det.drift``, as
throughput.py does with ``drift_detected``. A fresh detector is built for every run, outside the
timed phase. ``seconds`` is that best time and ``updates_per_s`` is ``n / seconds``.

Drift counts. frouros's ``drift`` flag is a state, not an event: DDM, EDDM, CUSUM, Page-Hinkley and
STEPD keep raising it on update after update until ``reset()`` (their statistics are not reset on
drift), and ADWIN never lowers it at all once set (only ``reset()`` does). river and driftline
reset on drift by themselves, so here the loop calls ``det.reset()`` after every update that
reports drift (inside the timed phase, as river's own resets are) and ``drifts`` counts those.
HDDMA, HDDMW and RDDM already restart their statistics on drift; the extra ``reset()`` leaves the
HDDM counts unchanged, and for RDDM it replaces its own restart (which replays its stored recent
predictions) with a full one.

Slow detectors (ADWIN, KSWIN and STEPD, 10 µs or more per update in frouros, against about 0.1 µs for
a bare loop) run on the first ``--n-slow`` values of the same stream (default 100,000);
each detector's entry records the ``n`` it used. ``--n-slow 1000000`` runs them in full.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from typing import Any

# frouros.callbacks before frouros.detectors: frouros 0.9's modules import each other in a cycle
# (frouros.detectors.base -> frouros.callbacks -> frouros.utils.persistence -> frouros.detectors.base),
# so whether an import works depends on which module comes first: `import frouros.detectors.base`
# first fails with a circular ImportError. With frouros.callbacks loaded first every order works.
import frouros.callbacks  # noqa: F401
import numpy as np
from frouros.detectors import concept_drift as cd

SEED = 20261126

# driftline name -> frouros factory (default configuration)
DETECTORS: dict[str, Callable[[], Any]] = {
    "ADWIN": cd.ADWIN,
    "DDM": cd.DDM,
    "EDDM": cd.EDDM,
    "HDDM_A": cd.HDDMA,
    "HDDM_W": cd.HDDMW,
    "PageHinkley": cd.PageHinkley,
    "KSWIN": lambda: cd.KSWIN(config=cd.KSWINConfig(seed=42)),
    "CUSUM": cd.CUSUM,
    "STEPD": cd.STEPD,
    "RDDM": cd.RDDM,
}
SLOW = frozenset({"ADWIN", "KSWIN", "STEPD"})


def stream(n: int, seed: int = SEED, p: float = 0.2) -> np.ndarray:
    return (np.random.default_rng(seed).random(n) < p).astype(np.int64)


def loop(det: Any, xs: list[int]) -> int:
    found = 0
    for x in xs:
        det.update(x)
        if det.drift:
            found += 1
            det.reset()
    return found


def best_cpu(make: Callable[[], Any], xs: list[int], repeats: int) -> tuple[float, int]:
    best, out = float("inf"), -1
    for _ in range(repeats):
        det = make()
        t0 = time.process_time()
        found = loop(det, xs)
        elapsed = time.process_time() - t0
        if elapsed < best:
            best, out = elapsed, found
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="stream length (default 1,000,000)")
    ap.add_argument("--n-slow", type=int, default=100_000,
                    help=f"stream length for {', '.join(sorted(SLOW))} (default 100,000)")
    ap.add_argument("--seed", type=int, default=SEED, help=f"stream seed (default {SEED})")
    ap.add_argument("--p", type=float, default=0.2, help="error rate of the stream (default 0.2)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="timed runs per detector; the best CPU time is kept (default 3)")
    ap.add_argument("--only", default="", help="comma-separated detector names")
    args = ap.parse_args()
    names = [s for s in args.only.split(",") if s] or list(DETECTORS)
    unknown = [s for s in names if s not in DETECTORS]
    if unknown:
        ap.error(f"unknown detector(s) {', '.join(unknown)}; expected some of {', '.join(DETECTORS)}")

    # KSWIN's windows of 0/1 values have ties, so scipy's ks_2samp falls back from its exact method
    # and warns (once); the result is the same.
    warnings.filterwarnings("ignore", message="ks_2samp: Exact calculation unsuccessful")
    xs_full = stream(max(args.n, args.n_slow), args.seed, args.p).tolist()
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    out: dict[str, Any] = {
        "frouros_version": metadata.version("frouros"),
        "numpy": np.__version__,
        "scipy": metadata.version("scipy"),
        "python": platform.python_version(),
        "n": args.n,
        "n_slow": args.n_slow,
        "seed": args.seed,
        "p": args.p,
        "repeats": args.repeats,
        "timer": "time.process_time, best of repeats",
        "drift_handling": "reset() after every update that reports drift",
        "cpu_affinity": affinity,
        "load_average": round(os.getloadavg()[0], 2),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "detectors": {},
    }
    for name in names:
        n = args.n_slow if name in SLOW else args.n
        seconds, drifts = best_cpu(DETECTORS[name], xs_full[:n], args.repeats)
        out["detectors"][name] = {
            "updates_per_s": round(n / seconds),
            "seconds": round(seconds, 4),
            "drifts": drifts,
            "n": n,
        }
        print(f"# {name}: {seconds:.2f} s for {n:,} updates, {drifts} drift(s)", file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
