"""Stateful retraining: continue the champion on new rows, by model family.

=====================  ==========================================================================
family                 what ``continue_training`` does (always on a copy; the champion is untouched)
=====================  ==========================================================================
``partial_fit``        scikit-learn estimators with ``partial_fit`` (SGD, naive Bayes, Perceptron,
                       MLP, ...) and Pipelines whose steps are stateless or also have
                       ``partial_fit``: one more pass over the new rows, from the champion's state
LightGBM               more boosting rounds on the new rows, starting from the champion's trees
                       (``init_model=``)
XGBoost                more boosting rounds on the new rows (``xgb_model=``)
river                  ``learn_one`` on every new row, in order (``learn_many`` in mini-batches
                       when ``params["batch_size"] > 1``)
``warm_start=True``    sklearn tree ensembles (random forests, extra trees, bagging, gradient
                       boosting): new trees fitted on the new rows only, added to the old ones;
                       other models (convex: logistic regression, elastic net, GLMs): a re-fit on
                       the new rows only that starts from the old coefficients, with a
                       :class:`~driftline.errors.DriftlineWarning` (the old data is not remembered)
anything else          refused with a :class:`~driftline.errors.ParameterError`: use stateless
                       retraining
=====================  ==========================================================================
"""

from __future__ import annotations

import copy
import importlib
import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import DataError, DriftlineWarning, ParameterError

if TYPE_CHECKING:
    from driftline.registry import Model, TrainFunction, TrainingData

__all__ = ["TRAINING_MODES", "continue_training", "default_trainer", "stateless_fit"]

TRAINING_MODES = ("stateless", "stateful")

# Boosting rounds added to a raw LightGBM/XGBoost Booster when params has no n_estimators.
_DEFAULT_ROUNDS = 100
# LightGBM reads these from params in preference to num_boost_round; a Booster's saved params
# carry the old count (and its thread count), so they are dropped before continuing.
_LGB_ROUND_KEYS = {"num_iterations", "num_iteration", "n_iter", "num_tree", "num_trees",
                   "num_round", "num_rounds", "nrounds", "num_boost_round", "n_estimators",
                   "max_iter", "num_threads", "num_thread", "nthread", "nthreads", "n_jobs"}
_STATELESS_HINT = ("Use stateless retraining instead (mode 'stateless': a fresh fit on the new "
                   "data, which default_trainer('stateless') and stateless_fit do).")


def _name(model: Any) -> str:
    return type(model).__name__


def _libraries(model: Any) -> set[str]:
    return {c.__module__.split(".")[0] for c in type(model).__mro__}


def _refuse(model: Any, why: str) -> ParameterError:
    return ParameterError.invalid(
        "previous", _name(model),
        "a model that can continue learning (partial_fit, warm_start=True, LightGBM, XGBoost "
        "or river)",
        f"{why[:1].upper()}{why[1:]}, so stateful retraining would not continue it. {_STATELESS_HINT}")


def _weights(fit: Callable[..., Any], data: TrainingData, model: Any) -> dict[str, Any]:
    if data.sample_weight is None:
        return {}
    if "sample_weight" in inspect.signature(fit).parameters:
        return {"sample_weight": data.sample_weight}
    warnings.warn(f"{_name(model)} cannot take sample weights when continuing; they are ignored.",
                  DriftlineWarning, stacklevel=4)
    return {}


def _check_classes(model: Any, y: Any, *, exact: bool) -> None:
    """Refuse labels the champion never saw; with ``exact``, also a missing known class (for
    families that re-derive their classes from the rows they are fitted on)."""
    known = getattr(model, "classes_", None)
    if known is None:
        return
    known_list = np.asarray(known).tolist()
    seen = {v.item() if isinstance(v, np.generic) else v for v in np.unique(np.asarray(y))}
    unseen = sorted(seen - set(known_list), key=str)
    if unseen:
        raise DataError(
            f"the new rows have label(s) {unseen[:5]} that the champion {_name(model)} never saw "
            f"(its classes_ are {known_list}); a model cannot gain a class by continuing. "
            f"{_STATELESS_HINT}")
    missing = sorted(set(known_list) - seen, key=str)
    if exact and missing:
        raise DataError(
            f"the new rows have no rows of class(es) {missing[:5]}; continuing a {_name(model)} "
            f"re-derives its classes from the new rows, so every class of the champion "
            f"({known_list}) must appear in them. Add rows of those classes, or retrain "
            "statelessly (mode 'stateless').")


