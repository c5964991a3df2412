"""The registry that maps method names to implementations, and writes "expected one of" errors.

Each method file registers its function with :func:`register`, giving the facts the decision
layer needs: which column kinds it supports, whether it yields a p-value, what its effect size
measures, its default threshold, its minimum sample size and its cost class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from driftline.errors import ParameterError
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, fit

__all__ = ["MethodSpec", "available", "get", "register"]

Cost = Literal["linear", "nlogn", "quadratic", "permutation"]
ColumnKind = Literal["numerical", "categorical", "binary"]
F = TypeVar("F", bound=Callable[..., TestResult])


@dataclass(frozen=True)
class MethodSpec:
    """A registered method and the facts about it.

    Attributes
    ----------
    name : the name users give in config and ``method=`` arguments.
    func : ``func(reference, current, **params) -> TestResult``.
    kinds : column kinds it supports (``numerical``, ``categorical``, ``binary``).
    has_p_value : ``True`` for a hypothesis test, ``False`` for a pure distance.
    effect_size_name : what the result's ``effect_size`` measures.
    default_threshold : for a distance, the default ``effect_threshold``; ``None`` for a test.
    min_n : below this many values on either side the method gives no verdict.
    cost : ``linear``/``nlogn`` (fine at any n), ``quadratic``/``permutation`` (subsampled).
    symmetric : whether swapping reference and current leaves the statistic unchanged.
    sample_kind : how inputs are prepared: ``numerical`` or ``categorical`` samples, or
        ``auto`` (numeric data as numbers, anything else as labels) for methods that take both.

    Examples
    --------
    >>> from driftline import stats
    >>> spec = stats.get("psi")
    >>> spec.has_p_value, spec.default_threshold, "categorical" in spec.kinds
    (False, 0.1, True)
    """

    name: str
    func: Callable[..., TestResult]
    kinds: frozenset[str]
    has_p_value: bool
    effect_size_name: str
    default_threshold: float | None
    min_n: int
    cost: Cost
    symmetric: bool
    sample_kind: Literal["numerical", "categorical", "auto"]

    def __call__(self, reference: SampleLike, current: SampleLike, **params: Any) -> TestResult:
        return self.func(reference, current, **params)

    def fit(self, reference: SampleLike) -> Sample:
        """Prepare ``reference`` once; pass the result as ``reference`` to many calls.

        Examples
        --------
        >>> from driftline import stats
        >>> ks = stats.get("ks")
        >>> ref = ks.fit([1.0, 2.0, 3.0, 4.0])
        >>> ks(ref, [1.5, 2.5, 3.5, 4.5]).n_reference
        4
        """
        return fit(reference, None if self.sample_kind == "auto" else self.sample_kind)

    @property
    def is_cheap(self) -> bool:
        """Whether the method is fine at any n (not quadratic, not permutation-based)."""
        return self.cost in ("linear", "nlogn")


_REGISTRY: dict[str, MethodSpec] = {}


def register(
    name: str,
    *,
    kinds: tuple[str, ...],
    has_p_value: bool,
    effect_size_name: str,
    default_threshold: float | None = None,
    min_n: int = 1,
    cost: Cost = "nlogn",
    symmetric: bool = True,
    sample_kind: Literal["numerical", "categorical", "auto"] | None = None,
) -> Callable[[F], F]:
    """Decorator: register a method function under ``name`` and return it unchanged."""

    def deco(func: F) -> F:
        if name in _REGISTRY:
            raise RuntimeError(f"method {name!r} is registered twice")
        both = "numerical" in kinds and "categorical" in kinds
        sk = sample_kind or ("auto" if both else "numerical" if "numerical" in kinds else "categorical")
        _REGISTRY[name] = MethodSpec(
            name, func, frozenset(kinds), has_p_value, effect_size_name,
            default_threshold, min_n, cost, symmetric, sk,
        )
        return func

    return deco


def get(name: str) -> MethodSpec:
    """The registered method called ``name``.

    Examples
    --------
    >>> from driftline import stats
    >>> stats.get("ks").has_p_value
    True
    >>> stats.get("kss")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: method must be one of ...; got 'kss'.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError.choice("method", name, sorted(_REGISTRY)) from None


def available(kind: str | None = None) -> tuple[str, ...]:
    """Names of the registered methods, sorted; only those supporting ``kind`` if given.

    Examples
    --------
    >>> from driftline import stats
    >>> "ks" in stats.available("numerical"), "ks" in stats.available("categorical")
    (True, False)
    """
    kinds = ("numerical", "categorical", "binary")
    if kind is not None and kind not in kinds:
        raise ParameterError.choice("kind", kind, kinds)
    return tuple(sorted(n for n, s in _REGISTRY.items() if kind is None or kind in s.kinds))
