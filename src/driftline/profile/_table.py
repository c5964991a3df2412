"""``TableProfile``: the column profiles of one table (or of many merged partitions)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Union

from driftline.errors import DataError, ParameterError, SchemaError
from driftline.profile._categorical import CategoricalProfile
from driftline.profile._codec import decode, encode
from driftline.profile._numeric import NumericProfile

__all__ = ["PROFILE_SCHEMA", "ColumnProfile", "TableProfile"]

PROFILE_SCHEMA = "driftline.profile/1"

ColumnProfile = Union[NumericProfile, CategoricalProfile]  # noqa: UP007 (a runtime alias)


class TableProfile:
    """Column profiles of a table: mergeable across partitions and serialisable.

    Build one with :func:`~driftline.profile.profile_frame` (or
    :class:`~driftline.profile.ProfileBuilder`), combine partitions with :meth:`merge` or
    :meth:`merge_all`, store it with :meth:`to_bytes`, and compare two with
    :func:`~driftline.profile.compare_profiles`.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import TableProfile, profile_frame
    >>> rng = np.random.default_rng(0)
    >>> ref = profile_frame({"x": rng.normal(size=1000), "c": rng.choice(["a", "b", "c"], 1000)})
    >>> parts = [profile_frame({"x": rng.normal(size=300), "c": rng.choice(["a", "b", "c"], 300)},
    ...                        reference=ref) for _ in range(3)]
    >>> window = TableProfile.merge_all(parts)
    >>> window.n_rows, window.kinds
    (900, {'x': 'numerical', 'c': 'categorical'})
    >>> TableProfile.from_bytes(window.to_bytes())["c"].counts.sum()
    np.int64(900)
    """

    def __init__(self, columns: Mapping[str, ColumnProfile], n_rows: int) -> None:
        for name, col in columns.items():
            if not isinstance(col, (NumericProfile, CategoricalProfile)):
                raise ParameterError.invalid(f"columns[{name!r}]", type(col).__name__,
                                             "a NumericProfile or CategoricalProfile")
        if isinstance(n_rows, bool) or not isinstance(n_rows, int) or n_rows < 0:
            raise ParameterError.invalid("n_rows", n_rows, "a non-negative integer")
        self._columns = dict(columns)
        self._n_rows = n_rows

    @property
    def n_rows(self) -> int:
        """Rows profiled (all partitions together)."""
        return self._n_rows

    @property
    def columns(self) -> tuple[str, ...]:
        """The profiled columns, in order."""
        return tuple(self._columns)

    @property
    def kinds(self) -> dict[str, str]:
        """Each column's kind: ``numerical``, ``categorical`` or ``binary``."""
        return {name: col.kind for name, col in self._columns.items()}

    def __getitem__(self, column: str) -> ColumnProfile:
        try:
            return self._columns[column]
        except KeyError:
            raise ParameterError.choice("column", column, self.columns) from None

    def __contains__(self, column: object) -> bool:
        return column in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    # -- merging --------------------------------------------------------------------
    def merge(self, other: TableProfile) -> TableProfile:
        """The profile of both tables together (the same columns and kinds on both sides).

        The exact parts (row, value and missing counts, extremes, histograms, exact label
        tables) merge exactly: any grouping and order of partitions gives identical results.
        Sums merge up to floating-point rounding and sketches within their stated error.

        Examples
        --------
        >>> from driftline.profile import profile_frame
        >>> a = profile_frame({"c": ["x", "y"]})
        >>> b = profile_frame({"c": ["y", "z"]}, reference=a)
        >>> a.merge(b)["c"].counts.tolist()
        [1, 2, 1]
        """
        if not isinstance(other, TableProfile):
            raise ParameterError.invalid("other", type(other).__name__, "a TableProfile")
        if set(other.columns) != set(self.columns):
            only = sorted(set(self.columns) ^ set(other.columns))
            raise SchemaError(
                f"cannot merge profiles with different columns (column {only[0]!r} is in only "
                "one of them); profile every partition against the same reference.")
        merged: dict[str, ColumnProfile] = {}
        for name, col in self._columns.items():
            theirs = other._columns[name]
            where = f"column {name!r}"
            if col.kind != theirs.kind:
                raise SchemaError(
                    f"cannot merge profiles of {where}: it is {col.kind} in one and "
                    f"{theirs.kind} in the other. Profile every partition against the same "
                    "reference, or pass the same kinds= to each.")
            merged[name] = _merged(col, theirs, where)
        return TableProfile(merged, self._n_rows + other._n_rows)

    @classmethod
    def merge_all(cls, profiles: Iterable[TableProfile]) -> TableProfile:
        """Merge any number of profiles (for example one per partition) into one.

        Examples
        --------
        >>> from driftline.profile import TableProfile, profile_frame
        >>> ref = profile_frame({"x": [1.0, 2.0, 3.0]})
        >>> parts = [profile_frame({"x": [float(i)]}, reference=ref) for i in range(4)]
        >>> TableProfile.merge_all(parts)["x"].n
        4
        """
        items = list(profiles)
        if not items:
            raise ParameterError.invalid("profiles", "an empty iterable", "at least one TableProfile")
        # Pairwise rounds keep every sketch merge between partitions of similar size.
        while len(items) > 1:
            items = [items[i].merge(items[i + 1]) if i + 1 < len(items) else items[i]
                     for i in range(0, len(items), 2)]
        if not isinstance(items[0], TableProfile):
            raise ParameterError.invalid("profiles", type(items[0]).__name__, "TableProfile objects")
        return items[0]

    # -- bytes and dicts ------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Serialise the profile: a JSON header and the sketches' own bytes (no pickle).

        Examples
        --------
        >>> from driftline.profile import TableProfile, profile_frame
        >>> p = profile_frame({"x": [1.0, 2.0, 4.0], "c": ["a", None, "b"]})
        >>> q = TableProfile.from_bytes(p.to_bytes())
        >>> q.n_rows, q["x"].max, q["c"].n_missing
        (3, 4.0, 1)
        """
        return encode(self._n_rows, {name: col.state() for name, col in self._columns.items()})

    @classmethod
    def from_bytes(cls, data: bytes) -> TableProfile:
        """Read a profile written by :meth:`to_bytes`.

        Examples
        --------
        >>> from driftline.profile import TableProfile, profile_frame
        >>> TableProfile.from_bytes(profile_frame({"x": [1.0]}).to_bytes()).columns
        ('x',)
        """
        n_rows, states = decode(data)
        columns: dict[str, ColumnProfile] = {}
        for name, state in states.items():
            kind = state.get("kind")
            if kind == "numerical":
                columns[name] = NumericProfile.from_state(state)
            elif kind in ("categorical", "binary"):
                columns[name] = CategoricalProfile.from_state(state)
            else:
                raise DataError(f"the profile's column {name!r} has an unknown kind {kind!r}.")
        return cls(columns, n_rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (schema ``driftline.profile/1``); not for rebuilding.

        Examples
        --------
        >>> from driftline.profile import profile_frame
        >>> d = profile_frame({"x": [1.0, 2.0, 3.0]}).to_dict()
        >>> d["schema"], d["n_rows"], d["columns"]["x"]["max"]
        ('driftline.profile/1', 3, 3.0)
        """
        return {"schema": PROFILE_SCHEMA, "n_rows": self._n_rows,
                "columns": {name: col.to_dict() for name, col in self._columns.items()}}

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        # pickle (and so Dask, which moves results between workers with it) goes through the
        # profile's own bytes: the sketches themselves cannot be pickled
        return TableProfile.from_bytes, (self.to_bytes(),)

    def __repr__(self) -> str:
        return f"TableProfile(columns={len(self._columns)}, n_rows={self._n_rows})"


def _merged(a: ColumnProfile, b: ColumnProfile, where: str) -> ColumnProfile:
    if isinstance(a, NumericProfile):
        assert isinstance(b, NumericProfile)
        return a.merged(b, where)
    assert isinstance(b, CategoricalProfile)
    return a.merged(b, where)