def _rounds(params: dict[str, Any], default: Any) -> int:
    rounds = params.pop("n_estimators", None)
    rounds = default if rounds is None else rounds
    rounds = _DEFAULT_ROUNDS if rounds is None else rounds
    if not isinstance(rounds, (int, np.integer)) or isinstance(rounds, bool) or rounds < 1:
        raise ParameterError.invalid("params['n_estimators']", rounds,
                                     "a positive int (the trees or rounds to add)")
    return int(rounds)


def _continue_lightgbm(prev: Any, data: TrainingData, params: dict[str, Any]) -> Any:
    import lightgbm as lgb

    if isinstance(prev, lgb.Booster):
        rounds = _rounds(params, None)
        train_params = {k: v for k, v in prev.params.items() if k not in _LGB_ROUND_KEYS}
        train_params = {"verbosity": -1, **train_params, **params}
        dataset = lgb.Dataset(data.X, data.y, weight=data.sample_weight)
        return lgb.train(train_params, dataset, num_boost_round=rounds, init_model=prev)
    from sklearn.base import clone

    _check_classes(prev, data.y, exact=True)
    rounds = _rounds(params, prev.n_estimators)
    model = clone(prev).set_params(n_estimators=rounds, **params)
    return model.fit(data.X, data.y, init_model=prev.booster_, **_weights(model.fit, data, prev))


def _continue_xgboost(prev: Any, data: TrainingData, params: dict[str, Any]) -> Any:
    import xgboost as xgb

    if isinstance(prev, xgb.Booster):
        rounds = _rounds(params, None)
        dtrain = xgb.DMatrix(data.X, data.y, weight=data.sample_weight)
        return xgb.train(params, dtrain, num_boost_round=rounds, xgb_model=prev)
    from sklearn.base import clone

    _check_classes(prev, data.y, exact=True)
    rounds = _rounds(params, prev.n_estimators)
    model = clone(prev).set_params(n_estimators=rounds, **params)
    return model.fit(data.X, data.y, xgb_model=prev.get_booster(),
                     **_weights(model.fit, data, prev))


def _continue_river(prev: Any, data: TrainingData, params: dict[str, Any]) -> Any:
    from driftline.registry import RiverModel

    batch = params.pop("batch_size", 1)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ParameterError.invalid("params['batch_size']", batch, "a positive int")
    if data.sample_weight is not None:
        warnings.warn("river models are continued without sample weights; they are ignored.",
                      DriftlineWarning, stacklevel=3)
    model = copy.deepcopy(prev)
    wrapped = isinstance(model, RiverModel)
    inner = model.model if wrapped else model
    X, y = data.X, data.y
    if batch > 1 and hasattr(inner, "learn_many"):
        # learn_many takes one optimiser step per call on linear models, so the rows go in
        # mini-batches rather than as one batch (which would barely move the model).
        for start in range(0, len(X), batch):
            inner.learn_many(X.iloc[start:start + batch], y.iloc[start:start + batch])
        if wrapped and hasattr(inner, "predict_proba_one"):
            model._classes.update(y.tolist())  # the wrapper's record of labels seen
    elif wrapped:
        model.learn(X, y)
    else:
        for row, label in zip(X.to_dict(orient="records"), y.tolist(), strict=True):
            inner.learn_one(row, label)
    return model


def _classes_kwarg(model: Any, fit: Callable[..., Any], y: Any) -> dict[str, Any]:
    from sklearn.base import is_classifier

    if not is_classifier(model) or "classes" not in inspect.signature(fit).parameters:
        return {}
    _check_classes(model, y, exact=False)
    known = getattr(model, "classes_", None)
    return {"classes": np.unique(np.asarray(y)) if known is None else known}


def _continue_partial_fit(prev: Any, data: TrainingData, params: dict[str, Any]) -> Any:
    model = copy.deepcopy(prev)
    if params:
        model.set_params(**params)
    kwargs = {**_classes_kwarg(model, model.partial_fit, data.y),
              **_weights(model.partial_fit, data, model)}
    model.partial_fit(data.X, data.y, **kwargs)
    return model


def _pipeline_step_problem(name: str, step: Any) -> str | None:
    if step is None or step == "passthrough" or hasattr(step, "partial_fit"):
        return None
    try:
        from sklearn.utils import get_tags

        stateless = not get_tags(step).requires_fit
    except (ImportError, AttributeError):  # scikit-learn < 1.6 has no get_tags
        stateless = False
    if stateless:
        return None
    return (f"its step {name!r} ({_name(step)}) holds state learned at fit time and has no "
            "partial_fit: continuing would either keep that state frozen (new categories or "
            "ranges unseen) or re-fit it on the new rows only and change the inputs the final "
            "step learned from")


