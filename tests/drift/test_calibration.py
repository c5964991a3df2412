"""Calibration of the default decision rule (``method="auto"``): false alarms, floors and power.

The acceptance criteria (docs/decision-rule.md has the rule, the reasons and the full grid):

* **False alarms.** On stationary data the per-column and the dataset-level false-alarm rates
  are at most ``alpha`` within a binomial margin: over ``R`` seeded replicates the alarm rate
  is at most ``alpha + 2 * sqrt(alpha * (1 - alpha) / R)``.
* **Floors.** At a million rows per side, a 0.02 SD shift or a category share moved by 0.5
  points is not flagged, although its raw p-value is tiny: the floor is what keeps it quiet.
* **Power.** In a 25-column table (20 numeric, 5 categorical) at 1,000 rows per side, a
  0.25 SD shift in one normal column, and a 10-point share move in one categorical column,
  are each flagged in at least 80% of replicates.

Design
------
Every replicate draws *both* samples afresh from its own seed. Windows compared with one fixed
reference are not independent replicates of a two-sample procedure: they share the
reference's sampling error, so their alarm rate estimates the rate *given that reference*,
which scatters around ``alpha`` from one reference to the next, and the binomial margin would
be too narrow (bench/quality/grid.py measures that scatter). So fitting once saves nothing
here, and the long loops call the rule's own two steps on prepared samples —
:func:`~driftline.drift._decision.evaluate` per column, then
:func:`~driftline.drift._decision.decide_tested` (Holm) across the table — which is what
compare() runs, minus the frame plumbing. ``test_direct_path_matches_compare`` checks that
shortcut against ``Reference.fit(...).compare(...)`` on the same tables, column by column.
The million-row tests use the fitted form itself.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pytest

from driftline.drift import Reference
from driftline.drift._decision import DEFAULT_EFFECT_FLOORS, Evidence, decide_tested, evaluate
from driftline.errors import SmallSampleWarning
from driftline.stats import Sample

ALPHA = 0.05
SEED = 20_240_601
FAMILIES = ("normal", "lognormal", "uniform", "exponential", "student_t3", "poisson")
NORMAL_SD = 2.0
N_LEVELS = 20
LEVELS = np.array([f"L{i:02d}" for i in range(N_LEVELS)], dtype=object)
BOOL_LABELS = np.array(["False", "True"], dtype=object)  # how compare() labels bool columns

Draw = Callable[[np.random.Generator, int], tuple[str, Sample, Sample]]


def margin(replicates: int) -> float:
    """The largest alarm rate consistent with ``alpha``: ``alpha`` plus two binomial SDs."""
    return ALPHA + 2.0 * math.sqrt(ALPHA * (1.0 - ALPHA) / replicates)


def rng_for(*key: int) -> np.random.Generator:
    return np.random.default_rng([SEED, *key])


# -- data ---------------------------------------------------------------------------------

def numeric(family: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of one family; ``poisson`` gives integers with many ties."""
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


def zipf_shares(column: int, levels: int = N_LEVELS) -> np.ndarray:
    """Unequal level shares (1/k), in a fixed order per column."""
    shares = 1.0 / np.arange(1, levels + 1)
    return np.random.default_rng([SEED, column]).permutation(shares / shares.sum())


def moved(shares: np.ndarray, points: float) -> np.ndarray:
    """``points`` of probability mass moved from the most common level to the second."""
    first, second = np.argsort(-shares, kind="stable")[:2]
    out = shares.copy()
    out[first] -= points
    out[second] += points
    return out


