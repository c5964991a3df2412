"""Training and tuning runs: params, metric curves, evaluations and artifacts, kept in the
store, nested (a study holds its trials), linked to the model versions they produced and to
the decisions that caused them, and mirrored to sinks such as MLflow.

Examples
--------
>>> import numpy as np
>>> from sklearn.linear_model import Ridge
>>> from driftline.store import Store
>>> from driftline.tracking import track
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 3)); y = X @ [1.0, 2.0, 0.0] + rng.normal(size=200)
>>> with track("prices", store=Store.open("sqlite://"), params={"alpha": 1.0}) as run:
...     ev = run.evaluate(Ridge(alpha=1.0).fit(X, y), X, y)
>>> sorted(ev.metrics), run.record().model_params["family"]
(['mae', 'mape', 'mse', 'r2', 'rmse'], 'linear')
"""

from driftline.tracking._callbacks import (
    RunCallback,
    TrainingCallback,
    lightgbm_callback,
    log_curves,
    log_staged,
    xgboost_callback,
)
from driftline.tracking._evaluate import Evaluation, evaluate_model, summarize_model
from driftline.tracking._record import RunRecord, get_run, list_runs, metric_history
from driftline.tracking._run import Run, active_run, track
from driftline.tracking._search import log_search, log_study_summary, param_importances
from driftline.tracking._sink import RunSink, add_default_sink, default_sinks, remove_default_sink

__all__ = [
    "Evaluation",
    "Run",
    "RunCallback",
    "RunRecord",
    "RunSink",
    "TrainingCallback",
    "active_run",
    "add_default_sink",
    "default_sinks",
    "evaluate_model",
    "get_run",
    "lightgbm_callback",
    "list_runs",
    "log_curves",
    "log_search",
    "log_staged",
    "log_study_summary",
    "metric_history",
    "param_importances",
    "remove_default_sink",
    "summarize_model",
    "track",
    "xgboost_callback",
]
