"""Sampling-error bands: a seeded bootstrap over rows, and analytic intervals where well known."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.metrics._inputs import Prepared, check_level, z_value
from driftline.metrics._registry import MetricSpec, Replicates, get
from driftline.metrics._value import MetricValue

__all__ = ["BAND_METHODS", "band", "bootstrap", "check_n_boot", "metric_band", "percentile_band"]

BAND_METHODS = ("auto", "analytic", "bootstrap")
BandMethod = Literal["auto", "analytic", "bootstrap"]

# Resample in chunks of about this many cells (16 MiB of float64), whatever n is.
_CHUNK_CELLS = 1 << 21


def metric_band(
    metric: str | Callable[[Any, Any], float],
    y_true: Any,
    y_pred_or_score: Any,
    *,
    classes: Sequence[Any] | None = None,
    level: float = 0.95,
    method: BandMethod = "auto",
    n_boot: int = 1000,
    seed: int | None = 0,
) -> MetricValue:
    """A metric with a confidence band for its sampling error.

    Parameters
    ----------
    metric : a registered name (see :func:`available`), or a function
        ``f(y_true, y_pred) -> float`` (bootstrap only, one call per resample).
    y_true : the true targets or labels.
    y_pred_or_score : predictions, or scores for ``log_loss``, ``roc_auc`` and ``pr_auc``.
    classes : the label order of a classification metric.
    level : the band's confidence level.
    method : ``"bootstrap"``: percentile interval over ``n_boot`` resamples of the rows;
        ``"analytic"``: the metric's closed form (see Notes); ``"auto"``: analytic where the
        metric has one, the bootstrap otherwise.
    n_boot : bootstrap resamples (an integer >= 10).
    seed : seeds the resampling; the same seed and inputs give the same band.

    Notes
    -----
    Analytic bands: accuracy, Wilson's score interval for a binomial proportion; MAE, MSE,
    MAPE and log loss, mean ± z·SE of the per-row losses; RMSE, the square root of the MSE
    band; binary ROC AUC, DeLong's variance. R², PR AUC and multiclass ROC AUC use the
    bootstrap. The bootstrap draws all resamples' row indices as ``(chunk, n)`` integer arrays
    and evaluates each chunk with array operations, never one Python call per resample.
    Resamples where the metric is undefined (a class missing from the draw) are left out; with
    fewer than half of them defined no band is given. Bands are clipped to the metric's range.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=400)
    >>> v = metric_band("mae", y, y + rng.normal(size=400), method="bootstrap", seed=1)
    >>> v.lower < v.value < v.upper, v.method, v.n
    (True, 'bootstrap', 400)
    >>> metric_band("accuracy", [1, 0, 1, 1], [1, 0, 0, 1]).method
    'wilson'

    References
    ----------
    .. [1] Efron, B. & Tibshirani, R. (1993). An Introduction to the Bootstrap. Chapman & Hall.
    .. [2] DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing the areas
       under two or more correlated ROC curves. Biometrics, 44, 837–845.
    """
    level = check_level(level)
    if method not in BAND_METHODS:
        raise ParameterError.choice("method", method, BAND_METHODS)
    n_boot = check_n_boot(n_boot)
    if callable(metric) and not isinstance(metric, MetricSpec):
        return _custom_band(metric, y_true, y_pred_or_score, level, method, n_boot, seed)
    spec = metric if isinstance(metric, MetricSpec) else get(metric)
    prepared = spec.prepare(y_true, y_pred_or_score, classes)
    return band(spec, prepared, level=level, method=method, n_boot=n_boot, seed=seed)


def band(spec: MetricSpec, p: Prepared, *, level: float = 0.95, method: BandMethod = "auto",
         n_boot: int = 1000, seed: int | None = 0) -> MetricValue:
    """The banded value of a registered metric on prepared inputs (checked arguments).

    Examples
    --------
    >>> from driftline.metrics import get
    >>> spec = get("mse")
    >>> band(spec, spec.prepare([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]), method="analytic").upper
    9.2399...
    """
    value = spec.compute(p)
    if p.n < 2:  # one row says nothing about its sampling error
        return MetricValue(spec.name, value, None, None, p.n, None, level)
    if method != "bootstrap":
        ends = spec.analytic(p, z_value(level)) if spec.analytic is not None else None
        if ends is not None:
            return MetricValue(spec.name, value, ends[0], ends[1], p.n, spec.band, level)
        if method == "analytic":
            why = "on these inputs (multiclass, or a class with fewer than 2 rows)" if spec.band else ""
            raise ParameterError.invalid(
                "method", method, f"'auto' or 'bootstrap' for {spec.name}",
                f"{spec.name} has no analytic band {why}".rstrip() + ".")
    (reps,) = bootstrap([spec.replicates(p)], p.n, n_boot, seed)
    lo, hi = percentile_band(reps, level, spec.bounds)
    return MetricValue(spec.name, value, lo, hi, p.n, "bootstrap", level)


def bootstrap(functions: Sequence[Replicates], n: int, n_boot: int,
              seed: int | None) -> list[np.ndarray]:
    """Evaluate each function on the same ``n_boot`` resamples of ``n`` rows.

    Every function maps a ``(B, n)`` array of row indices to ``B`` values; they all see the
    same indices, which is what a paired comparison needs.

    Examples
    --------
    >>> x = np.arange(5.0)
    >>> a, b = bootstrap([lambda i: x[i].mean(1), lambda i: 2 * x[i].mean(1)], 5, 100, seed=0)
    >>> a.shape, bool(np.allclose(b, 2 * a))
    ((100,), True)
    """
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    out: list[list[np.ndarray]] = [[] for _ in functions]
    done = 0
    while done < n_boot:
        idx = rng.integers(0, n, size=(min(chunk, n_boot - done), n))
        for acc, fn in zip(out, functions, strict=True):
            acc.append(np.asarray(fn(idx), dtype=float))
        done += idx.shape[0]
    return [np.concatenate(acc) for acc in out]


def percentile_band(reps: np.ndarray, level: float,
                    bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float | None, float | None]:
    """The percentile interval of bootstrap replicates, ignoring undefined (NaN) ones.

    Examples
    --------
    >>> percentile_band(np.arange(101.0), 0.9)
    (5.0, 95.0)
    """
    ok = reps[np.isfinite(reps)]
    if ok.size == 0 or ok.size < reps.size / 2:
        return None, None
    lo, hi = np.quantile(ok, [0.5 - level / 2.0, 0.5 + level / 2.0])
    return float(np.clip(lo, *bounds)), float(np.clip(hi, *bounds))


def check_n_boot(n_boot: int) -> int:
    """Validate a number of bootstrap resamples.

    Examples
    --------
    >>> check_n_boot(200)
    200
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ParameterError.invalid("n_boot", n_boot, "an integer >= 10", "For example n_boot=1000.")
    return int(n_boot)


