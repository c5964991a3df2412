"""The SEA concepts (Street & Kim 2001): a threshold on the sum of two of three features."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from driftline.datasets._streams_base import BLOCK, Block, Stream, check_float, check_int

__all__ = ["SEA"]


@dataclass(frozen=True)
class SEA(Stream):
    """The SEA concepts: three uniform features, a label set by the sum of the first two.

    Parameters
    ----------
    threshold : the concept, :math:`\\theta`. The four published concepts are
        ``SEA.THRESHOLDS = (8.0, 9.0, 7.0, 9.5)``, used in that order in the paper.
    noise : probability that a label is flipped (the paper used 0.1).
    seed : seed of the samples.

    Notes
    -----
    :math:`x_0, x_1, x_2 \\sim U[0, 10]` independently; :math:`y = 1` if
    :math:`x_0 + x_1 > \\theta` else 0 (the paper's class 0 is :math:`x_0 + x_1 \\le \\theta`);
    :math:`x_2` is irrelevant. Then each label is flipped with probability ``noise``. Switch
    between thresholds with :func:`drifting` for the abrupt SEA drift of the paper.

    Examples
    --------
    >>> from driftline.datasets import SEA
    >>> X, y = SEA(threshold=8.0, seed=0).take(50_000)
    >>> bool(((X["x0"] + X["x1"] > 8.0).astype(int) == y).all())
    True
    >>> round(float(y.mean()), 2)  # P(x0 + x1 > 8) = 1 - 8**2 / 200
    0.68
    >>> SEA(threshold=-1.0)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: threshold must be a float in [0.0, 20.0]; got -1.0.

    References
    ----------
    Street, W. N. and Kim, Y. (2001). A streaming ensemble algorithm (SEA) for large-scale
    classification. KDD '01, 377-382.
    """

    threshold: float = 8.0
    noise: float = 0.0
    seed: int = 0

    THRESHOLDS: ClassVar[tuple[float, ...]] = (8.0, 9.0, 7.0, 9.5)

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_float("threshold", self.threshold, 0.0, 20.0))
        object.__setattr__(self, "noise", check_float("noise", self.noise, 0.0, 1.0))
        check_int("seed", self.seed, 0)

    @property
    def features(self) -> tuple[str, ...]:
        return ("x0", "x1", "x2")

    def _blocks(self) -> Iterator[Block]:
        rng = np.random.default_rng(self.seed)
        while True:
            x = rng.uniform(0.0, 10.0, (BLOCK, 3))
            y = (x[:, 0] + x[:, 1] > self.threshold).astype(np.int64)
            if self.noise:
                y ^= rng.random(BLOCK) < self.noise
            yield {name: x[:, j] for j, name in enumerate(self.features)}, y
