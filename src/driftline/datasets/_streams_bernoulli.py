"""A stream of 0/1 errors whose rate changes at known positions, for the error-rate detectors
(DDM, EDDM, HDDM and the like)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from driftline.datasets._streams_base import (
    BLOCK,
    Block,
    DriftPoint,
    Stream,
    block_index,
    check_float,
    check_int,
    check_positions,
    check_widths,
    levels,
)
from driftline.errors import ParameterError

__all__ = ["BernoulliErrors"]


@dataclass(frozen=True)
class BernoulliErrors(Stream):
    """Bernoulli errors at rate ``p[0]``, then ``p[1]`` from ``position[0]`` on, and so on.

    Parameters
    ----------
    p : the error rate of each segment: one float for a stationary stream, else one more rate
        than there are positions.
    position : where each change is centred.
    width : 0 for abrupt changes, else the sigmoid width of each (one for all, or one per change).
    seed : seed of the draws.

    Notes
    -----
    The label ``y`` is the error (1) or success (0); there are no features. A gradual change
    mixes the two segments as :func:`drifting` does, so the rate at sample ``t`` is
    :math:`(1 - s(t))\\, p_k + s(t)\\, p_{k+1}` with the sigmoid
    :math:`s(t) = 1 / (1 + e^{-4 (t - \\text{position}) / \\text{width}})`.

    Examples
    --------
    >>> from driftline.datasets import BernoulliErrors
    >>> stream = BernoulliErrors(p=(0.1, 0.3), position=5_000, seed=0)
    >>> _, errors = stream.take(10_000)
    >>> round(float(errors[:5_000].mean()), 2), round(float(errors[5_000:].mean()), 2)
    (0.1, 0.3)
    >>> [(d.position, d.before, d.after) for d in stream.drift_points]
    [(5000, 'p=0.1', 'p=0.3')]
    >>> BernoulliErrors(p=(0.1, 0.3))
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: p must be one rate more than there are positions (0); got (0.1, 0.3).
    """

    p: float | Sequence[float]
    position: int | Sequence[int] = ()
    width: int | Sequence[int] = 0
    seed: int = 0

    def __post_init__(self) -> None:
        positions = check_positions("position", self.position)
        rates = (self.p,) if isinstance(self.p, (int, float, np.number)) else tuple(self.p)
        rates = tuple(check_float("p", r, 0.0, 1.0) for r in rates)
        if len(rates) != len(positions) + 1:
            raise ParameterError.invalid(
                "p", self.p, f"one rate more than there are positions ({len(positions)})")
        object.__setattr__(self, "p", rates)
        object.__setattr__(self, "position", positions)
        object.__setattr__(self, "width", check_widths(self.width, len(positions)))
        check_int("seed", self.seed, 0)

    @property
    def _rates(self) -> tuple[float, ...]:
        return tuple(self.p) if isinstance(self.p, Sequence) else (self.p,)

    @property
    def _positions(self) -> tuple[int, ...]:
        return tuple(self.position) if isinstance(self.position, Sequence) else (self.position,)

    @property
    def _widths(self) -> tuple[int, ...]:
        return tuple(self.width) if isinstance(self.width, Sequence) else (self.width,)

    @property
    def features(self) -> tuple[str, ...]:
        return ()

    @property
    def drift_points(self) -> tuple[DriftPoint, ...]:
        rates = self._rates
        return tuple(
            DriftPoint(pos, w, "gradual" if w else "abrupt", f"p={rates[k]}", f"p={rates[k + 1]}",
                       recurring=rates[k + 1] in rates[:k + 1])
            for k, (pos, w) in enumerate(zip(self._positions, self._widths, strict=True)))

    def _blocks(self) -> Iterator[Block]:
        rng = np.random.default_rng(self.seed)
        rates = np.asarray(self._rates)
        start = 0
        while True:
            level = levels(block_index(start), self._positions, self._widths, rng)
            yield {}, (rng.random(BLOCK) < rates[level]).astype(np.int64)
            start += BLOCK
