"""Monitoring results and retraining decisions, as the store keeps them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from driftline.store._runs import MetricSample, training_samples
from driftline.store._tables import decisions, monitor_results, monitor_values

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["MonitoringMixin"]

# decision action -> retrain outcome
_OUTCOMES = {"promote": "promoted", "reject": "rejected", "defer": "deferred",
             "await": "awaiting", "force_promote": "promoted"}


def _summary_of(result: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of a result stored before summaries existed."""
    keys = ("version", "start", "end", "n_rows", "too_small", "dataset_drift", "drift_share",
            "label_coverage", "n_labelled", "performance", "prediction_drift", "label_drift",
            "quality_ok", "actions")
    out = {k: result.get(k) for k in keys}
    out["n_features"] = len(result.get("features") or {})
    out["n_drifted"] = len(result.get("drifted_features") or [])
    return out


def _when(v: Any) -> datetime | None:
    if v is None or isinstance(v, datetime):
        return v
    import pandas as pd

    try:
        return pd.Timestamp(v).to_pydatetime()
    except (ValueError, TypeError):
        return None


class MonitoringMixin:
    """Window results and decisions; mixed into :class:`~driftline.store.Store`.

    Examples
    --------
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("m", "binary")
    >>> rid = store.add_monitor_result("m", {"end": "2026-01-01T01:00:00+00:00", "version": 1},
    ...                                [{"feature": "x", "method": "ks", "statistic": 0.3,
    ...                                  "p_value": 0.001, "effect_size": 0.3, "drifted": True}])
    >>> [r["result"]["version"] for r in store.monitor_results("m")]
    [1]
    >>> store.add_decision("m", {"action": "retrain", "trigger": "on_data_drift", "reasons": []})
    1
    """

    engine: Engine

    def model_id(self, name: str) -> int:  # provided by Store
        raise NotImplementedError

    def now(self) -> datetime:  # provided by Store (its clock)
        raise NotImplementedError

    def add_monitor_result(self, model: str, result: Mapping[str, Any],
                           values: Sequence[Mapping[str, Any]] = (), *,
                           summary: Mapping[str, Any] | None = None,
                           detail: Mapping[str, Any] | None = None) -> int:
        """Store one window's result (its ``to_dict()``), its per-feature rows, and for the
        UI its light ``summary`` and display aggregates (``detail``)."""
        mid = self.model_id(model)
        start, end = _when(result.get("start")), _when(result.get("end"))
        with self.engine.begin() as conn:
            res = conn.execute(monitor_results.insert().values(
                model_id=mid, version=result.get("version"), window_start=start,
                window_end=end, computed_at=self.now(), result=dict(result),
                summary=None if summary is None else dict(summary),
                detail=None if detail is None else dict(detail)))
            rid = int(res.inserted_primary_key[0])
            if values:
                conn.execute(monitor_values.insert(), [
                    {"result_id": rid, "model_id": mid, "window_end": end,
                     "feature": str(v["feature"]), "method": v.get("method"),
                     "statistic": v.get("statistic"), "p_value": v.get("p_value"),
                     "effect_size": v.get("effect_size"), "drifted": v.get("drifted"),
                     "score": v.get("score")}
                    for v in values])
        return rid

    def window_summaries(self, model: str, *, limit: int = 1_000) -> list[dict[str, Any]]:
        """The latest ``limit`` windows' light summaries, oldest first: ``{"id", "end",
        "summary"}``, reading no full result unless a window was stored without a summary."""
        mid = self.model_id(model)
        c = monitor_results.c
        q = (monitor_results.select().with_only_columns(c.id, c.window_end, c.summary)
             .where(c.model_id == mid).order_by(c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
            missing = [r.id for r in rows if r.summary is None]
            full = dict(conn.execute(monitor_results.select().with_only_columns(c.id, c.result)
                                     .where(c.id.in_(missing))).all()) if missing else {}
        return [{"id": r.id, "end": r.window_end,
                 "summary": r.summary if r.summary is not None else _summary_of(full[r.id])}
                for r in reversed(rows)]

    def window_detail(self, model: str, result_id: int | None = None) -> dict[str, Any] | None:
        """One window's full result and display aggregates (the latest window by default)."""
        mid = self.model_id(model)
        c = monitor_results.c
        q = monitor_results.select().where(c.model_id == mid)
        q = q.where(c.id == result_id) if result_id is not None else q.order_by(c.id.desc()).limit(1)
        with self.engine.connect() as conn:
            r = conn.execute(q).first()
        if r is None:
            return None
        return {"id": r.id, "end": r.window_end, "result": r.result, "detail": r.detail or {}}

    def feature_scores(self, model: str, result_ids: Sequence[int]) -> list[tuple[int, str, Any, Any]]:
        """``(result_id, feature, score, drifted)`` for these windows (the drift heatmap)."""
        if not result_ids:
            return []
        mid = self.model_id(model)
        v = monitor_values.c
        q = (monitor_values.select().with_only_columns(v.result_id, v.feature, v.score, v.drifted,
                                                       v.effect_size)
             .where(v.model_id == mid, v.result_id >= min(result_ids),
                    v.result_id <= max(result_ids)))
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2] if r[2] is not None else r[4], r[3])
                    for r in conn.execute(q)]

    def monitor_results(self, model: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Stored window results, oldest first (the latest ``limit`` when given)."""
        mid = self.model_id(model)
        q = monitor_results.select().where(monitor_results.c.model_id == mid).order_by(
            monitor_results.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [{"id": r.id, "window_start": r.window_start, "window_end": r.window_end,
                 "computed_at": r.computed_at, "result": r.result} for r in reversed(rows)]

    def last_window_end(self, model: str) -> datetime | None:
        """The end of the latest monitored window."""
        import sqlalchemy as sa

        mid = self.model_id(model)
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(monitor_results.c.window_end)).where(
                monitor_results.c.model_id == mid)).scalar()

    def add_decision(self, model: str, decision: Mapping[str, Any]) -> int:
        """Store a retraining decision (acting or not) with its reasons."""
        mid = self.model_id(model)
        with self.engine.begin() as conn:
            res = conn.execute(decisions.insert().values(
                model_id=mid, at=_when(decision.get("at")) or self.now(),
                trigger=str(decision.get("trigger") or "")[:32],
                action=str(decision.get("action") or "none")[:32], payload=dict(decision)))
            return int(res.inserted_primary_key[0])

    def loop_samples(self, model: str) -> list[MetricSample]:
        """The loop's metrics for ``model``: decisions by action, retrain runs by mode and
        outcome, the time of the last finished retrain, concept drifts, and the tracked
        training runs (:meth:`training_samples`)."""
        import sqlalchemy as sa

        from driftline.store._tables import events

        mid = self.model_id(model)
        out: list[MetricSample] = []
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(decisions.c.action, sa.func.count())
                                .where(decisions.c.model_id == mid)
                                .group_by(decisions.c.action)).all()
            outcomes = conn.execute(sa.select(decisions.c.action, decisions.c.payload)
                                    .where(decisions.c.model_id == mid,
                                           decisions.c.action.in_(_OUTCOMES))).all()
            failed = conn.execute(sa.select(events.c.payload).where(
                events.c.model_id == mid, events.c.kind == "retrain_failed")).all()
            last = conn.execute(sa.select(sa.func.max(events.c.at)).where(
                events.c.model_id == mid, events.c.kind == "retrain_finished")).scalar()
        for action, n in rows:
            out.append(("driftline_decisions", {"model": model, "action": str(action)}, float(n)))
        runs: dict[tuple[str, str], int] = {}
        for action, payload in outcomes:
            key = (str((payload or {}).get("mode") or "stateless"), _OUTCOMES[action])
            runs[key] = runs.get(key, 0) + 1
        for (payload,) in failed:
            key = (str((payload or {}).get("mode") or "stateless"), "failed")
            runs[key] = runs.get(key, 0) + 1
        for mode in {m for m, _ in runs} | {"stateless"}:  # failures count from 0, so that
            runs.setdefault((mode, "failed"), 0)  # increase() sees the first one
        for (mode, outcome), n in runs.items():
            out.append(("driftline_retrain_runs", {"model": model, "mode": mode,
                                                   "outcome": outcome}, float(n)))
        if last is not None:
            when = last if last.tzinfo is not None else last.replace(tzinfo=timezone.utc)
            out.append(("driftline_retrain_last_success_timestamp_seconds", {"model": model},
                        when.timestamp()))
        out.extend(self._concept_samples(model, mid))
        out.extend(self.training_samples(model))
        return out

    def training_samples(self, model: str) -> list[MetricSample]:
        """The metrics of ``model``'s tracked training runs (kinds run, trial and retrain):
        ``driftline_training_runs`` by outcome, the ``driftline_training_duration_seconds``
        histogram as ``(buckets, sum)``, and ``driftline_training_last_metric``, the metrics of
        the latest finished run of kind run or retrain. Nothing until the model's first run.

        Examples
        --------
        >>> from driftline.store import Store
        >>> from driftline.tracking import track
        >>> store = Store.open("sqlite://")
        >>> with track("credit", store=store, run_name="baseline") as run:
        ...     run.log_metrics({"val_auc": 0.81})
        >>> {labels.get("outcome") or labels.get("metric"): value
        ...  for name, labels, value in store.training_samples("credit")
        ...  if name != "driftline_training_duration_seconds"}
        {'finished': 1.0, 'failed': 0.0, 'pruned': 0.0, 'val_auc': 0.81}
        """
        return training_samples(self.engine, model)

    def _concept_samples(self, model: str, mid: int) -> list[tuple[str, dict[str, str], float]]:
        """Concept drifts by detector, and the watched error (see ``monitor.watch_feedback``)."""
        import sqlalchemy as sa

        from driftline.store._tables import events, stream_state

        with self.engine.connect() as conn:
            found = conn.execute(sa.select(events.c.payload).where(
                events.c.model_id == mid, events.c.kind == "concept_drift")).all()
            state = conn.execute(sa.select(stream_state.c.state).where(
                stream_state.c.model_id == mid, stream_state.c.name == "concept_drift")).scalar()
        counts: dict[str, int] = {}
        for (payload,) in found:
            name = str((payload or {}).get("detector") or "unknown")
            counts[name] = counts.get(name, 0) + 1
        if state:
            counts.setdefault(str(state.get("detector")), 0)  # counted from 0 for increase()
        out = [("driftline_concept_drifts", {"model": model, "detector": d}, float(n))
               for d, n in sorted(counts.items())]
        recent = (state or {}).get("recent") or []
        if recent:
            out.append(("driftline_labelled_error", {"model": model},
                        float(sum(recent) / len(recent))))
        return out

    def decisions(self, model: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Stored decisions, oldest first (the latest ``limit`` when given)."""
        mid = self.model_id(model)
        q = decisions.select().where(decisions.c.model_id == mid).order_by(decisions.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [{"id": r.id, "at": r.at, "trigger": r.trigger, "action": r.action,
                 "payload": r.payload} for r in reversed(rows)]
