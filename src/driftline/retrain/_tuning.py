"""Hyperparameter tuning before a training: :func:`tune_params` scores each trial on a
validation split and tracks it as a nested run of a study.

The search space lives in :mod:`driftline.retrain._search_space`; the :class:`Tuner`
protocol, the built-in random search and the tuners' registry in
:mod:`driftline.retrain._tuners`; the separate process in which the loop trains the trials in
:mod:`driftline.retrain._trial_process`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from driftline.errors import DataError, ParameterError
from driftline.retrain._search_space import SearchSpace
from driftline.retrain._tuners import (
    TrialResult,
    Tuner,
    TuningResult,
    _check_budget,
    _resolve,
)

if TYPE_CHECKING:
    from driftline.registry import TrainingData
    from driftline.tracking import Run

__all__ = ["tune_params"]


def _default_metric(task: str) -> str:
    from driftline.retrain._loop import _VALIDATION_METRIC

    return _VALIDATION_METRIC[task][0]


def tune_params(fit: Callable[[TrainingData, dict[str, Any]], Any], data: TrainingData,
                space: SearchSpace | Mapping[str, Any], *, parent: Run, task: str,
                metric: str | None = None, direction: str | None = None, n_trials: int = 20,
                timeout: float | None = None, tuner: Tuner | str = "random",
                base_params: Mapping[str, Any] | None = None, validation_fraction: float = 0.25,
                seed: int = 0, timestamp: str | None = None,
                name: str = "tuning") -> TuningResult:
    """Tune hyperparameters: train on part of ``data``, score on the rest, keep the best.

    ``data`` is split once (:func:`~driftline.registry.split_holdout`: a seeded random
    ``validation_fraction`` of the rows, or the latest ones with ``timestamp``). Each
    trial calls ``fit(train_part, {**base_params, **params})`` and scores the model on the
    validation part with the task's full metric set
    (:func:`~driftline.tracking.evaluate_model`); ``metric`` is the objective.

    The tuning is a study run (kind ``"study"``) nested under ``parent``, with
    ``base_params`` as its params; each trial is a nested run (kind ``"trial"``) with the
    tuned params, every metric, the tag ``trial_number``, and status ``finished`` or
    ``failed`` (a trial that raises is failed and the search goes on). The study follows the
    studies' convention (:func:`~driftline.tracking._search.log_study_summary`): tags
    ``objective``, ``direction``, ``best_trial``, ``source`` (``"optuna"`` for the Optuna
    tuner, else ``"driftline"``), ``tuner``; the metric ``best_value``; ``best_params.json``,
    ``search_space.json`` and ``param_importances.json`` (driftline's main-effect measure,
    :func:`~driftline.tracking._search.param_importances`).

    Parameters
    ----------
    fit : ``fit(data, params) -> model`` (a model with ``predict``, and ``predict_proba`` for
        probability metrics).
    data : the training data (a :class:`~driftline.registry.TrainingData`).
    space : a :class:`SearchSpace` or its ``from_dict`` spelling.
    parent : the run the study nests under (a retrain's run, or any tracked run).
    task : ``"binary"``, ``"multiclass"`` or ``"regression"``.
    metric : the objective; default the task's validation metric (ROC AUC, accuracy, RMSE).
    direction : ``"maximize"`` or ``"minimize"``; default the metric's own direction.
    n_trials, timeout : the budget: at most ``n_trials`` trials, and none started after
        ``timeout`` seconds.
    tuner : a :class:`Tuner`, or a registered name (``"random"``, ``"optuna"``).
    base_params : fixed params that the tuned ones are merged over.
    validation_fraction : the share of ``data`` the trials are scored on.
    seed : the split's and the named tuner's seed.
    timestamp : a time column of ``data.frame``: score on the latest rows.
    name : the study run's name.

    Raises :class:`~driftline.retrain.TrainingError` when every trial failed (with the first
    error).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from driftline.registry import TrainingData
    >>> from driftline.store import Store
    >>> from driftline.tracking import list_runs, track
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 2))
    >>> frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x[:, 0] > 0).astype(int)})
    >>> data = TrainingData.from_frame(frame, target="y")
    >>> fit = lambda d, p: LogisticRegression(**p).fit(d.X, d.y)
    >>> store = Store.open("sqlite://")
    >>> with track("credit", store=store, run_name="retrain") as run:
    ...     res = tune_params(fit, data, {"C": {"low": 0.001, "high": 10.0, "log": True}},
    ...                       parent=run, task="binary", n_trials=4)
    >>> len(res.trials), res.metric, sorted(res.best_params)
    (4, 'roc_auc', ['C'])
    >>> study = list_runs(store, parent=run.id)[0]
    >>> study.kind, study.tags["best_trial"] == res.best.run_id, len(list_runs(store, parent=study.id))
    ('study', True, 4)
    """
    from driftline import metrics as _metrics
    from driftline.registry import split_holdout
    from driftline.retrain._runner import TrainingError
    from driftline.tracking import evaluate_model
    from driftline.tracking._search import log_study_summary, param_importances

    if task not in _metrics.TASKS:
        raise ParameterError.choice("task", task, _metrics.TASKS)
    metric = metric or _default_metric(task)
    if metric not in _metrics.available(task):
        raise ParameterError.choice("metric", metric, _metrics.available(task))
    if direction is None:
        direction = "maximize" if _metrics.get(metric).higher_is_better else "minimize"
    _check_budget(n_trials, direction, timeout)
    if not isinstance(validation_fraction, (int, float)) or not 0.0 < validation_fraction < 1.0:
        raise ParameterError.invalid("validation_fraction", validation_fraction, "a float in (0, 1)")
    space = SearchSpace.from_dict(space)
    resolved = _resolve(tuner, seed)
    base = dict(base_params or {})
    fit_part, score_part = split_holdout(data, validation_fraction, seed=seed,
                                         timestamp=timestamp)
    tuner_name = str(getattr(resolved, "name", type(resolved).__name__))
    source = str(getattr(resolved, "source", "driftline"))
    records: dict[str, TrialResult] = {}  # by run id
    lock = threading.Lock()
    counter = iter(range(1_000_000_000))
    with parent.child(name, kind="study", params=base,
                      tags={"objective": metric, "direction": direction, "source": source,
                            "tuner": tuner_name, "n_trials": n_trials}) as study:
        study.log_dict("search_space.json", space.to_dict())

        def objective(params: dict[str, Any]) -> float:
            with lock:
                number = next(counter)
            error: str | None = None
            value: float | None = None
            run_id: str | None = None
            try:
                with study.child(f"trial {number}", params=params,
                                 tags={"trial_number": number}) as trial:
                    run_id = trial.id
                    try:
                        model = fit(fit_part, {**base, **params})
                        ev = evaluate_model(model, score_part.X, score_part.y, task=task)
                    except Exception as exc:
                        error = f"{type(exc).__name__}: {exc}"[:500]
                        raise
                    values = {k: v for k, v in ev.metrics.items() if math.isfinite(v)}
                    if values:
                        trial.log_metrics(values)
                    if metric not in values:
                        error = (f"{metric} could not be computed on the {len(score_part)} "
                                 f"validation rows (got {ev.metrics.get(metric)})")
                        raise DataError(error)
                    value = values[metric]
            finally:
                if run_id is not None:
                    with lock:
                        records[run_id] = TrialResult(number, dict(params), value,
                                                      "finished" if error is None else "failed",
                                                      error, run_id)
            assert value is not None  # an error raised above
            return value

        result = resolved.tune(objective, space, n_trials=n_trials, direction=direction,
                               timeout=timeout)
        trials = tuple(sorted(records.values(), key=lambda t: t.number))
        out = TuningResult(direction, trials, metric=metric, study_id=study.id)
        best = out.best
        if best is None:
            first = next((t.error for t in trials if t.error), None) or (
                next((t.error for t in result.trials if t.error), None))
            raise TrainingError(f"every one of the {len(trials)} tuning trials failed; the "
                                f"first error: {first}")
        done = [t for t in trials if t.status == "finished"]
        log_study_summary(study, source=source, objective=metric, direction=direction,
                          best_trial=best.run_id, best_value=best.value,
                          importances=param_importances([t.params for t in done],
                                                        [t.value for t in done]),
                          best_params=best.params,
                          tags={"n_finished": len(done), "n_failed": out.n_failed,
                                "importance_method": "main_effect"})
    return out
