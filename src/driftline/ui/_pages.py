"""The body of each page, rendered from the aggregates in :mod:`driftline.ui._data`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from driftline.ui._data import RANGES
from driftline.ui._html import chart, esc, fmt, form, table
from driftline.ui._training_pages import tracked_body

__all__ = ["alerts_body", "drift_body", "overview_body", "performance_body", "serving_body",
           "timeline_body", "training_body"]


def _badge(text: str, kind: str) -> str:
    return f'<span class="badge {esc(kind)}">{esc(text)}</span>'


def _verdict(drift: Mapping[str, Any] | None) -> str:
    if drift is None:
        return _badge("no window yet", "muted")
    if drift.get("too_small"):
        return _badge("window too small", "muted")
    if drift.get("dataset_drift"):
        return (_badge("drift", "bad") + f" {drift.get('n_drifted')}/{drift.get('n_features')} "
                f"features · {esc(drift.get('end'))}")
    return _badge("no drift", "good") + f" {esc(drift.get('end'))}"


def overview_body(rows: Sequence[Mapping[str, Any]]) -> str:
    """Every model: champion and age, health, drift, performance, last decision."""
    out = []
    for r in rows:
        h = r["health"]
        ready = {None: _badge("not served here", "muted"), True: _badge("ready", "good"),
                 False: _badge("not ready", "bad")}[h["ready"]]
        real = r["realized"]
        perf = "–" if real is None else (
            f"{esc(real['metric'])} {fmt(real['value'])}" + (
                f" <small>[{fmt(real['band'][0])}, {fmt(real['band'][1])}]</small>"
                if real.get("band") else ""))
        d = r["decision"]
        decision = "–" if d is None else (
            f"{_badge(d['action'], 'info' if d['action'] != 'none' else 'muted')} "
            f"{esc(d['trigger'])} · {esc(d['at'])}<br><small>{esc('; '.join(d['reasons']))}</small>")
        name = esc(r["model"])
        out.append([
            f'<a href="/ui/models/{name}/serving"><strong>{name}</strong></a><br>'
            f"<small>{esc(r['task'])}</small>",
            "–" if r["champion"] is None
            else f"v{r['champion']} <small>({esc(r['champion_age'])} old)</small>",
            f"{ready}<br><small>errors {fmt(h['error_ratio'], 'pct')} · p99 "
            f"{fmt(h['p99_ms'], 'ms')} · {fmt(h['rate'])} rows/s</small>",
            _verdict(r["drift"]), perf,
            "<small>not configured</small>" if r["estimated"] is None else fmt(r["estimated"]),
            decision])
    return table(["model", "champion", "health (last 15 min)", "latest drift verdict",
                  "realized performance", "estimated performance", "last decision"], out,
                 cls="overview", empty="No models.")


def serving_body(model: str, data: Mapping[str, Any]) -> str:
    """Request rate, latency, status classes, in-flight, CPU, memory (and GPU)."""
    ranges = " ".join(
        f'<a href="?range={k}" class="{"on" if k == data["range"] else ""}">{k}</a>'
        for k in RANGES)
    notes = [f"{data['n_predictions']:,} logged predictions and {data['n_samples']:,} service "
             "samples in range."]
    if data["truncated"]:
        notes.append("Only the most recent predictions of this range are charted.")
    if data["n_samples"] == 0:
        notes.append("No service samples: status classes, in-flight, CPU and memory appear once "
                     "`driftline serve` has run for a minute.")
    figs = data["figures"]
    grid = "".join(f'<section class="card">{chart(k, figs[k])}</section>'
                   for k in ("rate", "latency", "status", "inflight", "cpu", "memory", "gpu")
                   if k in figs)
    return (f'<p class="toolbar">Range: {ranges}</p><p class="note">{esc(" ".join(notes))}</p>'
            f'<div class="grid">{grid}</div>')


def _feature_rows(model: str, window: int, rows: Sequence[Mapping[str, Any]],
                  chosen: str | None) -> list[list[str]]:
    out = []
    for r in rows:
        link = (f'<a href="?window={window}&amp;feature={quote(str(r["feature"]))}#detail">'
                f'{esc(r["feature"])}</a>')
        if r["feature"] == chosen:
            link = f"<strong>{link}</strong>"
        verdict = (_badge("drift", "bad") if r["drifted"] else _badge("ok", "good")
                   ) if r["drifted"] is not None else _badge("not tested", "muted")
        out.append([link, esc(r["method"]), fmt(r["statistic"]), fmt(r["p_value"], "p"),
                    f"{fmt(r['effect_size'])} <small>{esc(r['effect_name'] or '')}</small>",
                    fmt(r["threshold"]), verdict,
                    esc(r["action"] or r["reason"] or "")])
    return out


def drift_body(model: str, data: Mapping[str, Any]) -> str:
    """Drift share over time, the heatmap, one window's per-feature detail, label and
    prediction drift."""
    figs = data["figures"]
    parts = [f'<section class="card">{chart("share", figs.get("share"))}</section>']
    if figs.get("outliers"):
        parts.append(f'<section class="card">{chart("outliers", figs["outliers"])}</section>')
    if figs.get("multivariate"):
        parts.append(f'<section class="card">{chart("multivariate", figs["multivariate"])}</section>')
    hidden = data["hidden_features"]
    parts.append('<section class="card">' + chart("heatmap", figs.get("heatmap")) + (
        f'<p class="note">{hidden} quieter features are not shown.</p>' if hidden else "")
        + "</section>")
    w = data["window"]
    if w is None:
        parts.append('<p class="empty">No monitored window yet.</p>')
        return "".join(parts)
    picker = " ".join(
        f'<a href="?window={x["id"]}" class="{"on" if x["id"] == w["id"] else ""}'
        f'{" drifted" if x["drift"] else ""}">{esc(x["end"][5:])}</a>' for x in data["windows"])
    actions = "".join(f"<li><strong>{esc(k)}</strong>: {esc(v)}</li>"
                      for k, v in w["actions"].items())
    head = (f'<h2 id="detail">Window ending {esc(w["end"])}</h2>'
            f'<p>{fmt(w["n_rows"])} rows · dataset drift: {fmt(w["dataset_drift"])} · '
            f'drift share {fmt(w["drift_share"], "pct")}</p>'
            + (f'<p class="note">{esc(w["reason"])}</p>' if w.get("reason") else "")
            + (f'<p>Recommended actions:</p><ul class="actions">{actions}</ul>' if actions else "")
            + f'<p class="toolbar windows">Windows: {picker}</p>')
    rows = _feature_rows(model, w["id"], data["features"], data.get("feature"))
    parts.append('<section class="card">' + head + table(
        ["feature", "test", "statistic", "p-value", "effect size", "threshold", "verdict",
         "recommended action"], rows, cls="features") + "</section>")
    none = "No distribution stored for this feature."
    parts.append(f'<section class="card">{chart("detail", figs.get("detail"), empty=none)}</section>')
    for key, title in (("label_drift", "Label drift"), ("prediction_drift", "Prediction drift")):
        d = w.get(key)
        line = "<p class=\"empty\">Not judged in this window (too few labels).</p>" if d is None else (
            f"<p>{esc(d.get('method'))}: statistic {fmt(d.get('statistic'))}, p-value "
            f"{fmt(d.get('p_value'), 'p')}, effect size {fmt(d.get('effect_size'))} "
            f"(threshold {fmt(d.get('threshold'))}) · "
            f"{_badge('drift', 'bad') if d.get('drifted') else _badge('ok', 'good')}</p>")
        fig = figs.get("label_detail" if key == "label_drift" else "prediction_detail")
        parts.append(f'<section class="card"><h2>{title}</h2>{line}'
                     f'{chart(key, figs.get(key), empty="No history yet.")}'
                     f'{chart(key + "-detail", fig, empty="")}</section>')
    return "".join(parts)


def performance_body(model: str, data: Mapping[str, Any]) -> str:
    """Realized metrics with bands and label coverage; the holdout metrics for reference."""
    figs = data["figures"]
    holdout = data["holdout"]
    rows = [[esc(k), fmt(v[0]), f"[{fmt(v[1])}, {fmt(v[2])}]", fmt(holdout.get(k))]
            for k, v in data["latest"].items()]
    summary = table(["metric", "latest realized", "95% band", "champion's holdout"], rows,
                    empty="No labelled window yet: realized performance needs labels "
                          "(feedback) for at least monitoring.min_labels rows.")
    if data.get("error"):
        summary += (f'<p class="flash error">The latest labelled window\'s metrics could not be '
                    f'computed: {esc(data["error"])}</p>')
    cov = data["coverage"]
    note = (f'<p class="note">Label coverage of the latest window: {fmt(cov, "pct")}. Windows '
            "with low coverage judge performance on the labelled rows only, which may not "
            "represent all traffic.</p>")
    est = ('<p class="note">Estimated performance (without labels) is not available for this '
           "model: it needs monitoring.estimate and, for a classifier, logged scores.</p>")
    if data.get("estimated"):
        est = (f'<p class="note">Estimated performance ({esc(str(data["estimated"]).upper())}, '
               "from the model's scores or errors, no labels) is drawn beside the realized "
               "metrics. It assumes no concept drift: when P(y|x) changes it keeps reporting the "
               "reference's performance, so trust the realized line once labels arrive "
               "(docs/estimation.md). An estimate may start a retrain but never promotes a "
               "model: challengers are validated on labelled rows.</p>")
    grid = "".join(f'<section class="card">{chart(k, f)}</section>' for k, f in figs.items())
    return (f'<section class="card">{summary}{note}{est}</section>{_concept(data["concept"])}'
            f'<div class="grid">{grid}</div>')


def _count(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else fmt(v)


def _concept(c: Mapping[str, Any]) -> str:
    """The concept-drift detector on the labelled errors: what it has seen, and its drifts."""
    if not c.get("detector"):
        return ('<section class="card"><h2>Concept drift on the labelled errors</h2><p class="empty">'
                "The detector has seen no label of the champion's predictions yet.</p></section>")
    rows = [[esc(str(d.get("at", ""))[:19].replace("T", " ")), esc(d.get("detector")),
             f"v{esc(d.get('version'))}", _count(d.get("index")), fmt(d.get("error_before")),
             fmt(d.get("error_after"))] for d in c["drifts"]]
    head = (f'<p>{esc(c["detector"])} has seen {_count(c.get("seen"))} labelled errors of '
            f'v{esc(c.get("version"))}, as the labels arrived; the latest error: '
            f'{fmt(c.get("error"))}.</p>')
    return ('<section class="card"><h2>Concept drift on the labelled errors</h2>' + head
            + table(["found at", "detector", "version", "label", "error before", "error after"],
                    rows, empty="No concept drift found.") + "<p class=\"note\">Newest first; the "
            "label is its position in the version's stream of labelled errors.</p></section>")


def training_body(model: str, data: Mapping[str, Any], csrf: str, admin: bool) -> str:
    """Training runs (one per version) with params and metrics, and promote buttons; then the
    tracked runs side by side, one in detail, a tuning study and the retrain comparisons."""
    rows = []
    for v in data["versions"]:
        params = esc(json.dumps(v["params"], sort_keys=True, default=str))
        metrics = " · ".join(f"{esc(k)} {fmt(x)}" for k, x in sorted(v["metrics"].items()))
        act = ""
        if admin and v["stage"] != "champion":
            act = form(f"/ui/models/{esc(model)}/promote", csrf, f"Promote v{v['version']}",
                       f'<input type="hidden" name="version" value="{int(v["version"])}">'
                       '<input type="text" name="reason" placeholder="reason" required>')
        rng = "–" if not v["range"] else f"{esc(v['range'][0])} → {esc(v['range'][1])}"
        rows.append([f"v{v['version']}", _badge(v["stage"], "good" if v["stage"] == "champion"
                                                 else "muted"),
                     esc(v["created"]), esc(v["trigger"]),
                     "–" if v["parent"] is None else f"v{v['parent']}",
                     f"<code>{params}</code>", metrics or "–", rng, act])
    return (f'<section class="card">{chart("holdout", data["figures"].get("holdout"))}</section>'
            '<section class="card">' + table(
                ["version", "stage", "trained", "trigger", "parent", "params",
                 "holdout metrics", "training data", ""], rows, cls="versions") + "</section>"
            + tracked_body(model, data["tracked"]))


def _validation(v: Mapping[str, Any] | None) -> str:
    if not v:
        return "–"
    return (f"{esc(v.get('metric'))}: champion {fmt(v.get('value_a'))} vs challenger "
            f"{fmt(v.get('value_b'))} on {fmt(v.get('n'))} rows → {esc(v.get('decision'))}")


def timeline_body(model: str, data: Mapping[str, Any], csrf: str, admin: bool) -> str:
    """Everything that happened, newest first, and the retrain comparisons; admin actions."""
    figs = data["figures"]
    rows = [[esc(i["when"]), _badge(i["kind"], "info" if i["kind"] == "decision" else "muted"),
             f"<strong>{esc(i['what'])}</strong>",
             esc(i.get("trigger") or ""), "–" if i.get("version") is None else f"v{esc(i['version'])}",
             esc(i.get("detail") or "")] for i in data["items"]]
    retrains = [[esc(i["when"]), esc(i["what"]), esc(i.get("mode") or ""),
                 "–" if i.get("version") is None else f"v{esc(i['version'])}",
                 _validation(i.get("validation")), esc(i.get("detail") or "")]
                for i in data["retrains"]]
    admin_html = ('<section class="card"><h2>Actions</h2><p class="note">Admin actions need '
                  "the model's admin token.</p><div class=\"actions\">"
                  + form(f"/ui/models/{esc(model)}/retrain", csrf, "Retrain now",
                         '<input type="text" name="reason" placeholder="reason" required>')
                  + form(f"/ui/models/{esc(model)}/rollback", csrf, "Roll back",
                         '<input type="text" name="reason" placeholder="reason" required>',
                         danger=True)
                  + "</div></section>") if admin else (
        '<section class="card"><p class="note">Admin actions (promote, roll back, retrain now) '
        "are turned off: set the variable named by auth.admin_token_env for this model.</p>"
        "</section>")
    return (f'<section class="card">{chart("timeline", figs.get("timeline"))}</section>'
            + admin_html
            + '<section class="card"><h2>Retrains: champion against challenger</h2>'
            + table(["when", "outcome", "mode", "challenger", "validation", "reasons"], retrains,
                    empty="No retrain yet.") + "</section>"
            + '<section class="card"><h2>Decisions, versions and events</h2>'
            + table(["when", "kind", "what", "trigger / from", "version", "why"], rows,
                    cls="timeline") + "</section>")


def alerts_body(model: str, data: Mapping[str, Any]) -> str:
    """Recent alert events and their delivery status."""
    routes = ", ".join(esc(r) for r in data["routes"]) or "none (events are stored, not sent)"
    counts = " · ".join(f"{esc(k)}: {v}" for k, v in sorted(data["counts"].items())) or "–"
    status_kind = {"sent": "good", "failed": "bad", "suppressed": "muted", "no route": "muted"}
    rows = [[esc(r["at"]), esc(r["kind"]), _badge(r["severity"] or "", "bad" if r["severity"] in (
        "critical", "error") else "warn" if r["severity"] == "warning" else "info"),
             esc(r["summary"]), esc(r["action"] or ""),
             _badge(r["status"], status_kind.get(r["status"], "muted"))
             + (f"<br><small>{esc(', '.join(r['sinks']))}</small>" if r["sinks"] else "")
             + "".join(f"<br><small class=\"err\">{esc(e)}</small>" for e in r["errors"])]
            for r in data["rows"]]
    return (f'<section class="card"><p>Routes in the project file: {routes} · cooldown '
            f'{esc(data["cooldown"])}</p>'
            f"<p>Delivery of the events below: {counts}</p></section>"
            '<section class="card">' + table(
                ["when", "event", "severity", "summary", "recommended action", "delivery"], rows,
                cls="alerts", empty="No alert events yet.") + "</section>")
