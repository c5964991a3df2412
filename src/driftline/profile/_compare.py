"""``compare_profiles``: the exact path's comparison, computed from two table profiles."""

from __future__ import annotations

from collections.abc import Mapping

from driftline import stats
from driftline.drift._decision import effect_floors, resolve_method
from driftline.errors import ParameterError, SchemaError
from driftline.profile._decision import decide
from driftline.profile._evidence import Evidence, column_evidence
from driftline.profile._result import ProfileReport, ProfileResult
from driftline.profile._table import TableProfile
from driftline.stats._common import check_alpha

__all__ = ["compare_profiles"]


def compare_profiles(
    reference: TableProfile,
    current: TableProfile,
    *,
    method: str | Mapping[str, str] = "auto",
    alpha: float = 0.05,
    correction: str = "holm",
    effect_floor: bool | Mapping[str, float] = True,
) -> ProfileReport:
    """Compare a current profile with a reference profile, column by column.

    The rule and its parameters are :func:`driftline.compare`'s. Each result states how far
    its statistic can be from the exact one, and says *uncertain* instead of guessing when
    the exact verdict could go either way.

    Parameters
    ----------
    reference, current : :class:`~driftline.profile.TableProfile` objects; ``current`` must
        be profiled against ``reference`` (``profile_frame(frame, reference=reference)``)
        so that the histograms share their bins.
    method : ``"auto"`` (the default rule: KS and the Wasserstein floor for numbers,
        chi-square, Z or Fisher and the total variation floor for labels), a method name for
        every column, or a mapping of column name or kind → name. From profiles, numerical
        columns take ``ks``, ``wasserstein`` and the histogram distances (``psi``,
        ``jensen_shannon``, ``hellinger``, ...); categorical and binary columns with exact
        tables take every registered method; beyond the cardinality limit only ``auto`` and
        ``chi_square``.
    alpha : significance level of the corrected tests.
    correction : ``"holm"`` (default), ``"bonferroni"``, ``"bh"`` or ``"none"``.
    effect_floor : ``True`` for the default floors per kind, ``False`` for none, or a mapping
        kind → floor.

    Returns
    -------
    ProfileReport

    Notes
    -----
    Exact, with bound 0: the histogram distances on numbers (the exact path's bins) and every
    method on exact frequency tables. From the sketches: KS (bound at most
    ``ε_ref + ε_cur``, the KLL rank errors) and Wasserstein (bound from the rank errors over
    the value range, narrowed by the fine histogram), both with about 98 % confidence; and
    chi-square beyond the cardinality limit, on the table collapsed to the heavy hitters, with
    a deterministic bound. The p-value comes from the estimated statistic, and its range from
    the statistic's interval. See ``docs/profiles.md``.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import compare_profiles, profile_frame
    >>> rng = np.random.default_rng(0)
    >>> ref = profile_frame({"income": rng.lognormal(10, 0.5, 20_000),
    ...                      "city": rng.choice(["a", "b", "c"], 20_000)})
    >>> cur = profile_frame({"income": rng.lognormal(10.2, 0.5, 20_000),
    ...                      "city": rng.choice(["a", "b", "c"], 20_000)}, reference=ref)
    >>> report = compare_profiles(ref, cur)
    >>> report.drifted, report.columns["income"].drifted, report.columns["city"].drifted
    (True, True, False)
    >>> r = report.columns["income"]
    >>> r.method, r.effect_size_name, r.bound < 0.01, r.effect_size - r.effect_bound > 0.1
    ('ks', 'wasserstein_normed', True, True)
    """
    alpha = check_alpha(alpha)
    if correction not in stats.CORRECTIONS:
        raise ParameterError.choice("correction", correction, stats.CORRECTIONS)
    _check_method(method)
    floors = effect_floors(effect_floor)
    for name, value in (("reference", reference), ("current", current)):
        if not isinstance(value, TableProfile):
            raise ParameterError.invalid(name, type(value).__name__, "a TableProfile")
    _check_columns(reference, current)
    tested: list[tuple[str, Evidence]] = []
    results: dict[str, ProfileResult | None] = {}
    for name in reference.columns:
        ref, cur = reference[name], current[name]
        empty = "reference" if ref.n == 0 else "current" if cur.n == 0 else None
        if empty is not None:
            results[name] = ProfileResult.untested(
                name, ref.kind, f"no valid values in the {empty} data", alpha=alpha,
                n_reference=ref.n,
                n_current=cur.n, n_missing_reference=ref.n_missing,
                n_missing_current=cur.n_missing)
            continue
        asked = resolve_method(method, name, ref.kind)
        tested.append((name, column_evidence(ref.kind, ref, cur, asked, alpha=alpha,
                                             floors=floors)))
        results[name] = None
    verdicts = decide([e for _, e in tested], alpha=alpha, correction=correction)
    for (name, e), v in zip(tested, verdicts, strict=True):
        results[name] = _result(name, reference[name].kind, e, v, alpha, correction)
    columns = {n: r for n, r in results.items() if r is not None}
    return ProfileReport(columns, alpha, correction,
                         method if isinstance(method, str) else "mixed", floors,
                         reference.n_rows, current.n_rows)


def _check_method(method: str | Mapping[str, str]) -> None:
    if isinstance(method, str):
        names = [method]
    elif isinstance(method, Mapping):
        names = [str(v) for v in method.values()]
    else:
        raise ParameterError.invalid("method", method,
                                     "a method name or a mapping of column/kind → name")
    for name in names:
        if name != "auto":
            stats.get(name)  # the "expected one of" error for unknown names


def _check_columns(reference: TableProfile, current: TableProfile) -> None:
    missing = [c for c in reference.columns if c not in current]
    if missing:
        raise SchemaError(
            f"column {missing[0]!r} is in the reference profile but not in the current one; "
            "profile the current data with profile_frame(frame, reference=reference_profile).")
    for name in reference.columns:
        if reference[name].kind != current[name].kind:
            raise SchemaError(
                f"column {name!r} is {reference[name].kind} in the reference profile but "
                f"{current[name].kind} in the current one; profile the current data against "
                "the reference.")


def _result(name: str, kind: str, e: Evidence, verdict: tuple[bool | None, bool | None, bool,
            float | None, float | None], alpha: float, correction: str) -> ProfileResult:
    drifted, estimate, uncertain, adjusted, threshold = verdict
    return ProfileResult(
        column=name, kind=kind, method=e.method, statistic=e.statistic, bound=e.bound,
        low=e.low, high=e.high, p_value=e.p_value, p_value_adjusted=adjusted,
        threshold=threshold, effect_size=e.effect_size, effect_size_name=e.effect_size_name,
        effect_bound=e.effect_bound, effect_threshold=e.effect_threshold, drifted=drifted,
        drifted_estimate=estimate, uncertain=uncertain,
        correction=correction if e.p_value is not None else None, alpha=alpha,
        n_reference=e.n_reference, n_current=e.n_current,
        n_missing_reference=e.n_missing_reference, n_missing_current=e.n_missing_current,
        warnings=e.warnings,
    )