def _continue_pipeline(prev: Any, data: TrainingData, params: dict[str, Any]) -> Any:
    final = prev.steps[-1][1]
    if not hasattr(final, "partial_fit"):
        raise _refuse(prev, f"its final step {_name(final)} has no partial_fit")
    for name, step in prev.steps[:-1]:
        problem = _pipeline_step_problem(name, step)
        if problem is not None:
            raise _refuse(prev, problem)
    model = copy.deepcopy(prev)
    if params:
        model.set_params(**params)
    Xt = data.X
    for _, step in model.steps[:-1]:
        if step is None or step == "passthrough":
            continue
        if hasattr(step, "partial_fit"):
            step.partial_fit(Xt)
        Xt = step.transform(Xt)
    final = model.steps[-1][1]
    kwargs = {**_classes_kwarg(final, final.partial_fit, data.y),
              **_weights(final.partial_fit, data, final)}
    final.partial_fit(Xt, data.y, **kwargs)
    return model


def _is_ensemble(model: Any) -> bool:
    from sklearn.ensemble import BaseEnsemble

    return isinstance(model, BaseEnsemble)


def _continue_warm_start(prev: Any, data: TrainingData, params: dict[str, Any]) -> Any:
    from sklearn.base import is_classifier

    if is_classifier(prev):
        _check_classes(prev, data.y, exact=True)
    model = copy.deepcopy(prev)
    if _is_ensemble(prev):
        default = inspect.signature(type(prev).__init__).parameters["n_estimators"].default
        have = len(prev.estimators_)
        model.set_params(n_estimators=have + _rounds(params, default))
    else:
        warnings.warn(
            f"continuing a {_name(prev)} with warm_start re-fits it on the new rows only, "
            "starting from the champion's coefficients: the old data is not remembered, and a "
            "convex model converges to the same optimum as a fresh fit on the new rows (warm "
            "start only makes it faster).", DriftlineWarning, stacklevel=3)
    if params:
        model.set_params(**params)
    return model.fit(data.X, data.y, **_weights(model.fit, data, model))


def _warm_start_problem(model: Any) -> str | None:
    get_params = getattr(model, "get_params", None)
    if get_params is None or "warm_start" not in get_params(deep=False):
        return "it has neither partial_fit nor a warm_start parameter"
    if not model.get_params(deep=False)["warm_start"]:
        return ("it has no partial_fit and was built with warm_start=False (build it with "
                "warm_start=True to opt in to a warm-started re-fit)")
    if _name(model).startswith("HistGradientBoosting"):
        return ("its warm_start re-bins the features on the new rows, so its old trees would "
                "be read with the wrong bin edges while the new ones are fitted")
    return None


def _continuer(model: Any) -> Callable[[Any, TrainingData, dict[str, Any]], Any]:
    from driftline.registry import RiverModel

    libs = _libraries(model)
    if isinstance(model, RiverModel) or "river" in libs:
        return _continue_river
    if "lightgbm" in libs:
        return _continue_lightgbm
    if "xgboost" in libs:
        return _continue_xgboost
    if "sklearn" in libs and _name(model) == "Pipeline" and hasattr(model, "steps"):
        return _continue_pipeline
    if hasattr(model, "partial_fit"):
        return _continue_partial_fit
    problem = _warm_start_problem(model)
    if problem is not None:
        raise _refuse(model, problem)
    return _continue_warm_start


def continue_training(previous: Any, data: TrainingData, *,
                      params: Mapping[str, Any] | None = None) -> Model:
    """Continue the champion ``previous`` on the new rows of ``data``, by model family.

    The champion is deep-copied (or, for LightGBM/XGBoost, used read-only as the starting
    point) and never mutated. ``params`` may hold ``n_estimators`` (trees or boosting rounds to
    add; default: the champion's own ``n_estimators`` for LightGBM/XGBoost wrappers, the
    class default for sklearn ensembles, 100 for a raw Booster) and ``batch_size`` (river);
    other keys are set on scikit-learn-style copies with ``set_params``, or passed to
    ``lightgbm.train`` / ``xgboost.train`` for a raw Booster. See the module docstring for
    what each family does, and ``docs/training.md`` for what ``warm_start`` means.

    Raises :class:`~driftline.errors.ParameterError` for a model that cannot continue
    (say which, and to use stateless retraining) and :class:`~driftline.errors.DataError`
    for labels the champion never saw.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import SGDClassifier
    >>> from driftline.registry import TrainingData
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=200)}).assign(y=lambda d: (d.x > 0).astype(int))
    >>> champion = SGDClassifier(random_state=0).fit(df[["x"]], df.y)
    >>> new = continue_training(champion, TrainingData.from_frame(df, target="y"))
    >>> new is champion, new.t_ > champion.t_
    (False, True)
    """
    if previous is None:
        raise ParameterError.invalid("previous", None, "the champion model to continue",
                                     "With no champion yet, train statelessly.")
    return _continuer(previous)(previous, data, dict(params or {}))


