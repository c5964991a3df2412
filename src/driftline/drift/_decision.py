"""The default decision rule (``method="auto"``): significant *and* large enough.

Why
---
A p-value answers "could this difference be chance?", not "does it matter?". At a million rows
every test flags a 0.01 SD wobble; with a fixed distance threshold, small samples flag noise,
because plug-in distances are biased upward at small n. So a column drifts under the default
rule only when **both** hold:

1. **Significance, corrected across columns.** The column's test p-value, adjusted for the
   number of columns tested (Holm by default; Bonferroni, Benjamini–Hochberg or none on
   request), is at most ``alpha``. This bounds the chance of *any* false alarm in the table at
   ``alpha``, however many columns it has.
2. **An effect-size floor for the column's kind.** The difference is at least a stated size:

   ============ ===================== =========================== =======
   kind         test                  effect size                 floor
   ============ ===================== =========================== =======
   numerical    Kolmogorov–Smirnov    Wasserstein-1 / ref. SD     0.10
   categorical  chi-square            total variation distance    0.05
   binary       two-proportion Z      difference in shares        0.05
                (Fisher exact when an expected count is < 5)
   text         KS on descriptors     Wasserstein / ref. SD       0.10
   ============ ===================== =========================== =======

   A numerical floor of 0.1 means the distribution moved by a tenth of a reference standard
   deviation on average (a pure mean shift of 0.1 SD); a categorical floor of 0.05 means five
   percent of the probability mass moved between labels. The distance is used only as a floor
   *together with* the test: on its own it would cry wolf at small n.

The dataset drifted (``report.drifted``) when at least one column passes both. ``drift_share``
is reported for information only. Every column reports the test, the raw and adjusted p-values,
the effect size and the floor, so the verdict can be checked by hand.

All chosen methods are ``O(n log n)`` or cheaper, and with a fitted reference each window costs
work in proportion to its own size. Quadratic and permutation methods (MMD, energy, BWS) are
never chosen by ``auto``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline import stats
from driftline.drift._kinds import ColumnKind
from driftline.errors import ParameterError
from driftline.stats import Sample, TestResult

__all__ = ["AUTO_EFFECT", "DEFAULT_EFFECT_FLOORS", "Evidence", "effect_floors", "evaluate",
           "resolve_method"]

DEFAULT_EFFECT_FLOORS: dict[str, float] = {
    "numerical": 0.1, "categorical": 0.05, "binary": 0.05, "text": 0.1,
}
AUTO_EFFECT = {"numerical": "wasserstein", "categorical": "total_variation",
               "binary": "total_variation", "text": "wasserstein"}
_AUTO_TEST = {"numerical": "ks", "categorical": "chi_square", "text": "ks"}


@dataclass(frozen=True)
class Evidence:
    """One column's evidence before the multiple-testing correction."""

    method: str
    statistic: float
    p_value: float | None
    effect_size: float | None
    effect_size_name: str | None
    effect_threshold: float | None
    drifted: bool | None  # set for distances; tests are decided after the correction
    n_reference: int
    n_current: int
    n_missing_reference: int
    n_missing_current: int
    warnings: tuple[str, ...] = ()
    alpha: float = 0.05


def effect_floors(effect_floor: bool | Mapping[str, float]) -> dict[str, float]:
    """The effect floors to use: defaults, none (``False``) or defaults updated by a mapping.

    Examples
    --------
    >>> effect_floors({"numerical": 0.2})["numerical"], effect_floors(False)
    (0.2, {})
    """
    if effect_floor is True:
        return dict(DEFAULT_EFFECT_FLOORS)
    if effect_floor is False:
        return {}
    if isinstance(effect_floor, Mapping):
        for k, v in effect_floor.items():
            ColumnKind.parse(k, name="effect_floor key")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ParameterError.invalid(f"effect_floor[{k!r}]", v, "a non-negative number")
        return {**DEFAULT_EFFECT_FLOORS, **{str(k): float(v) for k, v in effect_floor.items()}}
    raise ParameterError.invalid("effect_floor", effect_floor, "True, False or a mapping kind → floor")


def resolve_method(method: str | Mapping[str, str], column: str, kind: str) -> str:
    """The method name asked for this column: by column name, then by kind, else ``auto``.

    Examples
    --------
    >>> resolve_method({"income": "psi", "categorical": "g_test"}, "city", "categorical")
    'g_test'
    """
    if isinstance(method, str):
        return method
    if isinstance(method, Mapping):
        return str(method.get(column, method.get(kind, "auto")))
    raise ParameterError.invalid("method", method, "a method name or a mapping of column/kind → name")


