"""The tracked runs on the training page, rendered from :mod:`driftline.ui._training_data`:
the runs side by side, one run in detail, a tuning study, and each retrained challenger
against its champion. Every stored string is escaped here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from driftline.ui._html import chart, esc, fmt, table

__all__ = ["tracked_body"]

_STATUS = {"finished": "good", "failed": "bad", "running": "info", "pruned": "muted"}
_GRID = '<div class="grid" style="margin-bottom:16px">'


def _badge(text: Any, kind: str) -> str:
    return f'<span class="badge {esc(kind)}">{esc(text)}</span>'


def _href(anchor: str, **query: str | None) -> str:
    """A link to this page with the selection in its query (escaped for an attribute)."""
    q = urlencode({k: v for k, v in query.items() if v})
    return esc(f"?{q}#{anchor}")


def _value(v: Any) -> str:
    """A param, tag or metric value as text: numbers formatted, the rest escaped (shortened)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return esc(str(v))
    if isinstance(v, float):
        return fmt(v)
    if v is None:
        return "<small>null</small>"
    text = v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
    short = text if len(text) <= 80 else text[:79] + "…"
    return esc(short) if short == text else f'<span title="{esc(text[:500])}">{esc(short)}</span>'


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _label(name: Any, run_id: str) -> str:
    return esc(name) if name else f"<code>{esc(run_id[:12])}</code>"


def _more(n: int, what: str) -> str:
    return f'<p class="note">{n} more {esc(what)} not shown.</p>' if n else ""


def _pairs(title: str, items: Sequence[Sequence[Any]], hidden: int, empty: str) -> str:
    rows = [[esc(k), _value(v)] for k, v in items]
    return (f'<section class="card"><h2>{esc(title)}</h2>'
            + table(["name", "value"], rows, empty=empty) + _more(hidden, title.lower())
            + "</section>")


def tracked_body(model: str, data: Mapping[str, Any]) -> str:
    """The tracked runs' sections of the training page."""
    figs = data["figures"]
    sel = data["selected"]
    parts = [_runs(data, sel)]
    if data["run"] is not None:
        parts.append(_detail(data["run"], figs, sel))
    if data["study"] is not None:
        parts.append(_study(data["study"], figs, sel))
    parts.append(_retrains(data["retrains"], sel))
    return "".join(parts)


def _runs(data: Mapping[str, Any], sel: Mapping[str, Any]) -> str:
    """The runs side by side: one row a run, one column a param or a metric."""
    runs = data["runs"]
    if not runs:
        return ('<section class="card" id="runs"><h2>Tracked runs</h2><p class="empty">No '
                "tracked run yet: runs appear here when training is tracked "
                "(driftline.track), a tuning study is imported, or the loop retrains.</p>"
                + ('<p class="flash error">That run was not found for this model.</p>'
                   if data["missing_run"] else "") + "</section>")
    params, metrics, best = data["params"], data["metrics"], data["best"]
    chosen = (data["run"] or {}).get("id")
    body = []
    for r in runs:
        link = (f'<a href="{_href("run", run=r["id"], study=sel["study"])}">'
                f'{_label(r["name"], r["id"])}</a>')
        if r["id"] == chosen:
            link = f"<strong>{link}</strong>"
        if r["kind"] == "study":
            link += f' <small><a href="{_href("study", run=sel["run"], study=r["id"])}">trials</a></small>'
        cells = [link, esc(r["kind"]), _badge(r["status"], _STATUS.get(r["status"], "muted")),
                 f'<span style="white-space:nowrap">{esc(r["started"])}</span>',
                 _duration(r["duration"]),
                 "–" if r["version"] is None else f"v{esc(r['version'])}"]
        cells += ["–" if k not in r["params"] else _value(r["params"][k]) for k in params]
        for k in metrics:
            v = r["metrics"].get(k)
            cell = "–" if v is None else _value(v)
            cells.append(f"<strong>{cell}</strong>" if v is not None and best.get(k) == v else cell)
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    group = ('<tr><th scope="colgroup" colspan="6">run</th>'
             + (f'<th scope="colgroup" colspan="{len(params)}">params</th>' if params else "")
             + (f'<th scope="colgroup" colspan="{len(metrics)}">metrics (latest)</th>'
                if metrics else "") + "</tr>")
    heads = ["name", "kind", "status", "started", "duration", "version",
             *params, *metrics]
    head = "<tr>" + "".join(f'<th scope="col">{esc(h)}</th>' for h in heads) + "</tr>"
    notes = ["Newest first; the best value of each metric (by its usual direction: losses and "
             "errors lower) is in bold. Pick a name for the run's curves, params and artifacts."]
    if data["limited"]:
        notes.append(f"Only the newest {len(runs)} runs are listed.")
    hidden = [f"{n} {w}" for n, w in ((data["hidden_params"], "params"),
                                      (data["hidden_metrics"], "metrics")) if n]
    if hidden:
        notes.append(f"Columns of {' and '.join(hidden)} (held by fewer runs) are not shown.")
    missing = ('<p class="flash error">That run was not found for this model; the newest run is '
               "shown instead.</p>") if data["missing_run"] else ""
    return ('<section class="card" id="runs"><h2>Tracked runs side by side</h2>' + missing
            + f'<table class="runs"><thead>{group}{head}</thead><tbody>{"".join(body)}</tbody>'
            f'</table><p class="note">{esc(" ".join(notes))}</p></section>')


