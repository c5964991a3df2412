"""``compare()``: drift, data quality, label and prediction drift of a table against a reference."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from driftline import stats
from driftline.drift._actions import action_for
from driftline.drift._concept import RESIDUAL
from driftline.drift._decision import (
    Evidence,
    decide_tested,
    effect_floors,
    evaluate,
    resolve_method,
)
from driftline.drift._engine import compare_profiled, in_memory, resolve_engine
from driftline.drift._frames import columns_of, to_pandas
from driftline.drift._kinds import ColumnKind
from driftline.drift._multivariate import MULTIVARIATE_METHODS, check_multivariate, run_multivariate
from driftline.drift._prepare import display_edges, prepare
from driftline.drift._quality import QualityLimits
from driftline.drift._quality_columns import column_quality
from driftline.drift._reference import ColumnState, Reference, _n_jobs, derived_columns
from driftline.drift._report import (
    ColumnDrift,
    DecisionRule,
    Distribution,
    DriftReport,
)
from driftline.drift._schema import Schema
from driftline.drift._text import describe
from driftline.errors import ParameterError, SchemaError
from driftline.stats import Sample
from driftline.stats._common import check_alpha

if TYPE_CHECKING:  # pragma: no cover
    from driftline.profile import ProfileReport

__all__ = ["MULTIVARIATE_METHODS", "compare", "compare_fitted"]

_DRIFT_TYPE = {"feature": "feature", "target": "label", "prediction": "prediction",
               "prediction_score": "prediction", "concept": "concept"}
_TOP_LABELS = 20


@overload
def compare(reference: Any, current: Any, *, target: str | None = ...,
            prediction: str | None = ..., prediction_scores: Mapping[Any, str] | None = ...,
            schema: Schema | None = ..., columns: Iterable[str] | None = ...,
            method: str | Mapping[str, str] = ..., alpha: float = ..., correction: str = ...,
            effect_floor: bool | Mapping[str, float] = ..., quality: QualityLimits | None = ...,
            now: np.datetime64 | None = ..., progress: Callable[[int, int, str], None] | None = ...,
            n_jobs: int | None = ..., multivariate: Sequence[str] = ...,
            engine: Literal["auto", "memory"] = ...) -> DriftReport: ...
@overload
def compare(reference: Any, current: Any, *, target: str | None = ...,
            prediction: str | None = ..., prediction_scores: Mapping[Any, str] | None = ...,
            schema: Schema | None = ..., columns: Iterable[str] | None = ...,
            method: str | Mapping[str, str] = ..., alpha: float = ..., correction: str = ...,
            effect_floor: bool | Mapping[str, float] = ..., quality: QualityLimits | None = ...,
            now: np.datetime64 | None = ..., progress: Callable[[int, int, str], None] | None = ...,
            n_jobs: int | None = ..., multivariate: Sequence[str] = ...,
            engine: Literal["dask"]) -> ProfileReport: ...
def compare(
    reference: Any,
    current: Any,
    *,
    target: str | None = None,
    prediction: str | None = None,
    prediction_scores: Mapping[Any, str] | None = None,
    schema: Schema | None = None,
    columns: Iterable[str] | None = None,
    method: str | Mapping[str, str] = "auto",
    alpha: float = 0.05,
    correction: str = "holm",
    effect_floor: bool | Mapping[str, float] = True,
    quality: QualityLimits | None = None,
    now: np.datetime64 | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    n_jobs: int | None = None,
    multivariate: Sequence[str] = (),
    engine: str = "auto",
) -> DriftReport | ProfileReport:
    """Compare a current table with a reference: per-column drift, data quality, label and
    prediction drift, and a dataset-level verdict.

    Parameters
    ----------
    reference, current : pandas or polars DataFrames, pyarrow Tables or dicts of arrays;
        ``reference`` may also be a fitted :class:`~driftline.drift.Reference`. Either may be
        a Dask DataFrame, or the path of a table: a CSV, TSV or Parquet file, a folder of
        Parquet files or a glob (see ``engine``).
    target, prediction : the label and model-output columns; their drift is reported as label
        drift and prediction drift.
    prediction_scores : for multiclass models, class label → score column.
    schema : column kinds and roles (inferred when not given).
    columns : compare only these feature columns.
    method : ``"auto"`` (the default rule below), a registered method name for every column
        (see :func:`driftline.stats.available`), or a mapping of column name or kind → name.
    alpha : significance level of the corrected tests.
    correction : ``"holm"`` (default), ``"bonferroni"``, ``"bh"`` or ``"none"``.
    effect_floor : ``True`` for the default floors per kind, ``False`` for none (significance
        only), or a mapping kind → floor.
    quality : limits of the data quality checks.
    now : the time the ``freshness`` check measures against (default: the current UTC time).
    progress : called as ``progress(done, total, column)`` after each column.
    n_jobs : threads used for columns (default: up to 2).
    multivariate : whole-row tests to add as ``report.multivariate`` (opt-in, default none),
        any of :data:`MULTIVARIATE_METHODS`. ``pca_reconstruction``, ``mmd`` and
        ``domain_classifier`` read the numeric feature columns (never the target, prediction
        or score columns); ``bbsd_soft`` reads the ``prediction_scores`` columns and
        ``bbsd_hard`` the ``prediction`` column. They need the raw reference rows, so not a
        fitted :class:`~driftline.drift.Reference`, and they do not change ``report.drifted``.
    engine : where the comparison runs. ``"memory"``: the exact path on every value, with
        paths read and Dask frames computed into pandas first. ``"dask"``: through mergeable
        profiles (:func:`driftline.profile.profile_dask`), partition by partition on Dask's
        current scheduler (a ``dask.distributed.Client`` once one is created), for tables
        larger than memory; Parquet paths are read by Dask. ``"auto"`` (default): ``"dask"``
        when either table is a Dask DataFrame, else ``"memory"``.

    Returns
    -------
    DriftReport
        In memory.
    ProfileReport
        On Dask (:class:`driftline.profile.ProfileReport`): per-column verdicts with the
        bound of each statistic. Every verdict equals the exact path's except the columns it
        marks ``"uncertain"``, where the exact statistic is within its bound of the threshold.
        The histogram distances (PSI, Jensen–Shannon, Hellinger) and every method on labels
        equal the exact path's when the reference is held in memory; a Dask or Parquet
        reference cuts its bins at its sketch's quantiles. Data quality, text and timestamp
        columns and whole-row tests need the rows, so ``quality``, ``now``, ``progress``,
        ``n_jobs`` and ``multivariate`` are refused with it.

    Notes
    -----
    The default rule flags a column only when its test, corrected for the number of columns
    tested, is significant **and** its effect size reaches the floor of its kind; the dataset
    drifted when any column did. See :mod:`driftline.drift._decision` for the rule and why.

    The whole-row tests catch changes of the joint distribution that no single column shows,
    such as a broken correlation. ``mmd`` standardises the columns with the reference's mean
    and standard deviation, subsamples each side to 1,000 rows and uses 199 permutations;
    ``domain_classifier`` (needs scikit-learn) uses 199 permutations and reports its three
    most important columns. Each keeps its own verdict at ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> import driftline as dl
    >>> rng = np.random.default_rng(0)
    >>> ref = {"income": rng.lognormal(10, 0.5, 5_000), "city": rng.choice(["a", "b"], 5_000)}
    >>> cur = {"income": rng.lognormal(10.2, 0.5, 5_000), "city": rng.choice(["a", "b"], 5_000)}
    >>> report = dl.compare(ref, cur)
    >>> report.drifted, report.columns["income"].drifted, report.columns["city"].drifted
    (True, True, False)
    >>> report.columns["income"].effect_size_name
    'wasserstein_normed'
    >>> profiled = dl.compare(ref, cur, engine="dask")   # through mergeable profiles
    >>> type(profiled).__name__, profiled.columns["income"].verdict
    ('ProfileReport', 'drifted')
    """
    if resolve_engine(engine, reference, current) == "dask":
        return compare_profiled(reference, current, target=target, prediction=prediction,
                                prediction_scores=prediction_scores, schema=schema,
                                columns=columns, method=method, alpha=alpha, correction=correction,
                                effect_floor=effect_floor, quality=quality, now=now,
                                progress=progress, n_jobs=n_jobs, multivariate=multivariate)
    reference, current = in_memory(reference, "reference"), in_memory(current, "current")
    methods = check_multivariate(multivariate)
    if isinstance(reference, Reference):
        if any(v is not None for v in (target, prediction, prediction_scores, schema, columns)):
            raise ParameterError(
                "target, prediction, prediction_scores, schema and columns belong to "
                "Reference.fit(); the reference given is already fitted.")
        if methods:
            raise ParameterError(
                "multivariate needs the raw reference rows, and a fitted Reference keeps "
                "per-column summaries only; pass the reference table instead.")
        fitted = reference
    else:
        fitted = Reference.fit(reference, schema=schema, target=target, prediction=prediction,
                               prediction_scores=prediction_scores, columns=columns,
                               n_jobs=n_jobs)
    report = compare_fitted(fitted, current, method=method, alpha=alpha, correction=correction,
                            effect_floor=effect_floor, quality=quality, now=now,
                            progress=progress, n_jobs=n_jobs)
    if not methods:
        return report
    ref_frame, cur_frame = to_pandas(reference, "reference"), to_pandas(current, "current")
    found = {m: run_multivariate(m, fitted, ref_frame, cur_frame, alpha) for m in methods}
    return replace(report, multivariate=found)


@dataclass(frozen=True)
class _Partial:
    """One column's outcome before the correction across columns."""

    state: ColumnState
    evidence: Evidence | None
    reason: str | None
    distribution: Distribution | None
    details: tuple[ColumnDrift, ...] = ()


