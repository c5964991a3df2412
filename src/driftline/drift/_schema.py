"""The schema: each column's kind and role, inferred from the reference and overridable."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from driftline.drift._frames import Column
from driftline.drift._kinds import ColumnKind
from driftline.errors import ParameterError, SchemaError

__all__ = ["ROLES", "Schema", "infer_kind"]

ROLES = ("feature", "target", "prediction", "prediction_score", "id", "timestamp", "ignored")
_SAMPLE = 10_000


@dataclass(frozen=True)
class Schema:
    """Column kinds and roles.

    Parameters
    ----------
    kinds : kind overrides by column name; the other columns' kinds are inferred.
    target : the label column (its drift is label drift).
    prediction : the model's output column (its drift is prediction drift).
    prediction_scores : for classifiers, class label → score column (multiclass models).
    id, timestamp : identifier and time columns; not tested for drift (timestamps get quality
        checks only).
    ignore : columns left out entirely.

    Examples
    --------
    >>> s = Schema(kinds={"zip": "categorical"}, target="default")
    >>> s.kinds["zip"], s.role_of("default"), s.role_of("age")
    (<ColumnKind.CATEGORICAL: 'categorical'>, 'target', 'feature')
    >>> Schema(prediction_scores={"a": "p_a", "b": "p_b"}).role_of("p_b")
    'prediction_score'
    """

    kinds: Mapping[str, ColumnKind] = field(default_factory=dict)
    target: str | None = None
    prediction: str | None = None
    prediction_scores: Mapping[Any, str] = field(default_factory=dict)
    id: str | None = None
    timestamp: str | None = None
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        parsed = {str(k): ColumnKind.parse(v, name=f"kinds[{k!r}]") for k, v in self.kinds.items()}
        object.__setattr__(self, "kinds", parsed)
        object.__setattr__(self, "ignore", tuple(str(c) for c in self.ignore))
        roles: dict[str, str] = {}
        for col, role in self._declared():
            if col in roles and roles[col] != role:
                raise ParameterError(f"column {col!r} is given two roles: {roles[col]} and {role}.")
            roles[col] = role

    def _declared(self) -> Iterable[tuple[str, str]]:
        for role in ("target", "prediction", "id", "timestamp"):
            col = getattr(self, role)
            if col is not None:
                yield str(col), role
        for col in self.prediction_scores.values():
            yield str(col), "prediction_score"
        for col in self.ignore:
            yield col, "ignored"

    def role_of(self, column: str) -> str:
        """The role of ``column``: one of :data:`ROLES` (``feature`` unless declared)."""
        return dict(self._declared()).get(column, "feature")

    def declared_columns(self) -> list[str]:
        """Columns named by a role (target, prediction, scores, id, timestamp)."""
        return [c for c, role in self._declared() if role != "ignored"]

    def with_kinds(self, kinds: Mapping[str, ColumnKind]) -> Schema:
        """A copy with ``kinds`` added (existing overrides win)."""
        return replace(self, kinds={**kinds, **self.kinds})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        Examples
        --------
        >>> Schema(kinds={"a": "binary"}).to_dict()["kinds"]
        {'a': 'binary'}
        """
        return {
            "kinds": {k: v.value for k, v in self.kinds.items()},
            "target": self.target, "prediction": self.prediction,
            "prediction_scores": {str(k): v for k, v in self.prediction_scores.items()},
            "id": self.id, "timestamp": self.timestamp, "ignore": list(self.ignore),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """Build a schema from :meth:`to_dict` output (or a YAML mapping of the same shape).

        Examples
        --------
        >>> Schema.from_dict({"target": "y"}).target
        'y'
        """
        allowed = {"kinds", "target", "prediction", "prediction_scores", "id", "timestamp", "ignore"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ParameterError.choice("schema key", unknown[0], sorted(allowed))
        return cls(**{**data, "ignore": tuple(data.get("ignore", ()))})

    def check_columns(self, available: Iterable[str], side: str) -> None:
        """Raise :class:`SchemaError` if a declared column is missing from ``side``."""
        have = set(available)
        missing = [c for c in [*self.declared_columns(), *self.kinds] if c not in have]
        if missing:
            raise SchemaError(
                f"column {missing[0]!r} named in the schema is not in {side}; "
                f"{side} has: {_preview(have)}."
            )


def _preview(names: Iterable[str], k: int = 8) -> str:
    names = sorted(names)
    more = f", … ({len(names) - k} more)" if len(names) > k else ""
    return ", ".join(names[:k]) + more


def infer_kind(column: Column) -> ColumnKind:
    """Infer a column's kind from its reference values.

    * timestamps → ``datetime``; booleans → ``binary``;
    * numbers → ``binary`` with at most two distinct values, else ``numerical``;
    * labels → ``binary`` with at most two labels; ``text`` when not a pandas category, mostly
      distinct and three or more words on average; else ``categorical``.

    Examples
    --------
    >>> import pandas as pd
    >>> from driftline.drift._frames import column_of
    >>> infer_kind(column_of("x", pd.Series([0, 1, 1, 0]))).value
    'binary'
    >>> infer_kind(column_of("x", pd.Series(["a", "b", "c"]))).value
    'categorical'
    """
    if column.family == "datetime":
        return ColumnKind.DATETIME
    if column.family == "bool":
        return ColumnKind.BINARY
    if column.family == "numeric":
        assert column.values is not None
        return ColumnKind.BINARY if _at_most_two(column.values) else ColumnKind.NUMERICAL
    assert column.labels is not None and column.codes is not None
    n_labels = int(column.labels.size)
    if n_labels <= 2:
        return ColumnKind.BINARY
    if not column.categorical_dtype and _looks_like_text(column):
        return ColumnKind.TEXT
    return ColumnKind.CATEGORICAL


def _at_most_two(values: np.ndarray) -> bool:
    head = values[:_SAMPLE]
    head = head[np.isfinite(head)]
    if np.unique(head).size > 2:
        return False
    finite = values[np.isfinite(values)]
    return bool(np.unique(finite).size <= 2)


def _looks_like_text(column: Column) -> bool:
    assert column.codes is not None and column.labels is not None
    n_present = int((column.codes >= 0).sum())
    if n_present == 0 or column.labels.size < 0.5 * n_present:
        return False
    sample = column.labels[:1000]
    words = np.mean([len(str(s).split()) for s in sample])
    return bool(words >= 3)
