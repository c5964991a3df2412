"""The frozen result every two-sample test and distance returns."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["TestResult"]


@dataclass(frozen=True)
class TestResult:
    """The outcome of one two-sample test or distance.

    Attributes
    ----------
    method : registered name of the method, such as ``"ks"``.
    statistic : the test statistic or the distance.
    p_value : the p-value; ``None`` for a pure distance.
    p_value_adjusted : the p-value after a multiple-testing correction; ``None`` until one is applied.
    alpha : the significance level the verdict used.
    effect_size : the size of the difference, on a scale that does not grow with n.
    effect_size_name : what ``effect_size`` measures, such as ``"wasserstein_normed"``.
    effect_threshold : the effect floor the verdict used; ``None`` when there is none.
    correction : the multiple-testing correction applied (``"holm"``, ...), or ``None``.
    drifted : the verdict; ``None`` when the samples were too small to judge.
    n_reference, n_current : valid (finite, non-missing) values used on each side.
    n_missing_reference, n_missing_current : missing or non-finite values left out.
    warnings : why the verdict is missing or weak, in words.

    Examples
    --------
    >>> r = TestResult.build("ks", 0.2, 0.01, alpha=0.05, effect_size=0.2,
    ...                      effect_size_name="ks_statistic", n_reference=100, n_current=100)
    >>> r.drifted, r.to_dict()["p_value"]
    (True, 0.01)
    """

    __test__ = False  # not a pytest test class, despite the name

    method: str
    statistic: float
    p_value: float | None
    p_value_adjusted: float | None
    alpha: float
    effect_size: float | None
    effect_size_name: str | None
    effect_threshold: float | None
    correction: str | None
    drifted: bool | None
    n_reference: int
    n_current: int
    n_missing_reference: int = 0
    n_missing_current: int = 0
    warnings: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        method: str,
        statistic: float,
        p_value: float | None,
        *,
        alpha: float = 0.05,
        effect_size: float | None = None,
        effect_size_name: str | None = None,
        effect_threshold: float | None = None,
        n_reference: int,
        n_current: int,
        n_missing_reference: int = 0,
        n_missing_current: int = 0,
        warnings: tuple[str, ...] = (),
    ) -> TestResult:
        """Make a result and derive ``drifted`` from the evidence.

        A test (``p_value`` given) drifts when ``p_value <= alpha`` and, if an effect floor is
        set, ``effect_size >= effect_threshold``. A distance drifts when its effect size reaches
        the threshold. A NaN statistic or effect gives no verdict (``None``).
        """
        return cls(
            method=method,
            statistic=float(statistic),
            p_value=None if p_value is None else float(p_value),
            p_value_adjusted=None,
            alpha=float(alpha),
            effect_size=None if effect_size is None else float(effect_size),
            effect_size_name=effect_size_name,
            effect_threshold=None if effect_threshold is None else float(effect_threshold),
            correction=None,
            drifted=decide(p_value, alpha, effect_size, effect_threshold, statistic),
            n_reference=int(n_reference),
            n_current=int(n_current),
            n_missing_reference=int(n_missing_reference),
            n_missing_current=int(n_missing_current),
            warnings=tuple(warnings),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; NaN becomes ``None``."""
        return {k: _clean(v) for k, v in asdict(self).items()}


def decide(
    p_value: float | None,
    alpha: float,
    effect_size: float | None,
    effect_threshold: float | None,
    statistic: float = 0.0,
) -> bool | None:
    """The verdict rule shared by every method (see :meth:`TestResult.build`).

    Examples
    --------
    >>> decide(0.001, 0.05, 0.02, 0.1)   # significant but negligible: no drift
    False
    >>> decide(None, 0.05, 0.3, 0.1)     # a distance over its threshold
    True
    """
    if _isnan(statistic) or (effect_threshold is not None and _isnan(effect_size)):
        return None
    if p_value is not None and _isnan(p_value):
        return None
    significant = True if p_value is None else p_value <= alpha
    if effect_threshold is None:
        return bool(significant) if p_value is not None else None
    assert effect_size is not None
    return bool(significant and effect_size >= effect_threshold)


def _isnan(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, tuple):
        return list(v)
    return v
