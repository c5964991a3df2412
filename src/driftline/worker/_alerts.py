"""The loop's events, sent through the project's alert routes (``alerts`` in the project
file): drift with its recommended action, retraining held by data quality, retrain results."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from driftline.alerts import AlertRouter, Event
    from driftline.config import ProjectConfig
    from driftline.store import Store

__all__ = ["deliver", "events_of_turn", "router_from_config"]


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
    from driftline.policy import QUALITY_HOLD

    if decision.get("action") == "hold" and any(str(x).startswith(QUALITY_HOLD)
                                                for x in decision.get("reasons", [])):
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


def deliver(store: Store, model: str, router: AlertRouter | None, events: Sequence[Event]
            ) -> dict[str, Any] | None:
    """Route each event on its own and store it as an ``alert`` event with its delivery
    status (the UI's alerts page); return the summed routing result, or ``None`` without a
    router.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from driftline.alerts import Event
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("m", "binary")
    >>> ev = Event("drift_detected", "m", datetime.now(timezone.utc), "warning", "drift",
    ...            action="check the upstream feed")
    >>> deliver(store, "m", None, [ev]) is None
    True
    >>> store.events("m", "alert")[0]["payload"]["delivery"]["status"]
    'no route'
    """
    total: dict[str, Any] = {"sent": {}, "suppressed": {}, "failures": []}
    for event in events:
        if router is None:
            delivery: dict[str, Any] = {"status": "no route"}
        else:
            r = router.route([event]).to_dict()
            for key in ("sent", "suppressed"):
                for sink, n in r[key].items():
                    total[key][sink] = total[key].get(sink, 0) + n
            total["failures"].extend(r["failures"])
            status = ("failed" if r["failures"] else "sent" if any(r["sent"].values())
                      else "suppressed")
            delivery = {"status": status, **r}
        store.add_event(model, "alert", {**event.to_dict(), "delivery": delivery})
    return None if router is None else total
