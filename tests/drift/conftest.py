"""Hand-built drift reports for the renderer tests (no dependency on compare())."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.drift._report import (
    ColumnDrift,
    ColumnQuality,
    DecisionRule,
    Distribution,
    DriftReport,
    QualityCheck,
)

FLOORS = {"numerical": 0.1, "categorical": 0.1, "binary": 0.1, "text": 0.1}
ACTION = {"feature": "investigate feature generation; retrain on new data",
          "label": "investigate label generation; retrain",
          "prediction": "investigate training; assess business impact"}


def histogram(rng: np.random.Generator, n: int, shift: float, bins: int = 30) -> Distribution:
    """Counts of two normal samples on shared edges (outer bins would hold the tails)."""
    ref, cur = rng.normal(0.0, 1.0, n), rng.normal(shift, 1.0, n)
    edges = np.linspace(-3.5, 3.5 + shift, bins + 1)
    clip = edges[0], edges[-1]
    r, _ = np.histogram(np.clip(ref, *clip), edges)
    c, _ = np.histogram(np.clip(cur, *clip), edges)
    return Distribution("histogram", tuple(map(int, r)), tuple(map(int, c)),
                        edges=tuple(map(float, edges)))


def frequencies(labels: list[str], n: int, moved: float) -> Distribution:
    shares = 1.0 / np.arange(1, len(labels) + 1)
    shares /= shares.sum()
    cur = (1 - moved) * shares
    cur[-1] += moved
    return Distribution("frequencies", tuple(int(n * s) for s in shares),
                        tuple(int(n * s) for s in cur), labels=tuple(labels))


def column(name: str, *, kind: str = "numerical", drifted: bool | None = False,
           effect: float = 0.03, p: float | None = 0.4, role: str = "feature",
           drift_type: str = "feature", n: int = 10_000, dist: Distribution | None = None,
           **extra: object) -> ColumnDrift:
    method = {"numerical": "ks", "categorical": "chi_square", "text": "text"}.get(kind, "z_test")
    name_effect = "wasserstein_normed" if kind == "numerical" else "total_variation"
    return ColumnDrift(
        column=name, kind=kind, method=method, statistic=effect * 1.3, p_value=p, alpha=0.05,
        effect_size=effect, effect_size_name=name_effect, effect_threshold=FLOORS.get(kind, 0.1),
        drifted=drifted, n_reference=n, n_current=n,
        p_value_adjusted=None if p is None else min(1.0, p * 25), correction="holm",
        role=role, drift_type=drift_type, action=ACTION[drift_type] if drifted else None,
        distribution=dist, **extra)  # type: ignore[arg-type]


def quality(name: str, kind: str, status: str = "ok") -> ColumnQuality:
    value = {"ok": 0.01, "warn": 0.08, "fail": 0.3}[status]
    msg = "" if status == "ok" else f"{value:.0%} missing"
    return ColumnQuality(name, kind, (
        QualityCheck("missing_share", value, 0.05, status, msg),
        QualityCheck("constant", 0.0, None, "ok", ""),
        QualityCheck("out_of_range_share", 0.001, 0.01, "ok", ""),
    ))


def build_report(n_columns: int = 25, n_rows: int = 10_000, *, seed: int = 0,
                 drifted: bool = True, bins: int = 30) -> DriftReport:
    """A report shaped like compare()'s on make_drift_frames: numbers, categories, a target,
    a prediction, one column that could not be tested and some quality findings."""
    rng = np.random.default_rng(seed)
    n = min(n_rows, 5_000)  # counts are scaled, so the aggregates stay cheap to build
    scale = n_rows / n
    cols: list[ColumnDrift] = []
    n_cat = 5
    for j in range(n_columns - n_cat - 3):
        hit = drifted and j < 5
        dist = histogram(rng, n, 0.6 if hit else 0.0, bins)
        dist = Distribution("histogram", tuple(int(x * scale) for x in dist.reference),
                            tuple(int(x * scale) for x in dist.current), edges=dist.edges)
        cols.append(column(f"num_{j:02d}", drifted=hit, effect=0.3 + 0.05 * j if hit else
                           0.01 + 0.004 * j, p=10.0 ** -(40 - j) if hit else 0.2 + 0.02 * j,
                           n=n_rows, dist=dist))
    levels = [f"L{i:02d}" for i in range(20)]
    for j in range(n_cat):
        hit = drifted and j < 2
        cols.append(column(f"cat_{j}", kind="categorical", drifted=hit,
                           effect=0.12 if hit else 0.02, p=1e-9 if hit else 0.6, n=n_rows,
                           dist=frequencies(levels, n_rows, 0.1 if hit else 0.0)))
    cols.append(column("label", kind="categorical", role="target", drift_type="label",
                       drifted=drifted, effect=0.15 if drifted else 0.01,
                       p=3e-7 if drifted else 0.5, n=n_rows,
                       dist=frequencies(["no", "yes"], n_rows, 0.15 if drifted else 0.0)))
    cols.append(column("score", role="prediction", drift_type="prediction", drifted=False,
                       effect=0.06, p=0.001, n=n_rows, dist=histogram(rng, n, 0.1, bins)))
    cols.append(ColumnDrift(
        column="notes", kind="text", method="none", statistic=float("nan"), p_value=None,
        alpha=0.05, effect_size=None, effect_size_name=None, effect_threshold=None,
        drifted=None, n_reference=0, n_current=0, tested=False,
        reason="all values are missing in the current data"))
    q = {c.column: quality(c.column, c.kind) for c in cols}
    q["num_03"] = quality("num_03", "numerical", "warn")
    q["cat_4"] = quality("cat_4", "categorical", "fail")
    return DriftReport(
        columns={c.column: c for c in cols}, quality=q,
        rule=DecisionRule("auto", 0.05, "holm", FLOORS), n_reference=n_rows, n_current=n_rows,
        warnings=("cat_4: 3 levels unseen in the reference",))


@pytest.fixture
def sample_report() -> DriftReport:
    """The standard hand-built report: 25 columns, 8 of 24 tested ones drifted."""
    return build_report()


class Builders:
    """The builders above, handed to tests as the ``build`` fixture."""

    report = staticmethod(build_report)
    column = staticmethod(column)
    frequencies = staticmethod(frequencies)
    quality = staticmethod(quality)
    histogram = staticmethod(histogram)


@pytest.fixture(scope="session")
def build() -> type[Builders]:
    return Builders
