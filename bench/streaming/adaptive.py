"""Prequential quality of DriftAdaptive next to the bare model and river's DriftRetrainingClassifier.

    taskset -c 0 .venv/bin/python bench/streaming/adaptive.py
    .venv/bin/python bench/streaming/adaptive.py --seeds 3          # a quicker run
    .venv/bin/python bench/streaming/adaptive.py --defaults         # also the measurements behind
                                                                    # DriftAdaptive's default detectors

Every run is test-then-train over a seeded stream with known abrupt drifts (``--seeds``, 10):

* classification, river models, row by row: SEA (thresholds 8 → 9 → 7 → 9.5, 10 % label noise,
  a switch every 2,500 rows, 10,000 rows) and STAGGER (functions 1 → 2 → 3, a switch every
  2,000 rows, 6,000 rows). Each model runs bare, inside river 0.26's
  ``drift.DriftRetrainingClassifier`` and inside ``DriftAdaptive``, the two wrappers with the
  same detector: DDM (river's default) and HDDM_A(0.0001, 0.001) (DriftAdaptive's default).
  river's HDDMA and DDM and driftline's HDDM_A and DDM fire at the same indices on the same stream.
* classification, scikit-learn's ``SGDClassifier(average=True)`` in batches of 50 on SEA
  (features standardised with SEA's known range) and STAGGER (one-hot): bare and DriftAdaptive.
* regression: FriedmanDrift ``"gra"`` (f0 → f1 at 4,000, back to f0 at 8,000: a recurring
  concept) and ``"gsg"`` with ``transition_window=0`` (f0 → f1 → f2, abrupt, at the same rows),
  12,000 rows; bare and DriftAdaptive (default PageHinkley, and HDDM_A for comparison): river
  ``LinearRegression`` and ``HoeffdingTreeRegressor`` row by row, scikit-learn
  ``SGDRegressor(eta0=0.1, average=True)`` in batches of 50.

Columns: prequential accuracy (or MAE) over the whole stream and after the first drift, mean ±
standard deviation over seeds; swaps per run; "found" = drifts followed by a swap within 1,000
rows (1,500 for regression), over all runs; "early" = runs with a swap before the first drift;
seconds per run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from river import drift, linear_model, naive_bayes, preprocessing, tree
from sklearn.linear_model import SGDClassifier, SGDRegressor

from driftline.datasets import SEA, STAGGER, FriedmanDrift, drifting
from driftline.retrain import DriftAdaptive
from driftline.streaming import DDM, HDDM_A, PageHinkley

BATCH = 50


def sea(seed: int) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    concepts = [SEA(t, noise=0.1, seed=1000 * k + seed) for k, t in enumerate(SEA.THRESHOLDS)]
    X, y = drifting(*concepts, position=[2_500, 5_000, 7_500]).take(10_000)
    return X, y.to_numpy(), [2_500, 5_000, 7_500]


def stagger(seed: int) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    concepts = [STAGGER(f, seed=1000 * f + seed) for f in (1, 2, 3)]
    X, y = drifting(*concepts, position=[2_000, 4_000]).take(6_000)
    return X, y.to_numpy(), [2_000, 4_000]


def friedman_gra(seed: int) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    X, y = FriedmanDrift("gra", position=(4_000, 8_000), seed=seed).take(12_000)
    return X, y.to_numpy(), [4_000, 8_000]


def friedman_gsg(seed: int) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    X, y = FriedmanDrift("gsg", position=(4_000, 8_000), transition_window=0, seed=seed).take(12_000)
    return X, y.to_numpy(), [4_000, 8_000]


# -- running one model over one stream ------------------------------------------------------

def run_rows(model: Any, X: pd.DataFrame, y: np.ndarray, regression: bool) -> tuple[np.ndarray, list[int]]:
    """Per-row loss (0/1 or |residual|) and the rows where the model in use changed."""
    out, swaps = np.full(len(y), np.nan), []
    current = getattr(model, "model", None)
    for i, (x, target) in enumerate(zip(X.to_dict("records"), y.tolist(), strict=True)):
        p = model.predict_one(x)
        if p is not None:
            out[i] = abs(target - p) if regression else float(p != target)
        model.learn_one(x, target)
        now = getattr(model, "model", None)
        if now is not current:
            swaps.append(i)
            current = now
    return out, swaps


def run_batches(model: Any, X: np.ndarray, y: np.ndarray, regression: bool,
                fit: dict[str, Any]) -> tuple[np.ndarray, list[int]]:
    out = np.full(len(y), np.nan)
    wrapped = isinstance(model, DriftAdaptive)
    for a in range(0, len(y), BATCH):
        Xb, yb = X[a:a + BATCH], y[a:a + BATCH]
        if a:
            p = (model.predict_many if wrapped else model.predict)(Xb).astype(float)
            out[a:a + BATCH] = np.abs(p - yb) if regression else (p != yb)
        if wrapped:
            model.learn_many(Xb, yb)
        else:
            model.partial_fit(Xb, yb, **fit)
    return out, [s.index for s in model.swaps] if wrapped else []


# -- the cases ----------------------------------------------------------------------------

def river_classifiers(stream: str) -> dict[str, Callable[[], Any]]:
    if stream == "SEA":
        return {"GaussianNB": naive_bayes.GaussianNB, "HoeffdingTree": tree.HoeffdingTreeClassifier,
                "Scaler|LogReg": lambda: preprocessing.StandardScaler() | linear_model.LogisticRegression()}
    return {"HoeffdingTree": tree.HoeffdingTreeClassifier,
            "OneHot|LogReg": lambda: preprocessing.OneHotEncoder() | linear_model.LogisticRegression()}


def classification_variants(make: Callable[[], Any]) -> dict[str, Callable[[], Any]]:
    return {
        "bare": make,
        "river DriftRetraining + DDM": lambda: drift.DriftRetrainingClassifier(make(), drift.binary.DDM()),
        "DriftAdaptive + DDM": lambda: DriftAdaptive(make(), DDM()),
        "river DriftRetraining + HDDM_A": lambda: drift.DriftRetrainingClassifier(
            make(), drift.binary.HDDMA(0.0001, 0.001)),
        "DriftAdaptive (default: HDDM_A)": lambda: DriftAdaptive(make()),
    }


def sgd_classifier() -> SGDClassifier:
    return SGDClassifier(average=True, random_state=0)


def prepare_sklearn(stream: str, X: pd.DataFrame) -> np.ndarray:
    if stream == "SEA":
        return ((X - 5.0) / 2.9).to_numpy()
    return pd.get_dummies(X).astype(float).to_numpy()


def cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for stream, make_stream in (("SEA", sea), ("STAGGER", stagger)):
        for mname, make in river_classifiers(stream).items():
            for vname, variant in classification_variants(make).items():
                out.append({"stream": stream, "model": mname, "variant": vname, "make": variant,
                            "data": make_stream, "kind": "rows", "regression": False})
        sgd_variants = {"bare": sgd_classifier, "DriftAdaptive (default: HDDM_A)":
                        lambda: DriftAdaptive(sgd_classifier(), classes=[0, 1])}
        for vname, variant in sgd_variants.items():
            out.append({"stream": stream, "model": "sklearn SGDClassifier(average)", "variant": vname,
                        "make": variant, "data": make_stream, "kind": "batches", "regression": False,
                        "fit": {"classes": [0, 1]}})
    regressors: dict[str, tuple[Callable[[], Any], str]] = {
        "river LinearRegression": (linear_model.LinearRegression, "rows"),
        "river HoeffdingTreeRegressor": (tree.HoeffdingTreeRegressor, "rows"),
        "sklearn SGDRegressor(average)": (lambda: SGDRegressor(eta0=0.1, average=True, random_state=0),
                                          "batches"),
    }
    for (stream, make_stream), (mname, (make, kind)) in itertools.product(
            (("FriedmanDrift gra", friedman_gra), ("FriedmanDrift gsg", friedman_gsg)), regressors.items()):
        variants = {"bare": make,
                    "DriftAdaptive (default: PageHinkley up)": lambda make=make: DriftAdaptive(make()),
                    "DriftAdaptive + HDDM_A": lambda make=make: DriftAdaptive(make(), HDDM_A())}
        for vname, variant in variants.items():
            out.append({"stream": stream, "model": mname, "variant": vname, "make": variant,
                        "data": make_stream, "kind": kind, "regression": True, "fit": {}})
    return out


def evaluate(case: dict[str, Any], seeds: int) -> dict[str, Any]:
    whole, after, n_swaps, found, early, seconds = [], [], [], 0, 0, []
    window = 1_500 if case["regression"] else 1_000
    for seed in range(seeds):
        X, y, points = case["data"](seed)
        t0 = time.perf_counter()
        if case["kind"] == "rows":
            loss, swaps = run_rows(case["make"](), X, y, case["regression"])
        else:
            Xs = X.to_numpy() if case["regression"] else prepare_sklearn(case["stream"], X)
            loss, swaps = run_batches(case["make"](), Xs, y, case["regression"], case["fit"])
        seconds.append(time.perf_counter() - t0)
        whole.append(_score(loss, case["regression"]))
        after.append(_score(loss[points[0]:], case["regression"]))
        n_swaps.append(len(swaps))
        found += sum(any(p <= s <= p + window for s in swaps) for p in points)
        early += any(s < points[0] for s in swaps)
    return {**{k: case[k] for k in ("stream", "model", "variant", "regression")}, "whole": whole,
            "after": after, "swaps": statistics.mean(n_swaps), "found": f"{found}/{seeds * len(points)}",
            "early": f"{early}/{seeds}", "seconds": statistics.mean(seconds)}


def _score(loss: np.ndarray, regression: bool) -> float:
    """MAE, or accuracy, over the rows that were predicted."""
    mean = float(np.nanmean(loss))
    return mean if regression else 1 - mean


def fmt(values: list[float], pct: bool) -> str:
    m, s = statistics.mean(values), statistics.pstdev(values)
    return f"{100 * m:.1f} ± {100 * s:.1f}" if pct else f"{m:.3f} ± {s:.3f}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| stream | model | variant | accuracy % (MAE) | after 1st drift | swaps/run | found | early "
             "| s/run |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        pct = not r["regression"]
        lines.append(f"| {r['stream']} | {r['model']} | {r['variant']} | {fmt(r['whole'], pct)} | "
                     f"{fmt(r['after'], pct)} | {r['swaps']:.1f} | {r['found']} | {r['early']} | "
                     f"{r['seconds']:.2f} |")
    return "\n".join(lines)


# -- the measurements behind the defaults ---------------------------------------------------

def defaults_table(streams: int) -> str:
    """Stationary 5,000-value error-bit streams: the share on which each detector fires, and its
    median delay on a rise of 0.15 at value 2,000."""
    dets: dict[str, Callable[[], Any]] = {"DDM": DDM, "HDDM_A(0.001)": HDDM_A,
                                          "HDDM_A(0.0001, 0.001)": lambda: HDDM_A(0.0001, 0.001)}
    lines = ["| error rate | detector | fires on stationary streams | median delay (+0.15) |",
             "|---:|---|---:|---:|"]
    for p in (0.03, 0.1, 0.2, 0.3):
        for name, make in dets.items():
            fired, delays = 0, []
            for s in range(streams):
                rng = np.random.default_rng([s, round(100 * p)])
                fired += len(make().update_many((rng.random(5_000) < p).astype(float))) > 0
                shifted = np.r_[rng.random(2_000) < p, rng.random(3_000) < p + 0.15].astype(float)
                hits = [int(i) - 2_000 for i in make().update_many(shifted) if i >= 2_000]
                delays.append(hits[0] if hits else 3_000)
            lines.append(f"| {p} | {name} | {100 * fired / streams:.1f} % | {statistics.median(delays):g} |")
    return "\n".join(lines)


def regression_defaults_table(seeds: int) -> str:
    """The bounded regression loss of SGDRegressor(eta0=0.1, average=True) on FriedmanDrift:
    runs with a swap on stationary streams (f0 only, 6,000 rows) and drifts found within 1,500
    rows of a switch at 3,000 (6,000 rows)."""
    dets: dict[str, Callable[[], Any]] = {"PageHinkley(mode='up')": lambda: PageHinkley(mode="up"),
                                          "HDDM_A(0.001)": HDDM_A,
                                          "HDDM_A(0.0001, 0.001)": lambda: HDDM_A(0.0001, 0.001)}
    model = lambda: SGDRegressor(eta0=0.1, average=True, random_state=0)  # noqa: E731
    lines = ["| detector | stationary runs with a swap | drifts found within 1,500 rows | median delay |",
             "|---|---:|---:|---:|"]
    for name, make in dets.items():
        fired, delays = 0, []
        for s in range(seeds):
            for position in (10**6, 3_000):
                X, y = FriedmanDrift("gra", position=(position, 2 * 10**6), seed=s).take(6_000)
                wrapped = DriftAdaptive(model(), make())
                run_batches(wrapped, X.to_numpy(), y.to_numpy(), True, {})
                if position > 6_000:
                    fired += len(wrapped.swaps) > 0
                else:
                    after = [w.index - position for w in wrapped.swaps if w.index >= position]
                    delays.append(after[0] if after else 3_000)
        found = sum(d <= 1_500 for d in delays)
        lines.append(f"| {name} | {fired}/{seeds} | {found}/{seeds} | {statistics.median(delays):g} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeded streams per case (default 10)")
    ap.add_argument("--defaults", action="store_true", help="also the measurements behind the defaults")
    ap.add_argument("--default-streams", type=int, default=200, help="error-bit streams per cell (200)")
    ap.add_argument("--default-seeds", type=int, default=40, help="regression streams per cell (40)")
    args = ap.parse_args()
    print(f"# started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load average {os.getloadavg()[0]:.2f}",
          flush=True)
    rows = [evaluate(case, args.seeds) for case in cases()]
    print(table(rows), flush=True)
    if args.defaults:
        print()
        print(defaults_table(args.default_streams))
        print()
        print(regression_defaults_table(args.default_seeds))


if __name__ == "__main__":
    main()
