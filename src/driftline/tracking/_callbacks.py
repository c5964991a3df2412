"""Per-iteration training curves for a run: a framework-neutral callback protocol, a callback
that logs it to a run (a Keras callback by duck typing), LightGBM and XGBoost callbacks, and
the curves scikit-learn estimators keep or can replay (staged predictions).

Every value is logged with ``step`` = the iteration or epoch, so
:func:`~driftline.tracking.metric_history` returns the curve. Values that are not finite
numbers are skipped, never raised on, so logging cannot stop a training.

A callback holds its run by reference: a deep copy (``sklearn.base.clone``, a grid search)
shares the run, and a pickled callback (inside a saved ``XGBClassifier``, whose params keep
its callbacks) is restored detached, logging nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from driftline.errors import ParameterError, require
from driftline.tracking._evaluate import _infer_task
from driftline.tracking._run import finite_or_none

if TYPE_CHECKING:
    from driftline.tracking._run import Run

__all__ = [
    "RunCallback",
    "TrainingCallback",
    "lightgbm_callback",
    "log_curves",
    "log_staged",
    "xgboost_callback",
]

_TASKS = ("binary", "multiclass", "regression")
_STAGED = ("GradientBoostingClassifier, GradientBoostingRegressor, HistGradientBoostingClassifier, "
           "HistGradientBoostingRegressor, AdaBoostClassifier, AdaBoostRegressor")
# (attribute, metric name), in logging order; a curve's step is its index.
_CURVES = (("loss_curve_", "loss"),                  # MLP (sgd, adam)
           ("validation_scores_", "validation_score"),  # MLP with early_stopping=True
           ("train_score_", "train_score"),          # (Hist)GradientBoosting
           ("validation_score_", "validation_score"),  # HistGradientBoosting, early stopping
           ("oob_improvement_", "oob_improvement"),  # GradientBoosting with subsample < 1
           ("oob_scores_", "oob_score"))             # GradientBoosting with subsample < 1


def _put(values: dict[str, float], name: str, value: Any) -> None:
    number = finite_or_none(value)
    if number is not None:
        values[name] = number


def _check(run: Any, prefix: Any) -> None:
    if not callable(getattr(run, "log_metrics", None)):
        raise ParameterError.invalid("run", run, "a driftline Run (from driftline.tracking.track)")
    if not isinstance(prefix, str):
        raise ParameterError.invalid("prefix", prefix, "a string")


class _RunBound:
    """Shared by the callbacks: deep copies share the run; pickles drop it (detached)."""

    _kind = ""
    run: Run | None
    prefix: str

    def __repr__(self) -> str:
        run_id = None if self.run is None else getattr(self.run, "id", None)
        return f"{type(self).__name__.lstrip('_')}(run={run_id!r}, prefix={self.prefix!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_detached, (self._kind, self.prefix))

    def _log(self, values: Mapping[str, float], step: Any) -> None:
        if self.run is not None and values:
            self.run.log_metrics(values, step=None if step is None else int(step))


@runtime_checkable
class TrainingCallback(Protocol):
    """What a training loop calls, in the style of Keras and PyTorch Lightning callbacks,
    without depending on either: any loop (Keras, Lightning, hand-written PyTorch or numpy)
    can call these three methods.

    ``epoch`` counts from 0; ``logs`` maps metric names to values (Keras passes its
    ``logs`` dict as is; in Lightning pass ``trainer.callback_metrics`` from
    ``on_train_epoch_end``).

    Examples
    --------
    >>> class Printer:
    ...     def on_train_begin(self, logs=None): pass
    ...     def on_epoch_end(self, epoch, logs=None): print(epoch, dict(logs or {}))
    ...     def on_train_end(self, logs=None): pass
    >>> isinstance(Printer(), TrainingCallback)
    True
    >>> Printer().on_epoch_end(0, {"loss": 0.5})
    0 {'loss': 0.5}
    """

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        """Called after each epoch with that epoch's metrics."""

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        """Called once after the last epoch, with the final metrics."""


