"""Hyperparameter tuning before a training: the search space, the :class:`Tuner` protocol that
search strategies implement, a built-in random search (numpy only), and :func:`tune_params`,
which scores each trial on a validation split and tracks it as a nested run of a study.

The protocol lives here, in the retraining loop; an implementation that needs a library lives
above and plugs in through :func:`register_tuner` (``driftline.integrations._optuna``
registers ``"optuna"`` when imported), so this module never imports one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from driftline.errors import DataError, ParameterError

if TYPE_CHECKING:
    from driftline.registry import TrainingData
    from driftline.retrain._runner import TrainingError
    from driftline.tracking import Run

__all__ = [
    "DIRECTIONS",
    "CategoricalParam",
    "FloatParam",
    "IntParam",
    "RandomSearchTuner",
    "SearchSpace",
    "TrialResult",
    "Tuner",
    "TuningResult",
    "available_tuners",
    "make_tuner",
    "register_tuner",
    "tune_params",
]

#: The directions a tuning optimises in.
DIRECTIONS = ("maximize", "minimize")
_STATUSES = ("finished", "failed", "pruned")
_SPEC_KEYS = ("low", "high", "log", "type", "choices")
_TYPES = ("float", "int", "categorical")


def _bound(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError.invalid(name, value, "a number")
    out = float(value)
    if not math.isfinite(out):
        raise ParameterError.invalid(name, value, "a finite number")
    return out


@dataclass(frozen=True)
class FloatParam:
    """A float in ``[low, high]``, sampled uniformly, or log-uniformly with ``log=True``.

    Examples
    --------
    >>> import numpy as np
    >>> p = FloatParam(0.01, 10.0, log=True)
    >>> 0.01 <= p.sample(np.random.default_rng(0)) <= 10.0, p.to_dict()["type"]
    (True, 'float')
    """

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        low, high = _bound("low", self.low), _bound("high", self.high)
        if not low < high:
            raise ParameterError.invalid("high", self.high, f"greater than low ({self.low})")
        if self.log and low <= 0:
            raise ParameterError.invalid("low", self.low, "> 0 when log is true")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, rng: np.random.Generator) -> float:
        """One value."""
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the project file's spelling)."""
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class IntParam:
    """An integer in ``[low, high]`` (both included), uniform, or log-uniform with ``log=True``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> sorted({IntParam(2, 4).sample(rng) for _ in range(50)})
    [2, 3, 4]
    """

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if not float(_bound(name, value)).is_integer():
                raise ParameterError.invalid(name, value, "an integer")
            object.__setattr__(self, name, int(value))
        if not self.low <= self.high:
            raise ParameterError.invalid("high", self.high, f"≥ low ({self.low})")
        if self.log and self.low < 1:
            raise ParameterError.invalid("low", self.low, "≥ 1 when log is true")

    def sample(self, rng: np.random.Generator) -> int:
        """One value."""
        if self.log:
            x = math.exp(rng.uniform(math.log(self.low - 0.5 + 1e-9), math.log(self.high + 0.5)))
            return int(min(self.high, max(self.low, round(x))))
        return int(rng.integers(self.low, self.high + 1))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the project file's spelling)."""
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class CategoricalParam:
    """One of ``choices`` (strings, numbers, booleans or ``None``), each equally likely.

    Examples
    --------
    >>> import numpy as np
    >>> CategoricalParam(("rbf", "linear")).sample(np.random.default_rng(0)) in ("rbf", "linear")
    True
    """

    choices: tuple[Any, ...]

    def __post_init__(self) -> None:
        choices = tuple(self.choices) if isinstance(self.choices, (list, tuple)) else None
        if not choices:
            raise ParameterError.invalid("choices", self.choices, "a non-empty list")
        bad = [c for c in choices if not isinstance(c, (str, int, float, bool, type(None)))]
        if bad:
            raise ParameterError.invalid("choices", bad[0], "a string, number, boolean or null")
        object.__setattr__(self, "choices", choices)

    def sample(self, rng: np.random.Generator) -> Any:
        """One value."""
        return self.choices[int(rng.integers(len(self.choices)))]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the project file's spelling)."""
        return {"type": "categorical", "choices": list(self.choices)}


