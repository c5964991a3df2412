"""The serving benchmark's model: a scikit-learn Pipeline over a credit table.

``model.py`` copies this file into the driftline project folder, where the project file names
``bench_model:train`` as its training function; ``model.py`` also calls :func:`make_pipeline`
itself for the model that the bare app and MLServer load. The Pipeline holds only
scikit-learn classes, so its joblib file loads in any venv with the same scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NUMERIC = ["income", "age", "debt_ratio", "loan_amount", "term_months", "months_employed",
           "n_accounts", "late_payments_12m", "utilization", "savings"]
BINARY = ["has_mortgage"]
CATEGORICAL = ["region", "purpose"]
FEATURES = NUMERIC + BINARY + CATEGORICAL
TARGET = "default"


def make_pipeline(seed: int = 0) -> Any:
    """Scale the numbers, one-hot encode the categories, then a logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer([
        ("num", StandardScaler(), NUMERIC + BINARY),
        ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    ])
    return Pipeline([("columns", columns),
                     ("clf", LogisticRegression(max_iter=1000, random_state=seed))])


def train(data: Any, *, previous: Any = None, params: Mapping[str, Any]) -> Any:
    """driftline's training contract: fit a fresh Pipeline on ``data.X`` and ``data.y``."""
    model = make_pipeline(int(params.get("seed", 0)))
    return model.fit(data.X[FEATURES], data.y)
