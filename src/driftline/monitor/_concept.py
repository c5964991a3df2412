"""Concept drift as feedback arrives: a streaming detector on the champion's labelled errors.

Each turn reads the labels that arrived since the last one, in arrival order, joins them to
their predictions, feeds the errors of the champion's predictions to the configured detector
of :mod:`driftline.streaming`, and saves the detector's JSON state, the position in the
feedback stream and the concept-drift events in one transaction, so a worker that dies and
restarts neither loses nor repeats anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ConfigError

if TYPE_CHECKING:
    from driftline.config import Project
    from driftline.config._streaming import ConceptDriftConfig
    from driftline.policy import ConceptDrift
    from driftline.registry import Registry

__all__ = ["STATE_NAME", "ConceptWatch", "concept_drifts", "watch_feedback"]

#: The name the watcher's state is saved under in the store.
STATE_NAME = "concept_drift"
_CHUNK = 5_000  # labels read and joined at a time


@dataclass(frozen=True)
class ConceptWatch:
    """What one turn of the concept-drift watcher did.

    Examples
    --------
    >>> ConceptWatch("m", 2, "ADWIN", n_read=40, n_fed=35, n_seen=1035, error_rate=0.2,
    ...              drifts=()).to_dict()["n_seen"]
    1035
    """

    model: str
    version: int
    detector: str
    n_read: int
    n_fed: int
    n_seen: int
    error_rate: float | None
    drifts: tuple[ConceptDrift, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"model": self.model, "version": self.version, "detector": self.detector,
                "n_read": self.n_read, "n_fed": self.n_fed, "n_seen": self.n_seen,
                "error_rate": self.error_rate, "drifts": [d.to_dict() for d in self.drifts]}


def _detector(cfg: ConceptDriftConfig, task: str) -> Any:
    from driftline import streaming
    from driftline.config._streaming import REAL_VALUED_DETECTORS

    if task == "regression" and cfg.detector not in REAL_VALUED_DETECTORS:
        raise ConfigError(f"monitoring.concept_drift.detector: {cfg.detector} takes error bits; "
                          "a regressor's absolute errors need one of "
                          f"{', '.join(REAL_VALUED_DETECTORS)}")
    try:
        return getattr(streaming, cfg.detector)(**cfg.params)
    except TypeError as exc:
        raise ConfigError(f"monitoring.concept_drift.params: {exc}") from None


def _errors(task: str, predicted: Sequence[Any], labels: Sequence[Any]) -> np.ndarray:
    """1.0 for a wrong class and 0.0 for a right one; a regressor's absolute error."""
    import pandas as pd

    if task == "regression":
        p = pd.to_numeric(pd.Series(list(predicted)), errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(pd.Series(list(labels)), errors="coerce").to_numpy(dtype=float)
        return np.abs(p - y)
    p_num = pd.to_numeric(pd.Series(list(predicted)), errors="coerce")
    y_num = pd.to_numeric(pd.Series(list(labels)), errors="coerce")
    if p_num.notna().all() and y_num.notna().all():  # 1 and 1.0 and "1" are the same class
        return (p_num.to_numpy(dtype=float) != y_num.to_numpy(dtype=float)).astype(float)
    return np.array([str(a) != str(b) for a, b in zip(predicted, labels, strict=True)], dtype=float)


def _before_after(recent: deque[float], seg_sum: float,
                  seg_n: int) -> tuple[float | None, float | None]:
    """The mean error after a change (the last ``recent`` labels, at most half of the segment
    since the previous drift) and before it (the rest of that segment)."""
    n_after = min(len(recent), seg_n // 2)
    if n_after < 1:
        return None, None
    tail = list(recent)[-n_after:]
    after = sum(tail) / n_after
    return (seg_sum - sum(tail)) / (seg_n - n_after), after


def watch_feedback(project: Project, *, registry: Registry | None = None,
                   epoch: int | None = None) -> ConceptWatch | None:
    """Feed the labels that arrived since the last turn to the concept-drift detector.

    Returns ``None`` when ``monitoring.concept_drift.enabled`` is false or there is no
    champion. The detector starts afresh for each new champion version; labels of other
    versions' predictions are read past, not fed. Each drift is stored as a
    ``concept_drift`` event (see :class:`~driftline.policy.ConceptDrift`), which the
    policies' :class:`~driftline.policy.OnConceptDrift` and
    :class:`~driftline.policy.OnPerformanceDegradation` read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from driftline.config import load_project
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> watch_feedback(load_project(d / "driftline.yaml", check_files=False)) is None  # no champion
    True
    """
    from driftline.policy import ConceptDrift
    from driftline.retrain import open_registry

    cfg = project.config
    watch_cfg = cfg.monitoring.concept_drift
    if not watch_cfg.enabled:
        return None
    registry = registry or open_registry(project)
    store = registry.store
    name, task = cfg.model.name, cfg.model.task
    store.add_model(name, task)
    champion = registry.champion(name)
    if champion is None:
        return None
    saved = store.stream_state(name, STATE_NAME) or {}
    det = _detector(watch_cfg, task)
    fresh = (saved.get("version") != champion.version or saved.get("detector") != watch_cfg.detector
             or saved.get("params") != dict(watch_cfg.params) or saved.get("recent_size")
             != watch_cfg.recent)
    if not fresh:
        det = type(det).from_state(saved["state"])
    cursor = saved.get("cursor")
    position = None if cursor is None else (datetime.fromisoformat(cursor[0]), str(cursor[1]))
    n_seen = 0 if fresh else int(saved.get("n_seen", 0))
    seg_sum, seg_n = (0.0, 0) if fresh else (float(saved.get("seg_sum", 0.0)), int(saved.get("seg_n", 0)))
    recent: deque[float] = deque([] if fresh else saved.get("recent", []), maxlen=watch_cfg.recent)
    error = "mae" if task == "regression" else "error_rate"
    drifts: list[ConceptDrift] = []
    n_read = n_fed = 0
    while True:
        rows = store.feedback_after(name, position, limit=_CHUNK)
        if not rows:
            break
        n_read += len(rows)
        position = (rows[-1][2], rows[-1][0])
        preds = store.get_predictions(name, [r[0] for r in rows])
        if not len(preds):
            continue
        by_id = {str(i): k for k, i in enumerate(preds["id"].tolist())}
        keep = [r for r in rows if r[0] in by_id
                and int(preds["version"].iloc[by_id[r[0]]]) == champion.version]
        if not keep:
            continue
        idx = [by_id[r[0]] for r in keep]
        errs = _errors(task, preds["prediction"].iloc[idx].tolist(), [r[1] for r in keep])
        ok = np.isfinite(errs)
        keep = [r for r, good in zip(keep, ok, strict=True) if good]
        errs = errs[ok]
        hits = set(det.update_many(errs).tolist())
        for k, (e, row) in enumerate(zip(errs.tolist(), keep, strict=True)):
            recent.append(e)
            seg_sum += e
            seg_n += 1
            if k in hits:
                drifts.append(ConceptDrift(row[2], watch_cfg.detector, n_seen + k,
                                           *_before_after(recent, seg_sum, seg_n),
                                           champion.version, error))
                seg_sum, seg_n = 0.0, 0
        n_seen += len(errs)
        n_fed += len(errs)
    state = {"version": champion.version, "detector": watch_cfg.detector,
             "params": dict(watch_cfg.params), "recent_size": watch_cfg.recent,
             "state": det.to_state(), "n_seen": n_seen, "seg_sum": seg_sum, "seg_n": seg_n,
             "recent": list(recent),
             "cursor": None if position is None else [position[0].isoformat(), position[1]]}
    if n_read or fresh:
        store.save_stream_state(name, STATE_NAME, state, epoch=epoch, new_events=[
            ("concept_drift", {**d.to_dict(), "model": name}) for d in drifts])
    rate = float(np.mean(recent)) if recent else None
    return ConceptWatch(name, champion.version, watch_cfg.detector, n_read, n_fed, n_seen, rate,
                        tuple(drifts))


def concept_drifts(registry: Registry, model: str, version: int | None = None, *,
                   limit: int = 200) -> list[ConceptDrift]:
    """The stored concept drifts of ``model`` (of one ``version`` when given), oldest first.

    Examples
    --------
    >>> from driftline.registry import Registry
    >>> from driftline.store import Store
    >>> reg = Registry(Store.open("sqlite://"), ".")
    >>> _ = reg.store.add_model("m", "binary")
    >>> _ = reg.store.add_event("m", "concept_drift", {"at": "2026-01-01T00:00:00+00:00",
    ...     "detector": "ADWIN", "index": 400, "error_before": 0.1, "error_after": 0.3, "version": 1})
    >>> [d.describe() for d in concept_drifts(reg, "m", 1)]
    ['ADWIN concept drift at label 400: error 0.1 -> 0.3']
    """
    from driftline.policy import ConceptDrift

    out = []
    for e in registry.store.events(model, "concept_drift", limit=limit):
        p = e["payload"]
        if version is not None and p.get("version") != version:
            continue
        out.append(ConceptDrift(datetime.fromisoformat(p["at"]), str(p["detector"]),
                                int(p["index"]), p.get("error_before"), p.get("error_after"),
                                p.get("version"), str(p.get("error") or "error_rate")))
    return out