def _detail(r: Mapping[str, Any], figs: Mapping[str, Any], sel: Mapping[str, Any]) -> str:
    """One run: its facts, curves, params, learned parameters, tags, metrics and artifacts."""
    facts = [f"kind {esc(r['kind'])}", _badge(r["status"], _STATUS.get(r["status"], "muted")),
             f"id <code>{esc(r['id'])}</code>", f"started {esc(r['started'])}",
             f"duration {_duration(r['duration'])}"]
    if r["version"] is not None:
        facts.append(f"produced v{esc(r['version'])}")
    if r["decision_id"] is not None:
        facts.append(f"decision #{esc(r['decision_id'])}")
    p = r["parent"]
    if p is not None:
        anchor, query = ("study", {"study": p["id"]}) if p["kind"] == "study" else (
            "run", {"run": p["id"]})
        facts.append(f'part of {esc(p["kind"])} <a href="{_href(anchor, **query)}">'
                     f'{_label(p["name"], p["id"])}</a>')
    if r["kind"] == "study":
        facts.append(f'<a href="{_href("study", run=r["id"], study=r["id"])}">its trials</a>')
    curves = "".join(f'<section class="card">{chart(k, figs.get(k))}</section>'
                     for k in r["curves"])
    if not curves:
        curves = ('<section class="card"><p class="empty">This run logged no metric at steps '
                  "(run.log_metric(name, value, step=...)), so it has no curve.</p></section>")
    parts = [f'<section class="card" id="run"><h2>Run {_label(r["name"], r["id"])}</h2>'
             f'<p>{" · ".join(facts)}</p>'
             + _more(r["hidden_curves"], "metric curves") + "</section>",
             f"{_GRID}{curves}</div>",
             _GRID
             + _pairs("Params", r["params"], r["hidden_params"], "No hyperparameter logged.")
             + _pairs("Metrics (latest)", r["metrics"], 0, "No metric logged.")
             + _pairs("Learned parameters", r["model_params"], r["hidden_model_params"],
                      "No summary of the learned parameters (run.evaluate or "
                      "run.log_model_params logs one).")
             + _pairs("Tags", r["tags"], r["hidden_tags"], "No tag.") + "</div>"]
    if r["comparison"] is not None:
        parts.append(_comparison(r["comparison"], sel, linked=False))
    arts = [[esc(a["name"]), esc(a["media_type"]), _size(a["size"])] for a in r["artifacts"]]
    docs = "".join(_document(d) for d in r["documents"])
    parts.append('<section class="card"><h2>Artifacts</h2>'
                 + table(["name", "media type", "size"], arts, empty="No artifact stored.")
                 + _more(r["hidden_artifacts"], "artifacts") + docs + "</section>")
    return "".join(parts)


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return "–"
    for unit, size in (("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _document(d: Mapping[str, Any]) -> str:
    """A JSON artifact: a confusion matrix or a classification report as a table, other JSON
    pretty-printed."""
    head = f"<h2>{esc(d['name'])}</h2>"
    if d["kind"] == "large":
        return head + f'<p class="note">Too large to show here ({_size(d["size"])}).</p>'
    if d["kind"] == "confusion":
        rows = [[f"<strong>{esc(c)}</strong>", *(_value(v) for v in counts)]
                for c, counts in zip(d["classes"], d["counts"], strict=True)]
        return head + table([f"{d['rows']} \\ {d['columns']}", *d["classes"]], rows,
                            cls="confusion")
    if d["kind"] == "report":
        rows = [[esc(c["label"]), fmt(c.get("precision")), fmt(c.get("recall")),
                 fmt(c.get("f1")), _value(c.get("support"))] for c in d["rows"]]
        return head + table(["class", "precision", "recall", "f1", "support"], rows,
                            cls="report")
    more = '<p class="note">Shortened.</p>' if d.get("truncated") else ""
    return head + f"<pre><code>{esc(d['text'])}</code></pre>{more}"


# -- tuning study --------------------------------------------------------------------------

def _study(s: Mapping[str, Any], figs: Mapping[str, Any], sel: Mapping[str, Any]) -> str:
    """A tuning study: the selector, its summary and best trial, and its charts."""
    picker = " ".join(
        f'<a href="{_href("study", run=sel["run"], study=x["id"])}" '
        f'class="{"on" if x["id"] == s["id"] else ""}" title="started {esc(x["started"])}">'
        f'{_label(x["name"], x["id"])}</a>' for x in s["studies"])
    counts = ", ".join(f"{n} {esc(k)}" for k, n in s["statuses"].items())
    facts = [f'objective <strong>{esc(s["objective"] or "unknown")}</strong> '
             f'({esc(s["direction"])})', f'{s["n_trials"]} trial{"" if s["n_trials"] == 1 else "s"}'
             + (f" ({counts})" if counts else ""),
             f'best value {fmt(s["best_value"])}']
    if s.get("source"):
        facts.insert(0, f'from {esc(s["source"])}')
    notes = []
    if s["truncated"]:
        notes.append(f"Only the newest {s['n_trials']} trials are charted.")
    if s["hidden_params"]:
        notes.append(f"{s['hidden_params']} more hyperparameters are not charted.")
    b = s["best"]
    best = '<p class="empty">No finished trial with an objective value yet.</p>'
    if b is not None:
        number = "" if b["number"] is None else f" #{esc(b['number'])}"
        best = (f'<h2>Best trial{number}: <a href="{_href("run", run=b["id"], study=sel["study"])}">'
                f'{_label(b["name"], b["id"])}</a> · {esc(s["objective"] or "objective")} '
                f'{fmt(b["value"])}</h2>'
                + table(["param", "value"], [[esc(k), _value(v)] for k, v in b["params"]],
                        cls="best", empty="The best trial has no params.")
                + _more(b["hidden_params"], "params"))
    charts = [k for k in ("trials", "importances") if figs.get(k)] + list(s["params"])
    grid = "".join(f'<section class="card">{chart(k, figs.get(k))}</section>' for k in charts)
    if not s["importances"]:
        grid += ('<section class="card"><p class="empty">No parameter importances: the study '
                 "stores them as the artifact param_importances.json.</p></section>")
    elif s["hidden_importances"]:
        notes.append(f"{s['hidden_importances']} less important parameters are not charted.")
    return (f'<section class="card" id="study"><h2>Tuning study {_label(s["name"], s["id"])}</h2>'
            f'<p class="toolbar windows">Studies: {picker}</p>'
            f'<p>{" · ".join(facts)}</p>'
            + (f'<p class="note">{esc(" ".join(notes))}</p>' if notes else "")
            + best + "</section>" + f"{_GRID}{grid}</div>")


# -- retrained challengers against their champions -----------------------------------------

def _comparison(c: Mapping[str, Any], sel: Mapping[str, Any], *, linked: bool = True) -> str:
    """metric · champion · challenger · difference · decision, the validation gate first."""
    champ = "champion" + ("" if c["champion"] is None else f" (v{c['champion']})")
    chall = "challenger" + ("" if c["challenger"] is None else f" (v{c['challenger']})")
    rows = []
    for row in c["rows"]:
        diff = "–" if row["diff"] is None else (f"{row['diff']:+.4g}" + (
            "" if row["better"] is None else
            f" <small>({'better' if row['better'] else 'worse'})</small>"))
        if row["gate"]:
            metric = (f"<strong>{esc(row['metric'])}</strong><br><small>validation gate"
                      + ("" if row.get("n") is None else f", {row['n']:,} labelled rows") + "</small>")
            if row.get("lower") is not None and row.get("upper") is not None:
                diff += f"<br><small>CI [{fmt(row['lower'])}, {fmt(row['upper'])}]</small>"
            if row.get("margin") is not None:
                diff += f"<br><small>margin {fmt(row['margin'])}</small>"
            dec = row["decision"]
            decision = "–" if dec is None else _badge(dec, {"pass": "good", "fail": "bad"}.get(
                dec, "warn"))
        else:
            metric, decision = esc(row["metric"]), "–"
            if row.get("source") == "holdout":
                metric += "<br><small>champion's holdout</small>"
        rows.append([metric, fmt(row["champion"]), fmt(row["challenger"]), diff, decision])
    name = _label(c["name"], c["id"])
    title = f'<a href="{_href("run", run=c["id"], study=sel["study"])}">{name}</a>' if linked else name
    facts = [esc(c["started"]), _badge(c["status"], _STATUS.get(c["status"], "muted"))]
    if c["outcome"]:
        facts.append(f"outcome {_badge(c['outcome'], 'info')}")
    if c["decision_id"] is not None:
        facts.append(f"decision #{esc(c['decision_id'])}")
    return (f'<section class="card"><h2>Retrain {title}: challenger against champion</h2>'
            f'<p>{" · ".join(facts)}</p>'
            + (f'<p class="note">{esc(c["reason"])}</p>' if c["reason"] else "")
            + table(["metric", champ, chall, "difference", "decision"], rows, cls="comparison",
                    empty="This retrain logged no validation and no metric.")
            + '<p class="note">The validation gate compares both models on the same labelled '
            "rows (a paired bootstrap of the difference, which decided the outcome). The other "
            "rows put each metric the challenger logged beside the champion's on the same rows, "
            "or beside the champion's holdout metric where marked; they inform, they did not "
            "decide.</p>" + _more(c["hidden"], "metrics") + "</section>")


def _retrains(retrains: Sequence[Mapping[str, Any]], sel: Mapping[str, Any]) -> str:
    return "".join(_comparison(c, sel) for c in retrains)
