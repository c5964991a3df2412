"""Model artifacts: one handler per model family, checksummed, loaded only from safe formats.

* scikit-learn estimators are saved with skops, and loaded only when every type in the file is
  trusted by skops or listed in the project's ``artifacts.trusted_types``;
* anything else (river included) is saved with pickle, and only when the project opts in with
  ``artifacts.allow_pickle``; a pickle is loaded only if its SHA-256 matches the one recorded
  at registration.

Every artifact records its format, SHA-256 and the versions of the libraries that wrote it.
Loading verifies the checksum, and refuses a file written under a different major version of
its library (a minor-version difference only warns).
"""

from __future__ import annotations

import importlib.metadata
import pickle
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.errors import DataError, DriftlineWarning, ParameterError, require
from driftline.registry._paths import safe_artifact_path, sha256_file

__all__ = ["ArtifactRecord", "load_artifact", "save_artifact"]


@dataclass(frozen=True)
class ArtifactRecord:
    """Where an artifact is (relative to the artifact root) and how to trust it.

    Examples
    --------
    >>> ArtifactRecord("credit/v1/model.skops", "skops", "ab" * 32, {"scikit-learn": "1.9.1"}).format
    'skops'
    """

    path: str
    format: str
    sha256: str
    libraries: dict[str, str] = field(default_factory=dict)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _is_sklearn(model: Any) -> bool:
    return type(model).__module__.split(".")[0] == "sklearn" or any(
        c.__module__.split(".")[0] == "sklearn" for c in type(model).__mro__[1:])


def save_artifact(model: Any, root: str | Path, relative_dir: str, *,
                  allow_pickle: bool = False) -> ArtifactRecord:
    """Save ``model`` under ``root/relative_dir`` in the safest format for its family.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> m = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    >>> rec = save_artifact(m, tempfile.mkdtemp(), "credit/v1")
    >>> rec.format, rec.path, len(rec.sha256)
    ('skops', 'credit/v1/model.skops', 64)
    """
    if _is_sklearn(model):
        sio = require("skops.io", extra="serve", feature="Saving scikit-learn models")
        rel = f"{relative_dir}/model.skops"
        target = safe_artifact_path(root, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        sio.dump(model, target)
        libs = {"scikit-learn": _version("scikit-learn") or "", "skops": _version("skops") or ""}
        return ArtifactRecord(rel, "skops", sha256_file(target), libs)
    if not allow_pickle:
        raise ParameterError(
            f"a {type(model).__module__}.{type(model).__name__} model can only be stored with "
            "pickle, which the project does not allow; set artifacts.allow_pickle: true in the "
            "project file to opt in (pickles are loaded only with a matching checksum).")
    rel = f"{relative_dir}/model.pkl"
    target = safe_artifact_path(root, rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    top = type(model).__module__.split(".")[0]
    libs = {top: _version(top) or ""} if top != "builtins" else {}
    return ArtifactRecord(rel, "pickle", sha256_file(target), libs)


def _check_libraries(record: ArtifactRecord) -> None:
    for dist, wrote in record.libraries.items():
        have = _version(dist)
        if not wrote or have is None or have == wrote:
            continue
        if have.split(".")[0] != wrote.split(".")[0]:
            raise DataError(f"artifact {record.path!r} was written with {dist} {wrote}; "
                            f"{have} is installed (another major version). Install {dist}=="
                            f"{wrote} or retrain.")
        warnings.warn(f"artifact {record.path!r} was written with {dist} {wrote}; {have} is "
                      "installed.", DriftlineWarning, stacklevel=3)


def load_artifact(record: ArtifactRecord, root: str | Path, *, allow_pickle: bool = False,
                  trusted_types: Sequence[str] = ()) -> Any:
    """Load an artifact after checking its path, its checksum and its libraries' versions.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> root = tempfile.mkdtemp()
    >>> rec = save_artifact(LogisticRegression().fit(np.eye(4), [0, 1, 0, 1]), root, "m/v1")
    >>> type(load_artifact(rec, root)).__name__
    'LogisticRegression'
    """
    path = safe_artifact_path(root, record.path)
    if not path.is_file():
        raise DataError(f"artifact {record.path!r} is missing from the artifact root.")
    actual = sha256_file(path)
    if actual != record.sha256:
        raise DataError(f"artifact {record.path!r} does not match its recorded SHA-256 "
                        f"(recorded {record.sha256[:12]}…, found {actual[:12]}…); it was changed "
                        "after registration and will not be loaded.")
    _check_libraries(record)
    if record.format == "skops":
        sio = require("skops.io", extra="serve", feature="Loading scikit-learn models")
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in trusted_types]
        if untrusted:
            raise DataError(f"artifact {record.path!r} contains types that are not trusted: "
                            f"{', '.join(untrusted)}; add them to artifacts.trusted_types if "
                            "you trust them.")
        return sio.load(path, trusted=list(trusted_types) or None)
    if record.format == "pickle":
        if not allow_pickle:
            raise ParameterError(f"artifact {record.path!r} is a pickle and the project does "
                                 "not allow pickles; set artifacts.allow_pickle: true to load it.")
        with open(path, "rb") as fh:
            return pickle.load(fh)
    raise ParameterError.choice("artifact format", record.format, ("skops", "pickle"))