def _auto_test(kind: str, ref: Sample, cur: Sample) -> str:
    if kind != "binary":
        return _AUTO_TEST[kind]
    from driftline.stats._sample import aligned_counts

    _, r, c = aligned_counts(ref, cur)
    present = (r + c) > 0
    if present.sum() > 2:
        return "chi_square"
    n_r, n_c = r.sum(), c.sum()
    expected = np.outer([n_r, n_c], (r + c)[present]) / max(n_r + n_c, 1)
    return "fisher_exact" if expected.size == 0 or expected.min() < 5 else "z_test"


def evaluate(
    kind: str, ref: Sample, cur: Sample, method: str, *, alpha: float, floors: Mapping[str, float],
    params: Mapping[str, Any] | None = None,
) -> Evidence:
    """Run the column's test (and effect measure) and return its evidence.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ev = evaluate("numerical", Sample.numerical(rng.normal(size=1000)),
    ...               Sample.numerical(rng.normal(0.5, 1, size=1000)), "auto", alpha=0.05,
    ...               floors={"numerical": 0.1})
    >>> ev.method, ev.effect_size_name, ev.effect_size > 0.1
    ('ks', 'wasserstein_normed', True)
    """
    notes: tuple[str, ...] = ()
    name = _auto_test(kind, ref, cur) if method == "auto" else method
    spec = stats.get(name)
    if kind not in spec.kinds and not (kind == "text" and "numerical" in spec.kinds):
        notes = (f"method {name!r} does not support {kind} columns; used the default.",)
        name = _auto_test(kind, ref, cur)
        spec = stats.get(name)
    result: TestResult = spec(ref, cur, alpha=alpha, **dict(params or {}))
    notes += result.warnings
    if not spec.has_p_value:
        threshold = result.effect_threshold
        return Evidence(name, result.statistic, None, result.effect_size, result.effect_size_name,
                        threshold, result.drifted, result.n_reference, result.n_current,
                        result.n_missing_reference, result.n_missing_current, notes, alpha)
    floor = floors.get(kind)
    if floor is None:
        eff_value, eff_name = result.effect_size, result.effect_size_name
    else:
        eff_value, eff_notes = effect_measure(kind, ref, cur)
        eff_name = AUTO_EFFECT_NAME[kind]
        notes += tuple(w for w in eff_notes if w not in notes)
    return Evidence(name, result.statistic, result.p_value, eff_value, eff_name, floor, None,
                    result.n_reference, result.n_current, result.n_missing_reference,
                    result.n_missing_current, notes, alpha)


AUTO_EFFECT_NAME = {"numerical": "wasserstein_normed", "categorical": "total_variation",
                    "binary": "total_variation", "text": "wasserstein_normed"}


def effect_measure(kind: str, ref: Sample, cur: Sample) -> tuple[float, tuple[str, ...]]:
    """The effect size the floor is compared with, at any sample size.

    The distance methods themselves refuse a verdict below their minimum n, because on their
    own they are biased upward there; under this rule the corrected test controls false
    alarms, so the plain measure is what is needed, and small windows can still be flagged.

    Examples
    --------
    >>> effect_measure("categorical", Sample.categorical(["a", "a"]), Sample.categorical(["a", "b"]))
    (0.5, ())
    """
    if kind in ("numerical", "text"):
        return stats.wasserstein_normed(ref, cur)
    from driftline.stats._sample import aligned_counts

    _, r, c = aligned_counts(ref, cur)
    return float(0.5 * np.abs(r / r.sum() - c / c.sum()).sum()), ()


def decide_tested(evidence: list[Evidence], *, alpha: float, correction: str) -> list[tuple[
        float | None, bool | None]]:
    """Adjust the p-values across columns and decide each: ``[(p_adjusted, drifted), ...]``.

    Examples
    --------
    >>> e = Evidence("ks", 0.2, 0.001, 0.3, "w", 0.1, None, 100, 100, 0, 0)
    >>> decide_tested([e, e], alpha=0.05, correction="holm")
    [(0.002, True), (0.002, True)]
    """
    p = np.array([np.nan if e.p_value is None or e.statistic != e.statistic else e.p_value
                  for e in evidence], dtype=np.float64)
    adjusted = stats.adjust_p_values(p, correction)
    out: list[tuple[float | None, bool | None]] = []
    for e, adj in zip(evidence, adjusted, strict=True):
        if e.p_value is None:
            out.append((None, e.drifted))
        elif np.isnan(adj):
            out.append((None, None))
        else:
            big_enough = e.effect_threshold is None or (
                e.effect_size is not None and e.effect_size >= e.effect_threshold)
            out.append((float(adj), bool(adj <= alpha and big_enough)))
    return out
