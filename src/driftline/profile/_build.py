"""Building profiles from tables: ``profile_frame`` in one go, ``ProfileBuilder`` batch by batch.

Each column goes through the exact path's own preparation (``driftline.drift``'s column
conversion and ``prepare``), so a profile sees the same values, labels and missing counts as
:func:`driftline.compare` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from driftline.drift._frames import Column, columns_of, to_pandas
from driftline.drift._kinds import ColumnKind
from driftline.drift._prepare import prepare
from driftline.drift._schema import infer_kind
from driftline.errors import DataError, ParameterError, SchemaError
from driftline.profile._categorical import (
    DEFAULT_MAX_CATEGORIES,
    CategoricalProfile,
    check_max_categories,
)
from driftline.profile._numeric import DEFAULT_GRID, DEFAULT_K, NumericProfile, check_k
from driftline.profile._table import ColumnProfile, TableProfile
from driftline.stats import DEFAULT_BINS, Sample

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ColumnLayout", "ProfileBuilder", "grid_edges", "profile_frame", "reference_layout"]

_PROFILED = (ColumnKind.NUMERICAL, ColumnKind.CATEGORICAL, ColumnKind.BINARY)


class ColumnLayout(NamedTuple):
    """What profiles built against one reference share for a column: its kind and, for a
    numerical column, the edges of its histogram and of its fine grid (``None``: none)."""

    kind: ColumnKind
    edges: np.ndarray | None = None
    grid: np.ndarray | None = None


Layout = dict[str, ColumnLayout]


def profile_frame(
    frame: Any,
    *,
    kinds: Mapping[str, str] | None = None,
    reference: TableProfile | None = None,
    k: int = DEFAULT_K,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    bins: int | None = DEFAULT_BINS,
    grid: int | None = DEFAULT_GRID,
    columns: Iterable[str] | None = None,
) -> TableProfile:
    """Profile a table (or one partition of it): one mergeable profile per column.

    Parameters
    ----------
    frame : a pandas or polars DataFrame, a pyarrow Table or a dict of arrays. An empty pandas
        DataFrame (an empty partition) gives an empty profile.
    kinds : column → kind (``numerical``, ``categorical``, ``binary``); other columns' kinds
        are inferred as :func:`driftline.compare` infers them. Text and datetime columns are
        not profiled. Not allowed with ``reference``, which fixes the kinds.
    reference : the reference's profile. It fixes the columns, their kinds and each numerical
        column's histogram edges, so that profiles of windows and partitions align with it and
        merge with each other. Without it, the edges are this frame's own quantile edges.
    k : the KLL sketch's parameter; its rank error is about 1.33 % at 200 and falls
        roughly as ``1/k``.
    max_categories : distinct labels kept in an exact table; beyond it, heavy hitters.
    bins : number of reference-quantile histogram bins, cut exactly as the exact path cuts
        them for PSI, Jensen–Shannon and Hellinger (:data:`driftline.stats.DEFAULT_BINS`).
        ``None`` keeps no histogram. With a ``reference`` that has histograms its edges are
        used as they are; with one built with ``bins=None`` the edges are cut at its
        sketch's quantiles (a two-pass reference, see ``docs/profiles.md``).
    grid : number of reference-quantile bins of the fine histogram that pins both CDFs for
        the KS and Wasserstein bounds (taken from the reference like ``bins``); ``None``
        keeps none, and the bounds then rest on the sketches alone.
    columns : profile only these columns (default: all). Not allowed with ``reference``,
        which fixes the columns.

    Returns
    -------
    TableProfile

    Notes
    -----
    A numerical column keeps counts, extremes, sum and ``m2``, a KLL sketch and the histogram;
    a categorical or binary one a frequency table (see
    :class:`~driftline.profile.CategoricalProfile`). Profile partitions *against one
    reference*: each partition's inferred kinds and own edges would differ, and profiles with
    different edges or kinds refuse to merge.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import profile_frame
    >>> rng = np.random.default_rng(0)
    >>> ref = profile_frame({"income": rng.lognormal(10, 0.5, 2000),
    ...                      "city": rng.choice(["a", "b", "c"], 2000)})
    >>> ref.kinds, ref["income"].counts.tolist()
    ({'income': 'numerical', 'city': 'categorical'}, [200, 200, 200, 200, 200, 200, 200, 200, 200, 200])
    >>> cur = profile_frame({"income": rng.lognormal(10.5, 0.5, 500),
    ...                      "city": rng.choice(["a", "b", "c"], 500)}, reference=ref)
    >>> int(cur["income"].counts[-1]) > 50   # shifted values pile into the reference's top bin
    True
    """
    k = check_k(k)
    max_categories = check_max_categories(max_categories)
    bins = _check_bins(bins, "bins")
    grid = _check_bins(grid, "grid")
    data = _as_frame(frame)
    if reference is not None:
        check_reference(reference, kinds, columns)
        layout = reference_layout(reference, bins, grid)
        cols = _columns(data, list(layout))
        return _profile(cols, layout, int(data.shape[0]), k, max_categories)
    names = _select(data, columns)
    cols = _columns(data, names)
    layout = _infer_layout(cols, _parse_kinds(kinds, names), int(data.shape[0]))
    return _profile(cols, layout, int(data.shape[0]), k, max_categories, own=(bins, grid))


def reference_layout(reference: TableProfile, bins: int | None = DEFAULT_BINS,
                     grid: int | None = DEFAULT_GRID) -> Layout:
    """Each column's kind and edges, as profiles built against ``reference`` use them.

    A reference built with histograms gives its own edges; one built without (``bins=None``
    or ``grid=None``) gives edges cut at its sketch's quantiles, ``bins`` or ``grid`` of them.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import profile_frame
    >>> ref = profile_frame({"x": np.arange(100.0)}, bins=4, grid=None)
    >>> layout = reference_layout(ref)["x"]
    >>> layout.kind.value, layout.edges.tolist(), layout.grid is not None
    ('numerical', [24.75, 49.5, 74.25], True)
    """
    layout: Layout = {}
    for name in reference.columns:
        col = reference[name]
        kind = ColumnKind.parse(col.kind)
        if isinstance(col, NumericProfile):
            layout[name] = ColumnLayout(kind, _edges(col, col.edges, bins),
                                        _edges(col, col.grid_edges, grid, fine=True))
        else:
            layout[name] = ColumnLayout(kind)
    return layout


def _edges(col: NumericProfile, own: np.ndarray | None, bins: int | None,
           fine: bool = False) -> np.ndarray | None:
    if own is not None:
        return own
    if bins is None or col.n == 0:
        return None if bins is None else np.empty(0)
    # a two-pass reference: cut at the sketch's quantiles
    cuts = col.quantiles(np.linspace(0.0, 1.0, bins + 1)[1:-1])
    edges, repeats = np.unique(cuts, return_counts=True)
    return _with_predecessors(edges, repeats > 1) if fine else edges


def grid_edges(sample: Sample, grid: int) -> np.ndarray:
    """The fine grid's edges: the reference's quantile edges, plus the float just below every
    edge that is a tied value of the reference.

    At a tied value the CDF jumps; an edge just below it pins the CDF on both sides of the
    jump, so for discrete data (counts, ratings) both CDFs are known exactly between values.

    Examples
    --------
    >>> from driftline.stats import Sample
    >>> e = grid_edges(Sample.numerical([1.0, 2.0, 2.0, 3.0]), 4)
    >>> e.tolist() == [1.75, np.nextafter(2.0, -np.inf), 2.0, 2.25]
    True
    """
    edges = sample.quantile_edges(grid)
    values = sample.values
    tied = (np.searchsorted(values, edges, side="right")
            - np.searchsorted(values, edges, side="left")) > 1
    return _with_predecessors(edges, tied)


def _with_predecessors(edges: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if not mask.any():
        return edges
    return np.union1d(edges, np.nextafter(edges[mask], -np.inf))


class ProfileBuilder:
    """Build a window's profile batch by batch, as predictions are logged.

    Every batch is profiled against ``reference`` and merged in, so the result equals
    :func:`profile_frame` of all the batches at once in its exact parts (counts, extremes,
    histograms, label tables) and lies within the sketches' error bounds in the rest.

    Parameters
    ----------
    reference : the reference's profile: it fixes the columns, kinds and histogram edges.
    k, max_categories : as in :func:`profile_frame`.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import ProfileBuilder, profile_frame
    >>> rng = np.random.default_rng(0)
    >>> ref = profile_frame({"x": rng.normal(size=1000)})
    >>> builder = ProfileBuilder(ref)
    >>> for _ in range(4):
    ...     builder.update({"x": rng.normal(size=250)})
    >>> window = builder.profile()
    >>> window.n_rows, int(window["x"].counts.sum())
    (1000, 1000)
    """

    def __init__(self, reference: TableProfile, *, k: int = DEFAULT_K,
                 max_categories: int = DEFAULT_MAX_CATEGORIES) -> None:
        if not isinstance(reference, TableProfile):
            raise ParameterError.invalid("reference", type(reference).__name__, "a TableProfile")
        self._reference = reference
        self._k = check_k(k)
        self._max_categories = check_max_categories(max_categories)
        self._profile = self._empty()

    def update(self, frame: Any) -> None:
        """Profile one batch against the reference and merge it into the window."""
        part = profile_frame(frame, reference=self._reference, k=self._k,
                             max_categories=self._max_categories)
        self._profile = self._profile.merge(part)

    def profile(self) -> TableProfile:
        """The window's profile so far (an empty profile before the first batch)."""
        return self._profile

    @property
    def n_rows(self) -> int:
        """Rows seen since the start or the last :meth:`reset`."""
        return self._profile.n_rows

    def reset(self) -> None:
        """Start a new window."""
        self._profile = self._empty()

    def _empty(self) -> TableProfile:
        cols: dict[str, ColumnProfile] = {}
        for name, col in reference_layout(self._reference).items():
            if col.kind is ColumnKind.NUMERICAL:
                cols[name] = NumericProfile.empty(col.edges, col.grid, self._k)
            else:
                cols[name] = CategoricalProfile.empty(col.kind.value, self._max_categories)
        return TableProfile(cols, 0)

    def __repr__(self) -> str:
        return f"ProfileBuilder(columns={len(self._profile)}, n_rows={self.n_rows})"