ParamSpec = FloatParam | IntParam | CategoricalParam


def _param(name: str, spec: Any) -> ParamSpec:
    if isinstance(spec, (FloatParam, IntParam, CategoricalParam)):
        return spec
    if isinstance(spec, (list, tuple)):
        return CategoricalParam(tuple(spec))
    if not isinstance(spec, Mapping):
        raise ParameterError.invalid(f"space[{name!r}]", spec,
                                     "{low, high[, log, type]}, {choices: [...]} or a list")
    unknown = sorted(set(spec) - set(_SPEC_KEYS))
    if unknown:
        raise ParameterError.choice(f"space[{name!r}] key", unknown[0], _SPEC_KEYS)
    kind = spec.get("type") or ("categorical" if spec.get("choices") is not None else "float")
    if kind not in _TYPES:
        raise ParameterError.choice(f"space[{name!r}].type", kind, _TYPES)
    if kind == "categorical":
        if spec.get("low") is not None or spec.get("high") is not None:
            raise ParameterError.invalid(f"space[{name!r}]", dict(spec),
                                         "either choices or low/high, not both")
        return CategoricalParam(tuple(spec.get("choices") or ()))
    if spec.get("choices") is not None:
        raise ParameterError.invalid(f"space[{name!r}]", dict(spec),
                                     "either choices or low/high, not both")
    if spec.get("low") is None or spec.get("high") is None:
        raise ParameterError.invalid(f"space[{name!r}]", dict(spec), "both low and high")
    cls = IntParam if kind == "int" else FloatParam
    return cls(spec["low"], spec["high"], log=bool(spec.get("log", False)))


@dataclass(frozen=True)
class SearchSpace:
    """The hyperparameters to tune, by name, each a :class:`FloatParam`, :class:`IntParam` or
    :class:`CategoricalParam`.

    :meth:`from_dict` reads the project file's spelling: ``{low, high}`` is a float (``log:
    true`` for log-uniform, ``type: int`` for an integer), ``{choices: [...]}`` (or a bare
    list) a categorical.

    Examples
    --------
    >>> import numpy as np
    >>> space = SearchSpace.from_dict({"C": {"low": 0.01, "high": 10, "log": True},
    ...                                "max_depth": {"low": 2, "high": 8, "type": "int"},
    ...                                "kernel": ["rbf", "linear"]})
    >>> space.names, type(space.params["max_depth"]).__name__
    (('C', 'kernel', 'max_depth'), 'IntParam')
    >>> sorted(space.sample(np.random.default_rng(0)))
    ['C', 'kernel', 'max_depth']
    """

    params: Mapping[str, ParamSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.params, Mapping) or not self.params:
            raise ParameterError.invalid("space", self.params, "a non-empty mapping of "
                                         "parameter names to specs")
        object.__setattr__(self, "params", {str(k): _param(str(k), v)
                                            for k, v in sorted(self.params.items())})

    @classmethod
    def from_dict(cls, spec: SearchSpace | Mapping[str, Any]) -> SearchSpace:
        """Read ``{name: {low, high[, log, type]} | {choices: [...]} | [...]}``."""
        if isinstance(spec, SearchSpace):
            return spec
        if not isinstance(spec, Mapping):
            raise ParameterError.invalid("space", spec, "a mapping of parameter names to specs")
        return cls({str(k): _param(str(k), v) for k, v in spec.items()})

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters' names, sorted."""
        return tuple(self.params)

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """One value of every parameter."""
        return {name: spec.sample(rng) for name, spec in self.params.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {name: spec.to_dict() for name, spec in self.params.items()}


@dataclass(frozen=True)
class TrialResult:
    """One trial of a tuning: the params it tried, its objective value and how it ended.

    ``run_id`` is the trial's tracked run (set by :func:`tune_params`).

    Examples
    --------
    >>> TrialResult(0, {"C": 1.0}, 0.8, "finished").to_dict()["value"]
    0.8
    """

    number: int
    params: Mapping[str, Any]
    value: float | None
    status: str
    error: str | None = None
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"number": self.number, "params": dict(self.params), "value": self.value,
                "status": self.status, "error": self.error, "run_id": self.run_id}


