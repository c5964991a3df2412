"""Uncapped p-values against permutation p-values: Anderson–Darling and Kuiper.

Run: .venv/bin/python bench/pvalue_validation.py [ad] [kuiper]   (about 10 minutes for both)

Anderson–Darling is compared with SciPy's own permutation p-value
(``anderson_ksamp(..., method=PermutationMethod(...))``) and its capped interpolation; Kuiper
(no SciPy function) with a vectorised relabelling of the pooled sample.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable

import numpy as np
import scipy.stats as ss

from driftline import stats

Maker = Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray]]

AD_CASES: list[tuple[str, int, int, Maker, int]] = [
    ("normal 30/30 shift .5", 30, 30, lambda r, n, m: (r.normal(size=n), r.normal(.5, 1, m)), 20_000),
    ("normal 50/50 shift .6", 50, 50, lambda r, n, m: (r.normal(size=n), r.normal(.6, 1, m)), 50_000),
    ("normal 50/50 scale 2", 50, 50, lambda r, n, m: (r.normal(size=n), r.normal(0, 2, m)), 100_000),
    ("int0-5 40/60 shift", 40, 60,
     lambda r, n, m: (r.integers(0, 6, n) * 1.0, r.integers(1, 7, m) * 1.0), 100_000),
    ("normal 50/50 shift .95", 50, 50, lambda r, n, m: (r.normal(size=n), r.normal(.95, 1, m)),
     300_000),
    ("normal 100/100 shift .6", 100, 100,
     lambda r, n, m: (r.normal(size=n), r.normal(.6, 1, m)), 300_000),
]
KUIPER_CASES = [(20, 20, 1.8, 1), (20, 20, 2.6, 2), (50, 40, 1.7, 3), (50, 40, 2.3, 4),
                (200, 150, 1.3, 5), (200, 150, 1.55, 6)]


def se(p: float, resamples: int) -> float:
    p = max(p, 1 / resamples)
    return math.sqrt(p * (1 - p) / resamples)


def anderson_darling() -> None:
    warnings.simplefilter("ignore", UserWarning)
    for i, (label, n, m, make, resamples) in enumerate(AD_CASES):
        x, y = make(np.random.default_rng(100 + i), n, m)
        ours = stats.anderson_darling(x, y).p_value
        assert ours is not None
        interp = ss.anderson_ksamp([x, y], variant="midrank").pvalue
        method = ss.PermutationMethod(n_resamples=resamples, random_state=7)
        perm = ss.anderson_ksamp([x, y], variant="midrank", method=method).pvalue
        print(f"AD {label:24s} ours={ours:.3e} permutation={perm:.3e} (R={resamples}, "
              f"se={se(perm, resamples):.1e}) scipy_capped_interp={interp:.3e}", flush=True)


def kuiper_permutation_p(ref: np.ndarray, cur: np.ndarray, resamples: int, seed: int) -> float:
    pooled = np.concatenate([ref, cur])
    order = np.argsort(pooled, kind="stable")
    last = np.append(pooled[order][1:] != pooled[order][:-1], True)

    def v(is_ref: np.ndarray) -> np.ndarray:
        walk = np.cumsum(np.where(is_ref, 1 / ref.size, -1 / cur.size), axis=1)[:, last]
        return np.maximum(walk.max(axis=1), 0) + np.maximum(-walk.min(axis=1), 0)

    observed = v((order < ref.size)[None, :])[0]
    rng, hits = np.random.default_rng(seed), 0
    for start in range(0, resamples, 20_000):
        size = min(20_000, resamples - start)
        labels = rng.permuted(np.tile(np.arange(pooled.size) < ref.size, (size, 1)), axis=1)
        hits += int(np.sum(v(labels) >= observed * (1 - 1e-12)))
    return (1 + hits) / (1 + resamples)


def kuiper(resamples: int = 400_000) -> None:
    for n, m, scale, seed in KUIPER_CASES:
        rng = np.random.default_rng(seed)
        ref, cur = rng.normal(size=n), rng.normal(0, scale, m)
        got = stats.kuiper(ref, cur)
        assert got.p_value is not None
        perm = kuiper_permutation_p(ref, cur, resamples, seed)
        print(f"Kuiper n={n} m={m} V={got.statistic:.4f} asymptotic={got.p_value:.3e} "
              f"permutation={perm:.3e} (R={resamples}, se={se(perm, resamples):.1e}) "
              f"ratio={got.p_value / perm:.2f}", flush=True)


if __name__ == "__main__":
    chosen = set(sys.argv[1:]) or {"ad", "kuiper"}
    if "ad" in chosen:
        anderson_darling()
    if "kuiper" in chosen:
        kuiper()
