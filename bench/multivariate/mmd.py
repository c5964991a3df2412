"""Multivariate MMD permutation test: driftline next to frouros 0.9 and alibi-detect 0.13 (PyTorch).

Run (from the repository root; each tool runs in its own process, pinned to one core):

    .venv/bin/python bench/multivariate/mmd.py                    # 2,000 vs 2,000 rows x 20, 100 perms
    .venv/bin/python bench/multivariate/mmd.py --n 1000 --repeats 5 --only driftline,frouros

Every tool gets the same data, generated from ``--seed`` inside its own process
(``numpy.random.default_rng(seed)``: reference ``N(0, I)``, current ``N(0, I)`` with the first
``--shift-dims`` features moved by ``--shift``); each worker prints a checksum of the data so the
table shows they agree. Workers run as ``taskset -c 1 <venv python> mmd.py --worker <tool>`` with
every BLAS/OpenMP/torch thread pool set to one thread. A worker times ``--repeats`` runs of the
whole test (fit + compare where the tool has a fit) and reports the best **process CPU time**
(``time.process_time`` plus the CPU time of child processes, since frouros scores its permutations
in a ``multiprocessing.Pool``; it gets ``num_jobs=1`` here) and the best wall time. Imports and
data generation are not timed.

The tools:

* ``driftline``: ``stats.mmd_multivariate`` (Gaussian kernel, median heuristic, unbiased MMD²,
  permutations as batched matrix products), in ``.venv``;
* ``frouros``: ``MMD`` with ``PermutationTestDistanceBased(method="conservative")`` in
  ``bench/.venv-frouros``. frouros has no median heuristic: its ``rbf_kernel`` gets the same
  bandwidth, computed outside the timed phase (which favours frouros);
* ``alibi``: ``MMDDrift(backend="pytorch")`` (median heuristic from the reference, its default) in
  ``bench/.venv-alibi``. A missing venv is reported with the command that creates it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parents[1]
ROOT = BENCH.parent
PYTHONS = {
    "driftline": ROOT / ".venv" / "bin" / "python",
    "frouros": BENCH / ".venv-frouros" / "bin" / "python",
    "alibi": BENCH / ".venv-alibi" / "bin" / "python",
}
SETUP = {"frouros": "bash bench/setup_peers.sh frouros", "alibi": "bash bench/setup_peers.sh alibi"}
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


def make_data(seed: int, n: int, d: int, shift: float, shift_dims: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = rng.normal(size=(n, d))
    y[:, :shift_dims] += shift
    return x, y


def median_sigma(x: np.ndarray, y: np.ndarray) -> float:
    """Median of the positive distances between distinct pooled rows (driftline's heuristic)."""
    from scipy.spatial.distance import pdist

    dist = pdist(np.concatenate((x, y)))
    return float(np.median(dist[dist > 0]))


def cpu_now() -> float:
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


# -- workers: each runs inside its tool's venv and imports only that tool -------------------------
def run_driftline(x: np.ndarray, y: np.ndarray, perms: int) -> Callable[[], tuple[float, float]]:
    from driftline import stats

    def go() -> tuple[float, float]:
        r = stats.mmd_multivariate(x, y, n_permutations=perms, seed=0, max_n=max(len(x), len(y)))
        return r.statistic, float(r.p_value or np.nan)

    return go


def run_frouros(x: np.ndarray, y: np.ndarray, perms: int) -> Callable[[], tuple[float, float]]:
    from functools import partial

    import frouros.callbacks  # noqa: F401  (before frouros.detectors: frouros's import cycle)
    from frouros.callbacks import PermutationTestDistanceBased
    from frouros.detectors.data_drift import MMD
    from frouros.utils.kernels import rbf_kernel

    sigma = median_sigma(x, y)

    def go() -> tuple[float, float]:
        test = PermutationTestDistanceBased(num_permutations=perms, random_state=0, num_jobs=1,
                                            method="conservative")
        det = MMD(kernel=partial(rbf_kernel, sigma=sigma), callbacks=[test])
        det.fit(X=x)
        dist, log = det.compare(X=y)
        return float(dist.distance), float(log["PermutationTestDistanceBased"]["p_value"])

    return go


def run_alibi(x: np.ndarray, y: np.ndarray, perms: int) -> Callable[[], tuple[float, float]]:
    import torch
    from alibi_detect.cd import MMDDrift

    torch.set_num_threads(1)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)  # alibi's kernels are float32

    def go() -> tuple[float, float]:
        det = MMDDrift(x32, backend="pytorch", p_val=0.05, n_permutations=perms, device="cpu")
        out = det.predict(y32)["data"]
        return float(out["distance"]), float(out["p_val"])

    return go