@dataclass(frozen=True)
class TuningResult:
    """What a tuning found: its trials, and the best of them by ``direction``.

    The best trial is the finished one with the best value (the first of ties); there is none
    when no trial finished, and then :attr:`best_params` is ``{}``.

    Examples
    --------
    >>> res = TuningResult("maximize", (TrialResult(0, {"C": 0.1}, 0.7, "finished"),
    ...                                 TrialResult(1, {"C": 1.0}, 0.8, "finished"),
    ...                                 TrialResult(2, {"C": 9.0}, None, "failed", "boom")))
    >>> res.best_params, res.best_value, res.n_failed
    ({'C': 1.0}, 0.8, 1)
    """

    direction: str
    trials: tuple[TrialResult, ...]
    metric: str = "value"
    study_id: str | None = None

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ParameterError.choice("direction", self.direction, DIRECTIONS)

    @property
    def best(self) -> TrialResult | None:
        """The best finished trial, or ``None``."""
        done = [t for t in self.trials if t.status == "finished" and t.value is not None]
        if not done:
            return None
        sign = 1.0 if self.direction == "maximize" else -1.0
        return max(done, key=lambda t: (sign * float(t.value or 0.0), -t.number))

    @property
    def best_params(self) -> dict[str, Any]:
        """The best trial's params (``{}`` without one)."""
        best = self.best
        return {} if best is None else dict(best.params)

    @property
    def best_value(self) -> float | None:
        """The best trial's value (``None`` without one)."""
        best = self.best
        return None if best is None else best.value

    @property
    def n_failed(self) -> int:
        """How many trials failed."""
        return sum(t.status == "failed" for t in self.trials)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        best = self.best
        return {"direction": self.direction, "metric": self.metric, "study_id": self.study_id,
                "best_params": self.best_params, "best_value": self.best_value,
                "best_trial": None if best is None else best.number,
                "trials": [t.to_dict() for t in self.trials]}


@runtime_checkable
class Tuner(Protocol):
    """A search strategy: proposes params from ``space``, calls ``objective`` on each, and
    returns every trial.

    ``objective(params) -> float`` scores one set of params; a trial whose objective raises
    or returns a value that is not a finite number is a ``failed`` trial, and the search goes
    on. A tuner stops after ``n_trials`` trials, and starts none after ``timeout`` seconds.
    :class:`RandomSearchTuner` is built in; ``driftline.integrations.OptunaTuner`` uses
    Optuna's samplers.

    Examples
    --------
    >>> class FirstValues:
    ...     def tune(self, objective, space, *, n_trials, direction="maximize", timeout=None):
    ...         params = {n: getattr(s, "low", None) for n, s in space.params.items()}
    ...         return TuningResult(direction, (TrialResult(0, params, objective(params),
    ...                                                     "finished"),))
    >>> isinstance(FirstValues(), Tuner)
    True
    >>> FirstValues().tune(lambda p: -p["x"], SearchSpace.from_dict({"x": {"low": 1, "high": 2}}),
    ...                    n_trials=1).best_value
    -1.0
    """

    def tune(self, objective: Callable[[dict[str, Any]], float], space: SearchSpace, *,
             n_trials: int, direction: str = "maximize",
             timeout: float | None = None) -> TuningResult:
        """Run the search and return its trials."""


