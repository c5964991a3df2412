"""Simulation core of the quality grid: the tables, and three decision rules on the same evidence.

A replicate draws a 25-column table twice, reference and current, from its own seed
``(SEED, n, r)``: 20 numeric columns over six distribution families and 5 categorical columns
with 20 Zipf-distributed levels. Replicates are therefore independent draws of *both* samples,
which is what the false-alarm rate of a two-sample procedure is about (windows against one
fixed reference share its sampling error; see :func:`conditional_rates`).

Besides the stationary table, each replicate carries shifted copies of two columns, with common
random numbers so the power curves are smooth: ``num_00`` (normal) moved by each of
:data:`SHIFTS_SD` reference standard deviations, and ``cat_0`` with each of :data:`MOVES` of
probability mass moved from its most common level to its second most common (a total variation
distance of exactly that size). Each shifted column is judged in its own 25-column table: the
other 24 columns are the stationary ones of the same replicate.

Three rules are applied to the same evidence:

* ``default`` — driftline's rule (``method="auto"``): the library's own
  :func:`~driftline.drift._decision.evaluate` per column and
  :func:`~driftline.drift._decision.decide_tested` (Holm) across the table;
* ``plain`` — the same KS / chi-square p-value against ``alpha``, no correction, no floor;
* ``distance`` — a fixed threshold alone: normed Wasserstein-1 >= 0.1 for numbers, total
  variation distance >= 0.1 for categories (computed without a minimum sample size, as the
  peers do).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from driftline.drift._decision import DEFAULT_EFFECT_FLOORS, Evidence, decide_tested, evaluate
from driftline.errors import SmallSampleWarning
from driftline.stats import Sample, fit, ks
from driftline.stats._wasserstein import wasserstein_distance

SEED = 20_240_601
ALPHA = 0.05
DISTANCE_THRESHOLD = 0.1
FAMILIES = ("normal", "lognormal", "uniform", "exponential", "student_t3", "poisson")
N_NUMERIC, N_CATEGORICAL, N_LEVELS = 20, 5, 20
N_COLUMNS = N_NUMERIC + N_CATEGORICAL
NORMAL_SD = 2.0
SHIFTS_SD = (0.02, 0.05, 0.1, 0.25, 0.5)
MOVES = (0.005, 0.02, 0.05, 0.1, 0.2)
RULES = ("default", "plain", "distance")
LEVELS = np.array([f"L{i:02d}" for i in range(N_LEVELS)], dtype=object)


def numeric(family: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of one numeric family (``poisson`` gives integer values with many ties)."""
    if family == "normal":
        return rng.normal(3.0, NORMAL_SD, n)
    if family == "lognormal":
        return rng.lognormal(0.0, 0.75, n)
    if family == "uniform":
        return rng.uniform(-1.0, 4.0, n)
    if family == "exponential":
        return rng.exponential(2.0, n)
    if family == "student_t3":
        return rng.standard_t(3, n)
    return rng.poisson(4.0, n).astype(np.float64)


def category_shares() -> list[np.ndarray]:
    """The level shares of the categorical columns: Zipf (1/k), in a fixed order per column."""
    zipf = 1.0 / np.arange(1, N_LEVELS + 1)
    zipf /= zipf.sum()
    order = np.random.default_rng(SEED)
    return [order.permutation(zipf) for _ in range(N_CATEGORICAL)]


def moved(shares: np.ndarray, points: float) -> np.ndarray:
    """``points`` of probability mass moved from the most common level to the second."""
    first, second = np.argsort(-shares, kind="stable")[:2]
    out = shares.copy()
    out[first] -= points
    out[second] += points
    return out


def counts(shares: np.ndarray, u: np.ndarray) -> Sample:
    """A categorical sample from uniforms ``u`` by inverse CDF, as level counts."""
    cdf = np.cumsum(shares)
    codes = np.minimum(np.searchsorted(cdf, u, side="right"), N_LEVELS - 1)
    return Sample.from_counts(LEVELS, np.bincount(codes, minlength=N_LEVELS))


def tvd(a: Sample, b: Sample) -> float:
    """Total variation distance of two count samples over the same levels."""
    return 0.5 * float(np.abs(a.counts / a.n - b.counts / b.n).sum())


def normed_w1(a: Sample, b: Sample) -> float:
    """Wasserstein-1 over the reference SD, with no minimum sample size."""
    return wasserstein_distance(a, b) / a.std


@dataclass
class Column:
    """One column's evidence under the default rule, plus its stand-alone distance."""

    evidence: Evidence
    distance: float

    @property
    def plain(self) -> bool:
        p = self.evidence.p_value
        return p is not None and p <= ALPHA

    @property
    def far(self) -> bool:
        return self.distance >= DISTANCE_THRESHOLD