RUNNERS = {"driftline": run_driftline, "frouros": run_frouros, "alibi": run_alibi}


def worker(args: argparse.Namespace) -> None:
    x, y = make_data(args.seed, args.n, args.d, args.shift, args.shift_dims)
    go = RUNNERS[args.worker](x, y, args.perms)
    best_cpu = best_wall = float("inf")
    stat = p = float("nan")
    for _ in range(args.repeats):
        c0, w0 = cpu_now(), time.perf_counter()
        stat, p = go()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, cpu_now() - c0)
    print(json.dumps({"tool": args.worker, "cpu_s": best_cpu, "wall_s": best_wall, "statistic": stat,
                      "p_value": p, "checksum": float(x.sum() + 2 * y.sum()), "numpy": np.__version__}))


# -- driver ---------------------------------------------------------------------------------------
def launch(tool: str, args: argparse.Namespace) -> dict[str, Any]:
    python = PYTHONS[tool]
    if not python.exists():
        return {"tool": tool, "missing": f"not installed: run `{SETUP[tool]}`"}
    cmd = [str(python), str(Path(__file__).resolve()), "--worker", tool, "--n", str(args.n),
           "--d", str(args.d), "--perms", str(args.perms), "--repeats", str(args.repeats),
           "--seed", str(args.seed), "--shift", str(args.shift), "--shift-dims", str(args.shift_dims)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", str(args.core), *cmd]
    env = {**os.environ, **ONE_THREAD}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if out.returncode != 0:
        return {"tool": tool, "missing": f"failed: {out.stderr.strip().splitlines()[-1:]}"}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"MMD permutation test, {args.n:,} vs {args.n:,} rows x {args.d}, {args.perms} permutations, "
          f"one core (best of {args.repeats}, process CPU time incl. children)\n")
    print("| tool | CPU s | wall s | MMD² | p-value | data checksum |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if "missing" in r:
            print(f"| {r['tool']} | – | – | – | – | {r['missing']} |")
        else:
            print(f"| {r['tool']} | {r['cpu_s']:.3f} | {r['wall_s']:.3f} | {r['statistic']:.6g} | "
                  f"{r['p_value']:.4g} | {r['checksum']:.6f} |")
    ours = next((r for r in rows if r["tool"] == "driftline" and "missing" not in r), None)
    if ours is None:
        return
    print()
    for r in rows:
        if r["tool"] != "driftline" and "missing" not in r:
            print(f"{r['tool']} / driftline: {r['cpu_s'] / ours['cpu_s']:.1f}x CPU time, "
                  f"{r['wall_s'] / ours['wall_s']:.1f}x wall time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="rows per side")
    ap.add_argument("--d", type=int, default=20, help="features")
    ap.add_argument("--perms", type=int, default=100, help="permutations")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per tool; the best counts")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shift", type=float, default=0.1, help="mean shift of the current side")
    ap.add_argument("--shift-dims", type=int, default=2, help="how many features shift")
    ap.add_argument("--core", type=int, default=1, help="the core taskset pins each worker to")
    ap.add_argument("--only", default="driftline,frouros,alibi", help="comma-separated tools")
    ap.add_argument("--worker", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    rows = [launch(tool, args) for tool in args.only.split(",")]
    report(rows, args)


if __name__ == "__main__":
    sys.exit(main())