def _check_budget(n_trials: Any, direction: Any, timeout: Any) -> None:
    if not isinstance(n_trials, int) or isinstance(n_trials, bool) or n_trials < 1:
        raise ParameterError.invalid("n_trials", n_trials, "a positive int")
    if direction not in DIRECTIONS:
        raise ParameterError.choice("direction", direction, DIRECTIONS)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise ParameterError.invalid("timeout", timeout, "a positive number of seconds or None")


def _run_trial(objective: Callable[[dict[str, Any]], float], number: int,
              params: dict[str, Any]) -> TrialResult:
    """Call ``objective`` once: a finished trial, or a failed one with its error."""
    try:
        value = float(objective(params))
    except Exception as exc:
        return TrialResult(number, params, None, "failed", f"{type(exc).__name__}: {exc}"[:500])
    if not math.isfinite(value):
        return TrialResult(number, params, None, "failed", f"objective returned {value}")
    return TrialResult(number, params, value, "finished")


class RandomSearchTuner:
    """Random search: each trial draws every parameter independently from its spec.

    numpy only, seeded (the same ``seed`` proposes the same params), and as good as a grid
    with far fewer trials when only a few parameters matter (Bergstra & Bengio, 2012).

    Examples
    --------
    >>> space = SearchSpace.from_dict({"x": {"low": -2.0, "high": 2.0}})
    >>> res = RandomSearchTuner(seed=0).tune(lambda p: -(p["x"] - 1) ** 2, space, n_trials=30)
    >>> len(res.trials), abs(res.best_params["x"] - 1) < 0.2
    (30, True)
    """

    name = "random"
    source = "driftline"

    def __init__(self, seed: int = 0) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ParameterError.invalid("seed", seed, "an int")
        self.seed = seed

    def __repr__(self) -> str:
        return f"RandomSearchTuner(seed={self.seed})"

    def tune(self, objective: Callable[[dict[str, Any]], float], space: SearchSpace, *,
             n_trials: int, direction: str = "maximize",
             timeout: float | None = None) -> TuningResult:
        """Try ``n_trials`` random params (fewer if ``timeout`` seconds pass first)."""
        _check_budget(n_trials, direction, timeout)
        space = SearchSpace.from_dict(space)
        rng = np.random.default_rng(self.seed)
        deadline = None if timeout is None else time.monotonic() + timeout
        trials = []
        for number in range(n_trials):
            if deadline is not None and time.monotonic() >= deadline:
                break
            trials.append(_run_trial(objective, number, space.sample(rng)))
        return TuningResult(direction, tuple(trials))


# -- registration: tuners that live above plug in here ---------------------------------------
_TUNERS: dict[str, Callable[..., Tuner]] = {"random": RandomSearchTuner}
_LOCK = threading.Lock()
_HINTS = {"optuna": "import driftline.integrations._optuna first, which registers it (the "
                    "driftline CLI and service do); it needs Optuna: "
                    "pip install 'driftline[optuna]'"}


def register_tuner(name: str, factory: Callable[..., Tuner]) -> None:
    """Make ``factory(seed=...)`` the tuner called ``name`` (``training.tuning.tuner``).

    ``driftline.integrations._optuna`` registers ``"optuna"`` when imported (the CLI and the
    service import it; so does using ``driftline.integrations.OptunaTuner``); registering a
    name again replaces it.

    Examples
    --------
    >>> register_tuner("random-7", lambda seed=0: RandomSearchTuner(seed + 7))
    >>> make_tuner("random-7", seed=1).seed
    8
    """
    if not isinstance(name, str) or not name:
        raise ParameterError.invalid("name", name, "a non-empty string")
    if not callable(factory):
        raise ParameterError.invalid("factory", factory, "a callable factory(seed=...) -> Tuner")
    with _LOCK:
        _TUNERS[name] = factory


def available_tuners() -> tuple[str, ...]:
    """The registered tuners' names, sorted.

    Examples
    --------
    >>> "random" in available_tuners()
    True
    """
    with _LOCK:
        return tuple(sorted(_TUNERS))