def _check_method(method: str | Mapping[str, str]) -> None:
    names = [method] if isinstance(method, str) else list(method.values())
    for name in names:
        if name != "auto":
            stats.get(name)


def compare_fitted(
    reference: Reference,
    current: Any,
    *,
    method: str | Mapping[str, str] = "auto",
    alpha: float = 0.05,
    correction: str = "holm",
    effect_floor: bool | Mapping[str, float] = True,
    quality: QualityLimits | None = None,
    now: np.datetime64 | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    n_jobs: int | None = None,
) -> DriftReport:
    """Compare ``current`` with a fitted reference (the body of :func:`compare`)."""
    alpha = check_alpha(alpha)
    if correction not in stats.CORRECTIONS:
        raise ParameterError.choice("correction", correction, stats.CORRECTIONS)
    _check_method(method)
    floors = effect_floors(effect_floor)
    limits = quality or QualityLimits()
    now = np.datetime64("now", "ns") if now is None else np.datetime64(now, "ns")
    frame = to_pandas(current, "current")
    available = {str(c) for c in frame.columns}
    real = [c for c in reference.columns if c != RESIDUAL]
    missing = [c for c in real if c not in available]
    if missing:
        raise SchemaError(f"column {missing[0]!r} is in the reference but not in the current data"
                          + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "") + ".")
    cur_cols = derived_columns(columns_of(frame, real), reference.schema)

    def assess(name: str) -> tuple[_Partial, Any]:
        state = reference.state(name)
        cur = prepare(cur_cols[name], state.kind, state.dtype)
        q = column_quality(state, cur, limits, now)
        return _assess(state, cur, method, alpha, floors), q

    partials, qualities = [], {}
    total = len(reference.columns)
    for i, (part, q) in enumerate(_ordered_map(assess, list(reference.columns), _n_jobs(n_jobs))):
        partials.append(part)
        qualities[part.state.name] = q
        if progress is not None:
            progress(i + 1, total, part.state.name)
    columns = _finalize(partials, alpha, correction)
    extra = sorted(available - set(reference.source_columns))
    notes = [f"columns in the current data but not in the reference were not compared: "
             f"{', '.join(extra[:10])}"] if extra else []
    rule = DecisionRule(method if isinstance(method, str) else "mixed", alpha, correction, floors)
    return DriftReport(columns, qualities, rule, reference.n_rows, int(frame.shape[0]),
                       tuple(notes))


