"""Model artifacts: one handler per model family, checksummed, loaded only from safe formats.

* LightGBM models are saved in LightGBM's own text model file, XGBoost models in XGBoost's own
  UBJSON model file: trees and parameters, no code (see :mod:`driftline.registry._handlers`);
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

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.errors import DataError, DriftlineWarning, ParameterError
from driftline.registry._handlers import handler_for, handler_named, library_version
from driftline.registry._paths import safe_artifact_path, sha256_file

__all__ = ["ArtifactRecord", "load_artifact", "save_artifact"]


@dataclass(frozen=True)
class ArtifactRecord:
    """Where an artifact is (relative to the artifact root) and how to trust it.

    ``meta`` holds what a format needs besides the file, such as a LightGBM classifier's
    classes; it is JSON-ready.

    Examples
    --------
    >>> ArtifactRecord("credit/v1/model.skops", "skops", "ab" * 32, {"scikit-learn": "1.9.1"}).format
    'skops'
    """

    path: str
    format: str
    sha256: str
    libraries: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


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
    handler = handler_for(model)
    if handler.format == "pickle" and not allow_pickle:
        raise ParameterError(
            f"a {type(model).__module__}.{type(model).__name__} model can only be stored with "
            "pickle, which the project does not allow; set artifacts.allow_pickle: true in the "
            "project file to opt in (pickles are loaded only with a matching checksum).")
    rel = f"{relative_dir}/{handler.filename}"
    target = safe_artifact_path(root, rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    libraries, meta = handler.save(model, target)
    return ArtifactRecord(rel, handler.format, sha256_file(target), libraries, meta)


def _check_libraries(record: ArtifactRecord) -> None:
    for dist, wrote in record.libraries.items():
        have = library_version(dist)
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
    handler = handler_named(record.format)
    path = safe_artifact_path(root, record.path)
    if not path.is_file():
        raise DataError(f"artifact {record.path!r} is missing from the artifact root.")
    actual = sha256_file(path)
    if actual != record.sha256:
        raise DataError(f"artifact {record.path!r} does not match its recorded SHA-256 "
                        f"(recorded {record.sha256[:12]}…, found {actual[:12]}…); it was changed "
                        "after registration and will not be loaded.")
    _check_libraries(record)
    return handler.load(path, record, allow_pickle=allow_pickle, trusted_types=trusted_types)
