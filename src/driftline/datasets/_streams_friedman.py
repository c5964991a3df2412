"""Friedman's regression function (1991) with the drifts of Ikonomovska, Gama & Džeroski (2011):
local expanding abrupt, global recurring abrupt, and global slow gradual."""

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
    check_int,
    check_positions,
)
from driftline.errors import ParameterError

__all__ = ["FriedmanDrift"]

_TYPES = ("lea", "gra", "gsg")
_DEFAULT_POSITIONS = {"lea": (50_000, 100_000, 150_000), "gra": (50_000, 100_000), "gsg": (50_000, 100_000)}


def _friedman(x: np.ndarray, a: int, b: int, c: int, d: int, e: int) -> np.ndarray:
    """:math:`10 \\sin(\\pi x_a x_b) + 20 (x_c - 0.5)^2 + 10 x_d + 5 x_e` (0-based columns)."""
    return (10 * np.sin(np.pi * x[:, a] * x[:, b]) + 20 * (x[:, c] - 0.5) ** 2
            + 10 * x[:, d] + 5 * x[:, e])


# The concepts, as feature orders of Friedman's function: the original, then the two
# permutations of the global drifts.
_CONCEPTS = {"f0": (0, 1, 2, 3, 4), "f1": (3, 4, 1, 0, 2), "f2": (1, 4, 3, 2, 0)}


