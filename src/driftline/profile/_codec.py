"""The byte format of a table profile: a JSON header, then the sketches' own bytes.

Layout (all integers little-endian)::

    b"DLPF"  version (1 byte)  header length (4 bytes)  header (UTF-8 JSON)  blobs

The header holds the exact scalars (counts, extremes, sums) and label tables as JSON. Arrays
(histogram edges and counts) and sketches are stored in the blob section, and the header gives
each one's offset and length (arrays also their dtype: little-endian float64 or int64). The
sketches are in DataSketches' own serial form (readable from Java and C++ as well). Nothing is
pickled, so reading a profile never runs code.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

from driftline.errors import DataError

__all__ = ["FORMAT_VERSION", "MAGIC", "decode", "encode"]

MAGIC = b"DLPF"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<4sBI")
_DTYPES = {"f": "<f8", "i": "<i8", "u": "<i8", "b": "<i8"}


def encode(n_rows: int, columns: Mapping[str, dict[str, Any]]) -> bytes:
    """Pack column states (as ``state()`` gives them) into bytes.

    Examples
    --------
    >>> blob = encode(3, {"x": {"kind": "numerical", "sketch": b"abc", "edges": np.array([0.5])}})
    >>> n_rows, cols = decode(blob)
    >>> blob[:4], n_rows, cols["x"]["sketch"], cols["x"]["edges"].tolist()
    (b'DLPF', 3, b'abc', [0.5])
    """
    blobs: list[bytes] = []
    offset = 0
    header_columns = []
    for name, state in columns.items():
        entry: dict[str, Any] = {"name": name}
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                raw = np.ascontiguousarray(value, dtype=_DTYPES[value.dtype.kind]).tobytes()
                entry[key] = {"array": _DTYPES[value.dtype.kind], "blob": [offset, len(raw)]}
            elif isinstance(value, (bytes, bytearray)):
                raw = bytes(value)
                entry[key] = {"bytes": [offset, len(raw)]}
            else:
                entry[key] = value
                continue
            blobs.append(raw)
            offset += len(raw)
        header_columns.append(entry)
    header = json.dumps({"n_rows": int(n_rows), "columns": header_columns},
                        separators=(",", ":"), allow_nan=False).encode("utf-8")
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)) + header + b"".join(blobs)


def decode(data: bytes) -> tuple[int, dict[str, dict[str, Any]]]:
    """Unpack :func:`encode`'s bytes into ``(n_rows, {name: state})``.

    Examples
    --------
    >>> decode(b"nope")
    Traceback (most recent call last):
    ...
    driftline.errors.DataError: data is not a driftline profile: it must start with b'DLPF' ...
    """
    data = bytes(data)
    if len(data) < _PREFIX.size or data[:4] != MAGIC:
        raise DataError(f"data is not a driftline profile: it must start with {MAGIC!r} (as "
                        f"TableProfile.to_bytes() writes it); got {data[:8]!r}.")
    _, version, size = _PREFIX.unpack_from(data)
    if version != FORMAT_VERSION:
        raise DataError(f"profile format version {version} is not supported; this driftline "
                        f"reads version {FORMAT_VERSION}. Rebuild the profile with this version.")
    start = _PREFIX.size
    try:
        header = json.loads(data[start:start + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"the profile's header is damaged ({exc}).") from None
    blobs = data[start + size:]
    columns: dict[str, dict[str, Any]] = {}
    for entry in header["columns"]:
        for key, value in entry.items():
            if isinstance(value, dict) and "array" in value:
                raw = _blob(blobs, value["blob"])
                entry[key] = np.frombuffer(raw, dtype=np.dtype(value["array"])).copy()
            elif isinstance(value, dict) and "bytes" in value:
                entry[key] = _blob(blobs, value["bytes"])
        columns[entry.pop("name")] = entry
    return int(header["n_rows"]), columns


def _blob(blobs: bytes, ref: list[int]) -> bytes:
    lo, length = int(ref[0]), int(ref[1])
    if lo < 0 or length < 0 or lo + length > len(blobs):
        raise DataError("the profile is truncated: a sketch or array lies past the end of the "
                        "data.")
    return blobs[lo:lo + length]