def _profile(cols: dict[str, Column], layout: Layout, n_rows: int, k: int,
             max_categories: int, own: tuple[int | None, int | None] | None = None,
             ) -> TableProfile:
    """Profile each column; ``own = (bins, grid)`` cuts the histograms at the column's own
    quantiles (the exact path's reference bins) instead of the layout's edges."""
    profiles: dict[str, ColumnProfile] = {}
    for name, (kind, edges, grid) in layout.items():
        if kind is ColumnKind.NUMERICAL:
            sample = prepare(cols[name], kind).sample
            assert sample is not None
            if own is not None:
                bins, fine = own
                edges = None if bins is None else sample.quantile_edges(bins)
                grid = None if fine is None else grid_edges(sample, fine)
            profiles[name] = NumericProfile.from_sorted(sample.values, sample.n_missing,
                                                        edges=edges, grid_edges=grid, k=k)
        else:
            profiles[name] = _categorical(cols[name], kind, max_categories)
    return TableProfile(profiles, n_rows)


def _categorical(col: Column, kind: ColumnKind, max_categories: int) -> CategoricalProfile:
    sample = prepare(col, kind).sample
    assert sample is not None
    return CategoricalProfile.from_counts(kind.value, sample.labels, sample.counts,
                                          sample.n_missing, max_categories)


