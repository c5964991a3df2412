"""The common API of the drifting stream generators: :class:`Stream` and :class:`DriftPoint`.

A generator is a frozen dataclass: its fields are the concept's parameters and a seed. It makes
its samples in blocks of numpy arrays, so ``take(100_000)`` is vectorised, and the same seed
always gives the same stream: ``take(n)`` returns the first ``n`` samples, and iterating yields
the same samples one at a time. numpy is imported here; pandas only when a frame is built.
"""

from __future__ import annotations

import abc
import itertools
import math
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["DriftPoint", "Stream"]

BLOCK = 4096  # rows per generated block: big enough to vectorise, small enough to stay cheap
Columns = dict[str, np.ndarray]
Block = tuple[Columns, np.ndarray]
KINDS = ("abrupt", "gradual", "incremental")


@dataclass(frozen=True)
class DriftPoint:
    """Where a stream's concept changes, and how.

    Parameters
    ----------
    position : index (0-based) of the change: the first sample of the new concept for an
        abrupt change, the centre of the transition for a gradual one (where half the samples
        come from each concept), the first step of an incremental one.
    width : how many samples the change takes: 0 when abrupt, the transition width when
        gradual, the number of steps when incremental; ``None`` for an incremental change that
        goes on to the end of the stream.
    kind : ``"abrupt"``, ``"gradual"`` or ``"incremental"``.
    before, after : the concepts on either side, as labels (see :attr:`Stream.concept`).
    recurring : whether ``after`` was already seen earlier in the stream.

    Examples
    --------
    >>> from driftline.datasets import SEA, drifting
    >>> stream = drifting(SEA(8.0, seed=1), SEA(9.5, seed=2), position=500, width=100)
    >>> point = stream.drift_points[0]
    >>> point.kind, point.start, point.end
    ('gradual', 450, 550)
    >>> point.after
    'SEA(threshold=9.5, noise=0.0)'
    """

    position: int
    width: int | None
    kind: str
    before: str
    after: str
    recurring: bool = False

    @property
    def start(self) -> int:
        """First index of the change."""
        if self.kind == "gradual" and self.width:
            return self.position - self.width // 2
        return self.position

    @property
    def end(self) -> int | None:
        """Index where the change is over (``None``: it never is)."""
        return None if self.width is None else self.start + self.width


class Stream(abc.ABC):
    """Base class of the drifting stream generators.

    Subclasses are frozen dataclasses with a ``seed`` field; they define :attr:`features` and
    ``_blocks``, an endless iterator of ``({feature: array}, labels)`` blocks.

    Examples
    --------
    >>> from driftline.datasets import SEA
    >>> stream = SEA(seed=0)
    >>> X, y = stream.take(3)
    >>> list(X.columns), len(y)
    (['x0', 'x1', 'x2'], 3)
    >>> x, label = next(iter(stream))
    >>> x == X.iloc[0].to_dict(), label == int(y[0])
    (True, True)
    """

    @property
    @abc.abstractmethod
    def features(self) -> tuple[str, ...]:
        """Feature names, in column order."""

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        """Levels of the categorical features (codes index them); numeric features are absent."""
        return {}

    @property
    def drift_points(self) -> tuple[DriftPoint, ...]:
        """The known changes of concept, in order of position."""
        return ()

    @property
    def concept(self) -> str:
        """A label of the concept: the parameters other than the sample seed."""
        if not is_dataclass(self):  # pragma: no cover - every generator here is a dataclass
            return type(self).__name__
        params = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                           if f.name != "seed" and f.repr)
        return f"{type(self).__name__}({params})"

    @abc.abstractmethod
    def _blocks(self) -> Iterator[Block]:
        """Endless blocks of samples, always the same for the same parameters."""

    def take(self, n: int) -> tuple[pd.DataFrame, pd.Series]:
        """The first ``n`` samples: features as a frame, labels as a series named ``y``.

        Categorical features have pandas ``category`` dtype.

        Examples
        --------
        >>> from driftline.datasets import STAGGER
        >>> X, y = STAGGER(function=1, seed=3).take(1_000)
        >>> X.shape, str(X["size"].dtype), y.name
        ((1000, 3), 'category', 'y')
        """
        import pandas as pd

        columns, y = self.take_arrays(n)
        frame: dict[str, Any] = {}
        for name in self.features:
            levels = self.categories.get(name)
            frame[name] = columns[name] if levels is None else pd.Categorical.from_codes(
                columns[name], categories=pd.Index(levels))
        return pd.DataFrame(frame, index=pd.RangeIndex(n)), pd.Series(y, name="y")

    def take_arrays(self, n: int) -> Block:
        """The first ``n`` samples as numpy arrays: ``({feature: column}, labels)``.

        Categorical features come as integer codes into :attr:`categories`.

        Examples
        --------
        >>> from driftline.datasets import SEA
        >>> columns, y = SEA(seed=0).take_arrays(5)
        >>> sorted(columns), y.shape
        (['x0', 'x1', 'x2'], (5,))
        """
        check_int("n", n, 0)
        buffer = Buffer(self._blocks())
        if n == 0:
            columns, y = buffer.pop(1)
            return {k: v[:0] for k, v in columns.items()}, y[:0]
        return buffer.pop(n)

    def __iter__(self) -> Iterator[tuple[dict[str, Any], Any]]:
        """Samples one at a time as ``(features, label)``, with Python scalars (endless)."""
        for columns, y in self._blocks():
            values = [self._python(name, columns[name]) for name in self.features]
            for i, label in enumerate(y.tolist()):
                yield {name: column[i] for name, column in zip(self.features, values, strict=True)}, label

    def _python(self, name: str, column: np.ndarray) -> list[Any]:
        levels = self.categories.get(name)
        return column.tolist() if levels is None else [levels[c] for c in column.tolist()]