def codes(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(shares.size, size=n, p=shares)


def counted(c: np.ndarray, labels: np.ndarray = LEVELS) -> Sample:
    return Sample.from_counts(labels, np.bincount(c, minlength=labels.size))


def numeric_draw(family: str, shift_sd: float = 0.0) -> Draw:
    def draw(rng: np.random.Generator, n: int) -> tuple[str, Sample, Sample]:
        ref, cur = numeric(family, rng, n), numeric(family, rng, n)
        return "numerical", Sample.numerical(ref), Sample.numerical(cur + shift_sd * NORMAL_SD)
    return draw


def categorical_draw(shares: np.ndarray, points: float = 0.0) -> Draw:
    labels = LEVELS if shares.size == N_LEVELS else np.array(
        [f"L{i:02d}" for i in range(shares.size)], dtype=object)
    current = moved(shares, points) if points else shares

    def draw(rng: np.random.Generator, n: int) -> tuple[str, Sample, Sample]:
        ref, cur = codes(rng, shares, n), codes(rng, current, n)
        return "categorical", counted(ref, labels), counted(cur, labels)
    return draw


def binary_draw(p: float) -> Draw:
    def draw(rng: np.random.Generator, n: int) -> tuple[str, Sample, Sample]:
        k_ref, k_cur = (int((rng.random(n) < p).sum()) for _ in range(2))
        return ("binary", Sample.from_counts(BOOL_LABELS, [n - k_ref, k_ref]),
                Sample.from_counts(BOOL_LABELS, [n - k_cur, k_cur]))
    return draw


def wide_table(*, shift_sd: float = 0.0, points: float = 0.0) -> list[Draw]:
    """20 numeric columns over six families (``num_00`` normal) and 5 categorical columns of
    20 levels; ``shift_sd`` moves ``num_00`` and ``points`` moves ``cat_0``."""
    cols = [numeric_draw(FAMILIES[j % len(FAMILIES)], shift_sd if j == 0 else 0.0)
            for j in range(20)]
    return cols + [categorical_draw(zipf_shares(j), points if j == 0 else 0.0) for j in range(5)]


def mixed_table() -> list[Draw]:
    """Numbers with and without ties, binary columns from balanced to rare, and categoricals
    from three to fifty levels."""
    return [numeric_draw("normal"), numeric_draw("lognormal"), numeric_draw("poisson"),
            binary_draw(0.5), binary_draw(0.1), binary_draw(0.02),
            categorical_draw(np.array([0.5, 0.3, 0.2])), categorical_draw(zipf_shares(7, 5)),
            categorical_draw(zipf_shares(8)), categorical_draw(zipf_shares(9, 50))]


# -- the rule -----------------------------------------------------------------------------

def evidence_of(columns: Sequence[tuple[str, Sample, Sample]]) -> list[Evidence]:
    """Each column's evidence under the default rule (its test, and the floor's measure)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        # SciPy's exact KS p-value sometimes falls back to the asymptotic one and says so
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation", RuntimeWarning)
        return [evaluate(k, r, c, "auto", alpha=ALPHA, floors=DEFAULT_EFFECT_FLOORS)
                for k, r, c in columns]


def verdicts_of(evidence: list[Evidence]) -> list[bool | None]:
    """The default rule's verdicts for one table: Holm across its columns, and the floors."""
    return [d for _, d in decide_tested(evidence, alpha=ALPHA, correction="holm")]


def rule(columns: Sequence[tuple[str, Sample, Sample]]) -> tuple[list[Evidence], list[bool | None]]:
    """The default rule on one table: its evidence and its verdict per column."""
    evidence = evidence_of(columns)
    return evidence, verdicts_of(evidence)


def broken_rule(evidence: list[Evidence]) -> list[bool | None]:
    """The same evidence with no correction and no floor: each raw p-value against alpha."""
    bare = [replace(e, effect_threshold=None) for e in evidence]
    return [d for _, d in decide_tested(bare, alpha=ALPHA, correction="none")]


@dataclass
class Rate:
    """Alarms over replicates; a replicate without a verdict is counted, never a quiet pass."""

    hits: int = 0
    trials: int = 0
    undecided: int = 0

    def add(self, verdict: bool | None) -> None:
        self.trials += 1
        self.undecided += verdict is None
        self.hits += bool(verdict)

    @property
    def value(self) -> float:
        return self.hits / self.trials

    def __repr__(self) -> str:
        return f"{self.hits}/{self.trials} = {self.value:.4f} ({self.undecided} undecided)"


def run(table: list[Draw], n: int, replicates: int, key: int) -> tuple[Rate, list[Rate], Rate]:
    """Dataset-level rate, per-column rates and the broken rule's dataset-level rate."""
    dataset, broken = Rate(), Rate()
    per_column = [Rate() for _ in table]
    for r in range(replicates):
        rng = rng_for(key, n, r)
        evidence, verdicts = rule([draw(rng, n) for draw in table])
        for rate, verdict in zip(per_column, verdicts, strict=True):
            rate.add(verdict)
        dataset.add(any(bool(v) for v in verdicts))
        broken.add(any(bool(v) for v in broken_rule(evidence)))
    return dataset, per_column, broken


SHIFT_SD, MOVE_POINTS = 0.25, 0.10


@dataclass
class WideRates:
    """What one loop over the 25-column table measures."""

    dataset: Rate = field(default_factory=Rate)  # any column flagged, stationary table
    broken: Rate = field(default_factory=Rate)  # the same, with no correction and no floor
    columns: Rate = field(default_factory=Rate)  # each column of the stationary table
    numeric_power: Rate = field(default_factory=Rate)  # num_00 moved by SHIFT_SD
    categorical_power: Rate = field(default_factory=Rate)  # cat_0 moved by MOVE_POINTS


def wide_rates(n: int, replicates: int, key: int) -> WideRates:
    """Each replicate draws the stationary table, plus a shifted normal column and a moved
    categorical column that take the places of num_00 and cat_0 in two more tables."""
    table = wide_table()
    shifted = [numeric_draw("normal", SHIFT_SD), categorical_draw(zipf_shares(0), MOVE_POINTS)]
    out = WideRates()
    for r in range(replicates):
        rng = rng_for(key, n, r)
        evidence = evidence_of([draw(rng, n) for draw in table])
        verdicts = verdicts_of(evidence)
        for verdict in verdicts:
            out.columns.add(verdict)
        out.dataset.add(any(bool(v) for v in verdicts))
        out.broken.add(any(bool(v) for v in broken_rule(evidence)))
        moved_cols = evidence_of([draw(rng, n) for draw in shifted])
        for rate, slot, ev in ((out.numeric_power, 0, moved_cols[0]),
                               (out.categorical_power, 20, moved_cols[1])):
            rate.add(verdicts_of([*evidence[:slot], ev, *evidence[slot + 1:]])[slot])
    return out


# -- the shortcut is the rule -------------------------------------------------------------

@pytest.mark.parametrize("n", [60, 400])
def test_direct_path_matches_compare(n):
    """evaluate() + decide_tested() on prepared samples give compare()'s verdicts exactly."""
    rng = rng_for(99, n)
    ref_cols: dict[str, object] = {}
    cur_cols: dict[str, object] = {}
    samples = []
    shares = zipf_shares(0)
    for j in range(12):
        family = FAMILIES[j % len(FAMILIES)]
        a, b = numeric(family, rng, n), numeric(family, rng, n) + (1.5 if j == 0 else 0.0)
        ref_cols[f"num_{j:02d}"], cur_cols[f"num_{j:02d}"] = a, b
        samples.append(("numerical", Sample.numerical(a), Sample.numerical(b)))
    for j, p in enumerate((0.5, 0.1)):
        a, b = rng.random(n) < p, rng.random(n) < p + (0.15 if j == 0 else 0.0)
        ref_cols[f"bin_{j}"], cur_cols[f"bin_{j}"] = a, b
        samples.append(("binary", counted(a.astype(int), BOOL_LABELS),
                        counted(b.astype(int), BOOL_LABELS)))
    for j in range(3):
        a, b = codes(rng, shares, n), codes(rng, moved(shares, 0.15 if j == 0 else 0.0), n)
        ref_cols[f"cat_{j}"] = pd.Categorical.from_codes(a, LEVELS)
        cur_cols[f"cat_{j}"] = pd.Categorical.from_codes(b, LEVELS)
        samples.append(("categorical", counted(a), counted(b)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        report = Reference.fit(ref_cols, n_jobs=1).compare(cur_cols, n_jobs=1)
    evidence, verdicts = rule(samples)
    adjusted = decide_tested(evidence, alpha=ALPHA, correction="holm")
    assert list(report.columns) == list(ref_cols)
    rows = zip(report.columns.values(), evidence, verdicts, adjusted, strict=True)
    for col, ev, verdict, (p_adj, _) in rows:
        assert (col.method, col.drifted) == (ev.method, verdict), col.column
        assert col.p_value == ev.p_value and col.p_value_adjusted == p_adj, col.column
        assert col.effect_size == pytest.approx(ev.effect_size, rel=1e-12, nan_ok=True)
    assert report.drifted == any(bool(v) for v in verdicts)
    if n >= 100:  # both verdicts occur, so the comparison is not vacuous
        assert report.columns["num_00"].drifted and not report.columns["num_01"].drifted


# -- false alarms -------------------------------------------------------------------------

PER_COLUMN = [
    # (id, draw, n, replicates): one column alone, a family of one (Holm is then no correction).
    # Below 100 values per side the categorical and binary floors (total variation) and below
    # 50 the numeric one (Wasserstein) give no value, so the rule cannot flag such columns at
    # all; the cases start where the rule can alarm.
    ("numerical-normal", numeric_draw("normal"), 50, 1000),
    ("numerical-normal", numeric_draw("normal"), 100, 1000),
    ("numerical-normal", numeric_draw("normal"), 1_000, 1000),
    ("numerical-normal", numeric_draw("normal"), 10_000, 500),
    ("numerical-lognormal", numeric_draw("lognormal"), 1_000, 500),
    ("numerical-poisson-ties", numeric_draw("poisson"), 1_000, 500),
    ("categorical-20-levels", categorical_draw(zipf_shares(0)), 100, 2000),
    ("categorical-20-levels", categorical_draw(zipf_shares(0)), 1_000, 2000),
    ("categorical-20-levels", categorical_draw(zipf_shares(0)), 10_000, 2000),
    ("categorical-3-levels", categorical_draw(np.array([0.5, 0.3, 0.2])), 100, 2000),
    ("binary-50pct", binary_draw(0.5), 100, 2000),
    ("binary-50pct", binary_draw(0.5), 1_000, 2000),
    ("binary-10pct", binary_draw(0.1), 100, 2000),
    ("binary-2pct", binary_draw(0.02), 100, 500),
    ("binary-2pct", binary_draw(0.02), 1_000, 2000),
    ("binary-2pct", binary_draw(0.02), 10_000, 2000),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", PER_COLUMN, ids=[f"{c[0]}-n{c[2]}" for c in PER_COLUMN])
def test_per_column_false_alarm_rate_is_at_most_alpha(case):
    _, draw, n, replicates = case
    _, (rate,), _ = run([draw], n, replicates, key=100 + PER_COLUMN.index(case))
    assert rate.trials == replicates and rate.undecided == 0
    assert rate.value <= margin(replicates), rate


@pytest.mark.slow
def test_wide_table_false_alarms_power_and_teeth():
    """25 columns at n = 1,000, 500 replicates. Holm keeps the table's false-alarm rate at
    alpha; the same evidence judged with no correction and no floor alarms in most tables (so
    the check can fail); a 0.25 SD shift and a 10-point share move are each found in >= 80%."""
    replicates, n = 500, 1_000
    rates = wide_rates(n, replicates, key=2)
    for name, rate in vars(rates).items():
        expected = replicates * 25 if name == "columns" else replicates
        assert (rate.trials, rate.undecided) == (expected, 0), name
    assert rates.dataset.value <= margin(replicates), f"dataset false alarms {rates.dataset}"
    assert rates.columns.value <= margin(rates.columns.trials), f"per column {rates.columns}"
    # Teeth: 25 uncorrected tests at 0.05 alarm in about 1 - 0.95**25 = 72% of tables.
    assert rates.broken.value > 0.5 > margin(replicates), f"broken rule {rates.broken}"
    assert rates.numeric_power.value >= 0.80, f"0.25 SD shift found in {rates.numeric_power}"
    assert rates.categorical_power.value >= 0.80, (
        f"10-point move found in {rates.categorical_power}")


@pytest.mark.slow
@pytest.mark.parametrize("n", [100, 1_000])
def test_mixed_table_false_alarm_rate_is_at_most_alpha(n):
    replicates = 500
    dataset, per_column, _ = run(mixed_table(), n, replicates, key=3)
    assert dataset.trials == replicates and all(r.undecided == 0 for r in per_column)
    assert dataset.value <= margin(replicates), dataset


# -- the floor at a million rows ----------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("replicate", range(3))
def test_floor_keeps_negligible_shifts_quiet_at_a_million_rows(replicate):
    """0.02 SD in a normal and a lognormal column, 0.5 points of share in a categorical one:
    each raw p-value is tiny and survives Holm, yet no column drifts, because each effect is
    under its floor. The first replicate also compares the fitted reference without floors."""
    n = 1_000_000
    rng = rng_for(4, replicate)
    shares = zipf_shares(0)
    lognormal_sd = math.sqrt(math.expm1(0.75**2) * math.exp(0.75**2))
    ref = {"normal": numeric("normal", rng, n), "lognormal": numeric("lognormal", rng, n),
           "category": pd.Categorical.from_codes(codes(rng, shares, n), LEVELS)}
    cur = {"normal": numeric("normal", rng, n) + 0.02 * NORMAL_SD,
           "lognormal": numeric("lognormal", rng, n) + 0.02 * lognormal_sd,
           "category": pd.Categorical.from_codes(codes(rng, moved(shares, 0.005), n), LEVELS)}
    fitted = Reference.fit(ref, n_jobs=1)
    report = fitted.compare(cur, n_jobs=1)
    for col in report.columns.values():
        assert col.p_value is not None and col.p_value < 1e-6, col.column
        assert col.p_value_adjusted is not None and col.p_value_adjusted <= ALPHA, col.column
        assert col.effect_threshold is not None and col.effect_size is not None
        assert col.effect_size < col.effect_threshold, col.column
        assert col.drifted is False, col.column
    assert report.drifted is False
    if replicate == 0:  # once is enough to show it: without the floors, all three drift
        bare = fitted.compare(cur, effect_floor=False, n_jobs=1)
        assert all(c.drifted for c in bare.columns.values())