def _load_spec(spec: str) -> Any:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ParameterError.invalid("estimator", spec, "an import path 'package.module:Name'")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ParameterError(f"estimator {spec!r} cannot be imported ({exc}); put the module "
                             "in the project folder or install it.") from exc


def _fresh(estimator: Any, params: Mapping[str, Any]) -> Any:
    from driftline.registry import RiverModel

    spec = _load_spec(estimator) if isinstance(estimator, str) else estimator
    if callable(spec) and (inspect.isclass(spec) or inspect.isfunction(spec)):
        return spec(**params)  # a class or a factory function
    if isinstance(spec, RiverModel):
        return RiverModel(spec.model.clone(dict(params) or None))
    if "river" in _libraries(spec):
        return spec.clone(dict(params) or None)
    if hasattr(spec, "get_params"):
        from sklearn.base import clone

        return clone(spec).set_params(**params)
    return copy.deepcopy(spec)


def stateless_fit(estimator: Any, data: TrainingData, *,
                  params: Mapping[str, Any] | None = None) -> Model:
    """Fit a fresh copy of ``estimator`` on ``data``: the stateless way to train a version.

    ``estimator`` is an import path (``"sklearn.linear_model:LogisticRegression"``), a class or
    factory (called with ``**params``), or an instance (cloned unfitted, then ``params`` set).
    A river model is wrapped in :class:`~driftline.registry.RiverModel` and learns row by row.

    Examples
    --------
    >>> import pandas as pd
    >>> from driftline.registry import TrainingData
    >>> data = TrainingData.from_frame(pd.DataFrame({"x": [0.0, 1, 2, 3], "y": [0, 0, 1, 1]}),
    ...                                target="y")
    >>> m = stateless_fit("sklearn.linear_model:LogisticRegression", data, params={"C": 10.0})
    >>> m.predict(data.X).tolist(), m.C
    ([0, 0, 1, 1], 10.0)
    """
    from driftline.registry import RiverModel

    model = _fresh(estimator, dict(params or {}))
    if isinstance(model, RiverModel) or (not hasattr(model, "fit") and hasattr(model, "learn_one")):
        wrapper = model if isinstance(model, RiverModel) else RiverModel(model)
        return wrapper.learn(data.X, data.y)
    if not hasattr(model, "fit"):
        raise ParameterError.invalid("estimator", _name(model), "an estimator with fit() or a "
                                     "river model with learn_one()")
    fitted = model.fit(data.X, data.y, **_weights(model.fit, data, model))
    return model if fitted is None else fitted


def default_trainer(mode: str = "stateless", estimator: Any = None) -> TrainFunction:
    """A training function (``train(data, *, previous=None, params)``) for projects that name
    an estimator instead of writing a function.

    ``"stateless"`` fits a fresh ``estimator`` (or, without one, a fresh clone of
    ``previous``) with ``params`` as its constructor arguments; ``"stateful"`` continues
    ``previous`` with :func:`continue_training` when there is one, else fits ``estimator``.

    Examples
    --------
    >>> import pandas as pd
    >>> from driftline.registry import TrainingData
    >>> data = TrainingData.from_frame(pd.DataFrame({"x": [0.0, 1, 2, 3], "y": [0, 0, 1, 1]}),
    ...                                target="y")
    >>> train = default_trainer("stateful", "sklearn.linear_model:SGDClassifier")
    >>> first = train(data, params={"random_state": 0})
    >>> second = train(data, previous=first, params={})
    >>> type(second).__name__, second.t_ > first.t_
    ('SGDClassifier', True)
    """
    if mode not in TRAINING_MODES:
        raise ParameterError.choice("mode", mode, TRAINING_MODES)

    def train(data: TrainingData, *, previous: Model | None = None,
              params: Mapping[str, Any]) -> Model:
        if mode == "stateful" and previous is not None:
            return continue_training(previous, data, params=params)
        base = estimator if estimator is not None else previous
        if base is None:
            raise ParameterError.invalid("estimator", None, "an estimator (import path, class or "
                                         "instance)", "default_trainer needs one to fit the first "
                                         "version.")
        return stateless_fit(base, data, params=params)

    train.__qualname__ = f"default_trainer({mode!r})"
    return train