class Buffer:
    """Rows read off a block iterator ``k`` at a time, whatever the block size."""

    def __init__(self, source: Iterator[Block] | None = None) -> None:
        self._source = source
        self._parts: deque[Block] = deque()
        self.size = 0

    def push(self, block: Block) -> None:
        self._parts.append(block)
        self.size += len(block[1])

    def pop(self, k: int) -> Block:
        """The next ``k >= 1`` rows."""
        while self.size < k:
            if self._source is None:  # pragma: no cover - callers push enough first
                raise RuntimeError("buffer underflow")
            self.push(next(self._source))
        taken: list[Block] = []
        need = k
        while need:
            columns, y = self._parts.popleft()
            if len(y) > need:
                self._parts.appendleft(({c: v[need:] for c, v in columns.items()}, y[need:]))
                columns, y = {c: v[:need] for c, v in columns.items()}, y[:need]
            taken.append((columns, y))
            need -= len(y)
        self.size -= k
        return concat(taken)


def concat(parts: Sequence[Block]) -> Block:
    """Rows of several blocks, in order."""
    if len(parts) == 1:
        return parts[0]
    columns = {c: np.concatenate([p[0][c] for p in parts]) for c in parts[0][0]}
    return columns, np.concatenate([p[1] for p in parts])


def balanced(blocks: Iterator[Block]) -> Iterator[Block]:
    """Labels alternate 1, 0, 1, 0, … as MOA's ``balanceClasses`` option makes them.

    MOA draws until it gets the class it wants and drops the others. Candidates are i.i.d., so
    keeping the unwanted ones for later gives the same distribution without the waste.
    """
    queues = {0: Buffer(), 1: Buffer()}
    half = BLOCK // 2
    while True:
        while queues[0].size < half or queues[1].size < half:
            columns, y = next(blocks)
            for label, queue in queues.items():
                keep = y == label
                if keep.any():
                    queue.push(({c: v[keep] for c, v in columns.items()}, y[keep]))
        (ones, y1), (zeros, y0) = queues[1].pop(half), queues[0].pop(half)
        out = {c: np.empty(BLOCK, dtype=np.result_type(ones[c], zeros[c])) for c in ones}
        for c, column in out.items():
            column[0::2], column[1::2] = ones[c], zeros[c]
        y = np.empty(BLOCK, dtype=y1.dtype)
        y[0::2], y[1::2] = y1, y0
        yield out, y


def levels(index: np.ndarray, positions: Sequence[int], widths: Sequence[int],
           rng: np.random.Generator) -> np.ndarray:
    """Which concept each sample comes from, when concept ``k`` gives way to ``k + 1`` at
    ``positions[k]``: abruptly if ``widths[k] == 0``, else with MOA's sigmoid
    :math:`P(t) = 1 / (1 + e^{-4 (t - p) / w})` of having passed the change by sample ``t``.
    """
    u = rng.random((index.size, len(positions)))
    t = index[:, None].astype(float)
    p = np.asarray(positions, dtype=float)[None, :]
    w = np.asarray(widths, dtype=float)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.clip(-4.0 * (t - p) / np.where(w > 0, w, 1.0), -700.0, 700.0)
        prob = np.where(w > 0, 1.0 / (1.0 + np.exp(z)), (t >= p).astype(float))
    passed = u < prob
    return np.cumprod(passed, axis=1).sum(axis=1)


def block_index(start: int) -> np.ndarray:
    """Global sample indices of the block that starts at ``start``."""
    return np.arange(start, start + BLOCK, dtype=np.int64)


def check_int(name: str, value: object, low: int, high: float = math.inf) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        allowed = f"an integer >= {low}" if high == math.inf else f"an integer in [{low}, {high}]"
        raise ParameterError.invalid(name, value, allowed)
    return int(value)


def check_float(name: str, value: object, low: float, high: float = math.inf) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not low <= float(value) <= high:  # type: ignore[arg-type]
        allowed = f"a float >= {low}" if high == math.inf else f"a float in [{low}, {high}]"
        raise ParameterError.invalid(name, value, allowed)
    return float(value)  # type: ignore[arg-type]


def check_positions(name: str, value: object, count: int | None = None) -> tuple[int, ...]:
    """An int or a strictly increasing sequence of non-negative ints, as a tuple."""
    items = (value,) if isinstance(value, (int, np.integer)) else value
    allowed = "a non-negative int or a strictly increasing sequence of them"
    if count is not None:
        allowed = f"a strictly increasing sequence of {count} non-negative ints"
    if isinstance(value, bool) or not isinstance(items, Sequence) or isinstance(items, str):
        raise ParameterError.invalid(name, value, allowed)
    out = tuple(items)
    ok = all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 0 for p in out)
    if not ok or any(a >= b for a, b in itertools.pairwise(out)) or (count is not None and len(out) != count):
        raise ParameterError.invalid(name, value, allowed)
    return tuple(int(p) for p in out)


def check_widths(value: object, count: int) -> tuple[int, ...]:
    """One width for every change, or one per change."""
    items = (value,) * count if isinstance(value, (int, np.integer)) else value
    allowed = f"a non-negative int, or a sequence of {count} of them (one per change)"
    if isinstance(value, bool) or not isinstance(items, Sequence) or len(items) != count:
        raise ParameterError.invalid("width", value, allowed)
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 0:
            raise ParameterError.invalid("width", value, allowed)
    return tuple(int(w) for w in items)
