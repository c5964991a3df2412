"""Parameter and input checks shared by the error-rate detectors (DDM, EDDM, HDDM_A, HDDM_W)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from driftline.errors import ParameterError

__all__ = ["_bad_value", "_check_count", "_check_real", "_unit_values"]

_UNIT = "a value in [0, 1] (1 = error, 0 = correct)"


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ParameterError.invalid(name, value, "a non-negative integer")
    return int(value)


def _check_real(name: str, value: Any, low: float, high: float, allowed: str) -> float:
    """A finite real with ``low < value <= high`` (``allowed`` says so in words)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(value) and low < value <= high):
        raise ParameterError.invalid(name, value, allowed)
    return float(value)


def _bad_value(x: Any, name: str = "x", allowed: str = _UNIT) -> ParameterError:
    return ParameterError.invalid(name, x, allowed)


def _unit_values(xs: Iterable[float]) -> list[float]:
    """``xs`` as Python floats, every one checked to lie in [0, 1] before any is used, so a bad
    value leaves the detector untouched."""
    a = np.asarray(xs, dtype=float).ravel()
    bad = ~((a >= 0.0) & (a <= 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise _bad_value(float(a[i]), f"xs[{i}]")
    return a.tolist()
