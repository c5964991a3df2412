"""BBSE under Dirichlet label shift: weight error against n, and the accuracy gain of correction.

    OMP_NUM_THREADS=1 taskset -c 1 .venv/bin/python bench/quality/bbse.py            # full run
    OMP_NUM_THREADS=1 taskset -c 1 .venv/bin/python bench/quality/bbse.py --quick    # smoke run

Issue 8. Protocol of Lipton et al. (2018): a classifier is trained once per dataset on a source
train split. Each replicate (seed) then draws

* a labelled source validation sample of ``n`` rows from a held-out source pool (by default without
  replacement), whose class shares ``p_s`` are the pool's;
* a target prior ``q ~ Dirichlet(alpha * 1)`` and ``n`` target labels ``y ~ q``, each row taken
  at random (with replacement) among the rows of its class in a separate held-out target pool,
  so ``p_t(x | y) = p_s(x | y)`` holds;

and the true weights are ``w = q / p_s``. :class:`driftline.estimation.LabelShiftEstimator` is
fitted on the source sample and estimates ``w_hat`` from the target predictions, in four
variants: hard (predicted labels) or soft (probabilities), ``regularization="rlls"`` or
``"none"``. The source sample is drawn without replacement unless ``--source-with-replacement``;
on digits, where n = 500 is most of the 600-row pool, that finite-population effect shrinks the
source error faster than 1/n and steepens the slope. The error is ``sum_j (w_hat_j - w_j)^2``.
Slopes are least-squares fits of ``log(error)`` on ``log(n)`` (BBSE theory: -1). The accuracy gain is that of
``argmax correct_probabilities(p, w_hat)`` over ``argmax p`` on the target sample, with the
oracle correction (true ``w``) for reference.

Datasets: scikit-learn's digits (1,797 rows, 10 classes; the pools limit n to 500) with a
logistic regression, and a synthetic 10-class ``make_classification`` problem (50,000 rows,
20 informative features) with a logistic regression, for n up to 10,000.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from driftline.errors import DataError
from driftline.estimation import LabelShiftEstimator, correct_probabilities

SEED = 20_240_808
ALPHAS = (0.1, 1.0, 10.0)
VARIANTS = (("hard", "rlls"), ("hard", "none"), ("soft", "rlls"), ("soft", "none"))
GRIDS = {"digits": (100, 200, 500), "synthetic": (500, 1000, 2000, 5000, 10000)}


@dataclass
class Setup:
    """A trained model's predictions on the two held-out pools."""

    name: str
    k: int
    y_val: np.ndarray
    proba_val: np.ndarray
    y_tgt: np.ndarray
    proba_tgt: np.ndarray
    source_accuracy: float


def _pools(name: str, x: np.ndarray, y: np.ndarray, sizes: tuple[float, float]) -> Setup:
    """Split into train / source validation pool / target pool; train; predict on both pools."""
    x_tr, x_rest, y_tr, y_rest = train_test_split(x, y, train_size=sizes[0], stratify=y,
                                                  random_state=SEED)
    x_val, x_tgt, y_val, y_tgt = train_test_split(x_rest, y_rest, train_size=sizes[1], stratify=y_rest,
                                                  random_state=SEED + 1)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(x_tr, y_tr)
    classes = model.classes_
    assert np.array_equal(classes, np.arange(classes.size))
    proba_val, proba_tgt = model.predict_proba(x_val), model.predict_proba(x_tgt)
    acc = float(np.mean(proba_val.argmax(axis=1) == y_val))
    return Setup(name, classes.size, y_val, proba_val, y_tgt, proba_tgt, acc)


def digits() -> Setup:
    x, y = load_digits(return_X_y=True)
    # 1,797 rows: ~600 train, ~600 source validation pool, ~600 target pool.
    return _pools("digits", x, y, (600, 600))


def synthetic() -> Setup:
    x, y = make_classification(n_samples=50_000, n_features=30, n_informative=20, n_redundant=5,
                               n_classes=10, n_clusters_per_class=1, class_sep=1.0, flip_y=0.0,
                               random_state=SEED)
    # 15,000 train, 15,000 source validation pool (n <= 10,000), 20,000 target pool.
    return _pools("synthetic", x, y, (15_000, 15_000))


def replicate(s: Setup, alpha: float, n: int, r: int, source_replace: bool = False) -> dict[str, float]:
    """One draw: errors of each variant, and target accuracies (none / per variant / oracle)."""
    rng = np.random.default_rng([SEED, int(alpha * 100), n, r])
    k = s.k
    p_s = np.bincount(s.y_val, minlength=k) / s.y_val.size
    src = rng.choice(s.y_val.size, size=n, replace=source_replace)
    q = rng.dirichlet(np.full(k, alpha))
    y_t = rng.choice(k, size=n, p=q)
    by_class = [np.flatnonzero(s.y_tgt == j) for j in range(k)]
    tgt = np.empty(n, dtype=np.int64)
    for j in range(k):
        rows = np.flatnonzero(y_t == j)
        if rows.size:
            tgt[rows] = rng.choice(by_class[j], size=rows.size, replace=True)
    w = q / p_s
    p_src, y_src = s.proba_val[src], s.y_val[src]
    p_tgt = s.proba_tgt[tgt]
    out = {"acc_base": float(np.mean(p_tgt.argmax(axis=1) == y_t)),
           "acc_oracle": float(np.mean(correct_probabilities(p_tgt, w).argmax(axis=1) == y_t))}
    classes = np.arange(k)
    for mode, reg in VARIANTS:
        key = f"{mode}-{reg}"
        src_pred = p_src.argmax(axis=1) if mode == "hard" else p_src
        tgt_pred = p_tgt.argmax(axis=1) if mode == "hard" else p_tgt
        try:
            est = LabelShiftEstimator(regularization=reg).fit(y_src, src_pred, classes=classes)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w_hat = np.asarray(est.estimate(tgt_pred).weights)
        except DataError:
            out[f"err_{key}"] = math.nan
            out[f"acc_{key}"] = math.nan
            continue
        out[f"err_{key}"] = float(np.sum((w_hat - w) ** 2))
        # correct_probabilities needs usable weights; "none" may be negative: clip for the correction.
        corrected = correct_probabilities(p_tgt, np.maximum(w_hat, 0.0))
        out[f"acc_{key}"] = float(np.mean(corrected.argmax(axis=1) == y_t))
    return out


