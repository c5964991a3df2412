"""Small HTML building blocks: escaping, number formats, tables, charts and the page frame.

Every value that reaches a page goes through :func:`esc` (text) or :func:`chart` (a figure
spec, embedded as inert JSON that the page's own script reads; no inline script runs).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["PAGES", "chart", "esc", "fmt", "form", "page", "table"]

# (path segment, title) of each model page, in navigation order
PAGES = (("serving", "Serving"), ("drift", "Drift"), ("performance", "Performance"),
         ("training", "Training"), ("timeline", "Timeline"), ("alerts", "Alerts"))


def esc(value: Any) -> str:
    """Text for HTML, escaped.

    Examples
    --------
    >>> esc("<b>&")
    '&lt;b&gt;&amp;'
    """
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any, kind: str = "num") -> str:
    """A number as people read it: ``num`` (4 significant digits), ``pct``, ``p`` (p-values)
    or ``ms``; ``–`` for missing values.

    Examples
    --------
    >>> fmt(0.123456), fmt(0.25, "pct"), fmt(3e-7, "p"), fmt(None)
    ('0.1235', '25.0%', '<0.0001', '–')
    """
    if value is None or isinstance(value, bool):
        return "–" if value is None else ("yes" if value else "no")
    try:
        v = float(value)
    except (TypeError, ValueError):
        return esc(value)
    if not math.isfinite(v):
        return "–"
    if kind == "pct":
        return f"{v:.1%}"
    if kind == "p":
        return "<0.0001" if v < 1e-4 else f"{v:.4f}"
    if kind == "ms":
        return f"{v:.1f} ms"
    return f"{v:.4g}"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "",
          empty: str = "Nothing yet.") -> str:
    """A table; cells are HTML already (escape text with :func:`esc`).

    Examples
    --------
    >>> table(["a"], [["1"]])
    '<table class=""><thead><tr><th scope="col">a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>'
    """
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    return f'<table class="{esc(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def chart(name: str, figure: Mapping[str, Any] | None, *, empty: str = "No data yet.") -> str:
    """A chart placeholder and its figure as inert JSON (``<`` escaped, so it cannot close
    the script element).

    Examples
    --------
    >>> chart("c", {"data": [1], "layout": {"title": "</script>"}}).count("</script>")
    1
    """
    if not figure or not figure.get("data"):
        return f'<div class="chart-empty">{esc(empty)}</div>'
    spec = json.dumps(figure, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    ident = f"chart-{esc(name)}"
    return (f'<figure class="chart" data-chart="{ident}" aria-label="{esc(name)} chart">'
            f'<script type="application/json" id="{ident}">{spec}</script></figure>')


def form(action: str, csrf: str, label: str, fields: str = "", *, admin: bool = True,
         danger: bool = False) -> str:
    """A POST form with the CSRF token, and the admin token field for admin actions.

    Examples
    --------
    >>> 'name="csrf" value="t"' in form("/ui/x", "t", "Go")
    True
    """
    token = ('<label>Admin token <input type="password" name="admin_token" '
             'autocomplete="off" required></label>') if admin else ""
    cls = "danger" if danger else ""
    return (f'<form method="post" action="{esc(action)}" class="action">'
            f'<input type="hidden" name="csrf" value="{esc(csrf)}">{fields}{token}'
            f'<button type="submit" class="{cls}">{esc(label)}</button></form>')


def page(title: str, body: str, *, models: Sequence[str], model: str | None,
         current: str, charts: bool, message: str | None = None, error: str | None = None,
         plotly: str = "") -> str:
    """The frame every page shares: navigation bar, model switcher, messages, body."""
    links = ['<a href="/ui/" class="{}">Overview</a>'.format("on" if current == "overview" else "")]
    target = model if model is not None else (models[0] if models else None)
    if target is not None:  # on the overview, the pages of the first model
        for seg, name in PAGES:
            on = "on" if current == seg else ""
            links.append(f'<a href="/ui/models/{esc(target)}/{seg}" class="{on}">{esc(name)}</a>')
    switch = ""
    if model is not None and len(models) > 1:
        seg = current if current != "overview" else "serving"
        switch = '<span class="models">' + " ".join(
            f'<a href="/ui/models/{esc(m)}/{seg}" class="{"on" if m == model else ""}">{esc(m)}</a>'
            for m in models) + "</span>"
    note = ""
    if message:
        note += f'<p class="flash ok" role="status">{esc(message)}</p>'
    if error:
        note += f'<p class="flash error" role="alert">{esc(error)}</p>'
    scripts = (f'<script src="{esc(plotly)}" defer></script>'
               '<script src="/ui/static/ui.js" defer></script>') if charts else ""
    heading = esc(title) if model is None else f"{esc(title)} · {esc(model)}"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{heading} · driftline</title>"
            '<link rel="icon" href="data:,">'
            '<link rel="stylesheet" href="/ui/static/ui.css">'
            f"{scripts}</head><body>"
            f'<header><nav aria-label="pages"><span class="brand">driftline</span>'
            f'{"".join(links)}{switch}</nav></header>'
            f"<main><h1>{heading}</h1>{note}{body}</main>"
            "<footer>driftline · aggregates only: no raw rows leave the server</footer>"
            "</body></html>")