def make_tuner(name: str, *, seed: int = 0) -> Tuner:
    """The registered tuner ``name``, seeded.

    Examples
    --------
    >>> make_tuner("random", seed=3)
    RandomSearchTuner(seed=3)
    """
    with _LOCK:
        factory = _TUNERS.get(name)
    if factory is None:
        if name in _HINTS:
            raise ParameterError(f"tuner {name!r} is not registered: {_HINTS[name]}.")
        raise ParameterError.choice("tuner", name, available_tuners())
    return factory(seed=seed)


def _resolve(tuner: Tuner | str, seed: int) -> Tuner:
    if isinstance(tuner, str):
        return make_tuner(tuner, seed=seed)
    if not callable(getattr(tuner, "tune", None)):
        raise ParameterError.invalid("tuner", tuner, "a Tuner (with tune()) or a registered "
                                     f"name: {', '.join(available_tuners())}")
    return tuner


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



# -- trials in one separate process ---------------------------------------------------------
_TRIALS_CHILD = ("import os, sys\n"
                 "if hasattr(os, 'nice'): os.nice(int(sys.argv[2]))\n"
                 "from driftline.retrain._tuning import _trials_child_main\n"
                 "_trials_child_main(sys.argv[1])\n")


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the child exited, without reaping it (its pid, the group's id, stays taken
    until the group is killed)."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return proc.poll() is not None
    try:
        return waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