def slope(ns: list[int], values: list[float]) -> float:
    ok = [(n, v) for n, v in zip(ns, values, strict=True) if v > 0 and math.isfinite(v)]
    if len(ok) < 2:
        return math.nan
    lx = np.log([n for n, _ in ok])
    ly = np.log([v for _, v in ok])
    return float(np.polyfit(lx, ly, 1)[0])


def run(seeds: int, quick: bool, source_replace: bool = False) -> None:
    t0 = time.perf_counter()
    with threadpool_limits(1):
        setups = [digits(), synthetic()]
    print(f"Training: {time.perf_counter() - t0:.1f} s\n")
    print("| dataset | k | source accuracy (validation pool) | pool rows (val / target) |")
    print("|---|---|---|---|")
    for s in setups:
        print(f"| {s.name} | {s.k} | {s.source_accuracy:.3f} | {s.y_val.size} / {s.y_tgt.size} |")
    keys = [f"{m}-{r}" for m, r in VARIANTS]
    results: dict[tuple[str, float, int], dict[str, np.ndarray]] = {}
    for s in setups:
        grid = GRIDS[s.name]
        if quick:
            grid = grid[:2]
        for alpha in ALPHAS:
            for n in grid:
                rows = [replicate(s, alpha, n, r, source_replace) for r in range(seeds)]
                results[(s.name, alpha, n)] = {k: np.array([row[k] for row in rows]) for k in rows[0]}
    how = "with" if source_replace else "without"
    print(f"\nTotal: {time.perf_counter() - t0:.1f} s, seeds per cell: {seeds}, source sample drawn "
          f"{how} replacement from its pool\n")

    print("## Weight error sum_j (w_hat_j - w_j)^2: mean over seeds (median in brackets)\n")
    print("| dataset | alpha | n | seeds | " + " | ".join(keys) + " |")
    print("|---|---|---|---|" + "---|" * len(keys))
    for (name, alpha, n), res in results.items():
        cells = [f"{np.nanmean(res[f'err_{k}']):.4g} ({np.nanmedian(res[f'err_{k}']):.3g})" for k in keys]
        reps = res["acc_base"].size
        print(f"| {name} | {alpha:g} | {n} | {reps} | " + " | ".join(cells) + " |")

    print("\n## Log-log slope of the error against n: of the mean (of the median)\n")
    print("| dataset | alpha | n range | " + " | ".join(keys) + " |")
    print("|---|---|---|" + "---|" * len(keys))
    for s in setups:
        for alpha in ALPHAS:
            ns = sorted(n for (name, a, n) in results if name == s.name and a == alpha)
            cells = []
            for k in keys:
                means = [float(np.nanmean(results[(s.name, alpha, n)][f"err_{k}"])) for n in ns]
                meds = [float(np.nanmedian(results[(s.name, alpha, n)][f"err_{k}"])) for n in ns]
                cells.append(f"{slope(ns, means):.2f} ({slope(ns, meds):.2f})")
            print(f"| {s.name} | {alpha:g} | {ns[0]}-{ns[-1]} | " + " | ".join(cells) + " |")

    print("\n## Target accuracy: uncorrected, and gain of correct_probabilities (mean over seeds)\n")
    print("Gains in percentage points over the uncorrected model; `none` weights clipped at 0 "
          "before the correction.\n")
    print("| dataset | alpha | n | uncorrected | " + " | ".join(f"+{k}" for k in keys) + " | +oracle w |")
    print("|---|---|---|---|" + "---|" * (len(keys) + 1))
    for (name, alpha, n), res in results.items():
        base = res["acc_base"]
        gains = [f"{100 * np.nanmean(res[f'acc_{k}'] - base):+.2f}" for k in keys]
        oracle = f"{100 * np.mean(res['acc_oracle'] - base):+.2f}"
        print(f"| {name} | {alpha:g} | {n} | {np.mean(base):.3f} | " + " | ".join(gains)
              + f" | {oracle} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="replicates per cell (default 200)")
    parser.add_argument("--quick", action="store_true", help="3 seeds, the two smallest n per dataset")
    parser.add_argument("--source-with-replacement", action="store_true",
                        help="draw the source sample with replacement from its pool (default: without, "
                             "which on digits makes n=500 of a 600-row pool nearly the whole pool)")
    args = parser.parse_args()
    run(3 if args.quick else args.seeds, args.quick, args.source_with_replacement)


if __name__ == "__main__":
    main()
