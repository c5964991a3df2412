"""Direct loss estimation (DLE) of a regressor's MAE, MSE and RMSE, without targets."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from driftline.errors import DataError, ParameterError, require
from driftline.estimation._result import PerformanceEstimate
from driftline.metrics import MetricValue
from driftline.metrics._inputs import check_level, regression_inputs, z_value

__all__ = ["DLE", "DLE_METRICS"]

DLE_METRICS = ("mae", "mse", "rmse")


class DLE:
    """Estimate a regressor's MAE, MSE and RMSE on a chunk from its features and predictions.

    Parameters
    ----------
    model : an unfitted scikit-learn regressor to model the errors, cloned twice (absolute
        and squared error). Default:
        ``HistGradientBoostingRegressor(early_stopping=False, random_state=seed)``.
    n_folds : folds of the cross-fitting that measures how spread the errors are around their
        modelled mean (an integer >= 2).
    level : the bands' confidence level.
    seed : seeds the folds and the default model.

    Notes
    -----
    On the reference, with targets, two models learn the error of each row from its features
    and the prediction: ``a(x, ŷ) ≈ E[|y - ŷ| | x, ŷ]`` and ``m(x, ŷ) ≈ E[(y - ŷ)^2 | x, ŷ]``. On a
    chunk, ``MAE ≈ mean_i a_i``, ``MSE ≈ mean_i m_i`` and ``RMSE ≈ sqrt(MSE)``. The prediction
    is a feature, so errors that depend on the region of the input (heteroscedastic noise)
    are learned.

    **Bands** are normal intervals for the realized metric on this chunk, given its rows. The
    rows' errors are independent with variances assumed proportional to their squared modelled
    means (one error shape, rescaled: ``Var|e_i| = v_a a_i^2``, ``Var e_i^2 = v_m m_i^2``). The
    constants ``v_a`` and ``v_m`` are measured on the reference with cross-fitted (out-of-fold)
    models, ``v_a = sum (|e_i| - a_i)^2 / sum a_i^2``, so they include the models' own error.
    The MAE band is ``mean a_i ± z sqrt(v_a sum a_i^2) / n``, the MSE band likewise, and the
    RMSE band is the square root of the MSE band's ends.

    **Assumptions.** The error models carry over: ``P(y | x)`` is the same as in the reference
    (no concept drift) and the chunk's inputs lie where the reference had rows. Like CBPE,
    DLE cannot see concept drift: the same inputs get the same estimated error.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-2, 2, size=(3000, 1))
    >>> y = x[:, 0] + rng.normal(0, 0.2 + np.abs(x[:, 0]))   # noise grows with |x|
    >>> pred = x[:, 0]
    >>> dle = DLE().fit(x[:2000], pred[:2000], y[:2000])
    >>> est = dle.estimate(x[2000:], pred[2000:])
    >>> sorted(est.scalars()), est["mae"].lower < est["mae"].value < est["mae"].upper
    (['mae', 'mse', 'rmse'], True)

    References
    ----------
    .. [1] NannyML. Direct Loss Estimation (DLE).
       https://nannyml.readthedocs.io/en/stable/how_it_works/performance_estimation.html
    """

    def __init__(self, *, model: Any = None, n_folds: int = 3, level: float = 0.95,
                 seed: int | None = 0) -> None:
        if isinstance(n_folds, bool) or not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
            raise ParameterError.invalid("n_folds", n_folds, "an integer >= 2", "For example n_folds=3.")
        if model is not None and not (hasattr(model, "fit") and hasattr(model, "predict")):
            raise ParameterError.invalid("model", model, "a regressor with fit and predict, or None",
                                         "For example sklearn.linear_model.Ridge().")
        self.model = model
        self.n_folds = int(n_folds)
        self.level = check_level(level)
        self.seed = seed
        self._models: tuple[Any, Any] | None = None
        self.n_features_ = 0
        self.spread_: tuple[float, float] = (math.nan, math.nan)

    def __repr__(self) -> str:
        return f"DLE(model={self.model!r}, n_folds={self.n_folds}, level={self.level}, seed={self.seed})"

    def fit(self, reference_features: Any, reference_predictions: Any, reference_targets: Any) -> DLE:
        """Learn the absolute and squared errors on the reference (held-out rows with targets).

        Parameters
        ----------
        reference_features : an ``(n, d)`` numeric array (1-D means one feature).
        reference_predictions : the model's predictions on those rows.
        reference_targets : the true targets.

        Examples
        --------
        >>> from sklearn.tree import DecisionTreeRegressor
        >>> x = np.linspace(0, 1, 60)[:, None]
        >>> dle = DLE(model=DecisionTreeRegressor(max_depth=2), n_folds=2)
        >>> dle.fit(x, x[:, 0], x[:, 0] + 0.1).n_features_
        1
        """
        p = regression_inputs(reference_targets, reference_predictions, name="reference_predictions")
        x = self._design(reference_features, p.pred, "reference_features")
        if p.n < 10 * self.n_folds:
            raise DataError(f"reference_targets needs at least {10 * self.n_folds} rows "
                            f"(10 per fold, n_folds={self.n_folds}); got {p.n}.")
        err = p.y - p.pred
        targets = (np.abs(err), err ** 2)
        oof = [np.empty(p.n), np.empty(p.n)]
        folds = np.array_split(np.random.default_rng(self.seed).permutation(p.n), self.n_folds)
        for fold in folds:
            train = np.ones(p.n, dtype=bool)
            train[fold] = False
            for out, t in zip(oof, targets, strict=True):
                out[fold] = np.maximum(self._new().fit(x[train], t[train]).predict(x[fold]), 0.0)
        self.spread_ = (_spread(targets[0], oof[0]), _spread(targets[1], oof[1]))
        self._models = (self._new().fit(x, targets[0]), self._new().fit(x, targets[1]))
        self.n_features_ = x.shape[1] - 1
        return self

    def estimate(self, features: Any, predictions: Any) -> PerformanceEstimate:
        """Estimate MAE, MSE and RMSE on one chunk.

        Examples
        --------
        >>> rng = np.random.default_rng(2)
        >>> x = rng.normal(size=(500, 2))
        >>> y = x.sum(1) + rng.normal(size=500)
        >>> from sklearn.linear_model import LinearRegression
        >>> dle = DLE(model=LinearRegression(), n_folds=2).fit(x[:400], x[:400].sum(1), y[:400])
        >>> est = dle.estimate(x[400:], x[400:].sum(1))
        >>> est.method, est.n, round(est["rmse"].value ** 2 - est["mse"].value, 12)
        ('dle', 100, 0.0)
        """
        if self._models is None:
            raise DataError("this DLE is not fitted; call fit(reference_features, reference_predictions, "
                            "reference_targets) first.")
        pred = _vector(predictions, "predictions")
        x = self._design(features, pred, "features")
        if x.shape[1] - 1 != self.n_features_:
            raise DataError(f"features must have {self.n_features_} column(s), as in the reference; "
                            f"got {x.shape[1] - 1}.")
        n, z = x.shape[0], z_value(self.level)
        means = [np.maximum(m.predict(x), 0.0) for m in self._models]
        bands = [_normal(mu, v, z) for mu, v in zip(means, self.spread_, strict=True)]
        (mae, mae_lo, mae_hi), (mse, mse_lo, mse_hi) = bands
        metrics = (MetricValue("mae", mae, mae_lo, mae_hi, n, "normal", self.level),
                   MetricValue("mse", mse, mse_lo, mse_hi, n, "normal", self.level),
                   MetricValue("rmse", math.sqrt(mse), math.sqrt(mse_lo), math.sqrt(mse_hi), n, "normal",
                               self.level))
        return PerformanceEstimate("dle", "regression", n, (), metrics, None,
                                   ("errors modelled on the reference features and prediction",),
                                   self.level, "normal", 0, self.seed)

    def _new(self) -> Any:
        if self.model is not None:
            return require("sklearn.base", extra="estimation", feature="DLE").clone(self.model)
        ensemble = require("sklearn.ensemble", extra="estimation", feature="DLE")
        # no early stopping: above 10,000 rows scikit-learn turns it on and holds out 10%, which
        # stopped the error models after about 40 iterations on NannyML's car price set
        return ensemble.HistGradientBoostingRegressor(early_stopping=False, random_state=self.seed)

    @staticmethod
    def _design(features: Any, pred: np.ndarray, name: str) -> np.ndarray:
        try:
            x = np.asarray(features, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name} must hold numbers; encode categories first ({exc}).") from None
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[0] != pred.shape[0]:
            raise DataError(f"{name} must be (n, d) with one row per prediction ({pred.shape[0]}); "
                            f"got shape {x.shape}.")
        if not np.isfinite(x).all():
            raise DataError(f"{name} must be finite; drop or impute the NaN or infinite rows first.")
        return np.column_stack([x, pred])


def _vector(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must hold numbers ({exc}).") from None
    if arr.ndim != 1 or arr.size == 0 or not np.isfinite(arr).all():
        raise DataError(f"{name} must be a non-empty 1-D array of finite numbers; got shape {arr.shape}.")
    return arr


def _spread(target: np.ndarray, fitted: np.ndarray) -> float:
    """``v`` in ``Var(target_i) = v fitted_i^2``, pooled over the reference rows."""
    den = float(np.sum(fitted ** 2))
    return float(np.sum((target - fitted) ** 2) / den) if den > 0 else 0.0


def _normal(mean_i: np.ndarray, v: float, z: float) -> tuple[float, float, float]:
    n = mean_i.size
    mu = float(mean_i.mean())
    se = math.sqrt(v * float(np.sum(mean_i ** 2))) / n
    return mu, max(0.0, mu - z * se), mu + z * se
