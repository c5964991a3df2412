"""The frozen value of one realized metric, with its sampling-error band."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["MetricValue", "clean"]


@dataclass(frozen=True)
class MetricValue:
    """A metric computed on ``n`` rows, with a band for its sampling error.

    The band ``[lower, upper]`` is a confidence interval at ``level`` for the metric on the
    population the rows were drawn from. ``lower`` and ``upper`` are ``None`` when no band was
    asked for or none can be computed (then ``method`` says which was tried, or is ``None``).

    Attributes
    ----------
    name : the metric's registered name, such as ``"mae"``.
    value : the metric on all ``n`` rows.
    lower, upper : the band's ends.
    n : rows used.
    method : how the band was computed: ``"bootstrap"`` (percentile, rows resampled),
        ``"normal"`` (mean ± z·standard error of per-row losses), ``"wilson"`` (binomial score
        interval) or ``"delong"`` (DeLong's variance of ROC AUC); ``None`` without a band.
    level : the band's confidence level.

    Examples
    --------
    >>> v = MetricValue("accuracy", 0.8, 0.71, 0.87, 100, "wilson")
    >>> v.to_dict()["upper"], v.width
    (0.87, 0.16...)
    """

    name: str
    value: float
    lower: float | None = None
    upper: float | None = None
    n: int = 0
    method: str | None = None
    level: float = 0.95

    @property
    def width(self) -> float | None:
        """``upper - lower``, or ``None`` without a band."""
        if self.lower is None or self.upper is None:
            return None
        return self.upper - self.lower

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; NaN becomes ``None``."""
        return {k: clean(v) for k, v in asdict(self).items()}


def clean(v: Any) -> Any:
    """Make a value JSON-ready: NaN → ``None``, ±inf → ``"inf"``/``"-inf"``, tuples → lists.

    Examples
    --------
    >>> clean(float("nan")), clean(float("inf")), clean((1, 2))
    (None, 'inf', [1, 2])
    """
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (tuple, list)):
        return [clean(x) for x in v]
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    return v
