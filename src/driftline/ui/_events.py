"""The retraining timeline (decisions, stage changes, loop events) and the alerts page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftline.ui import _charts as charts
from driftline.ui._view import ModelView, _iso, _ms

__all__ = ["alerts_page", "timeline_page"]


_LANES = (("decision: retrain", "#1f6feb"), ("decision: other", "#8c959f"),
          ("retrain", "#8250df"), ("promoted", "#1a7f37"), ("rejected", "#d1242f"),
          ("rolled back", "#bc4c00"), ("stage change", "#57606a"), ("alert", "#9a6700"))


def _lane(kind: str, item: Mapping[str, Any]) -> str:
    if kind == "decision":
        return "decision: retrain" if item.get("action") == "retrain" else "decision: other"
    k = str(item.get("kind") or "")
    if k.startswith("retrain"):
        return "retrain"
    if k in ("promoted", "forced_promotion"):
        return "promoted"
    if k in ("challenger_rejected", "promote_refused"):
        return "rejected"
    if "rollback" in k:
        return "rolled back"
    if k == "alert":
        return "alert"
    return "stage change"


def _collapse_quiet(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of consecutive "none" decisions (nothing fired) as one row with their count."""
    out: list[dict[str, Any]] = []
    for i in items:
        last = out[-1] if out else None
        if (last is not None and i["kind"] == "decision" and i["what"] == "none"
                and last["kind"] == "decision" and last["what"] == "none"):
            last["count"] = last.get("count", 1) + 1
            last["since"] = i["at"]
            continue
        out.append(i)
    for i in out:
        if i.get("count", 1) > 1:
            i["what"] = f"none ×{i['count']}"
            i["detail"] = (f"no trigger fired in {i['count']} decisions since "
                           f"{_iso(i['since'])}; the latest: {i['detail']}")
    return out


def timeline_page(view: ModelView, *, limit: int = 300) -> dict[str, Any]:
    """Decisions (acted on or not), stage changes and events on one time line, newest first,
    and the champion-against-challenger comparison of each retrain."""
    items: list[dict[str, Any]] = []
    for d in view.store.decisions(view.name, limit=limit):
        p = d["payload"] or {}
        items.append({"at": _ms(d["at"]), "kind": "decision", "what": d["action"],
                      "trigger": d["trigger"], "detail": "; ".join(map(str, p.get("reasons") or [])),
                      "version": p.get("version"), "validation": p.get("validation"),
                      "mode": p.get("mode"), "lane": _lane("decision", d)})
    for c in view.store.stage_history(view.name)[-limit:]:
        cd = c.to_dict()
        items.append({"at": _ms(cd.get("at")), "kind": "stage",
                      "what": f"v{cd['version']} → {cd['stage']}",
                      "trigger": cd.get("previous_stage") or "", "detail": cd.get("reason") or "",
                      "version": cd["version"], "lane": "rolled back"
                      if "rollback" in str(cd.get("reason") or "") else "stage change"})
    for e in view.store.events(view.name, limit=limit):
        if e["kind"] == "alert":
            continue
        p = e["payload"] or {}
        items.append({"at": _ms(e["at"]), "kind": "event", "what": e["kind"],
                      "trigger": p.get("mode") or "", "version": p.get("version"),
                      "detail": str(p.get("reason") or p.get("error") or "")[:300],
                      "lane": _lane("event", e)})
    items = [i for i in items if i["at"] is not None]
    items.sort(key=lambda i: i["at"], reverse=True)
    items = _collapse_quiet(items)[:limit]
    lanes = []
    for name, colour in _LANES:
        sel = [i for i in items if i.get("lane") == name]
        if sel:
            lanes.append({"name": name, "colour": colour, "x": [i["at"] for i in sel],
                          "text": [f"{i['what']} {i.get('detail', '')}"[:160] for i in sel]})
    retrains = [i for i in items if i["kind"] == "decision" and i.get("validation")]
    for i in items:
        i["when"] = _iso(i["at"])
    return {"items": items, "retrains": retrains,
            "figures": {"timeline": charts.timeline("What happened when", lanes)} if lanes else {}}


# -- alerts --------------------------------------------------------------------------------

def alerts_page(view: ModelView, *, limit: int = 200) -> dict[str, Any]:
    """Recent alert events with their delivery status, and the configured routes."""
    rows = []
    for e in reversed(view.store.events(view.name, "alert", limit=limit)):
        p = e["payload"] or {}
        delivery = p.get("delivery") or {}
        rows.append({"at": _iso(e["at"]), "kind": p.get("kind"), "severity": p.get("severity"),
                     "summary": p.get("summary"), "action": p.get("action"),
                     "status": delivery.get("status", "unknown"),
                     "sinks": sorted({*(delivery.get("sent") or {}),
                                      *(delivery.get("suppressed") or {})}),
                     "errors": [f.get("error") for f in delivery.get("failures") or []]})
    cfg = view.project.config.alerts
    routes = [f"webhook {h.url}" for h in cfg.webhooks]
    if cfg.alertmanager is not None:
        routes.append(f"Alertmanager {cfg.alertmanager.url}")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"rows": rows, "routes": routes, "counts": counts, "cooldown": cfg.cooldown}
