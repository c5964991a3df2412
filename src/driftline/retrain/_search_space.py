"""The search space of a tuning: :class:`FloatParam`, :class:`IntParam` and
:class:`CategoricalParam`, and :class:`SearchSpace`, which reads the project file's spelling
(``training.tuning.space``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftline.errors import ParameterError

__all__ = ["CategoricalParam", "FloatParam", "IntParam", "SearchSpace"]

_SPEC_KEYS = ("low", "high", "log", "type", "choices")
_TYPES = ("float", "int", "categorical")


def _bound(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError.invalid(name, value, "a number")
    out = float(value)
    if not math.isfinite(out):
        raise ParameterError.invalid(name, value, "a finite number")
    return out


@dataclass(frozen=True)
class FloatParam:
    """A float in ``[low, high]``, sampled uniformly, or log-uniformly with ``log=True``.

    Examples
    --------
    >>> import numpy as np
    >>> p = FloatParam(0.01, 10.0, log=True)
    >>> 0.01 <= p.sample(np.random.default_rng(0)) <= 10.0, p.to_dict()["type"]
    (True, 'float')
    """

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        low, high = _bound("low", self.low), _bound("high", self.high)
        if not low < high:
            raise ParameterError.invalid("high", self.high, f"greater than low ({self.low})")
        if self.log and low <= 0:
            raise ParameterError.invalid("low", self.low, "> 0 when log is true")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, rng: np.random.Generator) -> float:
        """One value."""
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the project file's spelling)."""
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class IntParam:
    """An integer in ``[low, high]`` (both included), uniform, or log-uniform with ``log=True``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> sorted({IntParam(2, 4).sample(rng) for _ in range(50)})
    [2, 3, 4]
    """

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if not float(_bound(name, value)).is_integer():
                raise ParameterError.invalid(name, value, "an integer")
            object.__setattr__(self, name, int(value))
        if not self.low <= self.high:
            raise ParameterError.invalid("high", self.high, f"≥ low ({self.low})")
        if self.log and self.low < 1:
            raise ParameterError.invalid("low", self.low, "≥ 1 when log is true")

    def sample(self, rng: np.random.Generator) -> int:
        """One value."""
        if self.log:
            x = math.exp(rng.uniform(math.log(self.low - 0.5 + 1e-9), math.log(self.high + 0.5)))
            return int(min(self.high, max(self.low, round(x))))
        return int(rng.integers(self.low, self.high + 1))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the project file's spelling)."""
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class CategoricalParam:
    """One of ``choices`` (strings, numbers, booleans or ``None``), each equally likely.

    Examples
    --------
    >>> import numpy as np
    >>> CategoricalParam(("rbf", "linear")).sample(np.random.default_rng(0)) in ("rbf", "linear")
    True
    """

    choices: tuple[Any, ...]

    def __post_init__(self) -> None:
        choices = tuple(self.choices) if isinstance(self.choices, (list, tuple)) else None
        if not choices:
            raise ParameterError.invalid("choices", self.choices, "a non-empty list")
        bad = [c for c in choices if not isinstance(c, (str, int, float, bool, type(None)))]
        if bad:
            raise ParameterError.invalid("choices", bad[0], "a string, number, boolean or null")
        object.__setattr__(self, "choices", choices)

    def sample(self, rng: np.random.Generator) -> Any:
        """One value."""
        return self.choices[int(rng.integers(len(self.choices)))]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the project file's spelling)."""
        return {"type": "categorical", "choices": list(self.choices)}


ParamSpec = FloatParam | IntParam | CategoricalParam


def _param(name: str, spec: Any) -> ParamSpec:
    if isinstance(spec, (FloatParam, IntParam, CategoricalParam)):
        return spec
    if isinstance(spec, (list, tuple)):
        return CategoricalParam(tuple(spec))
    if not isinstance(spec, Mapping):
        raise ParameterError.invalid(f"space[{name!r}]", spec,
                                     "{low, high[, log, type]}, {choices: [...]} or a list")
    unknown = sorted(set(spec) - set(_SPEC_KEYS))
    if unknown:
        raise ParameterError.choice(f"space[{name!r}] key", unknown[0], _SPEC_KEYS)
    kind = spec.get("type") or ("categorical" if spec.get("choices") is not None else "float")
    if kind not in _TYPES:
        raise ParameterError.choice(f"space[{name!r}].type", kind, _TYPES)
    if kind == "categorical":
        if spec.get("low") is not None or spec.get("high") is not None:
            raise ParameterError.invalid(f"space[{name!r}]", dict(spec),
                                         "either choices or low/high, not both")
        return CategoricalParam(tuple(spec.get("choices") or ()))
    if spec.get("choices") is not None:
        raise ParameterError.invalid(f"space[{name!r}]", dict(spec),
                                     "either choices or low/high, not both")
    if spec.get("low") is None or spec.get("high") is None:
        raise ParameterError.invalid(f"space[{name!r}]", dict(spec), "both low and high")
    cls = IntParam if kind == "int" else FloatParam
    return cls(spec["low"], spec["high"], log=bool(spec.get("log", False)))


@dataclass(frozen=True)
class SearchSpace:
    """The hyperparameters to tune, by name, each a :class:`FloatParam`, :class:`IntParam` or
    :class:`CategoricalParam`.

    :meth:`from_dict` reads the project file's spelling: ``{low, high}`` is a float (``log:
    true`` for log-uniform, ``type: int`` for an integer), ``{choices: [...]}`` (or a bare
    list) a categorical.

    Examples
    --------
    >>> import numpy as np
    >>> space = SearchSpace.from_dict({"C": {"low": 0.01, "high": 10, "log": True},
    ...                                "max_depth": {"low": 2, "high": 8, "type": "int"},
    ...                                "kernel": ["rbf", "linear"]})
    >>> space.names, type(space.params["max_depth"]).__name__
    (('C', 'kernel', 'max_depth'), 'IntParam')
    >>> sorted(space.sample(np.random.default_rng(0)))
    ['C', 'kernel', 'max_depth']
    """

    params: Mapping[str, ParamSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.params, Mapping) or not self.params:
            raise ParameterError.invalid("space", self.params, "a non-empty mapping of "
                                         "parameter names to specs")
        object.__setattr__(self, "params", {str(k): _param(str(k), v)
                                            for k, v in sorted(self.params.items())})

    @classmethod
    def from_dict(cls, spec: SearchSpace | Mapping[str, Any]) -> SearchSpace:
        """Read ``{name: {low, high[, log, type]} | {choices: [...]} | [...]}``."""
        if isinstance(spec, SearchSpace):
            return spec
        if not isinstance(spec, Mapping):
            raise ParameterError.invalid("space", spec, "a mapping of parameter names to specs")
        return cls({str(k): _param(str(k), v) for k, v in spec.items()})

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters' names, sorted."""
        return tuple(self.params)

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """One value of every parameter."""
        return {name: spec.sample(rng) for name, spec in self.params.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {name: spec.to_dict() for name, spec in self.params.items()}
