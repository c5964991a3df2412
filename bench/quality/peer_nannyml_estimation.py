"""NannyML 0.13 side of the estimation benchmark (run in bench/.venv-nannyml; no driftline import).

    bench/.venv-nannyml/bin/python bench/quality/peer_nannyml_estimation.py export --out DIR
    bench/.venv-nannyml/bin/python bench/quality/peer_nannyml_estimation.py quality --data DIR --out FILE
    bench/.venv-nannyml/bin/python bench/quality/peer_nannyml_estimation.py speed --data DIR --out FILE

``export`` writes NannyML's bundled synthetic datasets (car loan, the 3-class set, car price), each
as ``<name>_reference.parquet`` and ``<name>_analysis.parquet`` with the analysis-period ground
truth merged in, and the speed set: 50k reference + 500k analysis rows resampled with replacement
(seeded) from car loan. ``quality`` runs CBPE (classification) and DLE (regression) on each
dataset and writes per-chunk estimates (and NannyML's own realized values) as JSON. ``speed``
times CBPE ``fit`` and ``estimate`` on the speed set in process CPU time. The orchestrator,
``estimation_nannyml.py``, reads the same files, so both tools see the same rows and chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pd.set_option("future.infer_string", False)  # NannyML's DLE fails on pandas 3 string columns

import nannyml as nml

warnings.filterwarnings("ignore")

MULTICLASS = ("highstreet_card", "prepaid_card", "upmarket_card")
CLASSIFICATION_METRICS = ["roc_auc", "accuracy", "f1", "precision", "recall"]
REGRESSION_METRICS = ["mae", "mse", "rmse"]
CAR_PRICE_FEATURES = [
    "car_age",
    "km_driven",
    "price_new",
    "accident_count",
    "door_count",
    "fuel",
    "transmission",
]
# Chunk sizes of NannyML's own tutorials for these datasets.
DATASETS: dict[str, dict[str, Any]] = {
    "car_loan": {
        "loader": "load_synthetic_car_loan_dataset",
        "target": "repaid",
        "chunk_size": 5000,
        "task": "binary",
    },
    "multiclass": {
        "loader": "load_synthetic_multiclass_classification_dataset",
        "target": "y_true",
        "chunk_size": 6000,
        "task": "multiclass",
    },
    "car_price": {
        "loader": "load_synthetic_car_price_dataset",
        "target": "y_true",
        "chunk_size": 6000,
        "task": "regression",
    },
}
SPEED_REFERENCE, SPEED_ANALYSIS, SPEED_CHUNK, SPEED_SEED = 50_000, 500_000, 5000, 20261126


def export(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    frames = {}
    for name, spec in DATASETS.items():
        reference, analysis, targets = getattr(nml, spec["loader"])()
        analysis = analysis.merge(targets, on="id", how="left", validate="one_to_one")
        if analysis[spec["target"]].isna().any():
            raise SystemExit(f"{name}: analysis rows without ground truth")
        reference.to_parquet(out / f"{name}_reference.parquet", index=False)
        analysis.to_parquet(out / f"{name}_analysis.parquet", index=False)
        frames[name] = (reference, analysis)
    reference, analysis = frames["car_loan"]
    rng = np.random.default_rng(SPEED_SEED)
    ref = reference.iloc[rng.integers(0, len(reference), SPEED_REFERENCE)].reset_index(drop=True)
    ana = analysis.iloc[rng.integers(0, len(analysis), SPEED_ANALYSIS)].reset_index(drop=True)
    ref.to_parquet(out / "speed_reference.parquet", index=False)
    ana.to_parquet(out / "speed_analysis.parquet", index=False)
    meta = {
        "datasets": {
            k: {**v, "rows_reference": len(frames[k][0]), "rows_analysis": len(frames[k][1])}
            for k, v in DATASETS.items()
        },
        "speed": {
            "rows_reference": SPEED_REFERENCE,
            "rows_analysis": SPEED_ANALYSIS,
            "chunk_size": SPEED_CHUNK,
            "seed": SPEED_SEED,
        },
        "classes": list(MULTICLASS),
        "car_price_features": CAR_PRICE_FEATURES,
        "nannyml": nml.__version__,
        "pandas": pd.__version__,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1))


def estimator(name: str, chunk_size: int) -> Any:
    if name in ("car_loan", "speed"):
        return nml.CBPE(
            y_pred_proba="y_pred_proba",
            y_pred="y_pred",
            y_true="repaid",
            problem_type="classification_binary",
            metrics=CLASSIFICATION_METRICS,
            chunk_size=chunk_size,
        )
    if name == "multiclass":
        return nml.CBPE(
            y_pred_proba={c: f"y_pred_proba_{c}" for c in MULTICLASS},
            y_pred="y_pred",
            y_true="y_true",
            problem_type="classification_multiclass",
            metrics=CLASSIFICATION_METRICS,
            chunk_size=chunk_size,
        )
    return nml.DLE(
        feature_column_names=CAR_PRICE_FEATURES,
        y_pred="y_pred",
        y_true="y_true",
        metrics=REGRESSION_METRICS,
        chunk_size=chunk_size,
    )


def per_chunk(result: Any, metrics: list[str]) -> dict[str, Any]:
    df = result.filter(period="analysis").to_df()
    out: dict[str, Any] = {
        "start": df[("chunk", "start_index")].astype(int).tolist(),
        "end": df[("chunk", "end_index")].astype(int).tolist(),
    }
    for m in metrics:
        out[m] = {
            "value": df[(m, "value")].astype(float).tolist(),
            "realized": df[(m, "realized")].astype(float).tolist() if (m, "realized") in df else None,
        }
    return out


def quality(data: Path, out: Path) -> None:
    report: dict[str, Any] = {"nannyml": nml.__version__, "datasets": {}}
    for name, spec in DATASETS.items():
        reference = pd.read_parquet(data / f"{name}_reference.parquet")
        analysis = pd.read_parquet(data / f"{name}_analysis.parquet")
        est = estimator(name, spec["chunk_size"])
        c0 = time.process_time()
        est.fit(reference)
        c1 = time.process_time()
        result = est.estimate(analysis)
        c2 = time.process_time()
        metrics = REGRESSION_METRICS if spec["task"] == "regression" else CLASSIFICATION_METRICS
        entry = per_chunk(result, metrics)
        entry.update(fit_cpu=c1 - c0, estimate_cpu=c2 - c1)
        if spec["task"] == "binary":
            entry["needs_calibration"] = bool(est.needs_calibration)
        elif spec["task"] == "multiclass":  # decided per class (one-vs-rest ECE test)
            entry["needs_calibration"] = {
                str(c): type(cal).__name__ != "NoopCalibrator" for c, cal in est._calibrators.items()
            }
        report["datasets"][name] = entry
    out.write_text(json.dumps(report))


def speed(data: Path, out: Path, repeats: int) -> None:
    reference = pd.read_parquet(data / "speed_reference.parquet")
    analysis = pd.read_parquet(data / "speed_analysis.parquet").drop(columns=["repaid"])  # no realized
    fits, estimates, n_chunks = [], [], 0
    for _ in range(repeats):
        est = estimator("speed", SPEED_CHUNK)
        c0 = time.process_time()
        est.fit(reference)
        c1 = time.process_time()
        result = est.estimate(analysis)
        c2 = time.process_time()
        fits.append(c1 - c0)
        estimates.append(c2 - c1)
        n_chunks = len(result.filter(period="analysis").to_df())
    out.write_text(
        json.dumps(
            {
                "fit_cpu": fits,
                "estimate_cpu": estimates,
                "n_chunks": n_chunks,
                "metrics": CLASSIFICATION_METRICS,
                "nannyml": nml.__version__,
                "affinity": sorted(os.sched_getaffinity(0)),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("export", "quality", "speed"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.mode == "export":
        export(args.out)
    elif args.data is None:
        sys.exit("--data is required")
    elif args.mode == "quality":
        quality(args.data, args.out)
    else:
        speed(args.data, args.out, args.repeats)


if __name__ == "__main__":
    main()
