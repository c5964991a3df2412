"""Seeded datasets for the profile tests: distributions, sizes, shifts and partitionings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from driftline.profile import TableProfile, profile_frame

DISTRIBUTIONS = ("normal", "lognormal", "poisson", "uniform", "student_t3", "bimodal")
SIZES = (1_000, 2_000, 5_000, 20_000, 50_000, 200_000)
SHIFTS = (0.0, 0.0, 0.05, 0.1, 0.2, 0.5)


@dataclass(frozen=True)
class Case:
    """One seeded comparison: the reference and current sizes, a shift and a partitioning."""

    seed: int
    dist: str
    n: int
    m: int
    shift: float
    parts: int

    @property
    def id(self) -> str:
        return f"{self.dist}-{self.n}x{self.m}-shift{self.shift:g}-p{self.parts}-s{self.seed}"


def numeric_cases(count: int) -> list[Case]:
    """``count`` cases; every distribution and size appears, the 200k sizes are rarer."""
    cases = []
    for seed in range(count):
        rng = np.random.default_rng(10_000 + seed)
        sizes = rng.choice(SIZES, size=2, p=[0.22, 0.2, 0.2, 0.18, 0.12, 0.08])
        cases.append(Case(seed, DISTRIBUTIONS[seed % len(DISTRIBUTIONS)], int(sizes[0]),
                          int(sizes[1]), float(rng.choice(SHIFTS)), int(rng.integers(1, 9))))
    return cases


def draw(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """Reference and current values; ``shift`` moves the current sample (in about SDs)."""
    rng = np.random.default_rng(case.seed)

    def sample(size: int, shift: float) -> np.ndarray:
        if case.dist == "normal":
            return rng.normal(shift, 1.0, size)
        if case.dist == "lognormal":
            return rng.lognormal(shift * 0.7, 0.7, size)
        if case.dist == "poisson":
            return rng.poisson(4.0 + 2.0 * shift, size).astype(np.float64)
        if case.dist == "uniform":
            return rng.uniform(shift * 0.3, 1.0 + shift * 0.3, size)
        if case.dist == "student_t3":
            return rng.standard_t(3, size) + shift * 1.7
        mix = rng.uniform(size=size) < 0.3 + 0.2 * shift
        return np.where(mix, rng.normal(-2.0, 0.5, size), rng.normal(1.0, 1.0, size))

    return sample(case.n, 0.0), sample(case.m, case.shift)


def split(values: np.ndarray, parts: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Random contiguous partitions of uneven sizes (some may be empty)."""
    cuts = np.sort(rng.integers(0, values.size + 1, size=parts - 1))
    return np.split(values, cuts)


def merged(profiles: list[TableProfile], rng: np.random.Generator) -> TableProfile:
    """Merge in a random order and a random grouping (a random binary tree)."""
    items = [profiles[i] for i in rng.permutation(len(profiles))]
    while len(items) > 1:
        i = int(rng.integers(0, len(items) - 1))
        items[i:i + 2] = [items[i].merge(items[i + 1])]
    return items[0]


def window(frames: list[dict], reference: TableProfile, rng: np.random.Generator,
           **options: object) -> TableProfile:
    """Profile each partition against ``reference`` and merge them at random."""
    return merged([profile_frame(f, reference=reference, **options) for f in frames], rng)
