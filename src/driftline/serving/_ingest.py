"""Logging predictions of a model served elsewhere.

``POST /v1/models/{name}/log``, ``dl.log_predictions(df)`` and ``driftline ingest FILE`` all
come here, so they write the same log under the same rules: features checked against the
champion's inputs (when there is a champion), finite numbers, PII protected, ids idempotent
(a replay is skipped, the same id with another payload is a conflict).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.serving._oip import RequestError
from driftline.serving._validate import check_frame

if TYPE_CHECKING:
    import pandas as pd

    from driftline.config import Project
    from driftline.registry import Registry
    from driftline.store import LogResult

__all__ = ["log_frame", "log_predictions", "records_to_frame"]


def records_to_frame(records: Any, max_rows: int,
                     features: list[str] | None = None) -> pd.DataFrame:
    """The ``/log`` body's records → one flat frame (features, prediction, score_<label>,
    id, timestamp, model_version). With ``features``, every record must carry exactly those.

    Examples
    --------
    >>> records_to_frame([{"id": "a", "features": {"x": 1.0}, "prediction": 1,
    ...                    "scores": {"0": 0.2, "1": 0.8}}], 10).columns.tolist()
    ['x', 'prediction', 'score_0', 'score_1', 'id']
    """
    import pandas as pd

    from driftline.serving._validate import row_count

    row_count(records, "records", max_rows)
    rows = []
    for i, rec in enumerate(records):
        where = f"records[{i}]"
        if not isinstance(rec, dict):
            raise RequestError(422, f"{where} must be an object.", field=where)
        unknown = set(rec) - {"id", "timestamp", "features", "prediction", "scores",
                              "model_version"}
        if unknown:
            raise RequestError(422, f"{where} has the unknown field {sorted(unknown)[0]!r}; "
                                    "allowed: id, timestamp, features, prediction, scores, "
                                    "model_version.", field=f"{where}.{sorted(unknown)[0]}")
        feats = rec.get("features")
        if not isinstance(feats, dict) or not feats:
            raise RequestError(422, f"{where}.features must be a non-empty object.",
                               field=f"{where}.features")
        if features is not None and feats.keys() != set(features):
            from driftline.serving._validate import _key_error

            _key_error(feats, features, f"{where}.features")
        if rec.get("prediction") is None or isinstance(rec["prediction"], (dict, list)):
            raise RequestError(422, f"{where}.prediction must be a number, string or boolean.",
                               field=f"{where}.prediction")
        scores = {} if rec.get("scores") is None else rec["scores"]
        if not isinstance(scores, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
                for v in scores.values()):
            raise RequestError(422, f"{where}.scores must map labels to finite numbers.",
                               field=f"{where}.scores")
        row = {**feats, "prediction": rec["prediction"],
               **{f"score_{k}": v for k, v in scores.items()}}
        rid, when = rec.get("id"), rec.get("timestamp")
        if rid is not None and not (isinstance(rid, str) and 0 < len(rid) <= 128):
            raise RequestError(422, f"{where}.id must be a string of 1-128 characters.",
                               field=f"{where}.id")
        if when is not None and not isinstance(when, str):
            raise RequestError(422, f"{where}.timestamp must be an ISO 8601 string.",
                               field=f"{where}.timestamp")
        mv = rec.get("model_version")
        integral = isinstance(mv, int) or (isinstance(mv, float) and mv.is_integer())
        if mv is not None and (isinstance(mv, bool) or not integral or not 0 <= mv < 2**31):
            raise RequestError(422, f"{where}.model_version must be a non-negative integer.",
                               field=f"{where}.model_version")
        for key in ("id", "timestamp", "model_version"):
            if rec.get(key) is not None:
                row[key] = rec[key]
        rows.append(row)
    if len({_json_kind(r["prediction"]) for r in rows}) > 1:  # mixed types: keep them as text
        for r in rows:
            r["prediction"] = json.dumps(r["prediction"]) if not isinstance(
                r["prediction"], str) else r["prediction"]
    return pd.DataFrame(rows)


def _json_kind(v: Any) -> str:
    return ("boolean" if isinstance(v, bool) else "number" if isinstance(v, (int, float))
            else "string" if isinstance(v, str) else "null")


def log_frame(registry: Registry, name: str, frame: pd.DataFrame, *,
              pii: Mapping[str, str] | None = None, salt: bytes = b"",
              version: int | None = None, id_column: str = "id",
              timestamp_column: str = "timestamp") -> LogResult:
    """Log rows predicted elsewhere: features, ``prediction``, optional ``score_<label>``
    columns, and optional id, timestamp and ``model_version`` columns.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from driftline.registry import Registry
    >>> from driftline.store import Store
    >>> reg = Registry(Store.open("sqlite://"), tempfile.mkdtemp())
    >>> _ = reg.store.add_model("m", "binary")
    >>> df = pd.DataFrame({"x": [1.0, 2.0], "prediction": [0, 1], "id": ["a", "b"]})
    >>> log_frame(reg, "m", df).n_written, log_frame(reg, "m", df).replayed
    (2, ('a', 'b'))
    """
    import pandas as pd

    if "prediction" not in frame.columns:
        raise RequestError(422, "the rows need a 'prediction' column.", field="prediction")
    frame = frame.reset_index(drop=True)
    ids = None
    if id_column in frame.columns:  # rows without an id get a generated one
        raw = frame[id_column]
        ids = [uuid.uuid4().hex if _missing(v) else str(v) for v in raw]
        if len(set(ids)) != len(ids):
            raise RequestError(422, f"column {id_column!r} repeats an id.", field=id_column)
    ts = None
    if timestamp_column in frame.columns:  # rows without a time are logged as of now
        try:
            ts = pd.to_datetime(frame[timestamp_column], utc=True, format="ISO8601")
        except (ValueError, TypeError, OverflowError):
            raise RequestError(422, f"column {timestamp_column!r} holds a value that is not "
                                    "an ISO 8601 time within 1677-2262.",
                               field=timestamp_column) from None
        given = frame[timestamp_column].notna().to_numpy()
        if (ts.isna().to_numpy() & given).any():
            raise RequestError(422, f"column {timestamp_column!r} holds a value that is not an "
                                    "ISO 8601 time.", field=timestamp_column)
        ts = ts.fillna(pd.Timestamp.now(tz="UTC"))
    if version is None and "model_version" in frame.columns:
        values = [v for v in frame["model_version"] if not _missing(v)]
        if any(isinstance(v, bool) or not isinstance(v, (int, np.integer, float))
               or v != int(v) or not 0 <= v < 2**31 for v in values):
            raise RequestError(422, "model_version must be a non-negative integer.",
                               field="model_version")
        if len(set(values)) > 1:  # one log call per version, in order
            return _per_version(registry, name, frame, pii=pii, salt=salt, ids=ids, ts=ts,
                                id_column=id_column, timestamp_column=timestamp_column)
        version = int(values[0]) if values else None
    champion = registry.champion(name)
    if version is None:
        version = 0 if champion is None else champion.version
    scores = [c for c in frame.columns if str(c).startswith("score_")]
    meta = {id_column, timestamp_column, "model_version", "prediction", *scores}
    features = frame[[c for c in frame.columns if c not in meta]]
    if champion is not None and champion.inputs:
        features = check_frame(features, champion.inputs, allow_null=True)
    else:
        _check_finite(features)
    if not features.shape[1]:
        raise RequestError(422, "the rows have no feature columns.", field="features")
    _check_finite(frame[scores])
    if pii:
        from driftline.store._privacy import protect

        features = protect(features, pii, salt)
    return registry.store.log_predictions(
        name, features, predictions=frame["prediction"].to_numpy(), version=version, ids=ids,
        timestamps=None if ts is None else list(ts),
        scores=frame[scores].rename(columns=lambda c: str(c)[len("score_"):]) if scores else None,
        source="ingested")


def _per_version(registry: Registry, name: str, frame: pd.DataFrame, *, ids: list[str] | None,
                 ts: Any, **kw: Any) -> LogResult:
    from driftline.store import LogResult

    frame = frame.assign(**{kw["id_column"]: ids or [uuid.uuid4().hex for _ in range(len(frame))]})
    if ts is not None:
        frame[kw["timestamp_column"]] = ts
    champion = registry.champion(name)
    default = 0 if champion is None else champion.version
    key = frame["model_version"].map(lambda v: default if _missing(v) else int(v))
    parts = [log_frame(registry, name, part.drop(columns=["model_version"]), version=int(v), **kw)
             for v, part in frame.groupby(key, sort=True)]
    replayed = {i for p in parts for i in p.replayed}
    out_ids = [str(i) for i in frame[kw["id_column"]]]
    return LogResult(tuple(out_ids), tuple(i for i in out_ids if i in replayed),
                     sum(p.n_written for p in parts))


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _check_finite(frame: pd.DataFrame) -> None:
    for c in frame.columns:
        col = frame[c].to_numpy()
        if col.dtype.kind == "f" and np.isinf(col).any():
            raise RequestError(422, f"column {c!r} holds an infinite number.", field=str(c))


def log_predictions(frame: pd.DataFrame, project: Project | str | Path = "driftline.yaml", *,
                    version: int | None = None) -> LogResult:
    """Log predictions of a model served elsewhere (``dl.log_predictions``).

    ``frame`` holds the features, a ``prediction`` column, optional ``score_<label>`` columns,
    and optional ``id``, ``timestamp`` and ``model_version`` columns (the id and timestamp
    columns are the ones ``model.schema`` names, when it does; its ``ignore`` columns are not
    logged). A column named like the project's target is recorded as the rows' labels.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "ref.csv").write_text("x,y\\n1,0\\n")
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> df = pd.DataFrame({"x": [0.5], "prediction": [1], "id": ["r1"]})
    >>> log_predictions(df, d / "driftline.yaml").ids
    ('r1',)
    """
    from driftline.config import Project as _Project
    from driftline.config import load_project
    from driftline.retrain import open_registry

    proj = project if isinstance(project, _Project) else load_project(project, check_files=False)
    cfg = proj.config
    registry = open_registry(proj)
    registry.store.add_model(cfg.model.name, cfg.model.task)
    from driftline.store._privacy import salt_from_env

    pii = dict(cfg.privacy.pii_columns)
    salt = salt_from_env(cfg.privacy.hash_salt_env) if "hash" in pii.values() else b""
    target, schema = cfg.model.target, cfg.model.schema_
    labels = frame[target] if target in frame.columns else None
    result = log_frame(registry, cfg.model.name,
                       frame.drop(columns=[target, *schema.ignore], errors="ignore"),
                       pii=pii, salt=salt, version=version, id_column=schema.id or "id",
                       timestamp_column=schema.timestamp or "timestamp")
    if labels is not None:  # rows that already carry their label: record it as feedback
        known = labels.notna().to_numpy()
        if known.any():
            registry.store.add_feedback(cfg.model.name, list(np.asarray(result.ids)[known]),
                                        list(labels[known]))
    return result

