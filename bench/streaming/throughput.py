"""Throughput of driftline's streaming detectors next to river 0.26's, in one process.

    taskset -c 1 .venv/bin/python bench/streaming/throughput.py              # N = 1,000,000
    taskset -c 1 .venv/bin/python bench/streaming/throughput.py --n 200000   # a smaller stream

Every detector sees the same seeded Bernoulli(0.2) error stream (1 = error), N values (KSWIN:
``--n-kswin``, 20,000 by default, because both implementations are slow). For each detector it
times, as process CPU time, best of ``--repeats`` (3):

* driftline ``update`` in a Python loop (``for x in xs: det.update(x)``, reading
  ``drift_detected`` after each update),
* driftline ``update_many(array)`` on the whole stream (a numpy int64 array), with the numba
  kernels (``_accel.use("compiled")``),
* the same without numba (``_accel.use("pure")``): the fallback a user without the ``fast``
  extra gets (the kernel as plain Python; vectorised numpy for ADWIN, FHDDM and STEPD; a loop
  of ``update`` for KSWIN),
* river ``update`` in the same Python loop.

Before the timed runs each kernel is compiled by a first ``update_many`` call on 1,000 values,
timed on its own: the "first call" column, with numba's on-disk cache pointed at a fresh
temporary directory so that it is a cold compile (``--warm-cache`` keeps numba's usual cache,
next to the sources, and then reports loading from it). OnlineCVM (not benchmarked here) has
no kernel.

A fresh detector is built for every timed run, outside the timed phase. river's FHDDM fires
when its input's mean falls, so it is fed ``1 - x`` (see docs/streaming.md); HDDM_A and HDDM_W
are river's ``HDDMA`` and ``HDDMW``; KSWIN gets ``seed=42`` on both sides. CUSUM, STEPD and RDDM
have no river counterpart. Nothing is asserted: the script prints a markdown table and the
ratios against the targets (``update`` >= river's rate; ``update_many`` >= 20x river's rate).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np
from river import drift as rdrift
from river.drift import binary as rbinary

from driftline import streaming as dls
from driftline.streaming import _accel

SEED = 20261126

# name -> (driftline factory, river factory or None, river input is 1 - x)
DETECTORS: dict[str, tuple[Callable[[], Any], Callable[[], Any] | None, bool]] = {
    "ADWIN": (dls.ADWIN, rdrift.ADWIN, False),
    "DDM": (dls.DDM, rbinary.DDM, False),
    "EDDM": (dls.EDDM, rbinary.EDDM, False),
    "HDDM_A": (dls.HDDM_A, rbinary.HDDMA, False),
    "HDDM_W": (dls.HDDM_W, rbinary.HDDMW, False),
    "PageHinkley": (dls.PageHinkley, rdrift.PageHinkley, False),
    "KSWIN": (lambda: dls.KSWIN(seed=42), lambda: rdrift.KSWIN(seed=42), False),
    "FHDDM": (dls.FHDDM, rbinary.FHDDM, True),
    "CUSUM": (dls.CUSUM, None, False),
    "STEPD": (dls.STEPD, None, False),
    "RDDM": (dls.RDDM, None, False),
}


def stream(n: int, seed: int = SEED, p: float = 0.2) -> np.ndarray:
    return (np.random.default_rng(seed).random(n) < p).astype(np.int64)


def loop(det: Any, xs: list[int]) -> int:
    found = 0
    for x in xs:
        det.update(x)
        if det.drift_detected:
            found += 1
    return found


def best_cpu(fn: Callable[[], int], repeats: int) -> tuple[float, int]:
    best, out = float("inf"), -1
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return best, out


def measure(name: str, n: int, repeats: int) -> dict[str, Any]:
    make_dl, make_river, flip = DETECTORS[name]
    arr = stream(n)
    xs = arr.tolist()
    row: dict[str, Any] = {"detector": name, "n": n, "kernel": _kernel_of(make_dl())}

    def dl_loop() -> int:
        return loop(make_dl(), xs)

    def dl_many() -> int:
        return len(make_dl().update_many(arr))

    row["dl_update_s"], row["dl_update_drifts"] = best_cpu(dl_loop, repeats)
    if row["kernel"] is not None:
        with _accel.use("compiled"):
            t0 = time.perf_counter()
            make_dl().update_many(arr[:1_000])  # compiles the kernel (or loads it from the cache)
            row["first_call_s"] = time.perf_counter() - t0
            row["many_s"], row["many_drifts"] = best_cpu(dl_many, repeats)
    with _accel.use("pure"):
        row["pure_s"], row["pure_drifts"] = best_cpu(dl_many, repeats)
    if make_river is not None:
        rxs = [1 - x for x in xs] if flip else xs

        def river_loop() -> int:
            return loop(make_river(), rxs)

        row["river_s"], row["river_drifts"] = best_cpu(river_loop, repeats)
    return row


def _kernel_of(det: Any) -> Any:
    """The detector's update_many kernel (``_<module>_run``), or None."""
    module = sys.modules[type(det).__module__]
    found = [k for name, k in vars(module).items() if isinstance(k, _accel.Kernel) and name.endswith("_run")]
    return found[0] if found else None


