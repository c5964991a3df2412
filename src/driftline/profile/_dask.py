"""``profile_dask``: profiles of Dask DataFrames and Parquet datasets, built where the partitions
live and merged in a tree, so no row ever travels to the client.

Each partition becomes one task that profiles it (:func:`~driftline.profile.profile_frame`) and
returns a :class:`~driftline.profile.TableProfile`, which Dask moves between processes through
its own bytes (``TableProfile.__reduce__`` → :meth:`~driftline.profile.TableProfile.to_bytes`;
the sketches themselves cannot be pickled). Tasks of at most :data:`SPLIT_EVERY` profiles merge
them, level by level, until one is left. Dask is imported on first use.
"""

from __future__ import annotations

import contextlib
import glob
import os
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from driftline.drift._engine import is_dask_frame, is_path, parquet_source
from driftline.drift._frames import columns_of
from driftline.drift._schema import infer_kind
from driftline.errors import DataError, ParameterError, SchemaError, require
from driftline.profile._build import _parse_kinds, _select, check_reference, profile_frame
from driftline.profile._categorical import DEFAULT_MAX_CATEGORIES, check_max_categories
from driftline.profile._numeric import DEFAULT_K, check_k
from driftline.profile._table import TableProfile

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["SPLIT_EVERY", "profile_dask", "to_dask_frame"]

#: most profiles merged by one task of the reduction tree
SPLIT_EVERY = 8
_FEATURE = "Profiling Dask dataframes and Parquet datasets"


def profile_dask(
    data: Any,
    *,
    reference: TableProfile | None = None,
    kinds: Mapping[str, str] | None = None,
    client: Any = None,
    columns: Iterable[str] | None = None,
    k: int = DEFAULT_K,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
) -> TableProfile:
    """Profile a Dask DataFrame or a Parquet dataset partition by partition, on Dask.

    Every partition is profiled on the worker that holds (or reads) it, and the profiles are
    merged in a tree of small tasks: only profiles, never rows, reach the client.

    Parameters
    ----------
    data : a Dask DataFrame; or the path of Parquet data, read with
        ``dask.dataframe.read_parquet`` (a ``.parquet`` file, a folder of them, a glob such
        as ``"data/2026-*.parquet"`` or a remote URL); or a table in memory (pandas, polars,
        pyarrow, a dict of arrays), which is profiled here with
        :func:`~driftline.profile.profile_frame`.
    reference : the reference's profile. Each partition is profiled against it, so the
        result aligns and compares with it (this is how a window is profiled). Without it,
        ``data`` *is* the reference, and is profiled in two passes (see Notes).
    kinds : column → kind (``numerical``, ``categorical``, ``binary``) when building a
        reference; the other columns' kinds are inferred from the first non-empty partition,
        as :func:`driftline.compare` infers them. Not allowed with ``reference``.
    client : a ``dask.distributed.Client`` to compute on; by default Dask's current
        scheduler (the client created last, or the local threads).
    columns : profile only these columns (default: all). Not allowed with ``reference``,
        which fixes the columns. Parquet reads only the columns profiled.
    k, max_categories : as in :func:`~driftline.profile.profile_frame`.

    Returns
    -------
    TableProfile

    Notes
    -----
    A reference spread over partitions cannot have its histogram edges cut at its exact
    quantiles without all its values in one place. It takes two passes, as ``docs/profiles.md``
    describes: a draft without histograms (counts, extremes, sketches, label tables), then
    every partition again against the draft, whose sketch quantiles give the edges. The
    histogram methods are then exact on those bins, which lie within the sketch's rank error
    of the exact path's. A frame with a single partition is profiled in one pass with the
    exact edges. In every case the exact parts (counts, missing values, extremes, label
    tables, histograms on the edges used) equal :func:`~driftline.profile.profile_frame`'s
    on the whole table, and the sketches lie within their error bounds.

    Examples
    --------
    >>> import dask, dask.dataframe as dd, numpy as np, pandas as pd
    >>> from driftline.profile import compare_profiles, profile_dask
    >>> rng = np.random.default_rng(0)
    >>> ref = dd.from_pandas(pd.DataFrame({"x": rng.normal(size=20_000),
    ...                                    "c": rng.choice(["a", "b", "c"], 20_000)}),
    ...                      npartitions=4)
    >>> cur = dd.from_pandas(pd.DataFrame({"x": rng.normal(0.3, 1, size=8_000),
    ...                                    "c": rng.choice(["a", "b", "c"], 8_000)}),
    ...                      npartitions=3)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     ref_profile = profile_dask(ref)
    ...     window = profile_dask(cur, reference=ref_profile)
    >>> ref_profile.n_rows, window.n_rows, ref_profile.kinds
    (20000, 8000, {'x': 'numerical', 'c': 'categorical'})
    >>> compare_profiles(ref_profile, window).drifted_columns
    ('x',)
    """
    k = check_k(k)
    max_categories = check_max_categories(max_categories)
    if reference is not None:
        check_reference(reference, kinds, columns)
    if is_path(data):
        data = to_dask_frame(data, "data")
    elif not is_dask_frame(data):
        if reference is not None:
            return profile_frame(data, reference=reference, k=k, max_categories=max_categories)
        return profile_frame(data, kinds=kinds, columns=columns, k=k,
                             max_categories=max_categories)
    frame = _check_frame(data)
    if reference is not None:
        parts = _project(frame, list(reference.columns), "is in the reference profile but not "
                                                         "in the data").to_delayed()
        return _compute(client, _merged(_map(parts, reference=reference, k=k,
                                             max_categories=max_categories)))
    return _reference(frame, kinds, columns, client, k, max_categories)


