"""Optuna in driftline: a study's trials tracked as nested runs (:class:`OptunaTracker`, a
``study.optimize`` callback), the study's summary (:func:`log_study`), both at once
(:func:`track_study`), and :class:`OptunaTuner`, the retraining loop's tuner
(``training.tuning.tuner: optuna``).

Optuna is imported only when a tuner tunes (and the tracker reads trials Optuna already made),
never by ``import driftline.integrations``. Importing this module registers the ``"optuna"``
tuner with :func:`driftline.retrain.register_tuner`.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from driftline.errors import ParameterError, require
from driftline.retrain._search_space import CategoricalParam, FloatParam, IntParam, SearchSpace
from driftline.retrain._tuners import DIRECTIONS, TrialResult, TuningResult, register_tuner

if TYPE_CHECKING:
    from driftline.store import Store
    from driftline.tracking import Run

__all__ = ["OptunaTracker", "OptunaTuner", "log_study", "track_study"]

# Optuna's finished trial states, as run statuses (RUNNING and WAITING trials are not done).
_STATUS = {"COMPLETE": "finished", "PRUNED": "pruned", "FAIL": "failed"}


def _utc(moment: datetime | None) -> datetime | None:
    """An aware UTC time (Optuna's are naive local times)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc)


def _finite(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _state(trial: Any) -> str:
    state = getattr(trial, "state", None)
    return str(getattr(state, "name", state))


def _metric_names(metric: str, n_objectives: int) -> list[str]:
    return [metric] if n_objectives <= 1 else [f"{metric}_{i}" for i in range(n_objectives)]


def _check_metric(metric: Any) -> None:
    if not isinstance(metric, str) or not metric:
        raise ParameterError.invalid("metric", metric, "a non-empty metric name")


class OptunaTracker:
    """A ``study.optimize`` callback that tracks every finished trial as a nested run of
    ``study_run``.

    Each COMPLETE, PRUNED or FAIL trial becomes a run of kind ``"trial"`` with status
    ``finished``, ``pruned`` or ``failed``; its params are the trial's params; its start and
    end are the trial's own (``datetime_start``, ``datetime_complete``); its tags are
    ``trial_number`` and the trial's user attributes. The objective value is the metric
    ``metric`` (``metric_0``, ``metric_1``... for a multi-objective study), and the values
    the trial reported with ``trial.report(value, step)`` are that metric's curve, one point
    per step (:func:`~driftline.tracking.metric_history`). A pruned trial's value is its last
    intermediate value, as Optuna records it.

    Call :func:`log_study` after ``optimize`` for the study's summary.

    Parameters
    ----------
    study_run : the study's run, of kind ``"study"``.
    metric : the metric name of the objective.

    Attributes
    ----------
    run_ids : ``{trial number: run id}`` of the trials tracked so far.

    Examples
    --------
    >>> import optuna
    >>> from driftline.store import Store
    >>> from driftline.tracking import list_runs, track
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    >>> store = Store.open("sqlite://")
    >>> with track("demo", store=store, kind="study") as run:
    ...     tracker = OptunaTracker(run, metric="loss")
    ...     study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.5) ** 2, n_trials=3,
    ...                    callbacks=[tracker])
    ...     best = log_study(run, study, metric="loss")
    >>> sorted(tracker.run_ids), best == tracker.run_ids[study.best_trial.number]
    ([0, 1, 2], True)
    >>> [t.status for t in list_runs(store, parent=run.id)]
    ['finished', 'finished', 'finished']
    """

    def __init__(self, study_run: Run, *, metric: str = "value") -> None:
        from driftline.tracking._search import _check_study

        _check_study(study_run)
        _check_metric(metric)
        self.run = study_run
        self.metric = metric
        self.run_ids: dict[int, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OptunaTracker(study_run={self.run.id!r}, metric={self.metric!r})"

    def __call__(self, study: Any, trial: Any) -> None:
        """The callback: track ``trial`` (Optuna calls it after each trial)."""
        self.log_trial(trial)

    def log_trial(self, trial: Any) -> str | None:
        """Track one finished trial (once: a trial already tracked is skipped); returns its
        run id, or ``None`` for a trial that has not finished."""
        status = _STATUS.get(_state(trial))
        if status is None:
            return None
        number = int(trial.number)
        with self._lock:
            if number in self.run_ids:
                return self.run_ids[number]
        tags: dict[str, Any] = {**dict(getattr(trial, "user_attrs", None) or {}),
                                "trial_number": number, "optuna_state": _state(trial)}
        values = list(getattr(trial, "values", None) or [])
        names = _metric_names(self.metric, len(values))
        with self.run.child(f"trial {number}", params=dict(trial.params), tags=tags,
                            started_at=_utc(trial.datetime_start)) as run:
            for step, value in sorted((getattr(trial, "intermediate_values", None) or {}).items()):
                v = _finite(value)
                if v is not None:
                    run.log_metric(names[0], v, step=int(step))
            finals = {n: v for n, raw in zip(names, values, strict=False)
                      if (v := _finite(raw)) is not None}
            if finals:
                run.log_metrics(finals)
            run.end(status, ended_at=_utc(trial.datetime_complete))
        with self._lock:
            self.run_ids[number] = run.id
        return run.id


def _tracked(study_run: Run) -> dict[int, str]:
    """``{trial number: run id}`` of the trials already tracked under ``study_run``."""
    from driftline.tracking import list_runs

    out: dict[int, str] = {}
    for rec in list_runs(study_run.store, parent=study_run.id, kind="trial"):
        number = rec.tags.get("trial_number")
        if isinstance(number, int) and not isinstance(number, bool):
            out.setdefault(number, rec.id)
    return out


def _importances(study: Any, complete: list[Any], multi: bool) -> tuple[dict[str, float], str]:
    """Optuna's importances (its default evaluator), or driftline's main-effect measure when
    Optuna cannot give them (fewer than two complete trials, an evaluator error)."""
    from driftline.tracking._search import param_importances

    def ours() -> tuple[dict[str, float], str]:
        values = [t.values[0] if multi else t.value for t in complete]
        return param_importances([t.params for t in complete], values), "main_effect"

    if len(complete) < 2 or not any(t.params for t in complete):
        return ours()
    optuna = require("optuna", extra="optuna", feature="log_study")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = optuna.importance.get_param_importances(
                study, target=(lambda t: t.values[0]) if multi else None)
    except Exception:  # a degenerate study (one distinct value, a constant objective...)
        return ours()
    return {str(k): float(v) for k, v in raw.items()}, "optuna"


def log_study(study_run: Run, study: Any, *, metric: str = "value") -> str | None:
    """Write an Optuna study's summary on its run, tracking any finished trial not yet tracked.

    The study run gets the studies' convention (see :mod:`driftline.tracking`): tags
    ``objective`` (``metric``, or ``metric_0`` for a multi-objective study), ``direction``
    (``"maximize"`` or ``"minimize"``), ``best_trial`` (the best trial's run id),
    ``source="optuna"``; the metric ``best_value``; ``best_params.json``; and
    ``param_importances.json`` from ``optuna.importance.get_param_importances`` (with fewer
    than two complete trials, or when Optuna cannot compute them, driftline's main-effect
    measure, :func:`~driftline.tracking._search.param_importances`; the tag
    ``importance_method`` says which). Also the tags ``study_name``, ``n_trials``,
    ``n_complete``, ``n_pruned``, ``n_failed``. A multi-objective study's ``best_trial`` is
    the Pareto-optimal trial best on the first objective; the tags ``directions``,
    ``objectives`` and ``best_trials`` (the Pareto front's run ids) give the rest.

    Trials are matched to runs by their ``trial_number`` tag, so a study loaded from Optuna's
    storage can be imported afterwards, without the callback.

    Parameters
    ----------
    study_run : the study's run, of kind ``"study"``.
    study : the ``optuna.Study``.
    metric : the objective's metric name, as given to :class:`OptunaTracker`.

    Returns
    -------
    The best trial's run id, or ``None`` when no trial completed.

    Examples
    --------
    >>> import optuna
    >>> from driftline.store import Store
    >>> from driftline.tracking import track
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(direction="maximize",
    ...                             sampler=optuna.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + 0.01 * t.suggest_int("k", 0, 3),
    ...                n_trials=8)
    >>> with track("demo", store=Store.open("sqlite://"), kind="study") as run:
    ...     best = log_study(run, study)   # imports the 8 trials, then summarises
    >>> tags = run.record().tags
    >>> tags["source"], tags["direction"], tags["best_trial"] == best, tags["n_trials"]
    ('optuna', 'maximize', True, 8)
    """
    from driftline.tracking._search import _check_study, log_study_summary

    _check_study(study_run)
    _check_metric(metric)
    tracker = OptunaTracker(study_run, metric=metric)
    tracker.run_ids.update(_tracked(study_run))
    trials = list(study.get_trials(deepcopy=False))
    for trial in trials:
        tracker.log_trial(trial)
    directions = [str(getattr(d, "name", d)).lower() for d in study.directions]
    multi = len(directions) > 1
    names = _metric_names(metric, len(directions))
    complete = [t for t in trials if _state(t) == "COMPLETE"]
    best: Any = None
    tags: dict[str, Any] = {"study_name": getattr(study, "study_name", None),
                            "n_trials": len(trials), "n_complete": len(complete),
                            "n_pruned": sum(_state(t) == "PRUNED" for t in trials),
                            "n_failed": sum(_state(t) == "FAIL" for t in trials)}
    if multi:
        front = list(study.best_trials)
        if front:
            sign = 1.0 if directions[0] == "maximize" else -1.0
            best = max(front, key=lambda t: (sign * t.values[0], -t.number))
        tags.update({"directions": directions, "objectives": names,
                     "best_trials": [tracker.run_ids[t.number] for t in front
                                     if t.number in tracker.run_ids]})
    elif complete:
        best = study.best_trial
    importances, method = _importances(study, complete, multi)
    tags["importance_method"] = method
    best_id = None if best is None else tracker.run_ids.get(best.number)
    direction = directions[0] if directions and directions[0] in DIRECTIONS else "minimize"
    log_study_summary(study_run, source="optuna", objective=names[0], direction=direction,
                      best_trial=best_id,
                      best_value=None if best is None else best.values[0],
                      importances=importances,
                      best_params=None if best is None else dict(best.params), tags=tags)
    return best_id


def track_study(model: str, study: Any, objective: Callable[[Any], Any], n_trials: int, *,
                store: Store | str, run_name: str | None = None, metric: str = "value",
                **optimize_kwargs: Any) -> str:
    """Run ``study.optimize(objective, n_trials)`` as a tracked study of ``model``: a study
    run (top-level, or nested in the run open around the call) with every trial as a nested
    run (:class:`OptunaTracker`) and the summary (:func:`log_study`); returns the study run's
    id.

    ``optimize_kwargs`` go to ``study.optimize`` (``timeout``, ``n_jobs``, ``catch``, more
    ``callbacks``...). The study run is named ``run_name`` (default the study's name).

    Examples
    --------
    >>> import optuna
    >>> from driftline.store import Store
    >>> from driftline.tracking import get_run
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> store = Store.open("sqlite://")
    >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    >>> run_id = track_study("demo", study, lambda t: t.suggest_float("x", -1, 1) ** 2, 4,
    ...                      store=store)
    >>> rec = get_run(store, run_id)
    >>> rec.kind, rec.tags["n_complete"], rec.metrics["best_value"] == study.best_value
    ('study', 4, True)
    """
    from driftline.tracking import track

    if not callable(objective):
        raise ParameterError.invalid("objective", objective, "a callable objective(trial)")
    with track(model, run_name=run_name or getattr(study, "study_name", None), kind="study",
               store=store, tags={"source": "optuna"}) as run:
        tracker = OptunaTracker(run, metric=metric)
        callbacks = [*list(optimize_kwargs.pop("callbacks", None) or ()), tracker]
        study.optimize(objective, n_trials=n_trials, callbacks=callbacks, **optimize_kwargs)
        log_study(run, study, metric=metric)
    return run.id


def _suggest(trial: Any, name: str, spec: Any) -> Any:
    if isinstance(spec, FloatParam):
        return trial.suggest_float(name, spec.low, spec.high, log=spec.log)
    if isinstance(spec, IntParam):
        return trial.suggest_int(name, spec.low, spec.high, log=spec.log)
    if isinstance(spec, CategoricalParam):
        return trial.suggest_categorical(name, list(spec.choices))
    raise ParameterError.invalid(f"space[{name!r}]", spec, "a FloatParam, IntParam or "
                                 "CategoricalParam")


class OptunaTuner:
    """The retraining loop's :class:`~driftline.retrain.Tuner` with Optuna's samplers
    (``training.tuning.tuner: optuna``).

    Each :meth:`tune` runs a new in-memory study with ``sampler`` (default a TPE sampler
    seeded with ``seed``); a trial whose objective raises or returns a value that is not a
    finite number is a failed trial, and the search goes on.

    Parameters
    ----------
    seed : the default sampler's seed.
    sampler : an ``optuna.samplers.BaseSampler`` to use instead.

    Examples
    --------
    >>> from driftline.retrain import SearchSpace
    >>> space = SearchSpace.from_dict({"x": {"low": -2.0, "high": 2.0},
    ...                                "kind": {"choices": ["a", "b"]}})
    >>> res = OptunaTuner(seed=0).tune(lambda p: -p["x"] ** 2 - (p["kind"] == "b"), space,
    ...                                n_trials=12)
    >>> len(res.trials), res.best_value > -1.0
    (12, True)
    """

    name = "optuna"
    source = "optuna"

    def __init__(self, *, seed: int = 0, sampler: Any = None) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ParameterError.invalid("seed", seed, "an int")
        self.seed = seed
        self.sampler = sampler

    def __repr__(self) -> str:
        return f"OptunaTuner(seed={self.seed}, sampler={self.sampler!r})"

    def tune(self, objective: Callable[[dict[str, Any]], float], space: SearchSpace, *,
             n_trials: int, direction: str = "maximize",
             timeout: float | None = None) -> TuningResult:
        """Run ``n_trials`` Optuna trials (fewer if ``timeout`` seconds pass first)."""
        from driftline.retrain._tuners import _check_budget

        _check_budget(n_trials, direction, timeout)
        space = SearchSpace.from_dict(space)
        optuna = require("optuna", extra="optuna", feature="OptunaTuner")
        sampler = self.sampler or optuna.samplers.TPESampler(seed=self.seed)
        study = optuna.create_study(direction=direction, sampler=sampler)
        errors: dict[int, str] = {}

        def inner(trial: Any) -> float:
            params = {name: _suggest(trial, name, spec) for name, spec in space.params.items()}
            try:
                return float(objective(params))
            except Exception as exc:
                errors[trial.number] = f"{type(exc).__name__}: {exc}"[:500]
                raise

        study.optimize(inner, n_trials=n_trials, timeout=timeout, catch=(Exception,))
        trials = []
        for t in study.get_trials(deepcopy=False):
            status = _STATUS.get(_state(t))
            if status is None:
                continue
            value = _finite(t.value) if status == "finished" else None
            error = errors.get(t.number) or (None if status != "failed" else
                                             "the objective returned no finite value")
            trials.append(TrialResult(t.number, dict(t.params), value, status, error))
        return TuningResult(direction, tuple(trials))


def _factory(seed: int = 0, **kwargs: Any) -> OptunaTuner:
    return OptunaTuner(seed=seed, **kwargs)


register_tuner("optuna", _factory)