def rate(n: int, s: float) -> str:
    r = n / s
    return f"{r / 1e6:.2f}M/s" if r >= 1e6 else f"{r / 1e3:.0f}k/s"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| detector | N | driftline `update` | `update_many`, numba | `update_many`, no numba | first call "
        "(compile) | river `update` | `update` ÷ river | `update_many` ÷ river: numba | no numba "
        "| drifts (update / numba / no numba / river) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        n, u, p = r["n"], r["dl_update_s"], r["pure_s"]
        m = r.get("many_s")
        many = rate(n, m) if m else "(no kernel)"
        first = f"{r['first_call_s']:.2f} s" if m else "—"
        if "river_s" in r:
            rv = r["river_s"]
            cells = [rate(n, rv), f"{rv / u:.2f}×", f"{rv / m:.1f}×" if m else "—", f"{rv / p:.1f}×"]
            river_drifts = r["river_drifts"]
        else:
            cells, river_drifts = ["—", "—", "—", "—"], "—"
        many_drifts = r.get("many_drifts", "—")
        drifts = f"{r['dl_update_drifts']} / {many_drifts} / {r['pure_drifts']} / {river_drifts}"
        lines.append(f"| {r['detector']} | {n:,} | {rate(n, u)} | {many} | {rate(n, p)} | {first} | "
                     + " | ".join(cells) + f" | {drifts} |")
    return "\n".join(lines)


FROUROS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".venv-frouros", "bin", "python")


def frouros(n: int, repeats: int, only: list[str]) -> dict[str, Any] | None:
    """Time frouros in its own venv (``peer_frouros.py``, same stream and seed), or None when
    ``bash bench/setup_peers.sh frouros`` has not been run."""
    import json
    import subprocess

    if not os.path.exists(FROUROS):
        return None
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer_frouros.py")
    cmd = [FROUROS, script, "--n", str(n), "--seed", str(SEED), "--repeats", str(repeats)]
    if only:
        cmd += ["--only", ",".join(only)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def frouros_table(rows: list[dict[str, Any]], peer: dict[str, Any]) -> str:
    lines = [f"frouros {peer['frouros_version']} (numpy {peer['numpy']}, its own venv):", "",
             "| detector | N | frouros `update` | driftline `update` ÷ frouros | `update_many` (numba) "
             "÷ frouros | drifts (frouros) |", "|---|---:|---:|---:|---:|---:|"]
    ours = {r["detector"]: r for r in rows}
    for name, f in peer["detectors"].items():
        r = ours.get(name)
        if r is None:
            continue
        per_s = f["updates_per_s"]
        mine = r["n"] / r["dl_update_s"]
        many = r["n"] / r["many_s"] if r.get("many_s") else None
        lines.append(f"| {name} | {f['n']:,} | {rate(f['n'], f['seconds'])} | {mine / per_s:.1f}× | "
                     + (f"{many / per_s:,.0f}× | " if many else "— | ") + f"{f['drifts']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="stream length (default 1,000,000)")
    ap.add_argument("--n-kswin", type=int, default=20_000, help="stream length for KSWIN (default 20,000)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per cell; the best CPU time is kept")
    ap.add_argument("--only", default="", help="comma-separated detector names")
    ap.add_argument("--warm-cache", action="store_true",
                    help="keep numba's on-disk cache (the first call then loads the kernel from it)")
    ap.add_argument("--no-frouros", action="store_true",
                    help="skip frouros (run otherwise when bench/.venv-frouros exists)")
    args = ap.parse_args()
    if not args.warm_cache:  # before numba is imported: a cold compile on the first call
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="driftline-numba-")
    names = [s for s in args.only.split(",") if s] or list(DETECTORS)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"# python {platform.python_version()}, driftline {metadata.version('driftline')}, "
          f"river {metadata.version('river')}, numpy {np.__version__}, numba {metadata.version('numba')}; "
          f"CPU affinity {affinity}; load average {os.getloadavg()[0]:.2f}; "
          f"started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; numba cache "
          f"{'as installed' if args.warm_cache else 'cold (a fresh directory)'}", flush=True)
    t0 = time.perf_counter()
    _accel.numba_enabled()  # imports numba, so that no first call below pays for it
    print(f"# importing numba: {time.perf_counter() - t0:.2f} s", flush=True)
    rows = []
    for name in names:
        n = args.n_kswin if name == "KSWIN" else args.n
        row = measure(name, n, args.repeats)
        rows.append(row)
        print(f"# {name}: done (N={n:,})", file=sys.stderr, flush=True)
    print(table(rows))
    if not args.no_frouros:
        peer = frouros(args.n, args.repeats, [s for s in args.only.split(",") if s])
        print("\n" + (frouros_table(rows, peer) if peer else
                      "frouros: not installed (bash bench/setup_peers.sh frouros); skipped"))
    print(f"# finished {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
