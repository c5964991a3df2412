"""The profile of one numerical column: counts, moments, a KLL sketch and a fixed-edge histogram."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.errors import DataError, ParameterError
from driftline.profile._sketches import copied, kll_points, kll_rank_error, new_kll, sketches

__all__ = ["DEFAULT_GRID", "DEFAULT_K", "NumericProfile", "check_k"]

DEFAULT_K = 200
DEFAULT_GRID = 1000
_K_RANGE = (8, 65535)  # what kll_doubles_sketch accepts
_SUMMARY_RANKS = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


def check_k(k: int) -> int:
    """Validate the KLL parameter ``k``.

    Examples
    --------
    >>> check_k(200)
    200
    >>> check_k(4)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: k must be an integer from 8 to 65535; got 4. ...
    """
    lo, hi = _K_RANGE
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not lo <= k <= hi:
        raise ParameterError.invalid("k", k, f"an integer from {lo} to {hi}",
                                     "Larger k means a smaller rank error; 200 gives about 1.3%.")
    return int(k)


class NumericProfile:
    """A mergeable summary of one numerical column.

    It holds exact counts (valid values ``n`` and ``n_missing``: NaN, None, ±inf and text that
    does not parse as a number, as the exact path counts them), the exact minimum and maximum,
    the sum and the sum of squared deviations from the mean (``m2``), a KLL quantile sketch,
    and a histogram on fixed edges that come from the reference. Build it with
    :func:`~driftline.profile.profile_frame`; combine partitions with :meth:`merge`.

    The histogram has one bin more than there are edges: ``(-inf, e[0]]``, ``(e[0], e[1]]``,
    ..., ``(e[-1], +inf)``, the exact path's bins (see ``driftline.stats._binning``), so values
    beyond the reference's range fall in the outer bins. It is ``None`` in a profile built
    with ``bins=None``. A second, finer histogram of the same form (:attr:`grid_edges`,
    :attr:`grid_counts`; 1,000 reference-quantile bins by default) pins both CDFs exactly at
    its edges, which is what keeps the KS and Wasserstein bounds tight.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import profile_frame
    >>> p = profile_frame({"x": [1.0, 2.0, np.nan, 4.0, np.inf]}, bins=2)["x"]
    >>> p.n, p.n_missing, p.min, p.max, p.sum
    (3, 2, 1.0, 4.0, 7.0)
    >>> p.edges.tolist(), p.counts.tolist()
    ([2.0], [2, 1])
    """

    kind = "numerical"

    def __init__(
        self, *, n: int, n_missing: int, minimum: float, maximum: float, total: float,
        m2: float, edges: np.ndarray | None, counts: np.ndarray | None,
        grid_edges: np.ndarray | None, grid_counts: np.ndarray | None, sketch: Any,
    ) -> None:
        self._n = int(n)
        self._n_missing = int(n_missing)
        self._min = float(minimum)
        self._max = float(maximum)
        self._sum = float(total)
        self._m2 = float(m2)
        self._edges, self._counts = _histogram(edges, counts, "counts")
        self._grid_edges, self._grid_counts = _histogram(grid_edges, grid_counts, "grid_counts")
        self._sketch = sketch

    # -- building -------------------------------------------------------------------
    @classmethod
    def from_sorted(cls, values: np.ndarray, n_missing: int, *, edges: np.ndarray | None,
                    grid_edges: np.ndarray | None = None, k: int = DEFAULT_K) -> NumericProfile:
        """Profile finite values sorted ascending (as in a numerical ``stats.Sample``).

        Examples
        --------
        >>> p = NumericProfile.from_sorted(np.array([1.0, 2.0, 3.0]), 1, edges=np.array([1.5]))
        >>> p.counts.tolist(), p.mean, p.std
        ([1, 2], 2.0, 1.0)
        """
        if values.size == 0:
            return cls.empty(edges, grid_edges, k, n_missing=n_missing)
        mean = float(values.mean())
        m2 = 0.0 if values[0] == values[-1] else float(np.sum((values - mean) ** 2))
        return cls(n=values.size, n_missing=n_missing, minimum=values[0], maximum=values[-1],
                   total=float(values.sum()), m2=m2, edges=edges, counts=_count(values, edges),
                   grid_edges=grid_edges, grid_counts=_count(values, grid_edges),
                   sketch=new_kll(k, values))

    @classmethod
    def empty(cls, edges: np.ndarray | None, grid_edges: np.ndarray | None = None,
              k: int = DEFAULT_K, *, n_missing: int = 0) -> NumericProfile:
        """A profile of no values, on the given edges.

        Examples
        --------
        >>> NumericProfile.empty(np.array([0.0])).counts.tolist()
        [0, 0]
        """
        nothing = np.empty(0)
        return cls(n=0, n_missing=n_missing, minimum=math.nan, maximum=math.nan, total=0.0,
                   m2=0.0, edges=edges, counts=_count(nothing, edges), grid_edges=grid_edges,
                   grid_counts=_count(nothing, grid_edges), sketch=new_kll(k))

    # -- exact parts ----------------------------------------------------------------
    @property
    def n(self) -> int:
        """Valid (finite) values."""
        return self._n

    @property
    def n_missing(self) -> int:
        """Missing and non-finite values, left out of everything else."""
        return self._n_missing

    @property
    def min(self) -> float:
        """The smallest value (NaN when there is none)."""
        return self._min

    @property
    def max(self) -> float:
        """The largest value (NaN when there is none)."""
        return self._max

    @property
    def sum(self) -> float:
        """The sum of the values."""
        return self._sum

    @property
    def m2(self) -> float:
        """The sum of squared deviations from the mean (merged with Chan et al.'s update, which
        stays accurate where a raw sum of squares would cancel)."""
        return self._m2

    @property
    def mean(self) -> float:
        """The mean (NaN when empty)."""
        return self._sum / self._n if self._n else math.nan

    @property
    def std(self) -> float:
        """The sample standard deviation (``ddof=1``); exactly 0 for a constant column."""
        if self._n < 2:
            return math.nan
        return 0.0 if self._min == self._max else math.sqrt(self._m2 / (self._n - 1))

    @property
    def edges(self) -> np.ndarray | None:
        """The histogram's interior edges (read-only), or ``None`` without a histogram."""
        return self._edges

    @property
    def counts(self) -> np.ndarray | None:
        """The histogram's counts (read-only), one more than there are edges."""
        return self._counts

    @property
    def grid_edges(self) -> np.ndarray | None:
        """The fine histogram's interior edges (read-only), or ``None``."""
        return self._grid_edges

    @property
    def grid_counts(self) -> np.ndarray | None:
        """The fine histogram's counts (read-only)."""
        return self._grid_counts

    # -- the sketch -----------------------------------------------------------------
    @property
    def k(self) -> int:
        """The KLL parameter of the sketch (the smallest ``k`` of any merged partition)."""
        return int(self._sketch.k)

    @property
    def rank_error(self) -> float:
        """The sketch's normalized rank error ε: every CDF value it gives is within ε of the
        true share, with about 99 % confidence; 0 while the sketch still holds every value.

        Examples
        --------
        >>> import numpy as np
        >>> from driftline.profile import profile_frame
        >>> profile_frame({"x": np.arange(50.0)})["x"].rank_error
        0.0
        >>> round(profile_frame({"x": np.arange(5000.0)})["x"].rank_error, 4)
        0.0133
        """
        return kll_rank_error(self._sketch)

    @cached_property
    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """The sketch's CDF as ``(values, cdf)``: flat between the retained values."""
        return kll_points(self._sketch)

    def quantiles(self, ranks: npt.ArrayLike) -> np.ndarray:
        """Approximate quantiles at ``ranks`` in [0, 1], from the sketch (NaN when empty);
        ranks 0 and 1 give the exact minimum and maximum.

        Examples
        --------
        >>> import numpy as np
        >>> from driftline.profile import profile_frame
        >>> profile_frame({"x": np.arange(101.0)})["x"].quantiles([0.0, 1.0]).tolist()
        [0.0, 100.0]
        """
        r = np.asarray(ranks, dtype=np.float64)
        if r.size and not ((r >= 0) & (r <= 1)).all():
            raise ParameterError.invalid("ranks", r.tolist(), "values in [0, 1]")
        if self._n == 0:
            return np.full(r.shape, np.nan)
        q = np.asarray(self._sketch.get_quantiles(r.ravel().tolist(), True)).reshape(r.shape)
        return np.where(r == 0, self._min, np.where(r == 1, self._max, q))  # exact extremes

    # -- merging --------------------------------------------------------------------
    def merge(self, other: NumericProfile) -> NumericProfile:
        """The profile of both partitions together; neither input changes.

        Counts, extremes and the histogram merge exactly (in any order, with identical
        results); the sum and ``m2`` up to floating-point rounding; the sketches within their
        rank error.

        Examples
        --------
        >>> import numpy as np
        >>> from driftline.profile import profile_frame
        >>> ref = profile_frame({"x": np.arange(100.0)})
        >>> a = profile_frame({"x": [1.0, 99.0]}, reference=ref)["x"]
        >>> b = profile_frame({"x": [50.0, np.nan]}, reference=ref)["x"]
        >>> m = a.merge(b)
        >>> m.n, m.n_missing, m.min, m.max, int(m.counts.sum())
        (3, 1, 1.0, 99.0, 3)
        """
        return self.merged(other, "this column")

    def merged(self, other: NumericProfile, name: str) -> NumericProfile:
        """:meth:`merge`, naming the column ``name`` in errors."""
        if not isinstance(other, NumericProfile):
            raise DataError(f"cannot merge profiles of {name}: one is numerical and the other "
                            f"{getattr(other, 'kind', type(other).__name__)}.")
        edges = _same_edges(self._edges, other._edges, name)
        grid = _same_edges(self._grid_edges, other._grid_edges, name)
        hists = {"edges": edges, "counts": _added(self._counts, other._counts),
                 "grid_edges": grid, "grid_counts": _added(self._grid_counts, other._grid_counts)}
        if other._n == 0 or self._n == 0:
            base = self if other._n == 0 else other
            return NumericProfile(
                n=base._n, n_missing=self._n_missing + other._n_missing, minimum=base._min,
                maximum=base._max, total=base._sum, m2=base._m2, sketch=base._sketch, **hists)
        n = self._n + other._n
        delta = other.mean - self.mean
        m2 = self._m2 + other._m2 + delta * delta * self._n * other._n / n
        return NumericProfile(
            n=n, n_missing=self._n_missing + other._n_missing,
            minimum=min(self._min, other._min), maximum=max(self._max, other._max),
            total=self._sum + other._sum, m2=m2,
            sketch=_merged_sketch(self._sketch, other._sketch), **hists,
        )

    # -- output ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (approximate quantiles included; no sketch bytes).

        Examples
        --------
        >>> from driftline.profile import profile_frame
        >>> d = profile_frame({"x": [1.0, 2.0, 3.0]})["x"].to_dict()
        >>> d["kind"], d["n"], d["mean"], d["rank_error"]
        ('numerical', 3, 2.0, 0.0)
        """
        quantiles = self.quantiles(_SUMMARY_RANKS)
        return {
            "kind": self.kind, "n": self._n, "n_missing": self._n_missing,
            "min": _json_float(self._min), "max": _json_float(self._max),
            "mean": _json_float(self.mean), "std": _json_float(self.std),
            "k": self.k, "rank_error": self.rank_error,
            "quantiles": {f"{r:g}": _json_float(float(q))
                          for r, q in zip(_SUMMARY_RANKS, quantiles, strict=True)},
            "histogram": None if self._edges is None or self._counts is None else {
                "edges": self._edges.tolist(), "counts": self._counts.tolist()},
            "grid_bins": None if self._grid_counts is None else int(self._grid_counts.size),
        }

    def state(self) -> dict[str, Any]:
        """Everything needed to rebuild the profile: numbers, arrays, and the sketch as its
        DataSketches bytes."""
        return {
            "kind": self.kind, "n": self._n, "n_missing": self._n_missing,
            "min": _json_float(self._min), "max": _json_float(self._max),
            "sum": _json_float(self._sum), "m2": _json_float(self._m2),
            "edges": self._edges, "counts": self._counts,
            "grid_edges": self._grid_edges, "grid_counts": self._grid_counts,
            "sketch": bytes(self._sketch.serialize()),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> NumericProfile:
        """Rebuild a profile from :meth:`state`."""
        return cls(
            n=state["n"], n_missing=state["n_missing"], minimum=_from_json(state["min"]),
            maximum=_from_json(state["max"]), total=_from_json(state["sum"]),
            m2=_from_json(state["m2"]), edges=state["edges"], counts=state["counts"],
            grid_edges=state["grid_edges"], grid_counts=state["grid_counts"],
            sketch=sketches().kll_doubles_sketch.deserialize(state["sketch"]),
        )

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        return NumericProfile.from_state, (self.state(),)  # the sketch travels as its own bytes

    def __repr__(self) -> str:
        bins = "none" if self._counts is None else str(self._counts.size)
        return (f"NumericProfile(n={self._n}, n_missing={self._n_missing}, k={self.k}, "
                f"bins={bins})")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.setflags(write=False)
    return a


def _histogram(edges: Any, counts: Any, name: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    if edges is None and counts is None:
        return None, None
    e = np.asarray(edges, dtype=np.float64)
    c = np.asarray(counts, dtype=np.int64)
    if e.ndim != 1 or c.shape != (e.size + 1,):
        raise DataError(f"{name} must hold one count more than there are edges; got "
                        f"{c.shape} counts for {e.shape} edges.")
    return _frozen(e), _frozen(c)


def _count(sorted_values: np.ndarray, edges: np.ndarray | None) -> np.ndarray | None:
    """Counts in the bins ``(-inf, e0], (e0, e1], ..., (e_last, inf)``: the exact path's rule."""
    if edges is None:
        return None
    cum = np.searchsorted(sorted_values, edges, side="right")
    return np.diff(np.concatenate(([0], cum, [sorted_values.size]))).astype(np.int64)


def _added(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    return None if a is None or b is None else a + b


def _same_edges(a: np.ndarray | None, b: np.ndarray | None, name: str) -> np.ndarray | None:
    if a is None and b is None:
        return None
    if a is not None and b is not None and a.shape == b.shape and np.array_equal(a, b):
        return a
    raise DataError(
        f"cannot merge profiles of {name}: their histograms have different edges. Profile "
        "every partition against one reference, profile_frame(part, reference=ref), so that "
        "all of them share its edges.")


def _merged_sketch(a: Any, b: Any) -> Any:
    # Sketches are never changed after they are built, so an input can be shared.
    out = copied(a)
    out.merge(b)
    return out


def _json_float(x: float) -> float | str | None:
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _from_json(x: float | str | None) -> float:
    return math.nan if x is None else float(x)