def assess(kind: str, ref: Sample, cur: Sample) -> Column:
    """The rule's evidence for one column (small-sample warnings are counted, not shown)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        # SciPy's exact KS sometimes falls back to the asymptotic p-value and says so
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation", RuntimeWarning)
        ev = evaluate(kind, ref, cur, "auto", alpha=ALPHA, floors=DEFAULT_EFFECT_FLOORS)
    if kind == "categorical":
        dist = tvd(ref, cur)
    elif ev.effect_size is not None and math.isfinite(ev.effect_size):
        dist = ev.effect_size
    else:
        dist = normed_w1(ref, cur)
    return Column(ev, dist)


def default_verdicts(columns: list[Column]) -> list[bool | None]:
    """The default rule's verdicts for one table (Holm across its columns)."""
    out = decide_tested([c.evidence for c in columns], alpha=ALPHA, correction="holm")
    return [d for _, d in out]


@dataclass
class Tally:
    """Counts summed over replicates; every rate is ``hits / trials`` over stated trials."""

    replicates: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, value: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + int(value)

    def merge(self, other: Tally) -> None:
        self.replicates += other.replicates
        for k, v in other.counts.items():
            self.add(k, v)


def replicate(n: int, r: int) -> Tally:
    """One replicate at ``n`` rows per side: the stationary table and the shifted columns."""
    rng = np.random.default_rng([SEED, n, r])
    null: list[Column] = []
    shifted: list[Column] = []
    for j in range(N_NUMERIC):
        family = FAMILIES[j % len(FAMILIES)]
        ref = Sample.numerical(numeric(family, rng, n))
        raw = numeric(family, rng, n)
        null.append(assess("numerical", ref, Sample.numerical(raw)))
        if j == 0:  # the normal column, moved by each shift (common random numbers)
            shifted += [assess("numerical", ref, Sample.numerical(raw + s * NORMAL_SD))
                        for s in SHIFTS_SD]
    for j, shares in enumerate(category_shares()):
        ref, u = counts(shares, rng.random(n)), rng.random(n)
        null.append(assess("categorical", ref, counts(shares, u)))
        if j == 0:
            shifted += [assess("categorical", ref, counts(moved(shares, m), u)) for m in MOVES]
    return _tally(null, shifted)


def _tally(null: list[Column], shifted: list[Column]) -> Tally:
    t = Tally(replicates=1)
    verdicts = default_verdicts(null)
    kinds = ["num"] * N_NUMERIC + ["cat"] * N_CATEGORICAL
    for col, verdict, kind in zip(null, verdicts, kinds, strict=True):
        alone = default_verdicts([col])[0]
        t.add(f"undecided:{kind}", verdict is None)
        t.add(f"no_floor_effect:{kind}", not _finite(col.evidence.effect_size))
        t.add(f"fa:default:{kind}", bool(verdict))
        t.add(f"fa:single:{kind}", bool(alone))
        t.add(f"fa:plain:{kind}", col.plain)
        t.add(f"fa:distance:{kind}", col.far)
    t.add("fa:default:dataset", any(bool(v) for v in verdicts))
    t.add("fa:plain:dataset", any(c.plain for c in null))
    t.add("fa:distance:dataset", any(c.far for c in null))
    for i, col in enumerate(shifted):
        numeric_col = i < len(SHIFTS_SD)
        size = SHIFTS_SD[i] if numeric_col else MOVES[i - len(SHIFTS_SD)]
        slot = 0 if numeric_col else N_NUMERIC
        table = [*null[:slot], col, *null[slot + 1:]]
        key = f"{'num' if numeric_col else 'cat'}:{size}"
        t.add(f"power:default:{key}", bool(default_verdicts(table)[slot]))
        t.add(f"power:plain:{key}", col.plain)
        t.add(f"power:distance:{key}", col.far)
        p = col.evidence.p_value
        t.add(f"p_below_1e-6:{key}", p is not None and p < 1e-6)
    return t


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def run_chunk(task: tuple[int, int, int]) -> tuple[int, Tally]:
    """Replicates ``start .. stop - 1`` at ``n`` (a unit of work for the process pool)."""
    n, start, stop = task
    total = Tally()
    for r in range(start, stop):
        total.merge(replicate(n, r))
    return n, total


def conditional_rates(n: int, references: int, windows: int) -> list[float]:
    """Plain-KS alarm rate of many stationary windows against each of several fixed references.

    Each rate estimates the false-alarm rate *given* one reference. Their spread, compared
    with the binomial spread ``sqrt(alpha (1 - alpha) / windows)``, shows why windows against
    one reference are not independent replicates of the two-sample procedure.
    """
    rates = []
    for k in range(references):
        rng = np.random.default_rng([SEED, 7, n, k])
        ref = fit(rng.normal(size=n))
        hits = 0
        for _ in range(windows):
            p = ks(ref, rng.normal(size=n)).p_value
            hits += p is not None and p <= ALPHA
        rates.append(hits / windows)
    return rates
