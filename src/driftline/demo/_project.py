"""The demo's throwaway projects: one training module written as ordinary user code, a
reference table, and one project file per stage (one model each, sharing one SQLite store)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["STAGES", "TRAIN_CODE", "StageProject", "write_projects"]

TRAIN_CODE = '''\
"""How the loan model is trained: ordinary scikit-learn code that driftline calls."""
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["income", "age", "debt_ratio", "has_mortgage"]
CATEGORICAL = ["region", "purpose"]


def train(data, *, previous=None, params):
    """Stateless: a fresh logistic regression on the most recent rows (oldest come first)."""
    recent = params.get("recent_rows")
    X, y = (data.X, data.y) if not recent else (data.X.iloc[-recent:], data.y.iloc[-recent:])
    prep = ColumnTransformer([("num", StandardScaler(), NUMERIC),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)])
    model = Pipeline([("prep", prep),
                      ("clf", LogisticRegression(C=params.get("C", 1.0), max_iter=500))])
    return model.fit(X, y)


def train_online(data, *, previous=None, params):
    """A model that can continue learning (stateful retraining calls partial_fit on a copy)."""
    model = Pipeline([("scale", StandardScaler()),
                      ("clf", SGDClassifier(loss="log_loss", alpha=1e-3, random_state=0))])
    return model.fit(data.X[NUMERIC], data.y)


def train_baseline(data, *, previous=None, params):
    """A teammate's experiment: predict the majority class (validation should reject it)."""
    return DummyClassifier(strategy="prior").fit(data.X, data.y)
'''

# stage -> (title, policy YAML, training function, features)
STAGES = {
    1: ("On demand, stateless", "{{stage: 1}}", "train", None),
    2: ("On a schedule, stateless", "{{stage: 2, cron: '{cron}'}}", "train", None),
    3: ("On a schedule, stateful", "{{stage: 3, cron: '{cron}'}}", "train_online",
        ["income", "age", "debt_ratio", "has_mortgage"]),
    4: ("The triggers decide", "{{stage: 4, cooldown: 1s}}", "train", None),
}


@dataclass(frozen=True)
class StageProject:
    """One stage's model: its number, name, title and project file."""

    stage: int
    name: str
    title: str
    path: Path


def write_projects(out: Path, stages: list[int], *, window: int, store: Path,
                   nightly: datetime) -> list[StageProject]:
    """Write a folder per stage into ``out``: ``loan_model.py`` (the training code),
    ``reference.csv`` (the data the first version trains on) and ``driftline.yaml``.

    ``nightly`` is the (simulated) time of the scheduled retrain of stages 2 and 3.
    """
    from driftline.datasets._loans import loan_applications

    out.mkdir(parents=True, exist_ok=True)
    reference = loan_applications(max(2_000, 4 * window), seed=11)
    cron = f"{nightly.minute} {nightly.hour} * * *"
    projects = []
    for s in stages:
        title, policy, function, features = STAGES[s]
        name = f"loans-stage-{s}"
        folder = out / f"stage{s}"
        folder.mkdir(exist_ok=True)
        feats = "" if features is None else f"features: [{', '.join(features)}], "
        text = textwrap.dedent(f"""\
            # {title}: the project file of the demo's stage {s} (see docs/configuration.md)
            version: 1
            store: {{url: "sqlite:///{store.resolve()}"}}
            model: {{name: {name}, {feats}task: binary, target: default}}
            training: {{function: "loan_model:{function}", seed: 0,
                        params: {{C: 1.0, recent_rows: {2 * window}}}}}
            reference: {{path: reference.csv, holdout_fraction: 0.25}}
            logging: {{mode: durable, batch_size: 200, flush_interval_ms: 20}}
            monitoring: {{window: {{rows: {window}}}, min_rows: {window // 2}, min_labels: 50}}
            policies: {policy.format(cron=cron)}
            artifacts: {{root: artifacts}}
            """)
        (folder / "driftline.yaml").write_text(text)
        (folder / "loan_model.py").write_text(TRAIN_CODE)
        reference.to_csv(folder / "reference.csv", index=False)
        projects.append(StageProject(s, name, title, folder / "driftline.yaml"))
    return projects
