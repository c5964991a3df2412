"""One handler per model family: how its models are recognised, saved and loaded.

======== ================= ===================================================================
format   file              models
======== ================= ===================================================================
lightgbm ``model.lgb.txt`` ``lightgbm.Booster``, ``LGBMClassifier``, ``LGBMRegressor``,
                           ``LGBMRanker``: LightGBM's own text model file
xgboost  ``model.ubj``     ``xgboost.Booster``, ``XGBClassifier``, ``XGBRegressor``,
                           ``XGBRanker``, ``XGBRF*``: XGBoost's own UBJSON model file
skops    ``model.skops``   scikit-learn estimators (only trusted types are loaded)
pickle   ``model.pkl``     anything else, and only when the project allows pickles
======== ================= ===================================================================

The order is the dispatch order: LightGBM's and XGBoost's scikit-learn wrappers subclass
scikit-learn's ``BaseEstimator``, so their native handlers are asked first. The native formats
hold trees and parameters, never code, so loading them runs nothing from the file.
"""

from __future__ import annotations

import functools
import importlib.metadata
import pickle
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from driftline.errors import DataError, DriftlineWarning, ParameterError, require

if TYPE_CHECKING:
    from types import ModuleType

    from driftline.registry._artifacts import ArtifactRecord

__all__ = ["FORMATS", "Handler", "LightGBMClassifier", "LightGBMRegressor", "handler_for",
           "handler_named", "library_version"]


@functools.cache
def _distributions() -> dict[str, list[str]]:
    """Module -> distributions, scanned once per process (a scan reads every installed
    package's metadata: seconds on a loaded machine)."""
    return dict(importlib.metadata.packages_distributions())


def _providers(module: str) -> tuple[str, ...]:
    return tuple(_distributions().get(module, ()))


def library_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or of the distribution that provides
    the module ``name`` (``xgboost`` is installed as ``xgboost`` or ``xgboost-cpu``).

    Examples
    --------
    >>> library_version("numpy") is not None, library_version("no-such-library")
    (True, None)
    """
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        pass
    for dist in _providers(name):  # only when the name is not a distribution's own
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _tops(model: Any) -> set[str]:
    return {c.__module__.split(".")[0] for c in type(model).__mro__}


def _base_name(model: Any, library: str, names: Sequence[str]) -> str:
    """The name of the library's class that ``model`` is; warns if ``model`` is a subclass."""
    base = next(c for c in type(model).__mro__
                if c.__module__.split(".")[0] == library and c.__name__ in names)
    if base is not type(model):
        warnings.warn(f"{type(model).__qualname__} is saved in {library}'s native format as a "
                      f"{base.__name__}; methods it adds or overrides are not saved.",
                      DriftlineWarning, stacklevel=4)
    return base.__name__


def _fitted(model: Any, get: Any) -> Any:
    try:
        return get()
    except (AttributeError, ValueError) as exc:  # sklearn's NotFittedError is both
        raise ParameterError(f"model must be fitted before it is saved; this "
                             f"{type(model).__name__} is not. Call fit first.") from exc


class Handler(Protocol):
    """How one model family is recognised, saved and loaded.

    Examples
    --------
    >>> handler_named("xgboost").filename
    'model.ubj'
    """

    format: str
    filename: str

    def claims(self, model: Any) -> bool:
        """Whether this handler saves ``model``."""

    def save(self, model: Any, target: Path) -> tuple[dict[str, str], dict[str, Any]]:
        """Write ``model`` to ``target``; return the library versions and the metadata to record."""

    def load(self, path: Path, record: ArtifactRecord, *, allow_pickle: bool,
             trusted_types: Sequence[str]) -> Any:
        """Read the model back from ``path`` (its checksum is already verified)."""


