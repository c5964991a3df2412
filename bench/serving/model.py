"""Build the serving benchmark's data, model and server folders under bench/out/serving/.

    .venv/bin/python bench/serving/model.py        # (re)build everything; prints the paths

What it writes (all generated, seed 0, nothing downloaded):

- ``mlserver/settings.json`` and ``mlserver/credit/{model.joblib,model-settings.json}``: the
  MLServer model repository (sklearn runtime, pandas codec); the bare app loads the same joblib.
- ``driftline/{driftline.yaml,bench_model.py,reference.csv}``: the driftline project, which
  trains its own copy of the same Pipeline with ``driftline train``.
- ``request.json``: the one-row OIP v2 body that all three servers get.

The table is ``driftline.datasets.make_credit_frames`` (income, age, debt ratio, region,
purpose, mortgage, default) plus seven generated numeric columns, so a request carries ten
numbers, one boolean and two strings.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_model  # noqa: E402

OUT = HERE.parent / "out" / "serving"
MODEL_NAME = "credit"
SEED = 0
N_ROWS = 20_000
PROJECT_YAML = f"""\
version: 1
store: {{url: "sqlite:///driftline.db"}}
model: {{name: {MODEL_NAME}, task: binary, target: {bench_model.TARGET}}}
training: {{function: "bench_model:train", params: {{}}, seed: {SEED}}}
reference: {{path: reference.csv, holdout_fraction: 0.25}}
logging: {{mode: durable}}
"""


@dataclass(frozen=True)
class Built:
    """Where the built pieces are."""

    mlserver_dir: Path
    model_path: Path
    project_yaml: Path
    request_path: Path


def make_table(n: int = N_ROWS, seed: int = SEED) -> Any:
    """The credit table: features in ``bench_model.FEATURES`` order, then the target."""
    from driftline.datasets import make_credit_frames

    frame, _ = make_credit_frames(n, 0, drift=False, seed=seed)
    rng = np.random.default_rng(seed + 1)
    frame["loan_amount"] = rng.lognormal(9.3, 0.6, n).round(2)
    frame["term_months"] = rng.choice([12, 24, 36, 48, 60], n)
    frame["months_employed"] = rng.exponential(60.0, n).round()
    frame["n_accounts"] = rng.poisson(4.0, n)
    frame["late_payments_12m"] = rng.poisson(0.3, n)
    frame["utilization"] = rng.beta(2.0, 3.0, n).round(4)
    frame["savings"] = rng.lognormal(8.0, 1.2, n).round(2)
    for column in bench_model.CATEGORICAL:  # plain strings, as they arrive over HTTP and CSV
        frame[column] = frame[column].astype(object)
    return frame[[*bench_model.FEATURES, bench_model.TARGET]]


def _datatype(values: Any) -> str:
    kind = values.dtype.kind
    return {"b": "BOOL", "i": "INT64", "u": "INT64", "f": "FP64"}.get(kind, "BYTES")


def request_body(rows: Any) -> dict[str, Any]:
    """An OIP v2 body in MLServer's pandas-codec convention: one input per column."""
    inputs = [{"name": name, "shape": [len(rows)], "datatype": _datatype(rows[name]),
               "data": rows[name].tolist()} for name in bench_model.FEATURES]
    return {"inputs": inputs, "parameters": {"content_type": "pd"}}


def _write_mlserver(folder: Path, model: Any) -> Path:
    import joblib

    model_dir = folder / MODEL_NAME
    model_dir.mkdir(parents=True, exist_ok=True)
    model_path = model_dir / "model.joblib"
    joblib.dump(model, model_path)
    settings = {"name": MODEL_NAME, "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib", "version": "v1"}}
    (model_dir / "model-settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    return model_path


def _write_project(folder: Path, table: Any) -> Path:
    if folder.exists():  # a fresh store and artifacts on every build
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy(HERE / "bench_model.py", folder / "bench_model.py")
    table.to_csv(folder / "reference.csv", index=False)
    (folder / "driftline.yaml").write_text(PROJECT_YAML)
    return folder / "driftline.yaml"


def build(out: Path = OUT) -> Built:
    """Write the model repository, the driftline project and the request body."""
    table = make_table()
    model = bench_model.make_pipeline(SEED).fit(table[bench_model.FEATURES],
                                                table[bench_model.TARGET])
    out.mkdir(parents=True, exist_ok=True)
    model_path = _write_mlserver(out / "mlserver", model)
    project_yaml = _write_project(out / "driftline", table)
    # A row that is not in the training table, drawn with another seed.
    row = make_table(1, seed=SEED + 100)[bench_model.FEATURES]
    request_path = out / "request.json"
    request_path.write_text(json.dumps(request_body(row)))
    return Built(out / "mlserver", model_path, project_yaml, request_path)


if __name__ == "__main__":
    built = build()
    for name, path in vars(built).items():
        print(f"{name}: {path}")
