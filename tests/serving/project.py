"""A real project on disk for the serving tests: credit data, a training function written as
ordinary user code, and a project file."""

from __future__ import annotations

import textwrap
from pathlib import Path

from driftline.datasets import make_credit_frames

TRAIN_CODE = '''
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["income", "age", "debt_ratio", "has_mortgage"]
CATEGORICAL = ["region", "purpose"]


def train(data, *, previous=None, params):
    prep = ColumnTransformer([
        ("num", StandardScaler(), NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    ])
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(C=params.get("C", 1.0), max_iter=500))])
    return model.fit(data.X, data.y)
'''


def make_project(folder: Path, *, n: int = 2_000, store_url: str | None = None,
                 mode: str = "durable", extra: str = "", seed: int = 0) -> Path:
    """Write the project into ``folder`` and return the project file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    ref, _ = make_credit_frames(n, 10, seed=seed)
    ref.drop(columns=["score"]).to_csv(folder / "reference.csv", index=False)
    (folder / "credit_model.py").write_text(TRAIN_CODE)
    url = store_url or "sqlite:///driftline.db"
    text = textwrap.dedent(f"""\
        version: 1
        store: {{url: "{url}"}}
        model: {{name: credit, task: binary, target: default}}
        training: {{function: "credit_model:train", params: {{C: 1.0}}, seed: 0}}
        reference: {{path: reference.csv, holdout_fraction: 0.25}}
        logging: {{mode: {mode}, batch_size: 500, flush_interval_ms: 50}}
        """) + extra
    path = folder / "driftline.yaml"
    path.write_text(text)
    return path