def custom_replicates(func: Callable[[Any, Any], float], y: np.ndarray,
                      pred: np.ndarray) -> Replicates:
    """Replicates of a user's metric function: one call per resample (no vectorised form)."""
    return lambda idx: np.array([func(y[i], pred[i]) for i in idx], dtype=float)


def custom_inputs(y_true: Any, *preds: Any) -> tuple[np.ndarray, ...]:
    """Arrays for a user's metric function: same length along the first axis, non-empty."""
    arrays = [np.asarray(a) for a in (y_true, *preds)]
    names = ["y_true", *(["y_pred"] if len(preds) == 1 else ["a", "b"])]
    for arr, name in zip(arrays, names, strict=True):
        if arr.ndim == 0 or arr.shape[0] == 0:
            raise DataError(f"{name} must have at least one row; got shape {arr.shape}.")
        if arr.shape[0] != arrays[0].shape[0]:
            raise DataError(f"y_true and {name} must have the same number of rows; "
                            f"got {arrays[0].shape[0]} and {arr.shape[0]}.")
    return tuple(arrays)


def _custom_band(func: Callable[[Any, Any], float], y_true: Any, pred: Any, level: float,
                 method: str, n_boot: int, seed: int | None) -> MetricValue:
    if method == "analytic":
        raise ParameterError.invalid("method", method, "'auto' or 'bootstrap' for a metric function")
    y, p = custom_inputs(y_true, pred)
    name = getattr(func, "__name__", "custom")
    if y.shape[0] < 2:
        return MetricValue(name, float(func(y, p)), None, None, int(y.shape[0]), None, level)
    (reps,) = bootstrap([custom_replicates(func, y, p)], y.shape[0], n_boot, seed)
    lo, hi = percentile_band(reps, level)
    return MetricValue(name, float(func(y, p)), lo, hi, int(y.shape[0]), "bootstrap", level)