def _lea(x: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """The local expanding abrupt drift: two regions with their own function, each stage of
    change dropping one more condition from the region, so the regions grow."""
    inside_1 = [x[:, 1] < 0.3, x[:, 2] < 0.3, x[:, 3] > 0.7, x[:, 4] < 0.3]
    inside_2 = [x[:, 1] > 0.7, x[:, 2] > 0.7, x[:, 3] < 0.3, x[:, 4] > 0.7]
    in_1 = np.zeros(len(x), dtype=bool)
    in_2 = np.zeros(len(x), dtype=bool)
    for s, n_conditions in ((1, 4), (2, 3), (3, 2)):
        now = stage == s
        in_1 |= now & np.logical_and.reduce(inside_1[:n_conditions])
        in_2 |= now & np.logical_and.reduce(inside_2[:n_conditions])
    y = _friedman(x, *_CONCEPTS["f0"])
    r1 = 10 * x[:, 0] * x[:, 1] + 20 * (x[:, 2] - 0.5) + 10 * x[:, 3] + 5 * x[:, 4]
    r2 = 10 * np.cos(x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) + np.exp(x[:, 3]) + 5 * x[:, 4] ** 2
    return np.where(in_1, r1, np.where(in_2, r2, y))


@dataclass(frozen=True)
class FriedmanDrift(Stream):
    """Friedman's regression problem with one of Ikonomovska et al.'s three concept drifts.

    Parameters
    ----------
    drift_type : ``"lea"`` (local expanding abrupt), ``"gra"`` (global recurring abrupt) or
        ``"gsg"`` (global slow gradual).
    position : the change points: three for ``"lea"``, two for the others; ``None`` gives
        (50 000, 100 000, 150 000) or (50 000, 100 000).
    transition_window : for ``"gsg"``, how many samples after each change point mix the old
        and the new concept with equal probability; 0 makes both changes abrupt (a global
        abrupt drift without recurrence).
    seed : seed of the samples.

    Notes
    -----
    :math:`x \\sim U[0, 1]^{10}`, :math:`y = f(x) + \\varepsilon`, :math:`\\varepsilon \\sim
    N(0, 1)`, with Friedman's :math:`f_0(x) = 10 \\sin(\\pi x_1 x_2) + 20 (x_3 - 0.5)^2 +
    10 x_4 + 5 x_5` (1-based, as in the papers); :math:`x_6 … x_{10}` are irrelevant.

    - ``"gra"``: from the first point :math:`f_1 = 10 \\sin(\\pi x_4 x_5) + 20 (x_2 - 0.5)^2
      + 10 x_1 + 5 x_3`; from the second, :math:`f_0` again.
    - ``"gsg"``: :math:`f_0 \\to f_1 \\to f_2`, with :math:`f_2 = 10 \\sin(\\pi x_2 x_5) +
      20 (x_4 - 0.5)^2 + 10 x_3 + 5 x_1`, each change mixing the two concepts half and half
      during ``transition_window`` samples (as river's ``FriedmanDrift`` does).
    - ``"lea"``: in region 1 (:math:`x_2 < 0.3, x_3 < 0.3, x_4 > 0.7, x_5 < 0.3`)
      :math:`y = 10 x_1 x_2 + 20 (x_3 - 0.5) + 10 x_4 + 5 x_5`, in region 2
      (:math:`x_2 > 0.7, x_3 > 0.7, x_4 < 0.3, x_5 > 0.7`)
      :math:`y = 10 \\cos(x_1 x_2) + 20 (x_3 - 0.5) + e^{x_4} + 5 x_5^2`, :math:`f_0`
      elsewhere. The regions appear at the first point; at the second the last condition is
      dropped from each, at the third the last two, so the drift spreads.

    river 0.26's ``"gra"`` uses :math:`x_6` where the paper's permutation has :math:`x_5`.

    Examples
    --------
    >>> from driftline.datasets import FriedmanDrift
    >>> stream = FriedmanDrift("gra", position=(1_000, 2_000), seed=0)
    >>> [(p.position, p.after, p.recurring) for p in stream.drift_points]
    [(1000, 'f1', False), (2000, 'f0', True)]
    >>> X, y = stream.take(3_000)
    >>> X.shape, round(float(y[:1_000].mean()))  # E f0 = 14.4
    ((3000, 10), 14)
    >>> FriedmanDrift("lea", position=(10, 20))
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: position must be a strictly increasing sequence of 3 ...

    References
    ----------
    Friedman, J. H. (1991). Multivariate adaptive regression splines. The Annals of
    Statistics, 19(1), 1-67. Ikonomovska, E., Gama, J. and Džeroski, S. (2011). Learning model
    trees from evolving data streams. Data Mining and Knowledge Discovery, 23(1), 128-168.
    """

    drift_type: str = "lea"
    position: Sequence[int] | None = None
    transition_window: int = 10_000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.drift_type not in _TYPES:
            raise ParameterError.choice("drift_type", self.drift_type, _TYPES)
        points = _DEFAULT_POSITIONS[self.drift_type] if self.position is None else self.position
        points = check_positions("position", points, len(_DEFAULT_POSITIONS[self.drift_type]))
        object.__setattr__(self, "position", points)
        check_int("transition_window", self.transition_window, 0)
        if self.drift_type == "gsg" and self.transition_window > points[1] - points[0]:
            raise ParameterError.invalid("transition_window", self.transition_window,
                                         f"at most {points[1] - points[0]}, the gap between the changes")
        check_int("seed", self.seed, 0)

    @property
    def _points(self) -> tuple[int, ...]:
        return tuple(self.position or ())

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(f"x{j}" for j in range(10))

    @property
    def drift_points(self) -> tuple[DriftPoint, ...]:
        p = self._points
        if self.drift_type == "lea":
            names = ("f0", "lea1", "lea2", "lea3")
            return tuple(DriftPoint(p[k], 0, "abrupt", names[k], names[k + 1]) for k in range(3))
        if self.drift_type == "gra":
            return (DriftPoint(p[0], 0, "abrupt", "f0", "f1"),
                    DriftPoint(p[1], 0, "abrupt", "f1", "f0", recurring=True))
        w = self.transition_window
        kind = "gradual" if w else "abrupt"
        return (DriftPoint(p[0] + w // 2, w, kind, "f0", "f1"),
                DriftPoint(p[1] + w // 2, w, kind, "f1", "f2"))

    def _blocks(self) -> Iterator[Block]:
        rng = np.random.default_rng(self.seed)
        p = np.asarray(self._points)
        start = 0
        while True:
            x = rng.random((BLOCK, 10))
            noise = rng.standard_normal(BLOCK)
            stage = np.searchsorted(p, block_index(start), side="right")
            if self.drift_type == "lea":
                y = _lea(x, stage)
            else:
                concept = np.where(stage == 2, 2 if self.drift_type == "gsg" else 0, stage)
                if self.drift_type == "gsg":
                    t = block_index(start)
                    mixing = (stage > 0) & (t < p[np.maximum(stage - 1, 0)] + self.transition_window)
                    concept = concept - (mixing & (rng.random(BLOCK) < 0.5))
                y = np.select([concept == 0, concept == 1],
                              [_friedman(x, *_CONCEPTS["f0"]), _friedman(x, *_CONCEPTS["f1"])],
                              _friedman(x, *_CONCEPTS["f2"]))
            yield {name: x[:, j] for j, name in enumerate(self.features)}, y + noise
            start += BLOCK
