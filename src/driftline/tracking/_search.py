"""Hyperparameter searches as tracked studies: a fitted scikit-learn ``GridSearchCV`` or
``RandomizedSearchCV`` imported as the trials of a study run (:func:`log_search`), the summary
every study carries (:func:`log_study_summary`), and a simple, deterministic measure of how
much each hyperparameter mattered (:func:`param_importances`).

A study run (kind ``"study"``) follows one convention, whatever produced it, so the UI reads
every study the same way:

- tags ``objective`` (the metric its trials log their objective under), ``direction``
  (``"maximize"`` or ``"minimize"``), ``best_trial`` (the best trial's run id) and
  ``source`` (``"sklearn"``, ``"optuna"``, ``"driftline"``);
- the metric ``best_value``, and the JSON artifacts ``param_importances.json``
  (``{param: importance}``, each ≥ 0, summing to 1) and ``best_params.json``;
- each trial a nested run of kind ``"trial"`` with the trial's hyperparameters as params, the
  objective metric, the tag ``trial_number`` and the status ``finished``, ``pruned`` or
  ``failed``.

scikit-learn is not imported here: any object with ``cv_results_`` and ``best_index_`` is a
search.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError
from driftline.tracking._run import finite_or_none

if TYPE_CHECKING:
    from driftline.tracking._run import Run

__all__ = ["DIRECTIONS", "log_search", "log_study_summary", "param_importances"]

#: The directions a study optimises in.
DIRECTIONS = ("maximize", "minimize")
_MISSING = ("<missing>",)  # the group of trials that did not set a parameter


def _group_key(value: Any) -> Any:
    """A hashable stand-in for a parameter value (estimators, lists and dicts by ``repr``)."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        value = item()
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value if isinstance(value, (bool, int, float, str, type(None))) else ("repr", repr(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def param_importances(trials_params: Sequence[Mapping[str, Any]], values: Sequence[Any], *,
                      bins: int = 5) -> dict[str, float]:
    """How much of the objective's variation each hyperparameter explains on its own.

    For each parameter, the trials are grouped by its value, and its importance is the
    variance of the objective *between* the groups: ``sum_g n_g (mean_g - mean)^2 / n``, the
    share of the variance its main effect explains, as in a one-way ANOVA. The importances are
    then divided by their sum, so they are ≥ 0 and sum to 1. A numeric parameter with more than
    ``bins`` distinct values (a random or Bayesian search) is first cut into ``bins`` quantile
    bins; a trial without the parameter (a conditional one) forms its own group. Trials whose
    value is missing or not finite (failed ones) are left out. Interactions are not credited to
    either parameter, so this is a screening measure, deterministic and cheap; Optuna's
    evaluators (``optuna.importance``) model interactions too.

    With fewer than two usable trials, or when no parameter changes the objective, every
    parameter gets the same share. Without parameters the result is ``{}``.

    Parameters
    ----------
    trials_params : each trial's hyperparameters.
    values : each trial's objective value (``None`` or NaN for a trial without one).
    bins : quantile bins for a numeric parameter with more than this many distinct values.

    Examples
    --------
    >>> params = [{"C": c, "seed": s} for c in (0.1, 1.0, 10.0) for s in (0, 1)]
    >>> values = [0.60, 0.61, 0.80, 0.80, 0.70, 0.71]  # C matters, the seed barely does
    >>> {k: round(v, 3) for k, v in param_importances(params, values).items()}
    {'C': 0.998, 'seed': 0.002}
    >>> param_importances([{"C": 1.0}], [0.5])
    {'C': 1.0}
    """
    if len(trials_params) != len(values):
        raise ParameterError.invalid("values", f"{len(values)} values",
                                     f"one value per trial ({len(trials_params)})")
    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 2:
        raise ParameterError.invalid("bins", bins, "an int ≥ 2")
    names = sorted({str(k) for p in trials_params for k in p})
    if not names:
        return {}
    usable = [(p, v) for p, raw in zip(trials_params, values, strict=True)
              if (v := finite_or_none(raw)) is not None]
    if len(usable) < 2:
        return {n: 1.0 / len(names) for n in names}
    y = np.array([v for _, v in usable])
    effects = {}
    for name in names:
        raw = [p.get(name, _MISSING) for p, _ in usable]
        effects[name] = _between_variance(_groups(raw, bins), y)
    total = sum(effects.values())
    if not total > 1e-15 * max(1.0, float(np.var(y))):
        return {n: 1.0 / len(names) for n in names}
    return {n: effects[n] / total for n in names}


def _groups(raw: list[Any], bins: int) -> list[Any]:
    """Each trial's group for one parameter: its value, or its quantile bin when numeric
    with many distinct values."""
    numeric = [i for i, v in enumerate(raw) if _is_number(v) and math.isfinite(float(v))]
    keys = [_group_key(v) for v in raw]
    distinct = {float(raw[i]) for i in numeric}
    if len(distinct) > bins:
        x = np.array([float(raw[i]) for i in numeric])
        edges = np.quantile(x, np.linspace(0.0, 1.0, bins + 1)[1:-1])
        for i, b in zip(numeric, np.searchsorted(edges, x, side="right"), strict=True):
            keys[i] = ("bin", int(b))
    return keys


def _between_variance(keys: list[Any], y: np.ndarray) -> float:
    mean = float(y.mean())
    sums: dict[Any, list[float]] = {}
    for key, value in zip(keys, y.tolist(), strict=True):
        sums.setdefault(key, []).append(value)
    return float(sum(len(v) * (sum(v) / len(v) - mean) ** 2 for v in sums.values()) / len(y))


def log_study_summary(run: Run, *, source: str, objective: str, direction: str,
                      best_trial: str | None, best_value: float | None,
                      importances: Mapping[str, float], best_params: Mapping[str, Any] | None = None,
                      tags: Mapping[str, Any] | None = None) -> None:
    """Write the summary every study carries (see the module's convention) on ``run``.

    Parameters
    ----------
    run : the study's run, of kind ``"study"``.
    source : what ran the study: ``"sklearn"``, ``"optuna"``, ``"driftline"``...
    objective : the metric name its trials log their objective under.
    direction : ``"maximize"`` or ``"minimize"``.
    best_trial, best_value : the best trial's run id and objective value (``None`` when no
        trial finished with a value).
    importances : ``{param: importance}``; normalised here to sum to 1 (negative or
        non-finite values count as 0).
    best_params : the best trial's hyperparameters, stored as ``best_params.json``.
    tags : more tags for the study.

    Examples
    --------
    >>> from driftline.store import Store
    >>> from driftline.tracking import track
    >>> with track("credit", store=Store.open("sqlite://"), kind="study") as study:
    ...     log_study_summary(study, source="driftline", objective="auc", direction="maximize",
    ...                       best_trial=None, best_value=0.8, importances={"C": 3, "l1": 1})
    >>> rec = study.record()
    >>> rec.tags["objective"], rec.tags["direction"], rec.metrics["best_value"]
    ('auc', 'maximize', 0.8)
    """
    _check_study(run)
    if direction not in DIRECTIONS:
        raise ParameterError.choice("direction", direction, DIRECTIONS)
    out: dict[str, Any] = {**dict(tags or {}), "objective": objective, "direction": direction,
                           "source": source}
    if best_trial is not None:
        out["best_trial"] = best_trial
    run.set_tags(out)
    value = finite_or_none(best_value)
    if value is not None:
        run.log_metric("best_value", value)
    run.log_dict("param_importances.json", _normalised(importances))
    if best_params is not None:
        run.log_dict("best_params.json", dict(best_params))


def _normalised(importances: Mapping[str, float]) -> dict[str, float]:
    clean = {str(k): max(0.0, finite_or_none(v) or 0.0) for k, v in importances.items()}
    total = sum(clean.values())
    if not clean:
        return {}
    if total <= 0.0:
        return {k: 1.0 / len(clean) for k in clean}
    return {k: v / total for k, v in clean.items()}


def _check_study(run: Any) -> None:
    if not callable(getattr(run, "child", None)):
        raise ParameterError.invalid("run", run, "a driftline Run (from driftline.tracking.track)")
    if getattr(run, "kind", None) != "study":
        raise ParameterError.invalid("run", f"a run of kind {getattr(run, 'kind', None)!r}",
                                     "a run of kind 'study'",
                                     "Open it with track(..., kind='study').")


def _objective_key(search: Any, results: Mapping[str, Any], objective: str | None) -> str:
    """The ``cv_results_`` key of the objective: ``mean_test_score``, or
    ``mean_test_<refit scorer>`` with several scorers."""
    scores = sorted(k for k in results if k.startswith("mean_test_"))
    if objective is None:
        if "mean_test_score" in results:
            return "mean_test_score"
        refit = getattr(search, "refit", None)
        if isinstance(refit, str) and f"mean_test_{refit}" in results:
            return f"mean_test_{refit}"
        raise ParameterError.invalid("objective", None, f"one of {', '.join(scores)}",
                                     "The search has several scorers and no refit scorer "
                                     "to default to.")
    key = objective if objective.startswith("mean_test_") else f"mean_test_{objective}"
    if key not in results:
        raise ParameterError.choice("objective", objective, scores)
    return key


def _best_index(search: Any, results: Mapping[str, Any], key: str, ranks: Any) -> int | None:
    scores = [finite_or_none(v) for v in results[key]]
    if not any(s is not None for s in scores):
        return None
    index = getattr(search, "best_index_", None)
    refit = getattr(search, "refit", None)
    refit_key = "mean_test_score" if "mean_test_score" in results else f"mean_test_{refit}"
    if isinstance(index, (int, np.integer)) and key == refit_key:
        return int(index)
    if ranks is not None:  # the rank-1 candidate, the first of ties (as scikit-learn picks)
        return int(np.argmin(np.asarray(ranks)))
    return max(range(len(scores)), key=lambda i: (scores[i] is not None, scores[i] or 0.0, -i))


def log_search(run: Run, search: Any, *, objective: str | None = None) -> list[str]:
    """Import a fitted scikit-learn search as the trials of the study ``run``.

    Every candidate of ``search.cv_results_`` becomes a nested run of kind ``"trial"``: its
    params are the candidate's ``params``; its metrics every ``mean_test_*``, ``std_test_*``,
    ``mean_train_*``, ``std_train_*``, ``mean_fit_time`` and ``mean_score_time`` value (the
    objective under its own name, such as ``mean_test_score``); its tags ``trial_number``
    (the candidate's index), ``rank`` (scikit-learn's rank on the objective), ``score_std``
    (the objective's standard deviation over the folds) and ``fit_time`` (mean seconds per
    fit). A candidate whose objective is not a number (its fits failed, ``error_score=nan``)
    ends ``failed``. scikit-learn keeps no clock times, so the trials' times are those of the
    import.

    The study gets the convention's tags (``source="sklearn"``, ``direction="maximize"``: a
    scikit-learn score is higher-is-better, errors are negated), ``best_trial`` (the rank-1
    candidate, ``best_index_`` when the objective is the refit scorer), the metric
    ``best_value``, the artifacts ``best_params.json`` and ``param_importances.json`` (from
    :func:`param_importances`; the tag ``importance_method="main_effect"``), and the tags
    ``n_splits`` and ``n_candidates``.

    Parameters
    ----------
    run : the study, a run of kind ``"study"``.
    search : a fitted ``GridSearchCV``, ``RandomizedSearchCV``, ``HalvingGridSearchCV``... or
        any object with ``cv_results_`` (and ``best_index_``).
    objective : the scorer to rank by: ``"score"`` with one scorer (the default), else the
        refit scorer's name by default; ``"mean_test_<name>"`` is accepted too.

    Returns
    -------
    The trials' run ids, in candidate order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from driftline.store import Store
    >>> from driftline.tracking import list_runs, track
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2)); y = X @ [1.0, -1.0] + rng.normal(size=60)
    >>> search = GridSearchCV(Ridge(), {"alpha": [0.1, 10.0, 1000.0]}, cv=3).fit(X, y)
    >>> store = Store.open("sqlite://")
    >>> with track("prices", store=store, kind="study") as study:
    ...     ids = log_search(study, search)
    >>> trials = list_runs(store, parent=study.id)
    >>> len(trials), study.record().tags["best_trial"] == ids[search.best_index_]
    (3, True)
    >>> sorted(study.record().tags)[:4]
    ['best_trial', 'direction', 'importance_method', 'n_candidates']
    """
    _check_study(run)
    results = getattr(search, "cv_results_", None)
    if not isinstance(results, Mapping) or "params" not in results:
        raise ParameterError.invalid("search", type(search).__name__,
                                     "a fitted search with cv_results_ (GridSearchCV, "
                                     "RandomizedSearchCV)", "Call search.fit(X, y) first.")
    key = _objective_key(search, results, objective)
    scorer = key[len("mean_test_"):]
    ranks = results.get(f"rank_test_{scorer}")
    candidates = list(results["params"])
    logged = sorted(k for k in results if k.startswith(("mean_test_", "std_test_", "mean_train_",
                                                        "std_train_"))
                    or k in ("mean_fit_time", "mean_score_time"))
    ids = []
    for i, params in enumerate(candidates):
        metrics = {k: v for k in logged if (v := finite_or_none(results[k][i])) is not None}
        tags: dict[str, Any] = {"trial_number": i}
        if ranks is not None:
            tags["rank"] = int(ranks[i])
        for tag, source_key in (("score_std", f"std_test_{scorer}"), ("fit_time", "mean_fit_time")):
            value = finite_or_none(results[source_key][i]) if source_key in results else None
            if value is not None:
                tags[tag] = value
        with run.child(f"candidate {i}", params=dict(params), tags=tags) as trial:
            if metrics:
                trial.log_metrics(metrics)
            if key not in metrics:
                trial.set_tags({"error.message": f"{key} is not a number: its fits failed"})
                trial.end("failed")
        ids.append(trial.id)
    best = _best_index(search, results, key, ranks)
    values = [results[key][i] for i in range(len(candidates))]
    n_splits = getattr(search, "n_splits_", None)
    extra: dict[str, Any] = {"n_candidates": len(candidates), "importance_method": "main_effect"}
    if n_splits is not None:
        extra["n_splits"] = int(n_splits)
    log_study_summary(run, source="sklearn", objective=key, direction="maximize",
                      best_trial=None if best is None else ids[best],
                      best_value=None if best is None else finite_or_none(values[best]),
                      importances=param_importances(candidates, values),
                      best_params=None if best is None else dict(candidates[best]), tags=extra)
    return ids
