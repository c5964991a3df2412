"""Random radial basis functions with moving centroids (MOA's ``RandomRBFGeneratorDrift``,
Bifet et al.): incremental drift as some class centroids travel through the unit cube."""

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

__all__ = ["RandomRBF"]


@dataclass(frozen=True)
class RandomRBF(Stream):
    """Gaussian-like clusters around random centroids, each with a class; some may move.

    Parameters
    ----------
    n_classes : number of classes (at least 2).
    n_features : dimension ``d``.
    n_centroids : number of centroids.
    change_speed : distance a moving centroid travels per sample; 0 for a fixed model.
    n_drift_centroids : how many centroids (the first ones) move; ``None`` means all.
    seed_model : seed of the centroids (the concept).
    seed : seed of the samples.
    drift_start, drift_stop : the centroids move at samples ``drift_start <= t < drift_stop``
        (``None``: to the end); the defaults give the published stream.

    Notes
    -----
    Centroid ``c`` has a centre :math:`m_c \\sim U[0, 1]^d`, a class drawn uniformly, a spread
    :math:`s_c \\sim U[0, 1]` and a weight :math:`\\pi_c \\sim U[0, 1]`. A sample picks ``c``
    with probability :math:`\\pi_c / \\sum \\pi`, draws :math:`u \\sim U[-1, 1]^d` and
    :math:`g \\sim N(0, 1)`, and is :math:`x = m_c + g\\, s_c\\, u / \\lVert u \\rVert` with the
    class of ``c``. A moving centroid has a unit velocity :math:`v_c` with components drawn
    from U[0, 1] and normalised; before each sample its centre moves by
    :math:`\\text{change\\_speed}\\cdot v_c`, and a coordinate that leaves [0, 1] is set to the
    wall and its velocity reversed. The positions at every step come in closed form
    (:func:`_bounce`), so a block is computed at once.

    Examples
    --------
    >>> from driftline.datasets import RandomRBF
    >>> X, y = RandomRBF(n_classes=3, n_features=4, seed_model=1, seed=0).take(5_000)
    >>> X.shape, sorted(y.unique().tolist())
    ((5000, 4), [0, 1, 2])
    >>> moving = RandomRBF(change_speed=0.001, n_drift_centroids=10)
    >>> moving.drift_points[0].kind
    'incremental'

    References
    ----------
    Bifet, A., Holmes, G., Kirkby, R. and Pfahringer, B. (2010). MOA: Massive Online
    Analysis. JMLR 11, 1601-1604 (``RandomRBFGeneratorDrift``). Bifet, A., Holmes, G.,
    Pfahringer, B., Kirkby, R. and Gavaldà, R. (2009). New ensemble methods for evolving data
    streams. KDD '09, 139-148.
    """

    n_classes: int = 2
    n_features: int = 10
    n_centroids: int = 50
    change_speed: float = 0.0
    n_drift_centroids: int | None = None
    seed_model: int = 0
    seed: int = 0
    drift_start: int = 0
    drift_stop: int | None = None

    def __post_init__(self) -> None:
        check_int("n_classes", self.n_classes, 2)
        check_int("n_features", self.n_features, 1)
        check_int("n_centroids", self.n_centroids, 1)
        object.__setattr__(self, "change_speed", check_float("change_speed", self.change_speed, 0.0))
        if self.n_drift_centroids is not None:
            check_int("n_drift_centroids", self.n_drift_centroids, 0, self.n_centroids)
        for name in ("seed_model", "seed", "drift_start"):
            check_int(name, getattr(self, name), 0)
        if self.drift_stop is not None:
            check_int("drift_stop", self.drift_stop, 0)
            if self.drift_stop < self.drift_start:
                raise ParameterError.invalid("drift_stop", self.drift_stop,
                                             f"None or an integer >= drift_start ({self.drift_start})")

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(f"x{j}" for j in range(self.n_features))

    @property
    def _n_moving(self) -> int:
        if not self.change_speed:
            return 0
        return self.n_centroids if self.n_drift_centroids is None else self.n_drift_centroids

    @property
    def drift_points(self) -> tuple[DriftPoint, ...]:
        if not self._n_moving or self.drift_stop == self.drift_start:
            return ()
        width = None if self.drift_stop is None else self.drift_stop - self.drift_start
        return (DriftPoint(self.drift_start, width, "incremental", self.concept, self.concept),)

    def _model(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Centres, classes, spreads, picking probabilities and velocities of the centroids."""
        rng = np.random.default_rng(self.seed_model)
        c, d = self.n_centroids, self.n_features
        centres = rng.random((c, d))
        classes = rng.integers(0, self.n_classes, c)
        spreads = rng.random(c)
        weights = rng.random(c)
        velocity = np.zeros((c, d))
        k = self._n_moving
        if k:
            directions = rng.random((k, d))
            velocity[:k] = self.change_speed * directions / np.linalg.norm(directions, axis=1, keepdims=True)
        return centres, classes, spreads, weights / weights.sum(), velocity

    def _blocks(self) -> Iterator[Block]:
        centres, classes, spreads, probabilities, velocity = self._model()
        rng = np.random.default_rng(self.seed)
        stop = np.inf if self.drift_stop is None else self.drift_stop
        start = 0
        while True:
            pick = rng.choice(self.n_centroids, size=BLOCK, p=probabilities)
            u = rng.uniform(-1.0, 1.0, (BLOCK, self.n_features))
            g = rng.standard_normal(BLOCK)
            centre = centres[pick]
            if self._n_moving:
                # centres move before each sample, so sample t sees t + 1 steps
                steps = np.clip(block_index(start) + 1, self.drift_start, stop) - self.drift_start
                centre = _bounce(centre, velocity[pick], steps[:, None])
            x = centre + u / np.linalg.norm(u, axis=1, keepdims=True) * (g * spreads[pick])[:, None]
            yield {name: x[:, j] for j, name in enumerate(self.features)}, classes[pick].astype(np.int64)
            start += BLOCK


def _bounce(p0: np.ndarray, v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Where ``p += v`` repeated ``m`` times takes ``p0``, if a coordinate that goes above 1 (below
    0) is set to 1 (0) and its velocity reversed, as MOA moves its centroids.

    Once at a wall, a coordinate needs ``K = floor(1 / |v|) + 1`` steps to reach the other wall,
    so after the first wall its path repeats every ``2 K`` steps.
    """
    a = np.abs(v)
    moving = a > 0
    a_safe = np.where(moving, a, 1.0)
    up = v > 0
    first = np.floor(np.where(up, 1.0 - p0, p0) / a_safe) + 1  # steps to the first wall
    k = np.floor(1.0 / a_safe) + 1
    r = np.mod(m - first, 2 * k)
    away = np.where(r < k, a * r, a * (r - k))  # distance from the wall last touched
    from_top = np.where(r < k, up, ~up)  # that wall is 1 (else 0)
    bounced = np.where(from_top, 1.0 - away, away)
    return np.where(moving & (m >= first), bounced, p0 + v * m)
