"""The loop's events, sent through the project's alert routes (``alerts`` in the project
file): drift with its recommended action, retraining held by data quality, retrain results."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftline.alerts import AlertRouter, Event
    from driftline.config import ProjectConfig

__all__ = ["events_of_turn", "router_from_config"]


def router_from_config(cfg: ProjectConfig, environ: Mapping[str, str] | None = None
                       ) -> AlertRouter | None:
    """The alert router a project file describes, or ``None`` when it names no route.

    Examples
    --------
    >>> from driftline.config import ProjectConfig
    >>> cfg = ProjectConfig.model_validate({
    ...     "version": 1, "model": {"name": "m", "task": "binary", "target": "y"},
    ...     "training": {"function": "m:train"}, "reference": {"path": "r.csv"},
    ...     "alerts": {"webhooks": [{"url": "http://127.0.0.1:9/hook"}]}})
    >>> sorted(router_from_config(cfg).sinks)
    ['WebhookSink']
    """
    from driftline.alerts import AlertmanagerSink, AlertRouter, WebhookSink
    from driftline.config import parse_duration

    env = os.environ if environ is None else environ
    a = cfg.alerts
    sinks: list[Any] = []
    for hook in a.webhooks:
        token = env.get(hook.token_env) if hook.token_env else None
        sinks.append(WebhookSink(hook.url, headers={"Authorization": f"Bearer {token}"}
                                 if token else None))
    if a.alertmanager is not None:
        sinks.append(AlertmanagerSink(a.alertmanager.url, labels=a.alertmanager.labels or None))
    if not sinks:
        return None
    return AlertRouter(sinks, cooldown=timedelta(seconds=parse_duration(a.cooldown)))


def events_of_turn(model: str, turn: Mapping[str, Any], now: datetime | None = None
                   ) -> list[Event]:
    """The events one turn of the loop produced.

    Examples
    --------
    >>> turn = {"results": [{"end": "t", "dataset_drift": True, "drifted_features": ["income"],
    ...                      "n_features": 6, "actions": {"feature": "retrain on new data"},
    ...                      "version": 1}],
    ...         "decision": {"action": "none", "reasons": []}}
    >>> [e.kind for e in events_of_turn("credit", turn)]
    ['drift_detected']
    """
    from driftline.alerts import Event

    now = now or datetime.now(timezone.utc)
    out = []
    for r in turn.get("results", []):
        if r.get("dataset_drift"):
            feats = r.get("drifted_features", [])
            out.append(Event(
                "drift_detected", model, now, "warning",
                f"data drift in {len(feats)}/{r.get('n_features') or len(feats)} features: "
                + ", ".join(feats[:5]),
                details={"window_end": r.get("end"), "drifted_features": feats},
                action="; ".join(r.get("actions", {}).values()) or "investigate feature generation",
                version=r.get("version"), key="drift"))
    decision = turn.get("decision", {})
    if decision.get("action") == "hold" and any("quality" in x for x in decision.get("reasons", [])):
        out.append(Event("retrain_held", model, now, "warning",
                         "retraining held: " + "; ".join(decision.get("reasons", []))[:300],
                         details={"reasons": decision.get("reasons", [])}, key="held"))
    retrain = turn.get("retrain")
    if retrain:
        kind = {"promoted": "promoted", "rejected": "challenger_rejected"}.get(
            retrain.get("outcome"), "retrain_finished")
        severity = "warning" if kind == "challenger_rejected" else "info"
        out.append(Event(kind, model, now, severity,
                         f"{retrain.get('outcome')}: version {retrain.get('version')}; "
                         f"{str(retrain.get('reason'))[:200]}",
                         details={"validation": retrain.get("validation")},
                         version=retrain.get("version"),
                         key=f"v{retrain.get('version')}"))
    return out
