"""Performance estimation against NannyML 0.13: CBPE / DLE accuracy per chunk, and CBPE speed.

    bash bench/setup_peers.sh nannyml                       # once: bench/.venv-nannyml
    .venv/bin/python bench/quality/estimation_nannyml.py    # quality + speed (a few minutes)
    .venv/bin/python bench/quality/estimation_nannyml.py --skip-speed
    .venv/bin/python bench/quality/estimation_nannyml.py --profile   # adds a cProfile of our speed run

Issue 8. The peer script ``peer_nannyml_estimation.py`` runs in NannyML's own venv: it exports
NannyML's bundled synthetic datasets (car loan, the 3-class set, car price; analysis with ground
truth) to parquet in a temp dir and writes NannyML's per-chunk estimates as JSON. This script
then runs driftline's ``CBPE`` / ``DLE`` on the same rows and the same chunks (NannyML's own
``start_index``/``end_index``, chunk sizes of NannyML's tutorials), computes each chunk's
realized metric from the ground truth with scikit-learn, and reports the mean absolute error
of estimated against realized for both tools. Target: ours <= NannyML's + 0.001 (ROC AUC).

Speed: 50k reference + 500k analysis rows resampled (seeded, with replacement) from car loan,
chunks of 5,000, the same five metrics both sides; fit and estimate timed in process CPU time,
best of ``--repeats``, each tool in its own process pinned with ``taskset -c 1`` and
``OMP_NUM_THREADS=1``. Target: NannyML's time / ours >= 3.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from driftline.estimation import CBPE, DLE

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEER = HERE / "peer_nannyml_estimation.py"
PEER_PYTHON = ROOT / "bench" / ".venv-nannyml" / "bin" / "python"
TOLERANCE = 0.001
SPEED_TARGET = 3.0
REPORTED = {
    "binary": ("roc_auc", "accuracy", "f1"),
    "multiclass": ("roc_auc", "accuracy", "f1"),
    "regression": ("mae", "rmse", "mse"),
}
NANNYML_QUOTED = {"car_loan": 0.0021, "multiclass": 0.034}  # bench PEERS.md, ROC AUC


def peer(*args: str, pin: bool = False) -> None:
    env = {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1"}
    cmd = [str(PEER_PYTHON), str(PEER), *args]
    if pin:
        env["OMP_NUM_THREADS"] = "1"
        cmd = ["taskset", "-c", "1", *cmd]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"peer {args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")


# ---------------------------------------------------------------- quality


def realized(
    task: str, y: np.ndarray, pred: np.ndarray, scores: np.ndarray, classes: list[str]
) -> dict[str, float]:
    if task == "regression":
        err = y - pred
        mse = float(np.mean(err**2))
        return {"mae": float(np.mean(np.abs(err))), "mse": mse, "rmse": math.sqrt(mse)}
    if task == "binary":
        return {
            "roc_auc": float(roc_auc_score(y, scores)),
            "accuracy": float(accuracy_score(y, pred)),
            "f1": float(f1_score(y, pred, pos_label=1)),
        }
    return {
        "roc_auc": float(roc_auc_score(y, scores, multi_class="ovr", average="macro", labels=classes)),
        "accuracy": float(accuracy_score(y, pred)),
        "f1": float(f1_score(y, pred, average="macro", labels=classes)),
    }


def car_price_features(frame: pd.DataFrame, reference: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Numeric columns as they are; categories as integer codes in the reference's sorted order."""
    cols = []
    for name in names:
        if pd.api.types.is_numeric_dtype(reference[name]):
            cols.append(frame[name].to_numpy(dtype=float))
        else:
            levels = sorted(reference[name].astype(str).unique())
            cols.append(pd.Categorical(frame[name].astype(str), categories=levels).codes.astype(float))
    return np.column_stack(cols)