def to_dask_frame(path: str | os.PathLike[str], side: str = "data") -> Any:
    """A lazy Dask DataFrame over Parquet data (``dask.dataframe.read_parquet``); reading the
    file footers is all it does now.

    Examples
    --------
    >>> import os, tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for i in range(3):
    ...         pd.DataFrame({"x": [float(i)] * 10}).to_parquet(os.path.join(d, f"p{i}.parquet"))
    ...     frame = to_dask_frame(d)
    ...     frame.npartitions >= 1, list(frame.columns)
    (True, ['x'])
    """
    source = parquet_source(path, side)
    dd = require("dask.dataframe", extra="dask", feature=_FEATURE)
    # a local glob is expanded here: Dask's reader expands only some patterns ("*", not "?" or
    # "[0-4]") itself
    files: str | list[str] = (sorted(glob.glob(source)) if "://" not in source
                              and any(ch in source for ch in "*?[") else source)
    try:
        return dd.read_parquet(files)
    except (ValueError, OSError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"{side} {source!r} cannot be read as Parquet: {detail}") from None


# ------------------------------------------------------------------------ building the graph


def _check_frame(data: Any) -> Any:
    dd = require("dask.dataframe", extra="dask", feature=_FEATURE)
    if not isinstance(data, dd.DataFrame):
        raise ParameterError.invalid("data", type(data).__name__,
                                     "a Dask DataFrame, a Parquet path or a table in memory")
    if not data.columns.is_unique:
        raise DataError("data has duplicate column names.")
    return data


def _project(frame: Any, names: list[str], problem: str) -> Any:
    """``frame`` with only the columns ``names`` (lazy; Parquet then reads only those)."""
    lookup = {str(c): c for c in frame.columns}
    missing = [n for n in names if n not in lookup]
    if missing:
        raise SchemaError(f"column {missing[0]!r} {problem}"
                          + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "") + ".")
    return frame[[lookup[n] for n in names]]


