"""Render a drift report dict (schema ``driftline.drift_report/1``) as one self-contained page.

The page is built from the report's aggregates only, never from raw rows. It makes no network
request (inline CSS, inline SVG charts, system fonts, a Content-Security-Policy that forbids
everything else) and uses no JavaScript: per-column detail folds into ``<details>``. Every
string from the report is escaped, since column names and category labels are user data.
Verdicts and statuses are spelled out in text, so colour is never the only cue.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from driftline import __version__
from driftline.drift._css import CSS
from driftline.drift._report import REPORT_SCHEMA
from driftline.drift._svg import figure, fmt, fmt_int, fmt_p, fmt_pct, num, sparkline_svg
from driftline.errors import ParameterError

__all__ = ["render_html"]

Col = Mapping[str, Any]


# --- helpers on columns ----------------------------------------------------------------------

def _severity(c: Col) -> float:
    """The same sort key as :attr:`ColumnDrift.severity`, computed on the dict."""
    effect = num(c.get("effect_size"))
    if not c.get("tested", True) or effect is None:
        return -1.0
    floor = num(c.get("effect_threshold")) or 1.0
    return (1.0 if c.get("drifted") else 0.0) * 1e6 + effect / floor


def _verdict(c: Col) -> tuple[str, str]:
    """The verdict's words and badge style."""
    if not c.get("tested", True):
        return "Not tested", "na"
    drifted = c.get("drifted")
    if drifted is None:
        return "No verdict", "na"
    return ("Drifted", "bad") if drifted else ("No drift", "ok")


def _badge(text: str, style: str) -> str:
    return f'<span class="badge b-{style}">{escape(text)}</span>'


def _note(c: Col) -> str:
    """Why a column with a significant test is still not drifted, when that is the case."""
    p = num(c.get("p_value_adjusted"))
    p = num(c.get("p_value")) if p is None else p
    effect, floor = num(c.get("effect_size")), num(c.get("effect_threshold"))
    if (c.get("drifted") is False and p is not None and p < (num(c.get("alpha")) or 0)
            and effect is not None and floor is not None and effect < floor):
        return '<div class="small muted">significant, effect below floor</div>'
    return ""


def _effect(c: Col) -> str:
    effect, floor = num(c.get("effect_size")), num(c.get("effect_threshold"))
    if effect is None:
        return "—"
    name = escape(str(c.get("effect_size_name") or ""))
    if floor is None:
        return f'<span class="num">{fmt(effect)}</span><div class="small muted">{name}</div>'
    over = effect >= floor
    width = 100.0 if floor == 0 else min(effect / (2 * floor), 1.0) * 100
    return (f'<span class="num">{fmt(effect)} {"≥" if over else "&lt;"} {fmt(floor)}</span>'
            f'<div class="meter{" over" if over else ""}"><i style="width:{width:.0f}%"></i></div>'
            f'<div class="small muted">{name}</div>')


def _link(c: Col, anchors: Mapping[str, str]) -> str:
    return f'<a href="#{anchors[c["column"]]}">{escape(str(c["column"]))}</a>'


def _p_eff(c: Col) -> str:
    """The p-value the verdict used: the adjusted one when there is one."""
    adjusted = c.get("p_value_adjusted")
    return fmt_p(c.get("p_value") if adjusted is None else adjusted)


def _fig(c: Col) -> str:
    return figure(c.get("distribution"), str(c.get("column")))


# --- sections --------------------------------------------------------------------------------

