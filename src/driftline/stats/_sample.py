"""Prepared samples: the fitted form of a reference, and the input check of every method.

A :class:`Sample` holds what the tests need from one side of a comparison, computed once:

* numerical: the finite values sorted, with counts of missing (NaN) and non-finite (±inf)
  values that were left out, and lazily its mean, standard deviation and prefix sums;
* categorical: the distinct labels (sorted) with their counts, and the count of missing labels.

Every method accepts a :class:`Sample` or anything ``numpy.asarray`` takes, for either side.
Fitting the reference once with :func:`fit` and passing the sample to many windows makes each
window cost work in proportion to its own size: the reference is never sorted or counted again.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, Literal, Union

import numpy as np
import numpy.typing as npt

from driftline.errors import DataError, ParameterError

__all__ = ["Sample", "SampleLike", "aligned_counts", "as_categorical", "as_numerical", "fit"]

Kind = Literal["numerical", "categorical"]


class Sample:
    """One side of a comparison, prepared once.

    Build it with :meth:`numerical`, :meth:`categorical`, :meth:`from_counts` or :func:`fit`.

    Examples
    --------
    >>> s = Sample.numerical([3.0, 1.0, float("nan"), 2.0, float("inf")])
    >>> s.values, s.n, s.n_missing
    (array([1., 2., 3.]), 3, 2)
    >>> c = Sample.categorical(["b", "a", "b", None])
    >>> c.labels.tolist(), c.counts.tolist(), c.n_missing
    (['a', 'b'], [1, 2], 1)
    """

    kind: Kind

    def __init__(
        self,
        kind: Kind,
        *,
        values: np.ndarray | None = None,
        labels: np.ndarray | None = None,
        counts: np.ndarray | None = None,
        n_missing: int = 0,
    ) -> None:
        self.kind = kind
        self._values = values
        self._labels = labels
        self._counts = counts
        self.n_missing = int(n_missing)

    # -- constructors ---------------------------------------------------------------
    @classmethod
    def numerical(cls, x: Any, *, name: str = "sample") -> Sample:
        """Sort the finite values of ``x``; NaN and ±inf are counted in ``n_missing``."""
        arr = np.asarray(x)
        if arr.ndim != 1:
            arr = arr.reshape(-1) if arr.ndim == 0 or 1 in arr.shape else arr
        if arr.ndim != 1:
            raise DataError(f"{name} must be one-dimensional; got an array of shape {arr.shape}.")
        if arr.dtype.kind == "b":
            arr = arr.astype(np.float64)
        elif arr.dtype.kind not in "iuf":
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                raise DataError(
                    f"{name} must hold numbers for a numerical test; got values of dtype "
                    f"{arr.dtype} (for example {arr[:1].tolist()!r}). Use a categorical method "
                    "or convert the column."
                ) from None
        arr = arr.astype(np.float64, copy=False)
        finite = np.isfinite(arr)
        values = np.sort(arr[finite]) if not finite.all() else np.sort(arr)
        # -0.0 and 0.0 compare equal but sort in input order; make them one value so that
        # anything derived from the sorted array is independent of row order.
        np.add(values, 0.0, out=values)
        return cls("numerical", values=values, n_missing=int(arr.size - values.size))

    @classmethod
    def categorical(cls, x: Any, *, name: str = "sample") -> Sample:
        """Count the distinct labels of ``x``; None and NaN are counted in ``n_missing``."""
        arr = np.asarray(x)
        if arr.ndim != 1:
            raise DataError(f"{name} must be one-dimensional; got an array of shape {arr.shape}.")
        if arr.dtype.kind == "f":
            keep = ~np.isnan(arr)
        elif arr.dtype.kind == "O":
            keep = np.fromiter((_present(v) for v in arr), bool, count=arr.size)
        else:
            keep = np.ones(arr.size, bool)
        kept = arr[keep] if not keep.all() else arr
        try:
            labels, counts = np.unique(kept, return_counts=True)
        except TypeError:  # mixed label types cannot be sorted together: compare as text
            labels, counts = np.unique(kept.astype(str), return_counts=True)
        return cls(
            "categorical", labels=labels, counts=counts.astype(np.int64),
            n_missing=int(arr.size - kept.size),
        )

    @classmethod
    def from_counts(
        cls, labels: Sequence[Any] | np.ndarray, counts: Sequence[int] | np.ndarray,
        *, n_missing: int = 0,
    ) -> Sample:
        """A categorical sample from a frequency table (labels need not be sorted).

        Examples
        --------
        >>> Sample.from_counts(["y", "x"], [5, 2]).labels.tolist()
        ['x', 'y']
        """
        lab = np.asarray(labels)
        cnt = np.asarray(counts, dtype=np.int64)
        if lab.shape != cnt.shape or lab.ndim != 1:
            raise DataError(
                f"labels and counts must be 1-D and of equal length; got {lab.shape} and {cnt.shape}."
            )
        if (cnt < 0).any():
            raise DataError("counts must be non-negative; got a negative count.")
        order = np.argsort(lab, kind="stable")
        return cls("categorical", labels=lab[order], counts=cnt[order], n_missing=n_missing)

    # -- views ----------------------------------------------------------------------
    @property
    def values(self) -> np.ndarray:
        """The finite values, sorted ascending (numerical samples only)."""
        if self._values is None:
            raise DataError("this sample is categorical; it has labels and counts, not values.")
        return self._values

    @property
    def labels(self) -> np.ndarray:
        """The distinct labels, sorted (categorical samples only)."""
        if self._labels is None:
            raise DataError("this sample is numerical; it has values, not labels.")
        return self._labels

    @property
    def counts(self) -> np.ndarray:
        """The count of each label, aligned with :attr:`labels`."""
        if self._counts is None:
            raise DataError("this sample is numerical; it has values, not counts.")
        return self._counts

    @cached_property
    def n(self) -> int:
        """The number of valid values (missing and non-finite ones excluded)."""
        if self.kind == "numerical":
            return int(self.values.size)
        return int(self.counts.sum())

    @cached_property
    def mean(self) -> float:
        """Mean of the values (NaN when empty; exact for a constant sample)."""
        if not self.n:
            return float("nan")
        v = self.values
        return float(v[0]) if v[0] == v[-1] else float(v.mean())

    @cached_property
    def std(self) -> float:
        """Sample standard deviation (ddof=1) of the values (NaN below two values; exactly 0
        for a constant sample, where floating-point summation would leave a tiny residue)."""
        if self.n < 2:
            return float("nan")
        v = self.values
        return 0.0 if v[0] == v[-1] else float(v.std(ddof=1))

    @cached_property
    def cumsum(self) -> np.ndarray:
        """Prefix sums of the sorted values, with a leading 0 (length n + 1)."""
        out = np.empty(self.n + 1)
        out[0] = 0.0
        np.cumsum(self.values, out=out[1:])
        return out

    @cached_property
    def centered_prefix(self) -> tuple[float, np.ndarray]:
        """``(shift, S)``: prefix sums ``S`` (length n + 1) of the values minus ``shift``.

        Centring on the median keeps the sums small, so differences of prefix sums lose
        little precision even for values far from zero.
        """
        if self.n == 0:
            return 0.0, np.zeros(1)
        shift = float(self.values[self.n // 2])
        out = np.empty(self.n + 1)
        out[0] = 0.0
        np.cumsum(self.values - shift, out=out[1:])
        return shift, out

    def quantile_edges(self, bins: int) -> np.ndarray:
        """Interior bin edges at the reference's quantiles, cached per ``bins`` (see _binning)."""
        cache: dict[int, np.ndarray] = self.__dict__.setdefault("_edge_cache", {})
        if bins not in cache:
            qs = np.linspace(0.0, 1.0, bins + 1)[1:-1]
            edges = np.quantile(self.values, qs) if self.n else np.array([])
            cache[bins] = np.unique(edges)
        return cache[bins]

    def __repr__(self) -> str:
        if self.kind == "numerical":
            return f"Sample(kind='numerical', n={self.n}, n_missing={self.n_missing})"
        return (f"Sample(kind='categorical', n={self.n}, categories={self.labels.size}, "
                f"n_missing={self.n_missing})")


