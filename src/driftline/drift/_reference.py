"""The fitted reference: prepare a reference table once, compare many current windows to it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from driftline.drift._concept import RESIDUAL, residual_column
from driftline.drift._frames import Column, columns_of, to_pandas
from driftline.drift._kinds import ColumnKind
from driftline.drift._prepare import Prepared, prepare
from driftline.drift._schema import Schema, infer_kind
from driftline.drift._text import build_vocabulary, describe
from driftline.errors import ParameterError, SchemaError
from driftline.stats import Sample

__all__ = ["ColumnState", "Reference", "derived_columns"]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ColumnState:
    """What the reference keeps for one column."""

    name: str
    kind: ColumnKind
    role: str
    family: str
    dtype: str
    prepared: Prepared
    vocabulary: frozenset[str] = frozenset()
    descriptors: Mapping[str, Sample] = field(default_factory=dict)

    @property
    def sample(self) -> Sample | None:
        """The reference sample the tests compare against."""
        return self.prepared.sample


def _fit_column(col: Column, kind: ColumnKind, role: str) -> ColumnState:
    prepared = prepare(col, kind)
    state = ColumnState(col.name, kind, role, col.family, col.dtype, prepared)
    if kind is ColumnKind.NUMERICAL:
        return state
    if kind is ColumnKind.TEXT:
        assert prepared.codes is not None and prepared.labels is not None
        vocab = build_vocabulary(prepared.codes, prepared.labels)
        desc = describe(prepared.codes, prepared.labels, vocab, odd_only=True)
        samples = {k: Sample.numerical(v, name=f"{col.name}:{k}") for k, v in desc.items()}
        return replace(state, vocabulary=vocab, descriptors=samples)
    return state


def _map(func: Callable[[Any], Any], items: list[Any], n_jobs: int) -> Iterable[Any]:
    """Map in threads (numpy releases the GIL while sorting), results in input order."""
    if n_jobs <= 1 or len(items) <= 1:
        return map(func, items)
    pool = ThreadPoolExecutor(max_workers=n_jobs)
    try:
        return list(pool.map(func, items))
    finally:
        pool.shutdown()


def _n_jobs(n_jobs: int | None) -> int:
    if n_jobs is None:
        import os

        return max(1, min(2, os.cpu_count() or 1))
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ParameterError.invalid("n_jobs", n_jobs, "a positive integer or None")
    return n_jobs


class Reference:
    """A reference table, fitted once: sorted values, category counts and text vocabularies.

    Comparing a window against a fitted reference costs work in proportion to the window: the
    reference is never sorted or counted again.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.drift import Reference
    >>> rng = np.random.default_rng(0)
    >>> ref = Reference.fit({"x": rng.normal(size=5_000), "c": rng.choice(["a", "b", "c"], 5_000)})
    >>> [ref.compare({"x": rng.normal(size=500), "c": rng.choice(["a", "b", "c"], 500)}).drifted
    ...  for _ in range(3)]
    [False, False, False]
    >>> ref.kinds
    {'x': 'numerical', 'c': 'categorical'}
    """

    def __init__(self, states: dict[str, ColumnState], schema: Schema, n_rows: int,
                 source_columns: tuple[str, ...] = ()) -> None:
        self._states = states
        self.schema = schema
        self.n_rows = n_rows
        self.source_columns = source_columns or tuple(states)

    @classmethod
    def fit(
        cls,
        data: Any,
        *,
        schema: Schema | None = None,
        target: str | None = None,
        prediction: str | None = None,
        prediction_scores: Mapping[Any, str] | None = None,
        columns: Iterable[str] | None = None,
        n_jobs: int | None = None,
    ) -> Reference:
        """Fit a reference table (pandas, polars, pyarrow, or a dict of arrays).

        ``target``, ``prediction`` and ``prediction_scores`` override the ``schema``'s roles;
        ``columns`` limits the compared features (declared roles are always kept).
        """
        frame = to_pandas(data, "reference")
        schema = _with_roles(schema or Schema(), target, prediction, prediction_scores)
        available = [str(c) for c in frame.columns]
        schema.check_columns(available, "reference")
        names = _select(available, schema, columns)
        cols = columns_of(frame, names)
        kinds = {n: schema.kinds.get(n) or infer_kind(c) for n, c in cols.items()}
        for n in names:
            if schema.role_of(n) == "timestamp":
                kinds[n] = ColumnKind.DATETIME
        roles = {n: schema.role_of(n) for n in names}
        derived = _concept(cols, schema)
        if derived is not None:
            cols[RESIDUAL], kinds[RESIDUAL] = derived
            roles[RESIDUAL] = "concept"
            names = [*names, RESIDUAL]
        states = _map(lambda n: _fit_column(cols[n], kinds[n], roles[n]), names,
                      _n_jobs(n_jobs))
        fitted = {s.name: s for s in states}
        return cls(fitted, schema.with_kinds(kinds), int(frame.shape[0]), tuple(available))

    @property
    def columns(self) -> tuple[str, ...]:
        """The fitted columns, in order."""
        return tuple(self._states)

    @property
    def kinds(self) -> dict[str, str]:
        """Each column's kind."""
        return {n: s.kind.value for n, s in self._states.items()}

    def state(self, column: str) -> ColumnState:
        """What the reference keeps for ``column``."""
        try:
            return self._states[column]
        except KeyError:
            raise ParameterError.choice("column", column, self.columns) from None

    def compare(self, current: Any, **options: Any) -> Any:
        """Compare a current table with this reference; see :func:`driftline.compare`."""
        from driftline.drift._compare import compare_fitted

        return compare_fitted(self, current, **options)

    def __repr__(self) -> str:
        return f"Reference(columns={len(self._states)}, n_rows={self.n_rows})"


def _concept(cols: Mapping[str, Column], schema: Schema) -> tuple[Column, ColumnKind] | None:
    """The derived residual column when both target and prediction are compared."""
    if schema.target in cols and schema.prediction in cols:
        return residual_column(cols[schema.target], cols[schema.prediction])
    return None


def derived_columns(cols: dict[str, Column], schema: Schema) -> dict[str, Column]:
    """Add the derived columns (the concept residual) to a current table's columns."""
    derived = _concept(cols, schema)
    if derived is not None:
        cols[RESIDUAL] = derived[0]
    return cols


def _with_roles(schema: Schema, target: str | None, prediction: str | None,
                scores: Mapping[Any, str] | None) -> Schema:
    changes: dict[str, Any] = {}
    if target is not None:
        changes["target"] = str(target)
    if prediction is not None:
        changes["prediction"] = str(prediction)
    if scores is not None:
        changes["prediction_scores"] = dict(scores)
    return replace(schema, **changes) if changes else schema


def _select(available: list[str], schema: Schema, columns: Iterable[str] | None) -> list[str]:
    skip = {schema.id, *schema.ignore}
    if columns is None:
        return [c for c in available if c not in skip]
    wanted = [str(c) for c in ([columns] if isinstance(columns, str) else columns)]
    missing = [c for c in wanted if c not in available]
    if missing:
        raise SchemaError(f"column {missing[0]!r} given in columns is not in the reference.")
    keep = set(wanted) | set(schema.declared_columns())
    return [c for c in available if c in keep and c not in skip]
