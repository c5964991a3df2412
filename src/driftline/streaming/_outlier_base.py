"""The API every streaming outlier scorer follows.

``score_one(x) -> float`` scores one row (higher = more anomalous), ``learn_one(x) -> None``
learns it; ``score_many``, ``learn_many`` and ``score_learn_many`` (prequential: each row scored,
then learned) do the same for the rows of a 2-D array, exactly as a loop of the ``_one`` methods
would. ``reset()`` starts over. State saves to JSON and loads from it (``to_state()`` /
``from_state()``, schema ``driftline.outlier/1``), never pickle.

The scorers here learn in windows of ``window_size`` rows: what a row is scored against (the
reference) only changes when a window fills. Within a window, scoring and learning are therefore
independent of each other, and a block of rows that stays inside one window is scored and
learned with a few numpy operations on the whole block.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.streaming._base import _plain, _walk
from driftline.streaming._checks import _check_int as check_int

__all__ = ["OUTLIER_STATE_SCHEMA", "OutlierScorer"]

OUTLIER_STATE_SCHEMA = "driftline.outlier/1"
_SCALINGS = ("minmax",)
_CHUNK = 1 << 14  # rows scored at once by score_many, which bounds its temporary arrays

S = TypeVar("S", bound="OutlierScorer")


class OutlierScorer:
    """Base class of the streaming outlier scorers.

    Subclasses set ``_params`` (the constructor's parameter names, read back from attributes of
    the same name) and ``window_size`` and ``scaling`` attributes, and implement ``_build(d)``
    (draw the random structure for ``d`` features), ``_score_block(rows)`` (scores against the
    reference of the last full window), ``_learn_block(rows)``, ``_pivot()`` (the window is
    full: it becomes the reference), ``_reset_model()``, ``_get_model()`` and ``_set_model()``.

    ``scaling="minmax"`` scales each feature by its running minimum and maximum, as river's
    ``preprocessing.MinMaxScaler()`` does in front of a detector: a row is scored with the
    minimum and maximum of the rows learned before it, and learned with those of the rows up to
    and including it. A feature whose range is still zero scales to 0.

    Examples
    --------
    >>> import numpy as np
    >>> class Distance(OutlierScorer):
    ...     '''Distance to the mean of the last full window.'''
    ...     _params = ("window_size",)
    ...     def __init__(self, window_size=3):
    ...         self.window_size, self.scaling = window_size, None
    ...         super().__init__()
    ...     def _build(self, d):
    ...         pass
    ...     def _reset_model(self):
    ...         self.total, self.mean = 0.0, 0.0
    ...     def _learn_block(self, rows):
    ...         self.total += float(rows.sum())
    ...     def _pivot(self):
    ...         self.mean, self.total = self.total / self.window_size, 0.0
    ...     def _score_block(self, rows):
    ...         return np.abs(rows[:, 0] - self.mean)
    ...     def _get_model(self):
    ...         return {"total": self.total, "mean": self.mean}
    ...     def _set_model(self, state):
    ...         self.total, self.mean = state["total"], state["mean"]
    >>> scorer = Distance()
    >>> scorer.score_learn_many(np.array([[1.0], [2.0], [3.0], [2.5], [9.0]])).tolist()
    [0.0, 0.0, 0.0, 0.5, 7.0]
    >>> Distance.from_state(scorer.to_json()).score_one([4.0])
    2.0
    """

    _params: ClassVar[tuple[str, ...]] = ()
    window_size: int
    scaling: str | None
    _n_features: int | None
    _counter: int
    _windows: int
    _min: np.ndarray | None
    _max: np.ndarray | None

    def __init__(self) -> None:
        self._reset_state()

    # -- the API -------------------------------------------------------------------------
    def score_one(self, x: Any) -> float:
        """The anomaly score of one row (a 1-D array of the features); higher is more
        anomalous. Scoring does not learn: call :meth:`learn_one` afterwards for that."""
        return float(self._score(self._rows(x, one=True))[0])

    def learn_one(self, x: Any) -> None:
        """Learn one row (a 1-D array of the features)."""
        self._run(self._rows(x, one=True), score=False)

    def score_many(self, X: Any) -> np.ndarray:
        """The scores of the rows of ``X`` (``n`` rows by features), none of them learned:
        what a loop of :meth:`score_one` gives."""
        return self._score(self._rows(X))

    def learn_many(self, X: Any) -> None:
        """Learn the rows of ``X`` in order: what a loop of :meth:`learn_one` does. The whole
        of ``X`` is checked first: a bad value raises before any row is learned."""
        self._run(self._rows(X), score=False)

    def score_learn_many(self, X: Any) -> np.ndarray:
        """Score each row of ``X``, then learn it (prequential evaluation): what a loop of
        :meth:`score_one` followed by :meth:`learn_one` gives, row after row."""
        return self._run(self._rows(X), score=True)

    def reset(self) -> None:
        """Forget everything learned, including the random structure (the parameters stay;
        with the same ``seed`` the same structure is drawn again)."""
        self._reset_state()

    @property
    def n_features(self) -> int | None:
        """The number of features, fixed by the first row seen (None before)."""
        return self._n_features

    @property
    def n_learned(self) -> int:
        """The number of rows learned so far."""
        return self._windows * self.window_size + self._counter

    # -- the windowed loop ---------------------------------------------------------------
    def _score(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(rows.shape[0])
        if self._windows == 0:  # nothing to score against yet
            return out
        for i in range(0, rows.shape[0], _CHUNK):
            out[i:i + _CHUNK] = self._score_block(self._scaled(rows[i:i + _CHUNK]))
        return out

    def _run(self, rows: np.ndarray, *, score: bool) -> np.ndarray:
        n = rows.shape[0]
        out = np.zeros(n if score else 0)
        i = 0
        while i < n:
            m = min(n - i, self.window_size - self._counter)  # rows left in this window
            block = rows[i:i + m]
            to_score, to_learn = self._scaled_pair(block, score)
            if to_score is not None and self._windows:
                out[i:i + m] = self._score_block(to_score)
            self._learn_block(to_learn)
            self._counter += m
            if self._counter == self.window_size:
                self._pivot()
                self._windows += 1
                self._counter = 0
            i += m
        return out

    def _scaled(self, block: np.ndarray) -> np.ndarray:
        """The rows as the model scores them, no row learned (for :meth:`score_many`)."""
        if self.scaling is None:
            return block
        assert self._min is not None and self._max is not None
        return _minmax(block, self._min[None, :], self._max[None, :])

    def _scaled_pair(self, block: np.ndarray, score: bool) -> tuple[np.ndarray | None, np.ndarray]:
        """The rows as scored just before each is learned (when ``score``), and as learned;
        updates the running minimum and maximum over the block."""
        if self.scaling is None:
            return (block if score else None), block
        assert self._min is not None and self._max is not None
        if block.shape[0] == 1:
            lo, hi = np.minimum(self._min, block), np.maximum(self._max, block)
            before = _minmax(block, self._min, self._max) if score else None
            self._min, self._max = lo[0], hi[0]
            return before, _minmax(block, lo, hi)
        lo = np.minimum.accumulate(np.vstack([self._min, block]), axis=0)
        hi = np.maximum.accumulate(np.vstack([self._max, block]), axis=0)
        self._min, self._max = lo[-1].copy(), hi[-1].copy()
        before = _minmax(block, lo[:-1], hi[:-1]) if score else None
        return before, _minmax(block, lo[1:], hi[1:])

    # -- input checks --------------------------------------------------------------------
    def _rows(self, values: Any, one: bool = False) -> np.ndarray:
        """``values`` as a checked 2-D float array: rows of finite numbers, as many columns as
        the rows before. ``one``: a single row, given as a 1-D array (named ``x``)."""
        name = "x" if one else "X"
        arr = _floats(values, name)
        if one and arr.ndim != 1:
            raise DataError(f"x must be one row: a 1-D array of features; got shape {arr.shape}. "
                            "Use the *_many methods for a 2-D array of rows.")
        if not one and arr.ndim != 2:
            raise DataError(f"X must be a 2-D array (rows by features); got shape {arr.shape}. "
                            "Use X.reshape(-1, 1) for a single feature, or the *_one methods for one row.")
        arr = arr.reshape(1, -1) if one else arr
        if arr.shape[1] == 0:
            raise DataError(f"{name} must have at least one feature; got 0.")
        bad = ~np.isfinite(arr)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            where = f"x[{c}]" if one else f"row {r}, column {c}"
            raise DataError(f"{name} must hold finite numbers; {where} is {arr[r, c].item()!r}. "
                            "Drop or impute missing values first.")
        if self._n_features is None:
            self._start(arr.shape[1])
        elif arr.shape[1] != self._n_features:
            raise DataError(f"{name} must have {self._n_features} features, {self._columns_from()}; "
                            f"got {arr.shape[1]}.")
        return arr

    def _columns_from(self) -> str:
        """Where the number of features came from, for the error message."""
        return "as the rows seen before"

    def _start(self, d: int) -> None:
        self._n_features = d
        if self.scaling is not None:
            self._min, self._max = np.full(d, math.inf), np.full(d, -math.inf)
        self._build(d)

    # -- state ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._n_features = None
        self._counter = 0
        self._windows = 0
        self._min = self._max = None
        self._reset_model()

    @property
    def params(self) -> dict[str, Any]:
        """The constructor's parameters."""
        return {name: getattr(self, name) for name in self._params}

    def to_state(self) -> dict[str, Any]:
        """Everything needed to continue this stream elsewhere (parameters, the random
        structure, what was learned), as JSON-ready data."""
        state: dict[str, Any] = {"n_features": self._n_features, "counter": self._counter,
                                 "windows": self._windows, "min": self._min, "max": self._max}
        if self._n_features is not None:
            state["model"] = self._get_model()
        return {"schema": OUTLIER_STATE_SCHEMA, "scorer": type(self).__name__,
                "params": _plain(self.params), "state": _plain(state)}

    def to_json(self) -> str:
        """:meth:`to_state` as a JSON string."""
        return json.dumps(self.to_state(), allow_nan=False)

    @classmethod
    def from_state(cls: type[S], state: Mapping[str, Any] | str) -> S:
        """A scorer that continues exactly where :meth:`to_state` left off."""
        data = json.loads(state) if isinstance(state, str) else dict(state)
        inner = data.get("state")
        if data.get("schema") != OUTLIER_STATE_SCHEMA or data.get("scorer") != cls.__name__ \
                or not isinstance(inner, Mapping):
            raise ParameterError.invalid(
                "state", {k: data.get(k) for k in ("schema", "scorer")},
                f"the saved state of a {cls.__name__} ({OUTLIER_STATE_SCHEMA})")
        scorer = cls(**{k: _walk(v) for k, v in dict(data.get("params") or {}).items()})
        inner = {k: _walk(v) for k, v in inner.items()}
        scorer._counter, scorer._windows = int(inner["counter"]), int(inner["windows"])
        if inner["n_features"] is not None:
            scorer._n_features = int(inner["n_features"])
            if scorer.scaling is not None:
                scorer._min = np.asarray(inner["min"], dtype=float)
                scorer._max = np.asarray(inner["max"], dtype=float)
            scorer._set_model(inner["model"])
        return scorer

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    # -- what subclasses implement -------------------------------------------------------
    def _build(self, d: int) -> None:  # pragma: no cover
        raise NotImplementedError

    def _score_block(self, rows: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _learn_block(self, rows: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def _pivot(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _reset_model(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _get_model(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _set_model(self, state: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError


def check_seed(seed: object) -> int | None:
    """``seed`` as an int or None, or a :class:`ParameterError`."""
    if seed is None:
        return None
    return check_int("seed", seed, 0, "Pass None for an unseeded scorer.")


def check_scaling(scaling: object) -> str | None:
    """``scaling`` if it is None or a known scaling, else a :class:`ParameterError`."""
    if scaling is None:
        return None
    if not isinstance(scaling, str) or scaling not in _SCALINGS:
        raise ParameterError.invalid("scaling", scaling, "None or 'minmax'",
                                     "'minmax' scales each feature by its running minimum and maximum.")
    return scaling


def _minmax(block: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(x - lo) / (hi - lo), and 0 where the range is zero, as river's MinMaxScaler; before any
    row is learned there is no range (lo = inf, hi = -inf) and every value scales to 0."""
    width = hi - lo
    ok = np.isfinite(width) & (width != 0)
    return np.where(ok, (block - lo) / np.where(ok, width, 1.0), 0.0)


def _floats(values: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be an array of real numbers; got {type(values).__name__}.") from exc