class _TrialProcess:
    """Trains trial after trial in one separate process, as :func:`run_training` trains once:
    niced, thread-capped, in its own process group, from the training function's import path.
    The interpreter, the libraries, the function and the data are loaded once, so a tuning
    pays for one process start rather than one per trial.

    The parent hands each trial's params over in the private temporary folder and waits for
    the model (or the error) with the trial's timeout. A trial past its timeout, or a crash,
    kills the process group; the next trial starts a new process. The group is killed on
    :meth:`close`.
    """

    def __init__(self, spec: str, project_dir: str | Path, *, previous: Any = None, seed: int = 0,
                 mode: str = "stateless", nice: int = 10, threads: int = 1) -> None:
        from driftline.retrain._runner import _check_arguments

        _check_arguments(spec, mode, nice, threads, 1.0)
        self.folder = Path(project_dir).resolve()
        if not self.folder.is_dir():
            raise ParameterError.invalid("project_dir", str(project_dir), "an existing folder")
        self.spec, self.previous, self.seed = spec, previous, int(seed)
        self.mode, self.nice, self.threads = mode, nice, threads
        self.starts = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._logs: list[IO[bytes]] = []
        self._data: Any = None
        self._work = Path()
        self._count = 0

    def __enter__(self) -> _TrialProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self, data: TrainingData) -> None:
        from driftline.retrain._runner import _child_env

        self._stop()
        if self._tmp is None:  # only this user can read it: the pickles never leave it
            self._tmp = tempfile.TemporaryDirectory(prefix="driftline-tune-")
        self.starts += 1
        self._work = Path(self._tmp.name) / f"process-{self.starts}"
        self._work.mkdir()
        job = {"spec": self.spec, "project_dir": str(self.folder), "data": data,
               "previous": self.previous if self.mode == "stateful" else None,
               "seed": self.seed, "mode": self.mode, "threads": self.threads}
        with open(self._work / "job.pkl", "wb") as fh:
            pickle.dump(job, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._logs = [open(self._work / "stdout.log", "wb"),  # noqa: SIM115 - closed in _stop
                      open(self._work / "stderr.log", "wb")]  # noqa: SIM115
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _TRIALS_CHILD, str(self._work), str(self.nice)],
            cwd=self.folder, env=_child_env(self.threads), stdin=subprocess.PIPE,
            stdout=self._logs[0], stderr=self._logs[1], start_new_session=True)
        self._data = data

    def _stop(self) -> None:
        from driftline.retrain._runner import _kill_group

        proc, self._proc, self._data = self._proc, None, None
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            _kill_group(proc)
        for log in self._logs:
            log.close()
        self._logs = []

    def _died(self) -> TrainingError:
        from driftline.retrain._runner import TrainingError

        tail = (self._work / "stderr.log").read_bytes()[-2000:].decode("utf-8", "replace").strip()
        self._stop()
        return TrainingError("the trial's training process exited without reporting an error"
                             + (f"; its last output: {tail}" if tail else "."))

    def fit(self, data: TrainingData, params: Mapping[str, Any], *, timeout: float) -> Any:
        """Train on ``data`` with ``params`` and return the model; raises
        :class:`~driftline.retrain.TrainingError` when the function raises, the process dies
        or ``timeout`` seconds pass."""
        from driftline.retrain._runner import TrainingError, _on_path

        if not timeout > 0:
            raise ParameterError.invalid("timeout", timeout, "a positive number of seconds")
        if self._proc is None or self._data is not data:
            self._start(data)
        assert self._proc is not None and self._proc.stdin is not None
        number = self._count
        self._count += 1
        with open(self._work / f"params-{number}.pkl", "wb") as fh:
            pickle.dump(dict(params), fh, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._proc.stdin.write(f"{number}\n".encode())
            self._proc.stdin.flush()
        except OSError:
            raise self._died() from None
        model_file = self._work / f"model-{number}.pkl"
        error_file = self._work / f"error-{number}.json"
        deadline, pause = time.monotonic() + timeout, 0.002
        while not (model_file.is_file() or error_file.is_file()):
            if _exited(self._proc) and not (model_file.is_file() or error_file.is_file()):
                raise self._died()
            if time.monotonic() >= deadline:
                self._stop()
                raise TrainingError(
                    f"the trial's training did not finish within timeout={timeout:g} s; its "
                    "process and its children were killed (the next trial starts a new one).")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        if error_file.is_file():
            err = json.loads(error_file.read_text(encoding="utf-8"))
            raise TrainingError(f"training failed in the training process: {err['type']}: "
                                f"{err['message']}", child_traceback=err["traceback"])
        with open(model_file, "rb") as fh, _on_path(self.folder):
            model = pickle.load(fh)
        model_file.unlink()
        return model

    def close(self) -> None:
        """Kill the process group and delete the temporary folder."""
        self._stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _trials_child_main(work: str) -> None:
    """The trials' process: load the job once, then train each trial named on stdin and
    write its model (or its error) next to the job; exit at the end of stdin."""
    import random
    import traceback

    from driftline.retrain._runner import _child_function

    folder = Path(work)
    with open(folder / "job.pkl", "rb") as fh:
        job = pickle.load(fh)
    sys.path.insert(0, job["project_dir"])
    for line in sys.stdin:
        number = line.strip()
        if not number:
            continue
        try:
            with open(folder / f"params-{number}.pkl", "rb") as fh:
                params = pickle.load(fh)
            random.seed(job["seed"])
            np.random.seed(job["seed"])  # noqa: NPY002 - legacy global state some code reads
            fn, merged = _child_function({**job, "params": params})
            model = fn(job["data"], previous=job["previous"], params=merged)
            if model is None or not hasattr(model, "predict"):
                raise TypeError(f"{job['spec']} returned {type(model).__name__}, not a model "
                                "with predict(); return the fitted model.")
            with open(folder / f"model-{number}.tmp", "wb") as fh:
                pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(folder / f"model-{number}.tmp", folder / f"model-{number}.pkl")
        except BaseException as exc:  # reported to the parent; the next trial goes on
            report = {"type": type(exc).__name__, "message": str(exc),
                      "traceback": traceback.format_exc()}
            (folder / f"error-{number}.tmp").write_text(json.dumps(report), encoding="utf-8")
            os.replace(folder / f"error-{number}.tmp", folder / f"error-{number}.json")
