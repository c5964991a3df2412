"""Read tables from files: CSV, TSV and Parquet, chosen by the file's extension (the CLI, the
project file's reference data and `driftline ingest` all read through here)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from driftline.errors import DataError, require

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["FORMATS", "check_no_empty_columns", "read_table"]

#: extension -> format; a compression suffix such as ``.gz`` may follow a text format.
FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSION = (".gz", ".bz2", ".xz", ".zst", ".zip")


def table_format(path: Path) -> str:
    """The format of ``path`` from its extension.

    Examples
    --------
    >>> table_format(Path("data/ref.csv.gz")), table_format(Path("cur.pq"))
    ('csv', 'parquet')
    """
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) > 1 and suffixes[-1] in _COMPRESSION:
        suffixes.pop()
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise DataError(f"cannot tell the format of {str(path)!r} from its extension; "
                        f"expected one of {', '.join(FORMATS)}.")
    return fmt


def read_table(path: str | Path, role: str = "input") -> pd.DataFrame:
    """Read one table; ``role`` (``reference``, ``current``) names it in error messages.

    Raises
    ------
    DataError
        The file is missing, empty, unreadable or has no rows.
    MissingDependencyError
        A Parquet file and no pyarrow (``pip install 'driftline[io]'``).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "ref.csv")
    ...     _ = open(p, "w").write("x,y\\n1,a\\n2,b\\n")
    ...     read_table(p).shape
    (2, 2)
    """
    path = Path(path)
    fmt = table_format(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise DataError(f"{role} file {str(path)!r} {what}.")
    import pandas as pd

    try:
        if fmt == "parquet":
            require("pyarrow", extra="io", feature="Reading Parquet files")
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if fmt == "tsv" else ",")
    except pd.errors.EmptyDataError:
        raise DataError(f"{role} file {str(path)!r} is empty (no header, no rows).") from None
    except (ValueError, OSError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"{role} file {str(path)!r} cannot be read as {fmt}: {detail}") from None
    if len(frame) == 0:
        raise DataError(f"{role} file {str(path)!r} has a header but no rows.")
    return frame


def check_no_empty_columns(frame: pd.DataFrame, role: str,
                           columns: Iterable[str] | None = None) -> None:
    """Refuse a column with no values at all: nothing can be compared on it.

    The library reports such a column as untested, with a failing ``missing_share`` check;
    on the command line it is an input error, so a pipeline does not pass on a column that
    silently went empty.

    Examples
    --------
    >>> import pandas as pd
    >>> check_no_empty_columns(pd.DataFrame({"a": [1.0, None]}), "current")
    >>> check_no_empty_columns(pd.DataFrame({"a": [None, None]}), "current")
    Traceback (most recent call last):
    ...
    driftline.errors.DataError: column 'a' has no values in the current data (all missing).
    """
    names = list(frame.columns) if columns is None else [c for c in columns if c in frame]
    empty = [str(c) for c in names if frame[c].isna().all()]
    if empty:
        listed = ", ".join(repr(c) for c in empty)
        noun = "column" if len(empty) == 1 else "columns"
        raise DataError(f"{noun} {listed} {'has' if len(empty) == 1 else 'have'} no values in "
                        f"the {role} data (all missing).")