SampleLike = Union[Sample, npt.ArrayLike]  # noqa: UP007 (a runtime alias; | fails on 3.10 here)


def _present(v: Any) -> bool:
    if v is None:
        return False
    try:
        return bool(v == v)  # NaN and pandas.NA-like values are not equal to themselves
    except (TypeError, ValueError):
        return False


def fit(reference: SampleLike, kind: Kind | None = None) -> Sample:
    """Prepare a reference once, for testing many windows against it.

    ``kind`` defaults to ``"numerical"`` for numeric or boolean data and ``"categorical"``
    otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline import stats
    >>> rng = np.random.default_rng(0)
    >>> ref = stats.fit(rng.normal(size=10_000))
    >>> [stats.ks(ref, rng.normal(size=500)).drifted for _ in range(3)]
    [False, False, False]
    """
    if isinstance(reference, Sample):
        if kind is not None and reference.kind != kind:
            raise ParameterError.invalid("kind", kind, f"{reference.kind!r} for this sample")
        return reference
    if kind is None:
        kind = "numerical" if np.asarray(reference).dtype.kind in "biuf" else "categorical"
    if kind == "numerical":
        return Sample.numerical(reference, name="reference")
    if kind == "categorical":
        return Sample.categorical(reference, name="reference")
    raise ParameterError.choice("kind", kind, ("numerical", "categorical"))


def as_numerical(x: SampleLike, name: str) -> Sample:
    """Return ``x`` as a numerical :class:`Sample` (unchanged if it already is one)."""
    if isinstance(x, Sample):
        if x.kind != "numerical":
            raise DataError(f"{name} is a categorical sample; this method needs numerical data.")
        return x
    return Sample.numerical(x, name=name)


def as_categorical(x: SampleLike, name: str) -> Sample:
    """Return ``x`` as a categorical :class:`Sample` (unchanged if it already is one)."""
    if isinstance(x, Sample):
        if x.kind != "categorical":
            raise DataError(f"{name} is a numerical sample; this method needs categorical data.")
        return x
    return Sample.categorical(x, name=name)


def aligned_counts(reference: Sample, current: Sample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of both samples over the union of their labels: ``(labels, ref, cur)``.

    Examples
    --------
    >>> r = Sample.categorical(["a", "b", "b"]); c = Sample.categorical(["b", "c"])
    >>> labels, rc, cc = aligned_counts(r, c)
    >>> labels.tolist(), rc.tolist(), cc.tolist()
    (['a', 'b', 'c'], [1, 2, 0], [0, 1, 1])
    """
    rl, cl = reference.labels, current.labels
    if rl.shape == cl.shape and np.array_equal(rl, cl):
        return rl, reference.counts, current.counts
    try:
        labels = np.union1d(rl, cl)
    except TypeError:
        rl, cl = rl.astype(str), cl.astype(str)
        labels = np.union1d(rl, cl)
    ref = np.zeros(labels.size, np.int64)
    cur = np.zeros(labels.size, np.int64)
    ref[np.searchsorted(labels, rl)] = reference.counts
    cur[np.searchsorted(labels, cl)] = current.counts
    return labels, ref, cur
