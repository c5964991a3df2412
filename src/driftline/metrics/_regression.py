"""Regression metrics: MAE, MSE, RMSE, R² and MAPE, as scikit-learn defines them."""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.metrics._inputs import Prepared, UndefinedMetricError, regression_inputs
from driftline.metrics._registry import Replicates, mean_hooks, register

__all__ = ["MAPE_EPS", "mae", "mape", "mse", "r2", "rmse"]

# MAPE divides by max(|y|, MAPE_EPS), as sklearn.metrics.mean_absolute_percentage_error does.
MAPE_EPS = float(np.finfo(np.float64).eps)


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error, ``mean(|y_pred - y_true|)``.

    Examples
    --------
    >>> mae([1.0, 2.0, 3.0], [1.5, 2.0, 5.0])
    0.8333333333333334
    """
    return _mae(regression_inputs(y_true, y_pred))


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error, ``mean((y_pred - y_true)**2)``.

    Examples
    --------
    >>> mse([1.0, 2.0, 3.0], [1.5, 2.0, 5.0])
    1.4166666666666667
    """
    return _mse(regression_inputs(y_true, y_pred))


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error, ``sqrt(mse)``.

    Examples
    --------
    >>> rmse([0.0, 0.0], [3.0, 4.0])
    3.5355339059327378
    """
    return _rmse(regression_inputs(y_true, y_pred))


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination, ``1 - SS_res / SS_tot``.

    Notes
    -----
    :math:`R^2 = 1 - \\sum (y_i - \\hat y_i)^2 / \\sum (y_i - \\bar y)^2`. As in
    :func:`sklearn.metrics.r2_score` (``force_finite=True``), a constant ``y_true``
    (``SS_tot = 0``) gives 1.0 for a perfect prediction and 0.0 otherwise. It is undefined
    (:class:`~driftline.errors.DataError`) for fewer than two rows.

    Examples
    --------
    >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    >>> r2([2.0, 2.0], [2.0, 2.0]), r2([2.0, 2.0], [2.0, 3.0])
    (1.0, 0.0)
    """
    return _r2(regression_inputs(y_true, y_pred))


def mape(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error, as a fraction (0.1 means 10 %).

    Notes
    -----
    :math:`\\mathrm{MAPE} = \\frac{1}{n} \\sum |y_i - \\hat y_i| / \\max(|y_i|, \\epsilon)` with
    :math:`\\epsilon` the float64 machine epsilon (``MAPE_EPS``, about 2.2e-16), exactly as
    :func:`sklearn.metrics.mean_absolute_percentage_error`. A zero target is therefore not
    refused: it counts 0 when predicted exactly, and a huge term (the error divided by
    2.2e-16) otherwise, which then dominates the mean. Prefer MAE when targets can be zero.

    Examples
    --------
    >>> mape([100.0, 200.0], [110.0, 180.0])
    0.1
    >>> mape([0.0, 1.0], [0.0, 1.5])   # an exact zero target costs nothing
    0.25
    >>> mape([0.0], [1e-16]) > 0.4       # a missed one costs error / MAPE_EPS
    True
    """
    return _mape(regression_inputs(y_true, y_pred))


def _abs(p: Prepared) -> np.ndarray:
    return np.abs(p.pred - p.y)


def _sq(p: Prepared) -> np.ndarray:
    d = p.pred - p.y
    return d * d


def _pct(p: Prepared) -> np.ndarray:
    return np.abs(p.pred - p.y) / np.maximum(np.abs(p.y), MAPE_EPS)


def _r2(p: Prepared) -> float:
    if p.n < 2:
        raise UndefinedMetricError(f"r2 needs at least 2 rows; got {p.n}.")
    return float(_r2_rows(p.y[None, :], _sq(p)[None, :])[0])


def _r2_rows(y: np.ndarray, sq: np.ndarray) -> np.ndarray:
    ss_res = sq.sum(axis=1)
    centred = y - y.mean(axis=1, keepdims=True)
    ss_tot = np.einsum("ij,ij->i", centred, centred)
    out = np.where(ss_res == 0.0, 1.0, 0.0)  # sklearn's force_finite rule for SS_tot = 0
    np.divide(ss_res, ss_tot, out=out, where=ss_tot > 0)
    return np.where(ss_tot > 0, 1.0 - out, out)


def _r2_replicates(p: Prepared) -> Replicates:
    sq = _sq(p)
    return lambda idx: _r2_rows(p.y[idx], sq[idx])


_mae, _mae_reps, _mae_band = mean_hooks(_abs)
_mse, _mse_reps, _mse_band = mean_hooks(_sq)
_rmse, _rmse_reps, _rmse_band = mean_hooks(_sq, np.sqrt)
_mape, _mape_reps, _mape_band = mean_hooks(_pct)

_NONNEG = (0.0, float("inf"))
register("mae", mae, inputs="regression", higher_is_better=False, compute=_mae,
         replicates=_mae_reps, analytic=_mae_band, band="normal", bounds=_NONNEG)
register("mse", mse, inputs="regression", higher_is_better=False, compute=_mse,
         replicates=_mse_reps, analytic=_mse_band, band="normal", bounds=_NONNEG)
register("rmse", rmse, inputs="regression", higher_is_better=False, compute=_rmse,
         replicates=_rmse_reps, analytic=_rmse_band, band="normal", bounds=_NONNEG)
register("mape", mape, inputs="regression", higher_is_better=False, compute=_mape,
         replicates=_mape_reps, analytic=_mape_band, band="normal", bounds=_NONNEG)
register("r2", r2, inputs="regression", higher_is_better=True, compute=_r2,
         replicates=_r2_replicates, bounds=(-float("inf"), 1.0))
