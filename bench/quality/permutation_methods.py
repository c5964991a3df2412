"""False alarms, power and timings of the subsampled / permutation methods at their defaults.

    .venv/bin/python bench/quality/permutation_methods.py            # the full run (minutes)
    .venv/bin/python bench/quality/permutation_methods.py --quick    # a smoke run

Methods: ``epps_singleton``, ``energy_distance``, ``bws`` and ``mmd``, each called with its
defaults (``seed=0``, as users call them). Each replicate draws both samples afresh from its own
seed, so the rates are those of the two-sample procedure. The false-alarm rate is reported with
the binomial bound ``alpha + 2 * sqrt(alpha (1 - alpha) / reps)``; power is the share of shifted
replicates flagged. Timings are the median wall and CPU time of default calls at n = 2000.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import numpy as np

from driftline import stats

ALPHA = 0.05
METHODS = ("epps_singleton", "energy_distance", "bws", "mmd")

Draw = Callable[[np.random.Generator, int, float], np.ndarray]

FAMILIES: dict[str, Draw] = {
    "normal": lambda rng, n, shift: rng.normal(shift, 1.0, n),
    "student_t3": lambda rng, n, shift: rng.standard_t(3, n) + shift * math.sqrt(3.0),
    "poisson3": lambda rng, n, shift: rng.poisson(3.0, n) + np.round(shift * math.sqrt(3.0)),
}


def rate(name: str, family: str, n: int, shift: float, reps: int, tag: int) -> float:
    """Share of ``reps`` replicates flagged; ``shift`` is in standard deviations."""
    spec, draw = stats.get(name), FAMILIES[family]
    hits = 0
    for r in range(reps):
        rng = np.random.default_rng([tag, n, r])
        hits += bool(spec(draw(rng, n, 0.0), draw(rng, n, shift)).drifted)
    return hits / reps


def timing(name: str, n: int, **params: object) -> tuple[float, float]:
    """Median wall and CPU seconds of five calls at ``n`` vs ``n`` (after one warm-up)."""
    rng = np.random.default_rng(99)
    a, b = rng.normal(size=n), rng.normal(size=n)
    spec = stats.get(name)
    spec(a, b, **params)
    walls, cpus = [], []
    for _ in range(5):
        w, c = time.perf_counter(), time.process_time()
        spec(a, b, **params)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


NULL_CASES = (("normal", 100), ("normal", 500), ("normal", 2000), ("student_t3", 500),
              ("poisson3", 500))
POWER_CASES = ((500, 0.1), (500, 0.2), (500, 1.0), (2000, 0.1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few replicates, for a smoke run")
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    args = parser.parse_args()
    null_reps, power_reps = (40, 20) if args.quick else (300, 200)
    bound = ALPHA + 2 * math.sqrt(ALPHA * (1 - ALPHA) / null_reps)
    print(f"false-alarm rate at alpha={ALPHA}, {null_reps} replicates (bound {bound:.3f})")
    for name in args.methods:
        cells = [f"{fam} n={n}: {rate(name, fam, n, 0.0, null_reps, 1):.3f}"
                 for fam, n in NULL_CASES]
        print(f"  {name:16s} " + "  ".join(cells), flush=True)
    print(f"power, normal mean shift (SD), {power_reps} replicates ({power_reps // 2} at n=2000)")
    for name in args.methods:
        cells = [f"n={n} {s} SD: {rate(name, 'normal', n, s, power_reps // (n // 500), 2):.3f}"
                 for n, s in POWER_CASES]
        print(f"  {name:16s} " + "  ".join(cells), flush=True)
    print("timings at n=2000 per side (median of 5; wall / cpu seconds)")
    for name in args.methods:
        wall, cpu = timing(name, 2000)
        print(f"  {name:16s} defaults: {wall:.3f} / {cpu:.3f}", flush=True)
    if "mmd" in args.methods:
        wall, cpu = timing("mmd", 2000, max_n=2000, n_permutations=100)
        print(f"  {'mmd':16s} max_n=2000, n_permutations=100: {wall:.3f} / {cpu:.3f}")
    if "epps_singleton" in args.methods:
        wall, cpu = timing("epps_singleton", 2000, n_permutations=999)
        print(f"  {'epps_singleton':16s} n_permutations=999: {wall:.3f} / {cpu:.3f}")


if __name__ == "__main__":
    main()
