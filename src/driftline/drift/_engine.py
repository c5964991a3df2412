"""Where :func:`driftline.compare` runs: in memory (the exact path, every value of both tables)
or through mergeable profiles, partition by partition, on Dask.

``engine="auto"`` (the default) profiles on Dask when either table is a Dask DataFrame and
reads everything else into memory. ``engine="dask"`` also sends pandas frames and Parquet paths
(a file, a folder of files, a glob) through the profiles; ``engine="memory"`` reads paths
(CSV, TSV, Parquet) and computes Dask frames into pandas first. Dask itself is imported only
when a Dask frame or path is profiled.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.errors import DataError, ParameterError, require

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from driftline.drift._schema import Schema
    from driftline.profile import ProfileReport

__all__ = ["ENGINES", "compare_profiled", "in_memory", "is_dask_frame", "is_path",
           "parquet_source", "resolve_engine"]

#: the values of ``compare(engine=...)``
ENGINES = ("auto", "memory", "dask")
_GLOB = ("*", "?", "[")


def is_dask_frame(data: Any) -> bool:
    """Whether ``data`` is a Dask collection (told by its type's module; Dask is not imported).

    Examples
    --------
    >>> is_dask_frame({"x": [1.0]}), is_dask_frame("data/*.parquet")
    (False, False)
    """
    return type(data).__module__.split(".")[0] in ("dask", "dask_expr")


def is_path(data: Any) -> bool:
    """Whether ``data`` names a file, a folder or a glob (a ``str`` or a path object).

    Examples
    --------
    >>> from pathlib import Path
    >>> is_path("ref.parquet"), is_path(Path("data")), is_path({"x": [1]})
    (True, True, False)
    """
    return isinstance(data, (str, os.PathLike))


def resolve_engine(engine: str, reference: Any, current: Any) -> str:
    """``"memory"`` or ``"dask"``: where a comparison of these two inputs runs.

    Examples
    --------
    >>> resolve_engine("auto", {"x": [1.0]}, "cur.parquet")
    'memory'
    >>> resolve_engine("dask", {"x": [1.0]}, "cur.parquet")
    'dask'
    >>> resolve_engine("spark", {}, {})
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: engine must be one of 'auto', 'memory', 'dask'; got 'spark'.
    """
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ParameterError.choice("engine", engine, ENGINES)
    if engine == "auto":
        return "dask" if is_dask_frame(reference) or is_dask_frame(current) else "memory"
    return engine


def parquet_source(path: str | os.PathLike[str], side: str = "data") -> str:
    """Check that ``path`` names Parquet data Dask can read, and return it as a string.

    Accepted: a ``.parquet`` (or ``.pq``) file, a folder holding such files (Hive-partitioned
    folders included), a glob such as ``"data/part-*.parquet"``, or a remote URL
    (``s3://...``, read through fsspec and not checked here).

    Examples
    --------
    >>> parquet_source("no/such/folder", "current")
    Traceback (most recent call last):
    ...
    driftline.errors.DataError: current path 'no/such/folder' does not exist.
    """
    text = os.fspath(path)
    if "://" in text:
        return text
    if any(ch in text for ch in _GLOB):
        if not glob.glob(text):
            raise DataError(f"{side} pattern {text!r} matches no files.")
        return text
    folder = Path(text)
    if folder.is_dir():
        if next(_parquet_files_under(folder), None) is None:
            raise DataError(f"{side} folder {text!r} holds no .parquet or .pq files.")
        return text
    if folder.is_file():
        from driftline.drift._io import table_format

        if table_format(folder) != "parquet":
            raise ParameterError.invalid(
                side, text, "a Parquet file (.parquet, .pq), a folder of them or a glob",
                "Profiles on Dask read Parquet; pass engine='memory' to read a CSV file into "
                "memory, or read it with dask.dataframe.read_csv yourself.")
        return text
    raise DataError(f"{side} path {text!r} does not exist.")


def _parquet_files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.suffix.lower() in (".parquet", ".pq") and p.is_file())


def in_memory(data: Any, side: str) -> Any:
    """``data`` ready for the exact path: a path read into pandas, a Dask frame computed;
    anything else unchanged.

    A CSV, TSV or Parquet file is read by :func:`driftline.drift._io.read_table` (as the CLI
    reads it); a folder of Parquet files or a glob is read whole.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "ref.csv")
    ...     _ = open(p, "w").write("x,y\\n1,a\\n2,b\\n")
    ...     in_memory(p, "reference").shape
    (2, 2)
    """
    if is_dask_frame(data):
        return data.compute()
    if not is_path(data):
        return data
    text = os.fspath(data)
    if "://" not in text and not any(ch in text for ch in _GLOB) and not Path(text).is_dir():
        from driftline.drift._io import read_table

        return read_table(text, side)
    return _read_parquet_whole(parquet_source(text, side), side)


def _read_parquet_whole(source: str, side: str) -> pd.DataFrame:
    require("pyarrow", extra="io", feature="Reading Parquet files")
    import pandas as pd

    try:
        if any(ch in source for ch in _GLOB) and "://" not in source:
            files = sorted(glob.glob(source))
            frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        else:
            frame = pd.read_parquet(source)
    except (ValueError, OSError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"{side} {source!r} cannot be read as Parquet: {detail}") from None
    if len(frame) == 0:
        raise DataError(f"{side} {source!r} has no rows.")
    return frame


# ------------------------------------------------------------------------ the profile path

def compare_profiled(
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
    quality: Any = None,
    now: Any = None,
    progress: Any = None,
    n_jobs: int | None = None,
    multivariate: Iterable[str] = (),
) -> ProfileReport:
    """The body of ``compare(..., engine="dask")``: profile the reference, profile the current
    data against it, and compare the profiles.

    A reference held in memory is profiled in one pass (its histogram edges are the exact
    path's); a Dask frame or Parquet path is profiled on Dask in two passes
    (:func:`driftline.profile.profile_dask`). The target, prediction and score columns are
    profiled like the features; the id and timestamp columns of ``schema`` and its ignored
    columns are left out.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = {"x": rng.normal(size=4000), "c": rng.choice(["a", "b", "c"], 4000)}
    >>> cur = {"x": rng.normal(0.5, 1, size=4000), "c": rng.choice(["a", "b", "c"], 4000)}
    >>> compare_profiled(ref, cur).drifted_columns
    ('x',)
    """
    from driftline.drift._reference import Reference
    from driftline.profile import compare_profiles
    from driftline.profile._dask import profile_dask, to_dask_frame

    given = {"quality": quality, "now": now, "progress": progress, "n_jobs": n_jobs}
    for name, value in given.items():
        if value is None:
            continue
        raise ParameterError.invalid(
            name, value, "None with engine='dask'",
            "Profiles carry no data-quality checks, progress or column threads: pass "
            "engine='memory' for them.")
    if tuple(multivariate):
        raise ParameterError.invalid(
            "multivariate", tuple(multivariate), "() with engine='dask'",
            "Whole-row tests need the rows; pass engine='memory' for them.")
    if isinstance(reference, Reference):
        raise ParameterError.invalid(
            "reference", "a fitted Reference", "a table, a Dask DataFrame or a Parquet path with "
            "engine='dask'", "A fitted Reference keeps sorted values in memory; pass the table.")
    ref = to_dask_frame(reference, "reference") if is_path(reference) else reference
    cur = to_dask_frame(current, "current") if is_path(current) else current
    names, kinds = _selection(ref, schema, columns, target, prediction, prediction_scores)
    ref_profile = profile_dask(ref, kinds=kinds or None, columns=names)
    cur_profile = profile_dask(cur, reference=ref_profile)
    return compare_profiles(ref_profile, cur_profile, method=method, alpha=alpha,
                            correction=correction, effect_floor=effect_floor)


def _selection(ref: Any, schema: Schema | None, columns: Iterable[str] | None,
               target: str | None, prediction: str | None,
               prediction_scores: Mapping[Any, str] | None,
               ) -> tuple[list[str] | None, dict[str, str]]:
    """The columns to profile (``None``: all) and the kinds the schema fixes."""
    scores = dict(prediction_scores or (schema.prediction_scores if schema else {}) or {})
    target = target or (schema.target if schema else None)
    prediction = prediction or (schema.prediction if schema else None)
    roles = [c for c in (target, prediction, *scores.values()) if c]
    names: list[str] | None = None
    if columns is not None:
        wanted = [columns] if isinstance(columns, str) else [str(c) for c in columns]
        names = [*wanted, *(c for c in roles if c not in wanted)]
    drop = set()
    if schema is not None:
        drop = set(schema.ignore) | {c for c in (schema.id, schema.timestamp) if c}
    if drop:
        names = [c for c in (names if names is not None else _column_names(ref)) if c not in drop]
    kinds = {} if schema is None else {c: k.value for c, k in schema.kinds.items()}
    available = set(names) if names is not None else set(_column_names(ref))
    return names, {c: k for c, k in kinds.items() if c in available}


def _column_names(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [str(c) for c in data]
    if hasattr(data, "column_names"):  # a pyarrow Table
        return [str(c) for c in data.column_names]
    return [str(c) for c in data.columns]