class RunCallback(_RunBound):
    """A :class:`TrainingCallback` that logs each epoch's metrics to ``run``.

    Parameters
    ----------
    run : the :class:`~driftline.tracking.Run` to log to.
    prefix : prepended to every metric name (``"fold1/"``, ``"stage2_"``).

    ``on_epoch_end`` logs every finite number in ``logs`` with ``step=epoch``, and skips the
    rest (strings, flags, arrays, NaN); ``on_train_end`` logs the final ``logs`` without a
    step. It also has every method Keras 3 calls on a callback (``set_model``,
    ``set_params``, the epoch, batch, test and predict hooks; all but the epoch and train
    hooks do nothing), so it can go straight into ``model.fit(..., callbacks=[cb])``. Keras
    keeps the model it trains in ``cb.model``, and its params in ``cb.params``.

    Examples
    --------
    >>> from driftline.store import Store
    >>> from driftline.tracking import metric_history, track
    >>> store = Store.open("sqlite://")
    >>> with track("net", store=store) as run:
    ...     cb = RunCallback(run)
    ...     cb.on_train_begin()
    ...     for epoch, loss in enumerate([0.9, 0.6, 0.4]):
    ...         cb.on_epoch_end(epoch, {"loss": loss, "lr": 0.1, "phase": "train"})
    ...     cb.on_train_end({"loss": 0.4})
    >>> metric_history(store, run.id)["loss"]
    [(0, 0.9), (1, 0.6), (2, 0.4), (None, 0.4)]
    >>> isinstance(cb, TrainingCallback)
    True
    """

    _kind = "run"

    def __init__(self, run: Run, *, prefix: str = "") -> None:
        _check(run, prefix)
        self.run: Run | None = run
        self.prefix = prefix
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def _values(self, logs: Mapping[str, Any] | None) -> dict[str, float]:
        values: dict[str, float] = {}
        for key, value in (logs or {}).items():
            _put(values, f"{self.prefix}{key}", value)
        return values

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing (the run is already open)."""

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        """Log the finite numbers in ``logs`` with ``step=epoch``."""
        self._log(self._values(logs), epoch)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        """Log the finite numbers in the final ``logs`` without a step."""
        self._log(self._values(logs), None)

    # -- the rest of Keras's callback interface: no-ops ----------------------------
    def set_model(self, model: Any) -> None:
        """Keep the model being trained (Keras calls it)."""
        self.model = model

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Keep the training params (Keras calls it: epochs, steps, verbose)."""
        self.params = dict(params or {})

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_train_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_test_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_test_end(self, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_test_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_test_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_predict_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_predict_end(self, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_predict_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""

    def on_predict_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Does nothing."""


class _LightGBMRunCallback(_RunBound):
    """LightGBM's after-iteration callback: called with a ``CallbackEnv``."""

    _kind = "lightgbm"

    def __init__(self, run: Run | None, prefix: str) -> None:
        self.run, self.prefix = run, prefix

    def __call__(self, env: Any) -> None:
        values: dict[str, float] = {}
        for item in env.evaluation_result_list or ():
            entry = tuple(item)  # (data, metric, value, higher_is_better[, std under cv])
            name = f"{self.prefix}{entry[0]}_{entry[1]}"
            _put(values, name, entry[2])
            if len(entry) >= 5 and entry[4] is not None:
                _put(values, f"{name}_std", entry[4])
        self._log(values, env.iteration)


def lightgbm_callback(run: Run, *, prefix: str = "") -> Any:
    """A LightGBM callback that logs each evaluation to ``run`` at every boosting round.

    For ``lightgbm.train(..., valid_sets=..., callbacks=[cb])``, ``lightgbm.cv`` and the
    scikit-learn API (``LGBMClassifier().fit(X, y, eval_set=..., callbacks=[cb])``). Each
    ``(dataset, metric)`` is logged as ``f"{prefix}{dataset}_{metric}"`` (such as
    ``valid_0_binary_logloss``) with ``step`` = the iteration (from 0); under ``cv`` the
    value is the mean over folds and ``..._std`` their standard deviation.

    Parameters
    ----------
    run : the :class:`~driftline.tracking.Run` to log to.
    prefix : prepended to every metric name.

    Examples
    --------
    >>> import lightgbm as lgb, numpy as np
    >>> from driftline.store import Store
    >>> from driftline.tracking import metric_history, track
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
    >>> data = lgb.Dataset(X, y)
    >>> store = Store.open("sqlite://")
    >>> with track("gbm", store=store) as run:
    ...     booster = lgb.train({"objective": "binary", "verbose": -1}, data, num_boost_round=4,
    ...                         valid_sets=[data], valid_names=["train"],
    ...                         callbacks=[lightgbm_callback(run)])
    >>> [step for step, _ in metric_history(store, run.id)["train_binary_logloss"]]
    [0, 1, 2, 3]
    """
    _check(run, prefix)
    return _LightGBMRunCallback(run, prefix)


@functools.cache
def _xgboost_class() -> type[Any]:
    """The XGBoost callback class, built on first use (XGBoost is an optional dependency)."""
    callback = require("xgboost.callback", extra="xgboost", feature="xgboost_callback")

    class _XGBoostCallback(_RunBound, callback.TrainingCallback):  # type: ignore[name-defined]
        _kind = "xgboost"

        def __init__(self, run: Run | None, prefix: str) -> None:
            super().__init__()
            self.run, self.prefix = run, prefix

        def after_iteration(self, model: Any, epoch: int,
                            evals_log: Mapping[str, Mapping[str, Any]]) -> bool:
            values: dict[str, float] = {}
            for data, metrics in evals_log.items():
                for metric, history in metrics.items():
                    if not len(history):
                        continue
                    last, name = history[-1], f"{self.prefix}{data}_{metric}"
                    if isinstance(last, tuple):  # (mean, std) under xgboost.cv
                        _put(values, name, last[0])
                        _put(values, f"{name}_std", last[1])
                    else:
                        _put(values, name, last)
            self._log(values, epoch)
            return False  # never stops the training

    _XGBoostCallback.__qualname__ = _XGBoostCallback.__name__ = "XGBoostRunCallback"
    return _XGBoostCallback


def xgboost_callback(run: Run, *, prefix: str = "") -> Any:
    """An XGBoost callback (a ``xgboost.callback.TrainingCallback``) that logs the latest
    value of each evaluation to ``run`` after every boosting round.

    For ``xgboost.train(..., evals=..., callbacks=[cb])``, ``xgboost.cv`` and the
    scikit-learn API (``XGBClassifier(callbacks=[cb]).fit(X, y, eval_set=...)``). Each
    ``evals_log[data][metric]`` is logged as ``f"{prefix}{data}_{metric}"`` (such as
    ``validation_0_logloss``) with ``step`` = the round (from 0); under ``cv``, the mean over
    folds and ``..._std``. The callback never stops the training.

    Parameters
    ----------
    run : the :class:`~driftline.tracking.Run` to log to.
    prefix : prepended to every metric name.

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> from driftline.store import Store
    >>> from driftline.tracking import metric_history, track
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
    >>> dtrain = xgb.DMatrix(X, label=y)
    >>> store = Store.open("sqlite://")
    >>> with track("xgb", store=store) as run:
    ...     booster = xgb.train({"objective": "binary:logistic", "eval_metric": "logloss"},
    ...                         dtrain, num_boost_round=3, evals=[(dtrain, "train")],
    ...                         verbose_eval=False, callbacks=[xgboost_callback(run)])
    >>> [step for step, _ in metric_history(store, run.id)["train_logloss"]]
    [0, 1, 2]
    """
    _check(run, prefix)
    return _xgboost_class()(run, prefix)


def _detached(kind: str, prefix: str) -> Any:
    """Rebuild an unpickled callback without its run: it logs nothing."""
    if kind == "xgboost":
        return _xgboost_class()(None, prefix)
    if kind == "lightgbm":
        return _LightGBMRunCallback(None, prefix)
    cb = RunCallback.__new__(RunCallback)
    cb.run, cb.prefix, cb.model, cb.params = None, prefix, None, {}
    return cb


def _stage_metrics(task: str, y: np.ndarray, pred: Any, proba: Any,
                   classes: list[Any] | None) -> dict[str, float]:
    from driftline import metrics

    pred = np.asarray(pred)
    if task == "regression":
        return {"mae": metrics.mae(y, pred), "rmse": metrics.rmse(y, pred), "r2": metrics.r2(y, pred)}
    out = {"accuracy": metrics.accuracy(y, pred)}
    if proba is not None:
        score = np.asarray(proba, dtype=float)
        if task == "binary" and score.ndim == 2:
            score = score[:, -1]
        out["log_loss"] = metrics.log_loss(y, score, classes=classes)
    return out


def log_staged(run: Run, model: Any, X: Any, y: Any, *, task: str | None = None,
               prefix: str = "", every: int = 1) -> dict[str, float]:
    """Replay a fitted ensemble stage by stage on ``(X, y)`` and log its metrics at each
    stage: the learning curve on data the model did not see, after the fact.

    For estimators with staged predictions (``staged_predict_proba`` / ``staged_predict``):
    GradientBoosting, HistGradientBoosting and AdaBoost, classifiers and regressors.
    Classification logs ``accuracy`` and, from the probabilities, ``log_loss``; regression
    logs ``mae``, ``rmse`` and ``r2`` (:mod:`driftline.metrics`). ``step`` is the stage index
    (0 = after the first stage).

    Parameters
    ----------
    run : the :class:`~driftline.tracking.Run` to log to.
    model : the fitted estimator.
    X, y : the rows to score, usually a validation set.
    task : ``"binary"``, ``"multiclass"`` or ``"regression"``; default classification for
        models with ``predict_proba`` (binary for two labels), else regression.
    prefix : prepended to every metric name (``"valid_"``).
    every : log every ``every``-th stage, and always the last.

    Returns
    -------
    dict : the metrics of the last stage (without the prefix).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import GradientBoostingClassifier
    >>> from driftline.store import Store
    >>> from driftline.tracking import metric_history, track
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> model = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(X[:200], y[:200])
    >>> store = Store.open("sqlite://")
    >>> with track("gb", store=store) as run:
    ...     last = log_staged(run, model, X[200:], y[200:], prefix="valid_", every=4)
    >>> sorted(last), [s for s, _ in metric_history(store, run.id)["valid_accuracy"]]
    (['accuracy', 'log_loss'], [0, 4, 8, 9])
    """
    _check(run, prefix)
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ParameterError.invalid("every", every, "an integer >= 1")
    staged = getattr(model, "staged_predict", None)
    if not callable(staged):
        raise ParameterError.invalid(
            "model", type(model).__name__,
            f"an estimator with staged predictions (staged_predict: {_STAGED})",
            "For the curves an estimator keeps (MLP loss_curve_, train_score_, "
            "validation_score_), use log_curves.")
    y_arr = np.asarray(y)
    task = task or _infer_task(model, y_arr)
    if task not in _TASKS:
        raise ParameterError.choice("task", task, _TASKS)
    staged_proba = getattr(model, "staged_predict_proba", None)
    probas: Iterator[Any] | None = None
    if task != "regression" and callable(staged_proba):
        probas = iter(staged_proba(X))
    model_classes = getattr(model, "classes_", None)
    classes = None if model_classes is None else list(model_classes)
    last: dict[str, float] = {}
    pending: tuple[int, Any, Any] | None = None
    for stage, pred in enumerate(staged(X)):
        proba = None if probas is None else next(probas)
        if stage % every:
            pending = (stage, pred, proba)
            continue
        pending = None
        last = _stage_metrics(task, y_arr, pred, proba, classes)
        run.log_metrics({f"{prefix}{k}": v for k, v in last.items()}, step=stage)
    if pending is not None:
        stage, pred, proba = pending
        last = _stage_metrics(task, y_arr, pred, proba, classes)
        run.log_metrics({f"{prefix}{k}": v for k, v in last.items()}, step=stage)
    return last


def _evals_result(model: Any) -> Mapping[str, Mapping[str, Any]]:
    """The evaluation record of a LightGBM or XGBoost scikit-learn model, or ``{}``."""
    try:
        record = getattr(model, "evals_result_", None)
    except ValueError:  # LightGBM's property, on a model not fitted
        return {}
    if isinstance(record, Mapping):
        return record
    return {}


def log_curves(run: Run, model: Any, *, prefix: str = "") -> list[str]:
    """Log the training curves a fitted estimator keeps, with ``step`` = the iteration.

    ===========================  ====================================================
    estimator                    metrics (from the attribute)
    ===========================  ====================================================
    MLPClassifier/Regressor      ``loss`` (``loss_curve_``), ``validation_score``
                                 (``validation_scores_``, with ``early_stopping``)
    HistGradientBoosting*        ``train_score``, ``validation_score`` (step 0 is the
                                 initial prediction, before any tree)
    GradientBoosting*            ``train_score``; ``oob_improvement`` and
                                 ``oob_score`` when ``subsample < 1``
    LGBM*, XGB* (eval_set)       ``{dataset}_{metric}``, as :func:`lightgbm_callback`
    any with an integer n_iter_  ``n_iter``, once, without a step
    ===========================  ====================================================

    The values are scikit-learn's own: a HistGradientBoosting score is the scorer's (with
    ``scoring="loss"``, the negative loss); a GradientBoosting ``train_score`` is the loss.
    A pipeline is read from its last step. For GradientBoosting, HistGradientBoosting and
    AdaBoost on held-out rows, see :func:`log_staged`.

    Parameters
    ----------
    run : the :class:`~driftline.tracking.Run` to log to.
    model : the fitted estimator.
    prefix : prepended to every metric name.

    Returns
    -------
    list of str : the metric names logged.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import GradientBoostingRegressor
    >>> from driftline.store import Store
    >>> from driftline.tracking import metric_history, track
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = X[:, 0] + rng.normal(size=200)
    >>> model = GradientBoostingRegressor(n_estimators=5, subsample=0.8, random_state=0).fit(X, y)
    >>> store = Store.open("sqlite://")
    >>> with track("gb", store=store) as run:
    ...     names = log_curves(run, model)
    >>> names
    ['train_score', 'oob_improvement', 'oob_score']
    >>> len(metric_history(store, run.id)["train_score"])
    5
    """
    _check(run, prefix)
    steps = getattr(model, "steps", None)
    estimator = steps[-1][1] if steps else model
    by_step: dict[int, dict[str, float]] = {}
    names: list[str] = []

    def add(name: str, curve: Any) -> None:
        if curve is None or isinstance(curve, (str, bytes)) or np.ndim(curve) != 1:
            return
        values = list(curve)
        if not values or name in names:
            return
        names.append(name)
        for step, value in enumerate(values):
            _put(by_step.setdefault(step, {}), f"{prefix}{name}", value)

    for attr, name in _CURVES:
        add(name, getattr(estimator, attr, None))
    for data, metrics in _evals_result(estimator).items():
        for metric, curve in metrics.items():
            add(f"{data}_{metric}", curve)
    for step in sorted(by_step):
        if by_step[step]:
            run.log_metrics(by_step[step], step=step)
    n_iter = getattr(estimator, "n_iter_", None)
    if n_iter is not None and np.ndim(n_iter) == 0 and finite_or_none(n_iter) is not None:
        run.log_metrics({f"{prefix}n_iter": float(n_iter)})
        names.append("n_iter")
    if not names:
        raise ParameterError.invalid(
            "model", type(estimator).__name__,
            "a fitted estimator that keeps a training curve (MLP: loss_curve_; "
            "HistGradientBoosting, GradientBoosting: train_score_; LGBM/XGB fitted with "
            "eval_set: evals_result_; SGD, Perceptron and the like: an integer n_iter_)",
            f"Call it after fit; for staged predictions ({_STAGED}) use log_staged, and "
            "for LightGBM/XGBoost log while training with lightgbm_callback/xgboost_callback.")
    return [f"{prefix}{n}" for n in names]