def driftline_dataset(
    name: str, spec: dict[str, Any], meta: dict[str, Any], chunks: list[tuple[int, int]], data: Path
) -> dict[str, Any]:
    """Fit on the reference, estimate each chunk; per chunk the estimate and the realized values."""
    reference = pd.read_parquet(data / f"{name}_reference.parquet")
    analysis = pd.read_parquet(data / f"{name}_analysis.parquet")
    task, target, classes = spec["task"], spec["target"], meta["classes"]
    if task == "regression":
        feats = meta["car_price_features"]
        c0 = time.process_time()
        model = DLE().fit(
            car_price_features(reference, reference, feats),
            reference["y_pred"].to_numpy(float),
            reference[target].to_numpy(float),
        )
        c1 = time.process_time()
        x, pred = car_price_features(analysis, reference, feats), analysis["y_pred"].to_numpy(float)
        estimates = [model.estimate(x[a:b], pred[a:b]) for a, b in chunks]
        c2 = time.process_time()
        y, scores = analysis[target].to_numpy(float), None
    else:
        if task == "binary":
            ref_scores, scores = (
                reference["y_pred_proba"].to_numpy(float),
                analysis["y_pred_proba"].to_numpy(float),
            )
            ref_y, y = reference[target].to_numpy().astype(int), analysis[target].to_numpy().astype(int)
            pred, kw = analysis["y_pred"].to_numpy().astype(int), {}
        else:
            cols = [f"y_pred_proba_{c}" for c in classes]
            ref_scores, scores = reference[cols].to_numpy(float), analysis[cols].to_numpy(float)
            ref_y, y = reference[target].astype(str).to_numpy(), analysis[target].astype(str).to_numpy()
            pred, kw = analysis["y_pred"].astype(str).to_numpy(), {"classes": classes}
        c0 = time.process_time()
        model = CBPE(**kw).fit(ref_scores, ref_y)
        c1 = time.process_time()
        estimates = [model.estimate(scores[a:b], pred[a:b]) for a, b in chunks]
        c2 = time.process_time()
    rows = []
    for (a, b), est in zip(chunks, estimates, strict=True):
        real = realized(task, y[a:b], pred[a:b], None if scores is None else scores[a:b], classes)
        rows.append(
            {
                "estimated": {m: est[m].value for m in real},
                "lower": {m: est[m].lower for m in real},
                "upper": {m: est[m].upper for m in real},
                "realized": real,
            }
        )
    out: dict[str, Any] = {"chunks": rows, "fit_cpu": c1 - c0, "estimate_cpu": c2 - c1}
    if task != "regression":
        out["calibrated"] = model.calibrated
    return out


