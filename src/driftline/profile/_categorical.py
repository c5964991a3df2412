"""The profile of one categorical (or binary) column: an exact frequency table up to a
cardinality limit, heavy hitters beyond it."""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.profile._sketches import (
    copied,
    frequent_items,
    frequent_max_error,
    new_frequent,
    sketches,
)

__all__ = ["DEFAULT_MAX_CATEGORIES", "CategoricalProfile", "check_max_categories"]

DEFAULT_MAX_CATEGORIES = 10_000
_MAX_LIMIT = 1 << 24
_TOP = 20


def check_max_categories(max_categories: int) -> int:
    """Validate the cardinality limit of the exact frequency tables.

    Examples
    --------
    >>> check_max_categories(10_000)
    10000
    >>> check_max_categories(1)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: max_categories must be an integer from 2 to 16777216; got 1.
    """
    if (isinstance(max_categories, bool) or not isinstance(max_categories, (int, np.integer))
            or not 2 <= max_categories <= _MAX_LIMIT):
        raise ParameterError.invalid("max_categories", max_categories,
                                     f"an integer from 2 to {_MAX_LIMIT}")
    return int(max_categories)


class CategoricalProfile:
    """A mergeable summary of one categorical or binary column.

    Labels are counted as text, exactly as the exact path prepares them (``1`` and ``"1"``
    are one label; numbers print without a trailing ``.0``; missing values are ``None``, NaN and
    ±inf). The table is exact while the column has at most ``max_categories`` distinct
    labels. Beyond that the profile switches, for good, to a heavy-hitters sketch
    (DataSketches' frequent items, sized to track ``2 * max_categories`` labels): each tracked
    label's count is then known within ``[lower, upper]``, and any other label's count is at
    most :attr:`max_error`. ``n`` and ``n_missing`` stay exact.

    Examples
    --------
    >>> from driftline.profile import profile_frame
    >>> p = profile_frame({"c": ["a", "b", "b", None, "c"]})["c"]
    >>> p.kind, p.exact, p.n, p.n_missing
    ('categorical', True, 4, 1)
    >>> p.labels.tolist(), p.counts.tolist()
    (['a', 'b', 'c'], [1, 2, 1])
    """

    def __init__(
        self, *, kind: str, n: int, n_missing: int, max_categories: int,
        labels: np.ndarray | None = None, counts: np.ndarray | None = None, sketch: Any = None,
    ) -> None:
        self.kind = kind
        self._n = int(n)
        self._n_missing = int(n_missing)
        self._max_categories = int(max_categories)
        self._labels = None if labels is None else _frozen(np.asarray(labels, dtype=object))
        self._counts = None if counts is None else _frozen(np.asarray(counts, dtype=np.int64))
        self._sketch = sketch
        self._heavy: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._max_error: int | None = None

    # -- building -------------------------------------------------------------------
    @classmethod
    def from_counts(cls, kind: str, labels: np.ndarray, counts: np.ndarray, n_missing: int,
                    max_categories: int) -> CategoricalProfile:
        """Profile a frequency table (labels as text, sorted); a sketch beyond the limit.

        Examples
        --------
        >>> p = CategoricalProfile.from_counts("categorical", np.array(["a", "b"], dtype=object),
        ...                                    np.array([3, 1]), 0, 10)
        >>> p.exact, p.n
        (True, 4)
        """
        labels = np.asarray(labels, dtype=object)
        counts = np.asarray(counts, dtype=np.int64)
        keep = counts > 0
        if not keep.all():
            labels, counts = labels[keep], counts[keep]
        n = int(counts.sum())
        if labels.size > max_categories:
            return cls(kind=kind, n=n, n_missing=n_missing, max_categories=max_categories,
                       sketch=new_frequent(max_categories, labels, counts))
        return cls(kind=kind, n=n, n_missing=n_missing, max_categories=max_categories,
                   labels=labels, counts=counts)

    @classmethod
    def empty(cls, kind: str, max_categories: int, *, n_missing: int = 0) -> CategoricalProfile:
        """A profile of no labels.

        Examples
        --------
        >>> CategoricalProfile.empty("binary", 10).n
        0
        """
        return cls.from_counts(kind, np.empty(0, dtype=object), np.empty(0, np.int64),
                               n_missing, max_categories)

    # -- contents -------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Labels present (not missing)."""
        return self._n

    @property
    def n_missing(self) -> int:
        """Missing labels."""
        return self._n_missing

    @property
    def max_categories(self) -> int:
        """The cardinality limit of the exact table."""
        return self._max_categories

    @property
    def exact(self) -> bool:
        """Whether the frequency table is exact (``False`` once heavy hitters took over)."""
        return self._sketch is None

    @property
    def labels(self) -> np.ndarray:
        """The distinct labels, sorted (exact tables only; see :meth:`table`)."""
        return self._exact_table()[0]

    @property
    def counts(self) -> np.ndarray:
        """The count of each label, aligned with :attr:`labels` (exact tables only)."""
        return self._exact_table()[1]

    @property
    def max_error(self) -> int:
        """The most any count in :meth:`table` can be off by; 0 for an exact table."""
        if self._sketch is None:
            return 0
        if self._max_error is None:
            self._max_error = frequent_max_error(self._sketch)
        return self._max_error

    @property
    def n_categories(self) -> int:
        """Distinct labels in the table (tracked labels, once heavy hitters took over)."""
        return int(self.table()[0].size)

    def table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(labels, lower, upper)``: each label's count lies in ``[lower, upper]``.

        For an exact table ``lower == upper``. For heavy hitters, labels that are not listed
        have a count of at most :attr:`max_error` each.

        Examples
        --------
        >>> from driftline.profile import profile_frame
        >>> labels, lo, hi = profile_frame({"c": ["x", "y", "y"]})["c"].table()
        >>> labels.tolist(), lo.tolist(), hi.tolist()
        (['x', 'y'], [1, 2], [1, 2])
        """
        if self._sketch is None:
            assert self._labels is not None and self._counts is not None
            return self._labels, self._counts, self._counts
        if self._heavy is None:  # the sketch never changes, so its items are read once
            self._heavy = frequent_items(self._sketch)
        return self._heavy

    def _exact_table(self) -> tuple[np.ndarray, np.ndarray]:
        if self._labels is None or self._counts is None:
            raise DataError(
                f"this column had more than max_categories={self._max_categories} distinct labels, "
                "so its profile keeps heavy hitters, not an exact table; use table() for the "
                "labels with the bounds of their counts.")
        return self._labels, self._counts

    # -- merging --------------------------------------------------------------------
    def merge(self, other: CategoricalProfile) -> CategoricalProfile:
        """The profile of both partitions together; neither input changes.

        Exact tables merge exactly and in any order with identical results, until the union
        has more than ``max_categories`` labels (the smaller limit of the two); from then on
        the heavy-hitters sketch merges within its error bound.

        Examples
        --------
        >>> from driftline.profile import profile_frame
        >>> a = profile_frame({"c": ["x", "y"]}, kinds={"c": "categorical"})["c"]
        >>> b = profile_frame({"c": ["y", "z", None]}, kinds={"c": "categorical"})["c"]
        >>> m = a.merge(b)
        >>> m.labels.tolist(), m.counts.tolist(), m.n_missing
        (['x', 'y', 'z'], [1, 2, 1], 1)
        """
        return self.merged(other, "this column")

    def merged(self, other: CategoricalProfile, name: str) -> CategoricalProfile:
        """:meth:`merge`, naming the column ``name`` in errors."""
        if not isinstance(other, CategoricalProfile) or other.kind != self.kind:
            raise DataError(f"cannot merge profiles of {name}: one is {self.kind} and the other "
                            f"{getattr(other, 'kind', type(other).__name__)}.")
        limit = min(self._max_categories, other._max_categories)
        n = self._n + other._n
        n_missing = self._n_missing + other._n_missing
        if self._sketch is None and other._sketch is None:
            labels, counts = _union(self.labels, self.counts, other.labels, other.counts)
            return CategoricalProfile.from_counts(self.kind, labels, counts, n_missing, limit)
        if self._sketch is not None and other._sketch is not None:
            sketch = copied(self._sketch)
            sketch.merge(other._sketch)
        else:
            big, small = (self, other) if self._sketch is not None else (other, self)
            sketch = copied(big._sketch)
            for label, count in zip(small.labels.tolist(), small.counts.tolist(), strict=True):
                sketch.update(str(label), int(count))
        return CategoricalProfile(kind=self.kind, n=n, n_missing=n_missing,
                                  max_categories=limit, sketch=sketch)

    # -- output ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: counts, the most frequent labels and the error bound.

        Examples
        --------
        >>> from driftline.profile import profile_frame
        >>> d = profile_frame({"c": ["a", "b", "b", "c"]})["c"].to_dict()
        >>> d["kind"], d["exact"], d["top"]
        ('categorical', True, [['b', 2], ['a', 1], ['c', 1]])
        """
        labels, _, upper = self.table()
        order = np.argsort(-upper, kind="stable")[:_TOP]
        return {
            "kind": self.kind, "n": self._n, "n_missing": self._n_missing,
            "exact": self.exact, "max_categories": self._max_categories,
            "n_categories": int(labels.size), "max_error": self.max_error,
            "top": [[str(labels[i]), int(upper[i])] for i in order.tolist()],
        }

    def state(self) -> dict[str, Any]:
        """Everything needed to rebuild the profile; a sketch as its DataSketches bytes."""
        return {
            "kind": self.kind, "n": self._n, "n_missing": self._n_missing,
            "max_categories": self._max_categories,
            "labels": None if self._labels is None else [str(x) for x in self._labels.tolist()],
            "counts": None if self._counts is None else self._counts.tolist(),
            "sketch": None if self._sketch is None else bytes(self._sketch.serialize()),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CategoricalProfile:
        """Rebuild a profile from :meth:`state`."""
        blob = state["sketch"]
        if blob is not None:
            return cls(kind=state["kind"], n=state["n"], n_missing=state["n_missing"],
                       max_categories=state["max_categories"],
                       sketch=sketches().frequent_strings_sketch.deserialize(blob))
        return cls(kind=state["kind"], n=state["n"], n_missing=state["n_missing"],
                   max_categories=state["max_categories"],
                   labels=np.array(state["labels"], dtype=object),
                   counts=np.array(state["counts"], dtype=np.int64))

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        return CategoricalProfile.from_state, (self.state(),)  # the sketch travels as its own bytes

    def __repr__(self) -> str:
        table = "exact" if self.exact else f"heavy hitters, max_error={self.max_error}"
        return (f"CategoricalProfile(kind={self.kind!r}, n={self._n}, "
                f"n_missing={self._n_missing}, categories={self.n_categories}, {table})")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.setflags(write=False)
    return a


def _union(la: np.ndarray, ca: np.ndarray, lb: np.ndarray,
           cb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if la.shape == lb.shape and np.array_equal(la, lb):
        return la, ca + cb
    labels = np.union1d(la, lb).astype(object)
    counts = np.zeros(labels.size, np.int64)
    counts[np.searchsorted(labels, la)] += ca
    counts[np.searchsorted(labels, lb)] += cb
    return labels, counts
