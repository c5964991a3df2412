"""Checks shared by the method implementations."""

from __future__ import annotations

import math
import warnings

from driftline.errors import ParameterError, SmallSampleWarning
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample

__all__ = ["check_alpha", "check_threshold", "too_small"]


def check_alpha(alpha: float) -> float:
    """Validate a significance level.

    Examples
    --------
    >>> check_alpha(0.05)
    0.05
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ParameterError.invalid("alpha", alpha, "a float in (0, 1)")
    return float(alpha)


def check_threshold(name: str, value: float | None) -> float | None:
    """Validate an optional non-negative threshold.

    Examples
    --------
    >>> check_threshold("effect_threshold", 0.1)
    0.1
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ParameterError.invalid(name, value, "a non-negative float or None")
    return float(value)


def too_small(
    method: str, reference: Sample, current: Sample, min_n: int, *, alpha: float,
    effect_size_name: str | None, effect_threshold: float | None,
) -> TestResult | None:
    """A no-verdict result (with a :class:`SmallSampleWarning`) when a side has < ``min_n`` values.

    Returns ``None`` when both samples are large enough.
    """
    if reference.n >= min_n and current.n >= min_n:
        return None
    msg = (f"{method}: needs at least {min_n} valid values on each side; got "
           f"{reference.n} (reference) and {current.n} (current). No verdict is given.")
    warnings.warn(msg, SmallSampleWarning, stacklevel=3)
    return TestResult.build(
        method, math.nan, None, alpha=alpha, effect_size=math.nan,
        effect_size_name=effect_size_name, effect_threshold=effect_threshold,
        n_reference=reference.n, n_current=current.n,
        n_missing_reference=reference.n_missing, n_missing_current=current.n_missing,
        warnings=(msg,),
    )
