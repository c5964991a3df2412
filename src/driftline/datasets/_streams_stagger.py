"""The STAGGER concepts (Schlimmer & Granger 1986): boolean rules on size, colour and shape."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from driftline.datasets._streams_base import BLOCK, Block, Stream, balanced, check_int
from driftline.errors import ParameterError

__all__ = ["STAGGER"]

_SIZES = ("small", "medium", "large")
_COLORS = ("red", "green", "blue")
_SHAPES = ("circle", "square", "triangle")


@dataclass(frozen=True)
class STAGGER(Stream):
    """The three STAGGER concepts over objects with a size, a colour and a shape.

    Parameters
    ----------
    function : the concept, 1, 2 or 3 (``STAGGER.FUNCTIONS`` describes them).
    balance_classes : alternate the labels 1, 0, 1, 0, … (MOA's ``balanceClasses``).
    seed : seed of the samples.

    Notes
    -----
    Each feature takes its three values with equal probability. :math:`y = 1` when

    1. ``size == "small" and color == "red"`` (:math:`P = 1/9`);
    2. ``color == "green" or shape == "circle"`` (:math:`P = 5/9`);
    3. ``size in ("medium", "large")`` (:math:`P = 2/3`).

    Switching 1 → 2 → 3 with :func:`drifting` gives the abrupt drift of the paper. Features
    are categorical (pandas ``category`` in :meth:`take`, strings when iterating).

    Examples
    --------
    >>> from driftline.datasets import STAGGER
    >>> X, y = STAGGER(function=2, seed=0).take(20_000)
    >>> rule = (X["color"] == "green") | (X["shape"] == "circle")
    >>> bool((rule.astype(int) == y).all()), round(float(y.mean()), 2)
    (True, 0.56)
    >>> next(iter(STAGGER(function=3, seed=0)))
    ({'size': 'medium', 'color': 'green', 'shape': 'triangle'}, 1)
    >>> STAGGER(function=4)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: function must be one of 1, 2, 3; got 4.

    References
    ----------
    Schlimmer, J. C. and Granger, R. H. (1986). Incremental learning from noisy data. Machine
    Learning, 1(3), 317-354.
    """

    function: int = 1
    balance_classes: bool = False
    seed: int = 0

    FUNCTIONS: ClassVar[dict[int, str]] = {
        1: "size is small and color is red",
        2: "color is green or shape is circle",
        3: "size is medium or large",
    }

    def __post_init__(self) -> None:
        if isinstance(self.function, bool) or self.function not in self.FUNCTIONS:
            raise ParameterError(f"function must be one of 1, 2, 3; got {self.function!r}.")
        if not isinstance(self.balance_classes, bool):
            raise ParameterError.invalid("balance_classes", self.balance_classes, "True or False")
        check_int("seed", self.seed, 0)

    @property
    def features(self) -> tuple[str, ...]:
        return ("size", "color", "shape")

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        return {"size": _SIZES, "color": _COLORS, "shape": _SHAPES}

    def _blocks(self) -> Iterator[Block]:
        blocks = self._candidates()
        return balanced(blocks) if self.balance_classes else blocks

    def _candidates(self) -> Iterator[Block]:
        rng = np.random.default_rng(self.seed)
        small, red, green, circle = 0, 0, _COLORS.index("green"), 0
        while True:
            size, color, shape = rng.integers(0, 3, (3, BLOCK), dtype=np.int8)
            if self.function == 1:
                y = (size == small) & (color == red)
            elif self.function == 2:
                y = (color == green) | (shape == circle)
            else:
                y = size != small
            yield {"size": size, "color": color, "shape": shape}, y.astype(np.int64)