class LightGBMClassifier:
    """A LightGBM classifier read back from its native model file: ``predict``,
    ``predict_proba`` and ``classes_`` as ``lightgbm.LGBMClassifier`` gives them.

    Examples
    --------
    >>> import tempfile, numpy as np, lightgbm as lgb
    >>> from driftline.registry import load_artifact, save_artifact
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, np.where(X[:, 0] > 0, "y", "n"))
    >>> root = tempfile.mkdtemp()
    >>> loaded = load_artifact(save_artifact(model, root, "m/v1"), root)
    >>> type(loaded).__name__, loaded.classes_.tolist()
    ('LightGBMClassifier', ['n', 'y'])
    >>> bool((loaded.predict_proba(X) == model.predict_proba(X)).all())
    True
    """

    def __init__(self, booster: Any, classes: Sequence[Any], objective: str = "") -> None:
        self.booster_ = booster
        self.classes_ = np.asarray(classes)
        self.n_classes_ = len(self.classes_)
        self.n_features_in_ = int(booster.num_feature())
        self.objective_ = objective

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class in ``classes_`` order.

        Examples
        --------
        >>> import numpy as np, lightgbm as lgb
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> booster = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, X[:, 0] > 0).booster_
        >>> LightGBMClassifier(booster, [False, True]).predict_proba(X[:2]).shape
        (2, 2)
        """
        p = np.asarray(self.booster_.predict(X))
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row.

        Examples
        --------
        >>> import numpy as np, lightgbm as lgb
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> booster = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, X[:, 0] > 0).booster_
        >>> LightGBMClassifier(booster, [False, True]).predict(np.array([[3.0, 0.0]])).tolist()
        [True]
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class LightGBMRegressor:
    """A LightGBM regressor (or ranker) read back from its native model file.

    Examples
    --------
    >>> import numpy as np, lightgbm as lgb
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> model = lgb.LGBMRegressor(n_estimators=5, verbose=-1).fit(X, X[:, 0])
    >>> loaded = LightGBMRegressor(model.booster_, "regression")
    >>> bool((loaded.predict(X) == model.predict(X)).all()), loaded.n_features_in_
    (True, 2)
    """

    def __init__(self, booster: Any, objective: str = "") -> None:
        self.booster_ = booster
        self.n_features_in_ = int(booster.num_feature())
        self.objective_ = objective

    def predict(self, X: Any) -> np.ndarray:
        """The predicted value of each row.

        Examples
        --------
        >>> import numpy as np, lightgbm as lgb
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> booster = lgb.LGBMRegressor(n_estimators=5, verbose=-1).fit(X, X[:, 0]).booster_
        >>> LightGBMRegressor(booster).predict(X[:3]).shape
        (3,)
        """
        return np.asarray(self.booster_.predict(X))


class _LightGBM:
    format = "lightgbm"
    filename = "model.lgb.txt"
    classes = ("LGBMClassifier", "LGBMRegressor", "LGBMRanker", "Booster")

    def _lgb(self) -> ModuleType:
        return require("lightgbm", extra="lightgbm", feature="Saving and loading LightGBM models")

    def claims(self, model: Any) -> bool:
        if "lightgbm" not in _tops(model):
            return False
        lgb = self._lgb()
        return isinstance(model, lgb.Booster | lgb.LGBMModel)

    def save(self, model: Any, target: Path) -> tuple[dict[str, str], dict[str, Any]]:
        lgb = self._lgb()
        meta: dict[str, Any] = {"class": _base_name(model, "lightgbm", self.classes)}
        booster = model
        if isinstance(model, lgb.LGBMModel):
            booster = _fitted(model, lambda: model.booster_)
            if callable(model.objective_):
                raise ParameterError(
                    "a LightGBM model trained with a custom objective function cannot be saved "
                    "in LightGBM's model file (the function is not part of it); save "
                    "model.booster_ instead, whose predict gives raw scores.")
            meta["objective"] = str(model.objective_)
        if isinstance(model, lgb.LGBMClassifier):
            meta["classes"] = np.asarray(model.classes_).tolist()
        booster.save_model(str(target))
        return {"lightgbm": library_version("lightgbm") or ""}, meta

    def load(self, path: Path, record: ArtifactRecord, **_: Any) -> Any:
        lgb = self._lgb()
        name = record.meta.get("class", "Booster")
        if name not in self.classes:
            raise ParameterError.choice("artifact meta 'class'", name, self.classes)
        try:
            booster = lgb.Booster(model_file=str(path))
        except lgb.basic.LightGBMError as exc:
            raise DataError(f"artifact {record.path!r} is not a valid LightGBM model file.") from exc
        if name == "LGBMClassifier":
            return LightGBMClassifier(booster, record.meta["classes"], record.meta.get("objective", ""))
        if name in ("LGBMRegressor", "LGBMRanker"):
            return LightGBMRegressor(booster, record.meta.get("objective", ""))
        return booster


class _XGBoost:
    format = "xgboost"
    filename = "model.ubj"
    classes = ("XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor",
               "Booster")

    def _xgb(self) -> ModuleType:
        return require("xgboost", extra="xgboost", feature="Saving and loading XGBoost models")

    def claims(self, model: Any) -> bool:
        if "xgboost" not in _tops(model):
            return False
        xgb = self._xgb()
        return isinstance(model, xgb.Booster | xgb.XGBModel)

    def save(self, model: Any, target: Path) -> tuple[dict[str, str], dict[str, Any]]:
        meta = {"class": _base_name(model, "xgboost", self.classes)}
        _fitted(model, lambda: model.save_model(str(target)))
        return {"xgboost": library_version("xgboost") or ""}, meta

    def load(self, path: Path, record: ArtifactRecord, **_: Any) -> Any:
        xgb = self._xgb()
        name = record.meta.get("class", "Booster")
        if name not in self.classes:
            raise ParameterError.choice("artifact meta 'class'", name, self.classes)
        model = getattr(xgb, name)()
        try:
            model.load_model(str(path))
        except (xgb.core.XGBoostError, ValueError) as exc:  # a binary file can fail decoding its error
            raise DataError(f"artifact {record.path!r} is not a valid XGBoost model file.") from exc
        return model


def _is_sklearn(model: Any) -> bool:
    return "sklearn" in _tops(model)


class _Skops:
    format = "skops"
    filename = "model.skops"

    def claims(self, model: Any) -> bool:
        return _is_sklearn(model)

    def save(self, model: Any, target: Path) -> tuple[dict[str, str], dict[str, Any]]:
        sio = require("skops.io", extra="serve", feature="Saving scikit-learn models")
        sio.dump(model, target)
        libs = {"scikit-learn": library_version("scikit-learn") or "",
                "skops": library_version("skops") or ""}
        return libs, {}

    def load(self, path: Path, record: ArtifactRecord, *, trusted_types: Sequence[str],
             **_: Any) -> Any:
        sio = require("skops.io", extra="serve", feature="Loading scikit-learn models")
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in trusted_types]
        if untrusted:
            raise DataError(f"artifact {record.path!r} contains types that are not trusted: "
                            f"{', '.join(untrusted)}; add them to artifacts.trusted_types if "
                            "you trust them.")
        return sio.load(path, trusted=list(trusted_types) or None)


class _Pickle:
    format = "pickle"
    filename = "model.pkl"

    def claims(self, model: Any) -> bool:
        return True

    def save(self, model: Any, target: Path) -> tuple[dict[str, str], dict[str, Any]]:
        with open(target, "wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        top = type(model).__module__.split(".")[0]
        return ({top: library_version(top) or ""} if top != "builtins" else {}), {}

    def load(self, path: Path, record: ArtifactRecord, *, allow_pickle: bool, **_: Any) -> Any:
        if not allow_pickle:
            raise ParameterError(f"artifact {record.path!r} is a pickle and the project does "
                                 "not allow pickles; set artifacts.allow_pickle: true to load it.")
        with open(path, "rb") as fh:
            return pickle.load(fh)


_HANDLERS: tuple[Handler, ...] = (_LightGBM(), _XGBoost(), _Skops(), _Pickle())
FORMATS = tuple(h.format for h in _HANDLERS)


def handler_for(model: Any) -> Handler:
    """The handler that saves ``model``: the first in :data:`FORMATS` order that claims it.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> handler_for(LinearRegression()).format, handler_for(object()).format
    ('skops', 'pickle')
    """
    return next(h for h in _HANDLERS if h.claims(model))


def handler_named(fmt: str) -> Handler:
    """The handler of a recorded format, or an error naming the known formats.

    Examples
    --------
    >>> handler_named("lightgbm").filename
    'model.lgb.txt'
    >>> handler_named("onnx")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: artifact format must be one of ...; got 'onnx'.
    """
    for h in _HANDLERS:
        if h.format == fmt:
            return h
    raise ParameterError.choice("artifact format", fmt, FORMATS)
