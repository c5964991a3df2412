"""Parameter and input checks shared by the streaming detectors.

Every message follows :meth:`ParameterError.invalid`: the parameter, the allowed values, the
value received, and a fix where one helps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from driftline.errors import DataError, ParameterError

__all__ = ["_BIT", "_UNIT", "_bad_data", "_bad_value", "_check_int", "_check_real", "_floats", "_is_bit",
           "_is_finite", "_is_unit"]

_UNIT = "a value in [0, 1] (1 = error, 0 = correct)"
_BIT = "0 or 1 (1 = error, 0 = correct)"


def _check_int(name: str, value: Any, low: int = 0, fix: str = "") -> int:
    """An integer (not a bool) ``>= low``, as a Python int.

    >>> _check_int("clock", 32, 1)
    32
    >>> _check_int("clock", 0, 1)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: clock must be an integer >= 1; got 0.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ParameterError.invalid(name, value, f"an integer >= {low}", fix)
    return int(value)


def _check_real(name: str, value: Any, low: float, high: float, allowed: str) -> float:
    """A finite real with ``low < value <= high`` (``allowed`` says so in words)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(value) and low < value <= high):
        raise ParameterError.invalid(name, value, allowed)
    return float(value)


def _bad_value(x: Any, name: str = "x", allowed: str = _UNIT) -> ParameterError:
    """The error of the error-rate detectors (DDM, EDDM, HDDM_A, HDDM_W) for a bad value."""
    return ParameterError.invalid(name, x, allowed)


def _bad_data(detector: str, x: Any, name: str, allowed: str, fix: str = "") -> DataError:
    """The error of the other detectors for a bad value ``name`` (``x`` in ``update``,
    ``xs[i]`` in ``update_many``).

    >>> print(_bad_data("FHDDM", 2.0, "xs[3]", _BIT))
    FHDDM.update_many: xs[3] must be 0 or 1 (1 = error, 0 = correct); got 2.0.
    """
    where = f"{detector}.update" if name == "x" else f"{detector}.update_many"
    return DataError(f"{where}: {name} must be {allowed}; got {x!r}. {fix}".strip())


def _floats(xs: Iterable[float]) -> np.ndarray:
    """``xs`` as a flat float64 array (a copy only where a conversion needs one)."""
    try:
        return np.asarray(xs, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"update_many: xs must be a sequence of numbers; got {type(xs).__name__} "
                        f"({exc}).") from exc


def _is_unit(a: np.ndarray) -> np.ndarray:
    """Where ``a`` lies in [0, 1] (NaN does not)."""
    return (a >= 0.0) & (a <= 1.0)


def _is_bit(a: np.ndarray) -> np.ndarray:
    """Where ``a`` is 0 or 1."""
    return (a == 0.0) | (a == 1.0)


def _is_finite(a: np.ndarray) -> np.ndarray:
    """Where ``a`` is finite."""
    return np.isfinite(a)
