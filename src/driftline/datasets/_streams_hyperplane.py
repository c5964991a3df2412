"""The rotating hyperplane (Hulten, Spencer & Domingos 2001): incremental drift of a linear
concept whose weights move a little at every sample."""

from __future__ import annotations

from collections.abc import Iterator
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
)
from driftline.errors import ParameterError

__all__ = ["Hyperplane"]


@dataclass(frozen=True)
class Hyperplane(Stream):
    """Points in the unit cube labelled by a hyperplane that rotates as the stream goes on.

    Parameters
    ----------
    n_features : dimension ``d`` (at least 2).
    n_drift_features : how many weights (the first ones) change, in ``[0, d]``.
    mag_change : how much each changing weight moves per sample, :math:`\\delta`; 0 for a
        fixed hyperplane.
    sigma : probability that a weight's direction of change reverses after a step.
    noise : probability that a label is flipped.
    seed : seed of the weights and the samples.
    drift_start, drift_stop : the weights move at samples ``drift_start <= t < drift_stop``
        (``None``: to the end); the defaults give the published stream, drifting throughout.

    Notes
    -----
    :math:`x \\sim U[0, 1]^d`, initial weights :math:`w_i \\sim U[0, 1]`, and
    :math:`y = 1` if :math:`\\sum_i w_i x_i \\ge w_0 = \\tfrac12 \\sum_i w_i`, else 0; half
    the labels are 1 whatever the weights. After each sample every changing weight moves by
    :math:`s_i \\delta` with :math:`s_i \\in \\{-1, +1\\}` (initially +1), and then :math:`s_i`
    flips with probability ``sigma`` (MOA's ``HyperplaneGenerator``). The steps are
    vectorised: the weights after ``t`` steps are a cumulative sum.

    Examples
    --------
    >>> from driftline.datasets import Hyperplane
    >>> stream = Hyperplane(n_features=4, mag_change=0.001, noise=0.0, seed=0)
    >>> X, y = stream.take(10_000)
    >>> round(float(y.mean()), 1)
    0.5
    >>> stream.drift_points[0].kind, stream.drift_points[0].end is None
    ('incremental', True)
    >>> Hyperplane(n_features=3, n_drift_features=4)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: n_drift_features must be an integer in [0, 3]; got 4.

    References
    ----------
    Hulten, G., Spencer, L. and Domingos, P. (2001). Mining time-changing data streams.
    KDD '01, 97-106.
    """

    n_features: int = 10
    n_drift_features: int = 2
    mag_change: float = 0.0
    sigma: float = 0.1
    noise: float = 0.05
    seed: int = 0
    drift_start: int = 0
    drift_stop: int | None = None

    def __post_init__(self) -> None:
        check_int("n_features", self.n_features, 2)
        check_int("n_drift_features", self.n_drift_features, 0, self.n_features)
        for name in ("mag_change", "sigma", "noise"):
            high = np.inf if name == "mag_change" else 1.0
            object.__setattr__(self, name, check_float(name, getattr(self, name), 0.0, high))
        check_int("seed", self.seed, 0)
        check_int("drift_start", self.drift_start, 0)
        if self.drift_stop is not None:
            check_int("drift_stop", self.drift_stop, 0)
            if self.drift_stop < self.drift_start:
                raise ParameterError.invalid("drift_stop", self.drift_stop,
                                             f"None or an integer >= drift_start ({self.drift_start})")

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(f"x{j}" for j in range(self.n_features))

    @property
    def drift_points(self) -> tuple[DriftPoint, ...]:
        if not (self.mag_change and self.n_drift_features) or self.drift_stop == self.drift_start:
            return ()
        width = None if self.drift_stop is None else self.drift_stop - self.drift_start
        return (DriftPoint(self.drift_start, width, "incremental", self.concept, self.concept),)

    def _blocks(self) -> Iterator[Block]:
        for columns, y, _ in self._weighted_blocks():
            yield columns, y

    def _weighted_blocks(self) -> Iterator[tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]]:
        """Blocks with the weights each sample was labelled with, shape ``(BLOCK, d)``."""
        rng = np.random.default_rng(self.seed)
        weights = rng.random(self.n_features)
        k = self.n_drift_features if self.mag_change else 0
        direction = np.ones(k)
        stop = np.inf if self.drift_stop is None else self.drift_stop
        start = 0
        while True:
            x = rng.random((BLOCK, self.n_features))
            w = np.broadcast_to(weights, x.shape)
            if k:
                t = block_index(start)
                steps = ((t >= self.drift_start) & (t < stop))[:, None]
                flips = (rng.random((BLOCK, k)) < self.sigma) & steps
                flipped_before: np.ndarray = np.cumsum(flips, axis=0) - flips
                signs = direction * np.where(flipped_before % 2 == 1, -1.0, 1.0)
                moves = self.mag_change * signs * steps
                w = w.copy()
                w[:, :k] += np.cumsum(moves, axis=0) - moves  # labelled before the step
                weights = w[-1].copy()
                weights[:k] += moves[-1]
                direction = signs[-1] * np.where(flips[-1], -1.0, 1.0)
            y = ((x * w).sum(axis=1) >= 0.5 * w.sum(axis=1)).astype(np.int64)
            if self.noise:
                y ^= rng.random(BLOCK) < self.noise
            yield {name: x[:, j] for j, name in enumerate(self.features)}, y, w
            start += BLOCK