def _floors(rule: Col) -> str:
    floors = rule.get("effect_floors") or {}
    if not floors:
        return "none"
    return ", ".join(f"{escape(str(k))} ≥ {fmt(v)}" for k, v in floors.items())


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _header(r: Col, cols: list[Col]) -> str:
    n_tested, n_drifted = r.get("n_tested", 0), r.get("n_drifted", 0)
    untested = sum(not c.get("tested", True) for c in cols)
    bad = bool(r.get("drifted"))
    head = "Drift detected" if bad else "No drift detected"
    share = fmt_pct(float(r.get("drift_share") or 0.0))
    rule = r.get("rule") or {}
    cards = [(f"{n_drifted} / {n_tested}", "columns drifted"), (share, "drift share"),
             (fmt_int(r.get("n_reference")), "reference rows"),
             (fmt_int(r.get("n_current")), "current rows"),
             (str(untested), f"column{_s(untested)} not tested")]
    return (
        '<header><div class="kicker">driftline · drift report</div>'
        f"<h1>Reference vs current: {len(cols)} column{_s(len(cols))}</h1>"
        f'<div class="verdict {"bad" if bad else "ok"}" role="status"><strong>{head}</strong>'
        f"{n_drifted} of {n_tested} tested column{_s(n_tested)} drifted ({share}).</div>"
        '<div class="cards">' + "".join(
            f'<div class="card"><b>{escape(v)}</b><span class="muted">{k}</span></div>'
            for v, k in cards) + "</div>"
        f'<p class="rule">Decision rule: method <b>{escape(str(rule.get("method")))}</b> · '
        f'α = <b>{fmt(rule.get("alpha"))}</b> · correction '
        f'<b>{escape(str(rule.get("correction")))}</b> · effect floors <b>{_floors(rule)}</b>. '
        "A column drifts when its corrected p-value is below α and its effect size reaches "
        "its floor.</p></header>")


def _nav(r: Col, p: str, has_untested: bool, has_warnings: bool) -> str:
    links = [("verdicts", "Verdicts")]
    links += [("label", "Label drift")] if r.get("target_drift") else []
    links += [("prediction", "Prediction drift")] if r.get("prediction_drift") else []
    links += [("columns", "Column details")]
    links += [("untested", "Not tested")] if has_untested else []
    links += [("quality", "Data quality")]
    links += [("warnings", "Warnings")] if has_warnings else []
    return "<nav>" + "".join(f'<a href="#{p}-{k}">{v}</a>' for k, v in links) + "</nav>"


def _verdict_table(cols: list[Col], anchors: Mapping[str, str], p: str) -> str:
    head = ("<thead><tr><th>Column</th><th>Kind</th><th>Method</th><th class='r'>Statistic</th>"
            "<th class='r'>p-value</th><th class='r'>Adj. p</th><th>Effect vs floor</th>"
            "<th>Verdict</th><th>Action</th><th>Distribution</th></tr></thead>")
    rows = []
    for c in cols:
        if not c.get("tested", True):
            continue
        text, style = _verdict(c)
        role = c.get("role", "feature")
        tag = "" if role == "feature" else f'<span class="tag">{escape(str(role))}</span>'
        rows.append(
            f'<tr{" class=drifted" if c.get("drifted") else ""}>'
            f'<th scope="row">{_link(c, anchors)}{tag}</th>'
            f'<td>{escape(str(c.get("kind")))}</td><td>{escape(str(c.get("method")))}</td>'
            f'<td class="r num">{fmt(c.get("statistic"), 4)}</td>'
            f'<td class="r num">{fmt_p(c.get("p_value"))}</td>'
            f'<td class="r num">{fmt_p(c.get("p_value_adjusted"))}</td>'
            f"<td>{_effect(c)}</td><td>{_badge(text, style)}{_note(c)}</td>"
            f'<td class="action small">{escape(str(c.get("action") or "—"))}</td>'
            f'<td>{sparkline_svg(c.get("distribution"))}</td></tr>')
    body = "".join(rows) or '<tr><td colspan="10">No column was tested.</td></tr>'
    return (f'<section id="{p}-verdicts"><h2>Column verdicts</h2><p class="muted small">'
            "Sorted by severity: drifted columns first, then by effect size relative to its "
            f'floor.</p><div class="scroll"><table class="verdicts">{head}<tbody>{body}</tbody>'
            "</table></div></section>")


