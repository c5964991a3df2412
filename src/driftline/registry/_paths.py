"""Artifact paths that can never leave the artifact root, and artifact checksums."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from driftline.errors import ParameterError

__all__ = ["safe_artifact_path", "sha256_file"]

_CHUNK = 1 << 20


def safe_artifact_path(root: str | Path, relative: str) -> Path:
    """Resolve ``relative`` under ``root``, refusing anything that could escape it.

    Refused: empty names, absolute paths (POSIX or Windows drive), ``..`` segments (also when
    percent-encoded, once or twice), backslashes, NUL bytes, and symlinks anywhere on the way
    that resolve outside ``root``.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> safe_artifact_path(root, "credit/v1/model.skops").name
    'model.skops'
    >>> safe_artifact_path(root, "../etc/passwd")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: artifact path must be a relative path ...; got '../etc/passwd'.
    """
    decoded = relative
    for _ in range(3):  # undo nested percent-encoding such as %252e%252e
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    bad = (
        not decoded or "\x00" in decoded or "\\" in decoded or decoded.startswith("/")
        or (len(decoded) > 1 and decoded[1] == ":")
        or any(part in ("..", "") for part in PurePosixPath(decoded).parts if part != "/")
        or ".." in decoded.split("/")
    )
    if bad:
        raise ParameterError.invalid("artifact path", relative,
                                     "a relative path that stays inside the artifact root")
    base = Path(root).resolve()
    target = (base / decoded).resolve()
    if target != base and base not in target.parents:
        raise ParameterError.invalid("artifact path", relative,
                                     "a relative path that stays inside the artifact root",
                                     "(a symlink on the way points outside it)")
    return target


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file, hex-encoded, read in 1 MiB chunks.

    Examples
    --------
    >>> import tempfile, os
    >>> fd, name = tempfile.mkstemp(); os.write(fd, b"abc"); os.close(fd)
    3
    >>> sha256_file(name)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