def _check_bins(bins: int | None, name: str) -> int | None:
    if bins is None:
        return None
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ParameterError.invalid(name, bins, "an integer >= 2, or None for no histogram")
    return int(bins)


def _as_frame(frame: Any) -> pd.DataFrame:
    """The frame as pandas; unlike the exact path, an empty partition is fine."""
    import pandas as pd

    empty: pd.DataFrame | None = None
    if isinstance(frame, pd.DataFrame) and frame.shape[0] == 0:
        empty = frame
    elif isinstance(frame, dict) and frame and all(np.ndim(v) == 1 and len(v) == 0
                                                   for v in frame.values()):
        empty = pd.DataFrame({str(k): np.asarray(v) for k, v in frame.items()})
    elif (type(frame).__module__.split(".")[0] in ("polars", "pyarrow")
          and hasattr(frame, "to_pandas") and len(frame) == 0):
        empty = frame.to_pandas()
    if empty is None:
        return to_pandas(frame, "frame")
    if not empty.columns.is_unique:
        raise DataError("frame has duplicate column names.")
    return empty


def _select(frame: pd.DataFrame, columns: Iterable[str] | None) -> list[str]:
    available = [str(c) for c in frame.columns]
    if columns is None:
        return available
    wanted = [str(c) for c in ([columns] if isinstance(columns, str) else columns)]
    missing = [c for c in wanted if c not in available]
    if missing:
        raise SchemaError(f"column {missing[0]!r} given in columns is not in the frame; it has: "
                          f"{', '.join(available[:10])}.")
    return wanted


def _columns(frame: pd.DataFrame, names: list[str]) -> dict[str, Column]:
    available = {str(c) for c in frame.columns}
    missing = [n for n in names if n not in available]
    if missing:
        raise SchemaError(f"column {missing[0]!r} is in the reference profile but not in the "
                          "frame" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                          + ".")
    return columns_of(frame, names)


def _parse_kinds(kinds: Mapping[str, str] | None, names: list[str]) -> dict[str, ColumnKind]:
    if kinds is None:
        return {}
    if not isinstance(kinds, Mapping):
        raise ParameterError.invalid("kinds", kinds, "a mapping of column name → kind")
    parsed = {str(c): ColumnKind.parse(v, name=f"kinds[{c!r}]") for c, v in kinds.items()}
    unknown = [c for c in parsed if c not in names]
    if unknown:
        raise SchemaError(f"column {unknown[0]!r} given in kinds is not among the profiled "
                          "columns.")
    return parsed


def _infer_layout(cols: dict[str, Column], kinds: dict[str, ColumnKind], n_rows: int) -> Layout:
    layout: Layout = {}
    for name, col in cols.items():
        kind = kinds.get(name)
        if kind is None:
            if n_rows == 0:
                raise DataError(f"cannot infer the kind of column {name!r} from an empty frame; "
                                "pass kinds= or reference=.")
            kind = infer_kind(col)
        if kind in _PROFILED:
            layout[name] = ColumnLayout(kind)
    return layout


def check_reference(reference: Any, kinds: Any, columns: Any) -> None:
    """A reference profile fixes the columns and their kinds: refuse ``kinds``/``columns``
    beside it, and anything but a :class:`TableProfile`."""
    for name, given in (("kinds", kinds), ("columns", columns)):
        if given is not None:
            raise ParameterError(f"{name} cannot be given together with reference: the "
                                 f"reference's profile fixes the columns and their kinds; "
                                 f"got {name}={given!r}.")
    if not isinstance(reference, TableProfile):
        raise ParameterError.invalid("reference", type(reference).__name__,
                                     "a TableProfile or None")