def _map(parts: list[Any], **options: Any) -> list[Any]:
    """One ``profile_frame`` task per partition; a profile given in ``options`` enters the
    graph once, as one key every task depends on."""
    from dask import delayed

    shared = {name: delayed(value, pure=False, traverse=False)
              if isinstance(value, TableProfile) else value for name, value in options.items()}
    return [delayed(_profile_partition, pure=False)(part, **shared) for part in parts]


def _profile_partition(frame: Any, **options: Any) -> TableProfile:
    """``profile_frame`` of one partition, on a worker; then the Arrow memory pool gives back
    what reading the partition left unused (a Parquet read keeps about twice the partition's
    size in decoding buffers, which would stay in the worker's resident memory)."""
    try:
        return profile_frame(frame, **options)
    finally:
        arrow = sys.modules.get("pyarrow")
        if arrow is not None:
            with contextlib.suppress(Exception):
                arrow.default_memory_pool().release_unused()


def _merged(profiles: list[Any]) -> Any:
    """Merge the partitions' profiles in a tree: each task merges at most ``SPLIT_EVERY``."""
    from dask import delayed

    merge = delayed(_merge_profiles, pure=False)
    while len(profiles) > 1:
        profiles = [merge(*profiles[i:i + SPLIT_EVERY])
                    for i in range(0, len(profiles), SPLIT_EVERY)]
    return profiles[0]


def _merge_profiles(*profiles: TableProfile) -> TableProfile:
    return TableProfile.merge_all(profiles)


def _compute(client: Any, graph: Any) -> Any:
    if client is None:
        return graph.compute()
    if not hasattr(client, "compute"):
        raise ParameterError.invalid("client", type(client).__name__,
                                     "a dask.distributed.Client or None")
    return client.compute(graph).result()


# ------------------------------------------------------------------------ a reference


def _reference(frame: Any, kinds: Mapping[str, str] | None, columns: Iterable[str] | None,
               client: Any, k: int, max_categories: int) -> TableProfile:
    """The reference's profile: one pass for one partition, else a draft and a second pass."""
    import pandas as pd

    names = _select(pd.DataFrame(columns=[str(c) for c in frame.columns]), columns)
    given = {c: v.value for c, v in _parse_kinds(kinds, names).items()}
    frame = _project(frame, names, "given in columns is not in the data")
    parts = frame.to_delayed()
    if len(parts) == 1:  # all the values in one place: the exact path's own edges
        return _compute(client, _map(parts, kinds=given or None, columns=names, k=k,
                                     max_categories=max_categories)[0])
    every = _infer_kinds(client, parts, names, given)
    draft = _compute(client, _merged(_map(parts, kinds=every, columns=names, bins=None,
                                          grid=None, k=k, max_categories=max_categories)))
    profiled = _project(frame, list(draft.columns), "is missing").to_delayed()
    return _compute(client, _merged(_map(profiled, reference=draft, k=k,
                                         max_categories=max_categories)))


def _infer_kinds(client: Any, parts: list[Any], names: list[str],
                 given: dict[str, str]) -> dict[str, str]:
    """Every column's kind: ``given``, else inferred on the first non-empty partition (on a
    worker: only the kinds come back)."""
    if all(n in given for n in names):
        return {n: given[n] for n in names}
    from dask import delayed

    infer = delayed(_partition_kinds, pure=False)
    for part in parts:
        found = _compute(client, infer(part, names, given))
        if found is not None:
            return found
    raise DataError("data has no rows: every partition is empty, so no column's kind can be "
                    "inferred and there is nothing to profile.")


def _partition_kinds(frame: pd.DataFrame, names: list[str],
                     given: dict[str, str]) -> dict[str, str] | None:
    """The kind of each column of one partition (``None`` when it is empty)."""
    if len(frame) == 0:
        return None
    todo = [n for n in names if n not in given]
    cols = columns_of(frame, todo)
    inferred = {n: infer_kind(cols[n]).value for n in todo}
    return {n: given[n] if n in given else inferred[n] for n in names}
