"""The streaming protocol every detector follows (STYLE §4).

``update(x) -> None`` feeds one value; the read-only properties ``drift_detected`` and
``warning_detected`` say what the last update found; ``reset()`` starts over;
``update_many(xs)`` feeds many values and returns the indices where drift fired, exactly as a
loop of ``update`` would. State saves to JSON and loads from it (``to_state()`` /
``from_state()``), never pickle, so monitoring survives a restart mid-stream.

A bad value in ``update_many`` (one that ``update`` would refuse: NaN, or a value other than
0 and 1 for a detector of error bits, ...) is found before anything is fed: the whole batch is
checked first, the error ``update`` would raise is raised, naming the first bad value by its
index (``xs[7] must be ...``), and the detector is left exactly as it was. A batch is taken
whole or not at all.

Most detectors run ``update_many`` through a kernel (:mod:`driftline.streaming._accel`),
compiled with numba when the ``fast`` extra is installed, in pure Python otherwise; the
indices and the state afterwards are the same either way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._checks import _floats

__all__ = ["STATE_SCHEMA", "DriftDetector"]

STATE_SCHEMA = "driftline.detector/1"


def _plain(v: Any) -> Any:
    """A JSON-safe copy: numpy scalars and arrays as Python values, non-finite floats as
    strings ("inf", "-inf", "nan") so that strict JSON can carry them."""
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else str(f)
    return v


def _number(v: Any) -> Any:
    """The inverse of :func:`_plain` for one value."""
    if isinstance(v, str) and v in ("inf", "-inf", "nan"):
        return float(v)
    return v


class DriftDetector:
    """Base class of the streaming detectors.

    Subclasses set ``_params`` (the constructor's parameter names, read back from attributes
    of the same name), implement ``update``, ``_reset_state``, ``_get_state`` and
    ``_set_state``, and set ``self._drift`` and ``self._warning`` in ``update``. A subclass
    whose ``update`` refuses some values also implements ``_accepts`` (which values of a batch
    ``update`` takes) and ``_refuse`` (the error for one that it does not), so that
    ``update_many`` checks a whole batch before feeding any of it.

    Examples
    --------
    >>> class Threshold(DriftDetector):
    ...     _params = ("limit",)
    ...     def __init__(self, limit=3.0):
    ...         self.limit = limit
    ...         super().__init__()
    ...     def _reset_state(self):
    ...         self.n = 0
    ...     def _get_state(self):
    ...         return {"n": self.n}
    ...     def _set_state(self, state):
    ...         self.n = state["n"]
    ...     def _accepts(self, a):
    ...         return a >= 0
    ...     def _refuse(self, x, name):
    ...         return ValueError(f"{name} must be >= 0; got {x!r}.")
    ...     def update(self, x):
    ...         if not x >= 0:
    ...             raise self._refuse(x, "x")
    ...         self.n += 1
    ...         self._drift = x > self.limit
    >>> d = Threshold()
    >>> d.update_many([1, 5, 2, 9]).tolist()
    [1, 3]
    >>> d.update_many([1, 5, -2, 9])
    Traceback (most recent call last):
    ...
    ValueError: xs[2] must be >= 0; got -2.0.
    >>> Threshold.from_state(d.to_state()).n  # the refused batch fed nothing
    4
    """

    _params: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._drift = False
        self._warning = False
        self._reset_state()

    # -- the protocol --------------------------------------------------------------------
    @property
    def drift_detected(self) -> bool:
        """Whether the last update detected a drift."""
        return self._drift

    @property
    def warning_detected(self) -> bool:
        """Whether the last update is in the warning zone (False where the algorithm has none)."""
        return self._warning

    def update(self, x: float) -> None:  # pragma: no cover - every subclass implements it
        raise NotImplementedError

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired (what a
        loop of :meth:`update` gives). A bad value raises before any value is fed."""
        return self._loop(self._checked(xs))

    def _loop(self, values: np.ndarray) -> np.ndarray:
        """A loop of :meth:`update` over checked ``values``; the indices where drift fired."""
        hits = []
        update = self.update
        for i, x in enumerate(values.tolist()):  # Python floats
            update(x)
            if self._drift:
                hits.append(i)
        return np.asarray(hits, dtype=np.int64)

    def _checked(self, xs: Iterable[float]) -> np.ndarray:
        """``xs`` as a float64 vector, every value checked as :meth:`update` checks one; the
        first bad value raises the error ``update`` raises, named ``xs[i]``."""
        values = _floats(xs)
        if self._takes_any_finite and getattr(getattr(xs, "dtype", None), "kind", "") in ("b", "i", "u"):
            return values  # integers (and bools) convert to finite floats: nothing to refuse
        ok = self._accepts(values)
        if ok is not None and not ok.all():
            i = int(np.argmin(ok))
            raise self._refuse(values[i].item(), f"xs[{i}]")
        return values

    #: Whether ``update`` takes every finite number (then an integer array needs no check).
    _takes_any_finite: ClassVar[bool] = False

    def _accepts(self, values: np.ndarray) -> np.ndarray | None:
        """Where ``update`` takes the values (None: it takes any float)."""
        return None

    def _refuse(self, x: float, name: str) -> Exception:  # pragma: no cover - with _accepts
        """The error ``update`` raises for the bad value ``x``, called ``name``."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget everything seen so far (the parameters stay)."""
        self._drift = False
        self._warning = False
        self._reset_state()

    # -- saved state ---------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """The constructor's parameters."""
        return {name: getattr(self, name) for name in self._params}

    def to_state(self) -> dict[str, Any]:
        """Everything needed to continue this stream elsewhere, as JSON-ready data."""
        return {"schema": STATE_SCHEMA, "detector": type(self).__name__,
                "params": _plain(self.params),
                "state": _plain({**self._get_state(), "_drift": self._drift,
                                 "_warning": self._warning})}

    def to_json(self) -> str:
        """:meth:`to_state` as a JSON string."""
        return json.dumps(self.to_state(), allow_nan=False)

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | str) -> DriftDetector:
        """A detector that continues where :meth:`to_state` left off."""
        data = json.loads(state) if isinstance(state, str) else dict(state)
        if data.get("schema") != STATE_SCHEMA or data.get("detector") != cls.__name__:
            raise ParameterError.invalid(
                "state", {k: data.get(k) for k in ("schema", "detector")},
                f"the saved state of a {cls.__name__} ({STATE_SCHEMA})")
        params = {k: _number(v) for k, v in dict(data.get("params") or {}).items()}
        det = cls(**params)
        inner = {k: _walk(v) for k, v in dict(data["state"]).items()}
        det._drift = bool(inner.pop("_drift", False))
        det._warning = bool(inner.pop("_warning", False))
        det._set_state(inner)
        return det

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    # -- what subclasses implement -------------------------------------------------------
    def _reset_state(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _get_state(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _set_state(self, state: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError


def _walk(v: Any) -> Any:
    if isinstance(v, list):
        return [_walk(x) for x in v]
    if isinstance(v, dict):
        return {k: _walk(x) for k, x in v.items()}
    return _number(v)