def _facts(c: Col) -> str:
    items = [
        ("Reference values", f'{fmt_int(c.get("n_reference"))} '
                             f'({fmt_int(c.get("n_missing_reference"))} missing)'),
        ("Current values", f'{fmt_int(c.get("n_current"))} '
                           f'({fmt_int(c.get("n_missing_current"))} missing)'),
        ("Method", escape(str(c.get("method")))),
        ("Statistic", fmt(c.get("statistic"), 4)),
        ("p-value", fmt_p(c.get("p_value"))),
        ("Adjusted p", f'{fmt_p(c.get("p_value_adjusted"))} '
                       f'({escape(str(c.get("correction") or "no correction"))})'),
        ("α", fmt(c.get("alpha"))),
        ("Effect size", f'{fmt(c.get("effect_size"))} '
                        f'({escape(str(c.get("effect_size_name") or "—"))})'),
        ("Effect floor", fmt(c.get("effect_threshold"))),
        ("Drift type", escape(str(c.get("drift_type", "feature")))),
        ("Action", escape(str(c.get("action") or "none needed"))),
    ]
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _sub_results(c: Col) -> str:
    subs = c.get("details") or []
    if not subs:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{escape(str(s.get("column")))}</th><td>{escape(str(s.get("method")))}'
        f'</td><td class="r num">{_p_eff(s)}</td>'
        f"<td>{_effect(s)}</td><td>{_badge(*_verdict(s))}</td></tr>" for s in subs)
    return ('<div class="scroll wide"><h3>Details</h3><table><thead><tr><th>Result</th>'
            '<th>Method</th><th class="r">p-value</th><th>Effect vs floor</th><th>Verdict</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></div>")


def _warn_list(items: Iterable[str]) -> str:
    lis = "".join(f"<li>{escape(str(w))}</li>" for w in items)
    return f'<ul class="warn">{lis}</ul>' if lis else ""


def _column_detail(c: Col, anchor: str) -> str:
    text, style = _verdict(c)
    summary = (f'{_badge(text, style)} <b>{escape(str(c.get("column")))}</b> <span class="muted">'
               f'{escape(str(c.get("kind")))} · {escape(str(c.get("method")))} · '
               f'p {_p_eff(c)} · effect {fmt(c.get("effect_size"))}</span>')
    warns = c.get("warnings") or []
    warn = f'<div class="wide"><h3>Warnings</h3>{_warn_list(warns)}</div>' if warns else ""
    return (f'<details class="col" id="{anchor}"{" open" if c.get("drifted") else ""}>'
            f'<summary>{summary}</summary><div class="body">{_fig(c)}{_facts(c)}'
            f"{_sub_results(c)}{warn}</div></details>")


def _role_section(r: Col, names: list[str], key: str, title: str, anchors: Mapping[str, str],
                  p: str) -> str:
    cols = [r["columns"][n] for n in names if n in r["columns"]]
    if not cols:
        return ""
    cards = []
    for c in cols:
        action = c.get("action")
        advice = (f"<b>Recommended action:</b> {escape(str(action))}." if action
                  else "No action needed: this column did not drift.")
        cards.append(
            f'<div class="role"><h3>{_badge(*_verdict(c))} {_link(c, anchors)}</h3>{_note(c)}'
            f'<p>{advice}</p><div class="body flush">{_fig(c)}{_facts(c)}</div></div>')
    return f'<section id="{p}-{key}"><h2>{title}</h2>{"".join(cards)}</section>'


def _untested(cols: list[Col], anchors: Mapping[str, str], p: str) -> str:
    rows = "".join(
        f'<tr id="{anchors[c["column"]]}"><th scope="row">{escape(str(c.get("column")))}</th>'
        f'<td>{escape(str(c.get("kind")))}</td>'
        f'<td>{escape(str(c.get("reason") or "no reason given"))}</td></tr>'
        for c in cols if not c.get("tested", True))
    if not rows:
        return ""
    return (f'<section id="{p}-untested"><h2>Columns not tested</h2><table><thead><tr>'
            f"<th>Column</th><th>Kind</th><th>Reason</th></tr></thead><tbody>{rows}</tbody>"
            "</table></section>")


_STATUS = {"ok": ("OK", "quiet"), "warn": ("Warning", "warn"), "fail": ("Fail", "bad")}


def _status(s: Any) -> str:
    return _badge(*_STATUS.get(str(s), (str(s), "na")))


def _quality_summary(quality: list[Col]) -> str:
    counts = {k: sum(q.get("status") == k for q in quality) for k in ("fail", "warn")}
    if not any(counts.values()):
        return f"All {len(quality)} columns passed every check."
    return (f"{counts['fail']} column{_s(counts['fail'])} failing, {counts['warn']} with "
            f"warnings, {len(quality) - sum(counts.values())} passing every check.")


def _quality(r: Col, p: str) -> str:
    quality = list((r.get("quality") or {}).values())
    if not quality:
        return (f'<section id="{p}-quality"><h2>Data quality</h2>'
                '<p class="muted">No data quality checks ran.</p></section>')
    names = list(dict.fromkeys(ch["check"] for q in quality for ch in q.get("checks") or []))
    order = {"fail": 0, "warn": 1, "ok": 2}
    quality.sort(key=lambda q: order.get(q.get("status"), 3))
    rows = []
    for q in quality:
        checks = {ch["check"]: ch for ch in q.get("checks") or []}
        cells = "".join(_check_cell(checks.get(n)) for n in names)
        rows.append(f'<tr><th scope="row">{escape(str(q.get("column")))}</th><td>'
                    f'{escape(str(q.get("kind")))}</td>{cells}<td>{_status(q.get("status"))}</td></tr>')
    head = "".join(f"<th>{escape(str(n))}</th>" for n in names)
    return (f'<section id="{p}-quality"><h2>Data quality</h2><p>{_quality_summary(quality)} '
            '<span class="muted small">Each cell shows the status, the value and its limit; the '
            'worst check gives the column status.</span></p><div class="scroll"><table><thead><tr>'
            f'<th>Column</th><th>Kind</th>{head}<th>Status</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _check_cell(ch: Col | None) -> str:
    if ch is None:
        return '<td class="muted">—</td>'
    msg = ch.get("message") or ""
    note = f'<div class="small">{escape(str(msg))}</div>' if ch.get("status") != "ok" else ""
    limit = "" if num(ch.get("limit")) is None else f" / limit {fmt(ch.get('limit'))}"
    return (f'<td>{_status(ch.get("status"))} <span class="num">{fmt(ch.get("value"))}</span>'
            f'<span class="small muted">{limit}</span>{note}</td>')


def _warnings(r: Col, cols: list[Col], p: str) -> str:
    items = [str(w) for w in r.get("warnings") or []]
    items += [f"{c.get('column')}: {w}" for c in cols for w in c.get("warnings") or []]
    if not items:
        return ""
    return f'<section id="{p}-warnings"><h2>Warnings</h2>{_warn_list(items)}</section>'


def _multivariate(r: Col, p: str) -> str:
    """Whole-row tests (``compare(multivariate=…)``): one row per method, when any ran."""
    found = list((r.get("multivariate") or {}).values())
    if not found:
        return ""
    rows = []
    for m in found:
        verdict = _verdict({"drifted": m.get("drifted")})
        band = "" if num(m.get("upper_threshold")) is None else (
            f'<div class="small muted">band {fmt(m.get("lower_threshold"))} to '
            f'{fmt(m.get("upper_threshold"))}</div>')
        why = m.get("reason") or ", ".join(str(f) for f in m.get("top_features") or [])
        rows.append(f'<tr><th scope="row">{escape(str(m.get("method")))}</th>'
                    f'<td>{_badge(*verdict)}</td><td class="num">{fmt(m.get("statistic"))}{band}'
                    f'</td><td class="num">{fmt_p(m.get("p_value"))}</td>'
                    f'<td>{escape(str(len(m.get("columns") or [])))}</td>'
                    f'<td>{escape(str(why))}</td></tr>')
    return (f'<section id="{p}-multivariate"><h2>Multivariate tests (whole rows)</h2>'
            '<p class="muted small">Tests of the numeric features together; they do not change '
            'the dataset verdict.</p><table><thead><tr><th>Method</th><th>Verdict</th>'
            '<th>Statistic</th><th>p-value</th><th>Columns</th><th>Top features or reason</th>'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></section>')


def _check(report: Any) -> None:
    if not isinstance(report, Mapping) or report.get("schema") != REPORT_SCHEMA:
        got = report.get("schema") if isinstance(report, Mapping) else type(report).__name__
        raise ParameterError.invalid(
            "report", got, f"a dict with schema {REPORT_SCHEMA!r}",
            "Pass DriftReport.to_dict() from this version of driftline.")


def _body(r: Col) -> str:
    cols = sorted(r.get("columns", {}).values(), key=_severity, reverse=True)
    p = "dl{:08x}".format(zlib.crc32(repr(sorted(r.get("columns", {}))).encode()))
    anchors = {c["column"]: f"{p}-c{i}" for i, c in enumerate(cols)}
    warn = _warnings(r, cols, p)
    target = [r["target_drift"]] if r.get("target_drift") else []
    return "".join([
        _header(r, cols), _nav(r, p, any(not c.get("tested", True) for c in cols), bool(warn)),
        _verdict_table(cols, anchors, p),
        _role_section(r, target, "label", "Label (target) drift", anchors, p),
        _role_section(r, list(r.get("prediction_drift") or []), "prediction", "Prediction drift",
                      anchors, p),
        f'<section id="{p}-columns"><h2>Column details</h2>',
        "".join(_column_detail(c, anchors[c["column"]]) for c in cols if c.get("tested", True)),
        "</section>", _untested(cols, anchors, p), _multivariate(r, p), _quality(r, p), warn,
        f"<footer>Generated by driftline {escape(__version__)} from aggregated counts only: "
        f"this file holds no raw rows. Report schema {escape(str(r['schema']))}.</footer>",
    ])


def render_html(report: Mapping[str, Any], *, fragment: bool = False) -> str:
    """Render a drift report as one self-contained HTML page, or a fragment for Jupyter.

    Parameters
    ----------
    report : the dict from :meth:`DriftReport.to_dict` (schema ``driftline.drift_report/1``).
    fragment : ``False`` gives a full document (``<!DOCTYPE html>``, ``lang``, charset,
        title and a Content-Security-Policy that blocks every network request); ``True``
        gives one ``<div class="dl-report">`` whose styles apply only inside it.

    Returns
    -------
    str : the HTML. It uses no JavaScript and loads nothing: styles are inline, charts are
        inline SVG, fonts are the system's. Its size is bounded by the number of columns,
        not rows, as it is drawn from aggregates (at most 40 bars per chart).

    Raises
    ------
    ParameterError : when ``report`` is not a dict of the ``driftline.drift_report/1`` schema.

    Examples
    --------
    >>> from driftline.drift._report import ColumnDrift, DecisionRule, DriftReport
    >>> col = ColumnDrift(column="age", kind="numerical", method="ks", statistic=0.31,
    ...                   p_value=2e-9, alpha=0.05, effect_size=0.4,
    ...                   effect_size_name="wasserstein_normed", effect_threshold=0.1,
    ...                   drifted=True, n_reference=500, n_current=500)
    >>> rep = DriftReport({"age": col}, {}, DecisionRule(), n_reference=500, n_current=500)
    >>> page = render_html(rep.to_dict())
    >>> page.startswith("<!DOCTYPE html>"), "Drift detected" in page, "2.0e-09" in page
    (True, True, True)
    >>> render_html(rep.to_dict(), fragment=True).startswith('<div class="dl-report">')
    True
    """
    _check(report)
    body = _body(report)
    if fragment:
        return f'<div class="dl-report"><style>{CSS}</style>{body}</div>'
    n, drifted = report.get("n_tested", 0), report.get("n_drifted", 0)
    state = f"drift in {drifted} of {n} columns" if report.get("drifted") else "no drift"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        f"<title>Drift report: {state}</title><style>body{{margin:0;background:#f3f5f8}}"
        f"{CSS}</style></head><body><main class=\"dl-report\">{body}</main>"
        "</body></html>\n")
