"""Data makers shared by the generic method suites."""

from __future__ import annotations

import numpy as np

from driftline import stats

KINDS = ("numerical", "categorical", "binary")
LEVELS = np.array(["a", "b", "c", "d", "e"], dtype=object)


def primary_kind(name: str) -> str:
    """The kind a method is exercised on: numerical if it supports it, else its first kind."""
    kinds = stats.get(name).kinds
    return next(k for k in KINDS if k in kinds)


def draw(kind: str, n: int, rng: np.random.Generator, shifted: bool = False) -> np.ndarray:
    """A sample of ``kind``; ``shifted`` makes an obvious change (1 SD, or 30 points of shares)."""
    if kind == "numerical":
        return rng.normal(1.0 if shifted else 0.0, 1.0, size=n)
    if kind == "binary":
        return np.where(rng.random(n) < (0.8 if shifted else 0.5), "yes", "no").astype(object)
    p = np.array([0.5, 0.2, 0.1, 0.1, 0.1]) if shifted else np.array([0.2] * 5)
    return rng.choice(LEVELS, size=n, p=p)
