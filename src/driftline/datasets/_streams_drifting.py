"""Switches between concepts, abrupt or gradual, as MOA's and river's ``ConceptDriftStream``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from driftline.datasets._streams_base import (
    BLOCK,
    Block,
    Buffer,
    DriftPoint,
    Stream,
    block_index,
    check_int,
    check_positions,
    check_widths,
    levels,
)
from driftline.errors import ParameterError

__all__ = ["Drifting", "drifting"]


@dataclass(frozen=True)
class Drifting(Stream):
    """A stream that moves from one concept to the next at known positions.

    Build it with :func:`drifting`. Concept ``k`` gives way to concept ``k + 1`` at
    ``position[k]``, abruptly when ``width[k] == 0``, else gradually. A concept that appears
    twice (equal parameters and seed) is one stream that carries on where it left off, so a
    recurring concept brings back the same distribution with fresh samples.

    Examples
    --------
    >>> from driftline.datasets import Drifting, SEA
    >>> stream = Drifting((SEA(8.0, seed=1), SEA(9.5, seed=2)), position=(100,), width=(0,))
    >>> [p.position for p in stream.drift_points]
    [100]
    """

    concepts: tuple[Stream, ...]
    position: tuple[int, ...]
    width: tuple[int, ...]
    seed: int = 0

    def __post_init__(self) -> None:
        concepts = tuple(self.concepts) if isinstance(self.concepts, Sequence) else self.concepts
        if not isinstance(concepts, tuple) or len(concepts) < 2 \
                or not all(isinstance(c, Stream) for c in concepts):
            raise ParameterError.invalid("concepts", self.concepts, "at least two streams",
                                         "Pass generators such as SEA(...), STAGGER(...).")
        first = concepts[0]
        for k, other in enumerate(concepts[1:], start=1):
            if other.features != first.features or other.categories != first.categories:
                raise ParameterError.invalid(
                    f"concepts[{k}]", other, f"a stream with the features {first.features}",
                    "Every concept must produce the same columns (and categorical levels).")
        position = check_positions("position", self.position, len(concepts) - 1)
        object.__setattr__(self, "concepts", concepts)
        object.__setattr__(self, "position", position)
        object.__setattr__(self, "width", check_widths(self.width, len(position)))
        check_int("seed", self.seed, 0)

    @property
    def features(self) -> tuple[str, ...]:
        return self.concepts[0].features

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        return self.concepts[0].categories

    @property
    def concept(self) -> str:
        concepts = ", ".join(c.concept for c in self.concepts)
        return f"drifting({concepts}, position={self.position}, width={self.width})"

    @property
    def drift_points(self) -> tuple[DriftPoint, ...]:
        """The switches between concepts (changes inside a concept are listed by it)."""
        labels = [c.concept for c in self.concepts]
        return tuple(
            DriftPoint(position=p, width=w, kind="gradual" if w else "abrupt",
                       before=labels[k], after=labels[k + 1], recurring=labels[k + 1] in labels[:k + 1])
            for k, (p, w) in enumerate(zip(self.position, self.width, strict=True)))

    def _blocks(self) -> Iterator[Block]:
        rng = np.random.default_rng(self.seed)
        distinct: list[Stream] = []
        for c in self.concepts:
            if c not in distinct:
                distinct.append(c)
        source = np.array([distinct.index(c) for c in self.concepts])
        buffers = [Buffer(c._blocks()) for c in distinct]
        start = 0
        while True:
            group = source[levels(block_index(start), self.position, self.width, rng)]
            parts = [buffers[g].pop(int(n)) for g, n in enumerate(np.bincount(group, minlength=len(distinct)))
                     if n]
            # rows grouped by stream, in stream order; put each back where its row belongs
            order = np.argsort(group, kind="stable")
            columns = {c: _scatter(order, [p[0][c] for p in parts]) for c in self.features}
            yield columns, _scatter(order, [p[1] for p in parts])
            start += BLOCK


def _scatter(order: np.ndarray, pieces: list[np.ndarray]) -> np.ndarray:
    grouped = np.concatenate(pieces)
    out = np.empty_like(grouped)
    out[order] = grouped
    return out


def drifting(*concepts: Stream, position: int | Sequence[int], width: int | Sequence[int] = 0,
             seed: int = 0) -> Drifting:
    """Join concepts into one stream that drifts from each to the next at known positions.

    Parameters
    ----------
    *concepts : two or more generators with the same features, such as ``SEA(8.0, seed=1)``.
        Repeat one (the same object, or equal parameters and seed) for a recurring concept.
    position : where each change is centred, one per change (``len(concepts) - 1``).
    width : 0 for an abrupt change; else the width of the sigmoid transition. One for all
        changes, or one per change.
    seed : seed of the draws that pick the concept of each sample during a transition.

    Returns
    -------
    Drifting : a stream whose ``drift_points`` list the changes.

    Notes
    -----
    Sample ``t`` (0-based) has passed change ``k`` with probability
    :math:`1 / (1 + e^{-4 (t - p_k) / w_k})` (MOA's ``ConceptDriftStream``, Bifet et al. 2009),
    and with probability 1 from ``t = p_k`` on when :math:`w_k = 0`. Half the samples at
    :math:`p_k` come from each concept, and about 76 % of the transition happens in
    :math:`[p_k - w_k/2, p_k + w_k/2]`. As in MOA, each concept's own stream advances only when
    it supplies a sample, so an incremental concept (a drifting :class:`Hyperplane`) drifts by
    its own clock.

    Examples
    --------
    >>> from driftline.datasets import SEA, drifting
    >>> stream = drifting(SEA(8.0, seed=1), SEA(9.5, seed=2), SEA(8.0, seed=1),
    ...                   position=[2_000, 4_000], width=[0, 500], seed=7)
    >>> [(p.kind, p.position, p.recurring) for p in stream.drift_points]
    [('abrupt', 2000, False), ('gradual', 4000, True)]
    >>> X, y = stream.take(6_000)
    >>> late = (X["x0"] + X["x1"] > 9.5).astype(int) == y
    >>> bool(late[2_000:3_000].all()), bool(late[:2_000].mean() < 0.95)
    (True, True)

    References
    ----------
    Bifet, A., Holmes, G., Pfahringer, B., Kirkby, R. and Gavaldà, R. (2009). New ensemble
    methods for evolving data streams. KDD '09, 139-148.
    """
    positions = check_positions("position", position)
    return Drifting(concepts, position=positions, width=check_widths(width, len(positions)), seed=seed)