def quality(data: Path, meta: dict[str, Any], nml: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, spec in meta["datasets"].items():
        peer_entry = nml["datasets"][name]
        # NannyML's end_index is inclusive.
        chunks = [(a, b + 1) for a, b in zip(peer_entry["start"], peer_entry["end"], strict=True)]
        ours = driftline_dataset(name, spec, meta, chunks, data)
        table = {}
        for m in REPORTED[spec["task"]]:
            real = np.array([r["realized"][m] for r in ours["chunks"]])
            est_ours = np.array([r["estimated"][m] for r in ours["chunks"]])
            est_nml = np.array(peer_entry[m]["value"], dtype=float)
            nml_real = peer_entry[m]["realized"]
            inside = [
                r["lower"][m] is not None and r["lower"][m] <= r["realized"][m] <= r["upper"][m]
                for r in ours["chunks"]
            ]
            table[m] = {
                "mae_driftline": float(np.mean(np.abs(est_ours - real))),
                "mae_nannyml": float(np.mean(np.abs(est_nml - real))),
                "max_abs_driftline": float(np.max(np.abs(est_ours - real))),
                "max_abs_nannyml": float(np.max(np.abs(est_nml - real))),
                "realized_check": None
                if nml_real is None
                else float(np.max(np.abs(np.array(nml_real) - real))),
                "band_coverage": f"{sum(inside)}/{len(inside)}",
                "per_chunk": {
                    "realized": real.tolist(),
                    "driftline": est_ours.tolist(),
                    "nannyml": est_nml.tolist(),
                },
            }
        results[name] = {
            "task": spec["task"],
            "chunk_size": spec["chunk_size"],
            "n_chunks": len(chunks),
            "metrics": table,
            "calibrated_driftline": ours.get("calibrated"),
            "calibrated_nannyml": peer_entry.get("needs_calibration"),
            "cpu_driftline": (ours["fit_cpu"], ours["estimate_cpu"]),
            "cpu_nannyml": (peer_entry["fit_cpu"], peer_entry["estimate_cpu"]),
        }
    return results


# ---------------------------------------------------------------- speed


def speed_worker(data: Path, out: Path, repeats: int, chunk: int, profile: bool, n_sim: int) -> None:
    """Our side of the speed run, in its own (pinned) process, like the peer's."""
    reference = pd.read_parquet(data / "speed_reference.parquet")
    analysis = pd.read_parquet(data / "speed_analysis.parquet").drop(columns=["repaid"])
    fits, estimates = [], []

    def once() -> None:
        c0 = time.process_time()
        cbpe = CBPE(n_sim=n_sim).fit(
            reference["y_pred_proba"].to_numpy(float), reference["repaid"].to_numpy().astype(int)
        )
        c1 = time.process_time()
        scores, pred = analysis["y_pred_proba"].to_numpy(float), analysis["y_pred"].to_numpy()
        for start in range(0, len(scores), chunk):
            cbpe.estimate(scores[start : start + chunk], pred[start : start + chunk])
        c2 = time.process_time()
        fits.append(c1 - c0)
        estimates.append(c2 - c1)

    once()  # also imports scikit-learn's isotonic module, outside the timed repeats below
    fits.clear()
    estimates.clear()
    for _ in range(repeats):
        once()
    text = ""
    if profile:
        prof = cProfile.Profile()
        prof.runcall(once)
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(14)
        text = buf.getvalue()
    out.write_text(
        json.dumps(
            {
                "fit_cpu": fits[:repeats],
                "estimate_cpu": estimates[:repeats],
                "affinity": sorted(os.sched_getaffinity(0)),
                "profile": text,
            }
        )
    )


def speed(data: Path, meta: dict[str, Any], repeats: int, profile: bool) -> dict[str, Any]:
    chunk = meta["speed"]["chunk_size"]
    peer(
        "speed",
        "--data",
        str(data),
        "--out",
        str(data / "nml_speed.json"),
        "--repeats",
        str(repeats),
        pin=True,
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        "taskset",
        "-c",
        "1",
        sys.executable,
        str(Path(__file__).resolve()),
        "--speed-worker",
        "--data",
        str(data),
        "--repeats",
        str(repeats),
        "--chunk",
        str(chunk),
    ] + (["--profile"] if profile else [])
    subprocess.run(cmd, env=env, check=True)
    nml = json.loads((data / "nml_speed.json").read_text())
    ours = json.loads((data / "dl_speed.json").read_text())
    # Not the default: n_sim=10 shows what the point estimates cost without the bootstrap bands.
    subprocess.run([c for c in cmd if c != "--profile"] + ["--n-sim", "10"], env=env, check=True)
    floor = json.loads((data / "dl_speed.json").read_text())
    best = {}
    for tool, d in (("nannyml", nml), ("driftline", ours), ("driftline_nsim10", floor)):
        totals = [f + e for f, e in zip(d["fit_cpu"], d["estimate_cpu"], strict=True)]
        best[tool] = {
            "fit": min(d["fit_cpu"]),
            "estimate": min(d["estimate_cpu"]),
            "total": min(totals),
            "runs": len(totals),
            "affinity": d["affinity"],
        }
    return {
        "best": best,
        "ratio": best["nannyml"]["total"] / best["driftline"]["total"],
        "n_chunks": nml["n_chunks"],
        "profile": ours["profile"],
        "meta": meta["speed"],
    }


# ---------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def report(q: dict[str, Any] | None, s: dict[str, Any] | None, meta: dict[str, Any]) -> str:
    lines = [
        f"NannyML {meta['nannyml']} (pandas {meta['pandas']}) vs driftline; `uptime`: "
        f"{subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}",
        "",
    ]
    if q:
        lines += [
            "### Accuracy: mean absolute error of estimated vs realized, per chunk (analysis period)",
            "",
            "| dataset | chunks | metric | driftline MAE | NannyML MAE | driftline max | NannyML max "
            "| our band covers | target (ours ≤ NannyML + 0.001) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, r in q.items():
            for m, t in r["metrics"].items():
                target = (
                    verdict(t["mae_driftline"] <= t["mae_nannyml"] + TOLERANCE) if m == "roc_auc" else "–"
                )
                lines.append(
                    f"| {name} | {r['n_chunks']} × {r['chunk_size']} | {m} | {t['mae_driftline']:.4g} | "
                    f"{t['mae_nannyml']:.4g} | {t['max_abs_driftline']:.4g} | {t['max_abs_nannyml']:.4g} | "
                    f"{t['band_coverage']} | {target} |"
                )
        lines += [
            "",
            "Calibration chosen (driftline / NannyML needs_calibration): "
            + ", ".join(
                f"{n}: {r['calibrated_driftline']} / {r['calibrated_nannyml']}"
                for n, r in q.items()
                if r["task"] != "regression"
            ),
            "Realized metrics: ours (scikit-learn) vs NannyML's own realized, max abs difference: "
            + ", ".join(
                f"{n}/{m}: {t['realized_check']:.2g}"
                for n, r in q.items()
                for m, t in r["metrics"].items()
                if t["realized_check"] is not None
            ),
            "Quoted NannyML ROC AUC MAE (PEERS.md): "
            + ", ".join(f"{k} {v}" for k, v in NANNYML_QUOTED.items()),
            "",
            "CPU seconds on these datasets (fit + estimate, unpinned, one run): "
            + ", ".join(
                f"{n}: driftline {sum(r['cpu_driftline']):.2f}, NannyML {sum(r['cpu_nannyml']):.2f}"
                for n, r in q.items()
            ),
            "",
        ]
    if s:
        b, sm = s["best"], s["meta"]
        lines += [
            f"### Speed: CBPE, {sm['rows_reference']:,} reference + {sm['rows_analysis']:,} analysis rows "
            f"({s['n_chunks']} chunks of {sm['chunk_size']:,}), process CPU s, "
            f"best of {b['driftline']['runs']}, "
            "`taskset -c 1`",
            "",
            "| tool | fit | estimate | total |",
            "|---|---|---|---|",
        ]
        for tool in ("driftline", "driftline_nsim10", "nannyml"):
            lines.append(
                f"| {tool} | {b[tool]['fit']:.3f} | {b[tool]['estimate']:.3f} | {b[tool]['total']:.3f} |"
            )
        lines += [
            "",
            f"NannyML / driftline = {s['ratio']:.2f}× (target ≥ {SPEED_TARGET:g}×): "
            f"{verdict(s['ratio'] >= SPEED_TARGET)}. `driftline_nsim10` (CBPE(n_sim=10), not the "
            f"default) isolates the point estimates: NannyML / it = "
            f"{b['nannyml']['total'] / b['driftline_nsim10']['total']:.2f}×.",
            "",
        ]
        if s["profile"]:
            lines += [
                "cProfile of one driftline run (fit + all chunks), by own time:",
                "",
                "```",
                s["profile"].strip(),
                "```",
                "",
            ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="work folder (default: a temp dir, removed afterwards)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile one driftline speed run")
    parser.add_argument("--json", type=Path, help="also write the full results here")
    parser.add_argument("--speed-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=int, default=5000, help=argparse.SUPPRESS)
    parser.add_argument("--n-sim", type=int, default=500, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_worker:
        speed_worker(
            args.data, args.data / "dl_speed.json", args.repeats, args.chunk, args.profile, args.n_sim
        )
        return
    if not PEER_PYTHON.exists():
        sys.exit(f"{PEER_PYTHON} is missing: run `bash bench/setup_peers.sh nannyml` first")
    data = args.data or Path(tempfile.mkdtemp(prefix="driftline-estimation-"))
    try:
        if not (data / "meta.json").exists():
            peer("export", "--out", str(data))
        meta = json.loads((data / "meta.json").read_text())
        q = s = None
        if not args.skip_quality:
            peer("quality", "--data", str(data), "--out", str(data / "nml_quality.json"))
            q = quality(data, meta, json.loads((data / "nml_quality.json").read_text()))
        if not args.skip_speed:
            s = speed(data, meta, args.repeats, args.profile)
        print(report(q, s, meta))
        if args.json:
            args.json.write_text(json.dumps({"quality": q, "speed": s}, indent=1))
    finally:
        if args.data is None:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