def _ordered_map(func: Callable[[str], Any], items: list[str], n_jobs: int) -> Iterable[Any]:
    if n_jobs <= 1 or len(items) <= 1:
        yield from map(func, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        yield from pool.map(func, items)


def _assess(state: ColumnState, cur: Any, method: str | Mapping[str, str], alpha: float,
            floors: Mapping[str, float]) -> _Partial:
    kind = state.kind
    if kind is ColumnKind.DATETIME:
        return _Partial(state, None, "timestamps get data quality checks only", None)
    name = resolve_method(method, state.name, kind.value)
    if kind is ColumnKind.TEXT:
        return _assess_text(state, cur, name, alpha, floors)
    ref_s, cur_s = state.sample, cur.sample
    assert ref_s is not None and cur_s is not None
    for side, s in (("reference", ref_s), ("current", cur_s)):
        if s.n == 0:
            return _Partial(state, None, f"no valid values in the {side} data",
                            _distribution(state, ref_s, cur_s))
    ev = evaluate(kind.value, ref_s, cur_s, name, alpha=alpha, floors=floors)
    return _Partial(state, ev, None, _distribution(state, ref_s, cur_s))


def _assess_text(state: ColumnState, cur: Any, name: str, alpha: float,
                 floors: Mapping[str, float]) -> _Partial:
    desc = describe(cur.codes, cur.labels, state.vocabulary)
    cur_samples = {k: Sample.numerical(v) for k, v in desc.items()}
    if cur_samples["length"].n == 0 or state.descriptors["length"].n == 0:
        return _Partial(state, None, "no text on one side", None)
    evidence = {k: evaluate("text", state.descriptors[k], cur_samples[k], name, alpha=alpha,
                            floors=floors) for k in desc}
    details = tuple(_column(ColumnDrift, state, ev, ev.p_value, None, None, suffix=f":{k}")
                    for k, ev in evidence.items())
    tests = [e for e in evidence.values() if e.p_value is not None]
    if tests:  # Bonferroni within the column, then the column joins the family as one test
        best = min(tests, key=lambda e: e.p_value if e.p_value is not None else 1.0)
        p = min(1.0, (best.p_value or 0.0) * len(tests))
        best = Evidence(**{**best.__dict__, "p_value": p})
    else:
        best = max(evidence.values(), key=lambda e: (e.effect_size or 0.0) /
                   (e.effect_threshold or 1.0))
    dist = _histogram(state.descriptors["length"], cur_samples["length"])
    return _Partial(state, best, None, dist, details)


def _distribution(state: ColumnState, ref: Sample, cur: Sample) -> Distribution:
    if ref.kind == "numerical":
        return _histogram(ref, cur)
    from driftline.stats._sample import aligned_counts

    labels, r, c = aligned_counts(ref, cur)
    order = np.argsort(-(r / max(r.sum(), 1) + c / max(c.sum(), 1)), kind="stable")
    top, rest = order[:_TOP_LABELS], order[_TOP_LABELS:]
    names = tuple(str(x) for x in labels[top])
    rc, cc = [int(x) for x in r[top]], [int(x) for x in c[top]]
    if rest.size:
        names += ("(other)",)
        rc.append(int(r[rest].sum()))
        cc.append(int(c[rest].sum()))
    return Distribution("frequencies", tuple(rc), tuple(cc), labels=names)


def _histogram(ref: Sample, cur: Sample) -> Distribution:
    edges = display_edges(ref, cur)

    def counts(values: np.ndarray) -> tuple[int, ...]:
        cum = np.searchsorted(values, edges[1:-1], side="right")
        return tuple(int(x) for x in np.diff(np.concatenate(([0], cum, [values.size]))))

    return Distribution("histogram", counts(ref.values), counts(cur.values),
                        edges=tuple(float(e) for e in edges))


def _finalize(partials: list[_Partial], alpha: float, correction: str) -> dict[str, ColumnDrift]:
    tested = [p for p in partials if p.evidence is not None]
    verdicts = decide_tested([p.evidence for p in tested if p.evidence is not None],
                             alpha=alpha, correction=correction)
    decided = {p.state.name: v for p, v in zip(tested, verdicts, strict=True)}
    out: dict[str, ColumnDrift] = {}
    for p in partials:
        if p.evidence is None:
            out[p.state.name] = _untested(p)
            continue
        adj, drifted = decided[p.state.name]
        corr = correction if p.evidence.p_value is not None else None
        out[p.state.name] = _column(ColumnDrift, p.state, p.evidence, adj, drifted, corr,
                                    distribution=p.distribution, details=p.details)
    return out


def _column(cls: type[ColumnDrift], state: ColumnState, ev: Evidence, p_adj: float | None,
            drifted: bool | None, correction: str | None, *, suffix: str = "",
            distribution: Distribution | None = None,
            details: tuple[ColumnDrift, ...] = ()) -> ColumnDrift:
    drift_type = _DRIFT_TYPE.get(state.role, "feature")
    return cls(
        column=state.name + suffix, kind=state.kind.value, method=ev.method,
        statistic=ev.statistic, p_value=ev.p_value, alpha=ev.alpha, effect_size=ev.effect_size,
        effect_size_name=ev.effect_size_name, effect_threshold=ev.effect_threshold,
        drifted=drifted, n_reference=ev.n_reference, n_current=ev.n_current,
        p_value_adjusted=p_adj, correction=correction,
        n_missing_reference=ev.n_missing_reference, n_missing_current=ev.n_missing_current,
        role=state.role, drift_type=drift_type,
        action=action_for(drift_type) if drifted else None, warnings=ev.warnings,
        distribution=distribution, details=details,
    )


def _untested(p: _Partial) -> ColumnDrift:
    s = p.state
    return ColumnDrift(
        column=s.name, kind=s.kind.value, method="none", statistic=float("nan"), p_value=None,
        alpha=0.05, effect_size=None, effect_size_name=None, effect_threshold=None, drifted=None,
        n_reference=0, n_current=0, role=s.role, drift_type=_DRIFT_TYPE.get(s.role, "feature"),
        tested=False, reason=p.reason, distribution=p.distribution,
    )
