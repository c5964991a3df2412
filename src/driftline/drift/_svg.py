"""Drawing blocks of the HTML drift report: its stylesheet, number formats and inline SVG charts.

Charts are drawn from aggregated counts with no plotting library and no script: a few
``<path>`` elements, plus one transparent hover target per histogram bar carrying a
``<title>`` tooltip. Coordinates are rounded to 0.1 px and a chart has at most
:data:`MAX_BARS` bars, so its size is bounded whatever the number of rows behind it.
Reference and current differ in shape, not only in colour: the reference is a filled bar, the
current an outline (histograms) or the lower bar of a pair (frequencies).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from itertools import pairwise
from typing import Any

__all__ = [
    "MAX_BARS", "MAX_LABELS", "bins", "distribution_svg", "figure", "fmt", "fmt_int",
    "fmt_p", "fmt_pct", "num", "sparkline_svg",
]

MAX_BARS = 40
MAX_LABELS = 21  # frequencies draw a pair of bars per label: 20 labels and "(other)"
_W, _H = 560, 170  # histogram viewBox
_L, _B, _T = 44, 24, 8  # left, bottom and top margins
_LABEL_CHARS = 24
_TITLE_CHARS = 100  # labels in the counts table; tooltips show fewer
_TIP_CHARS = 48

def num(v: Any) -> float | None:
    """A float from a report value: ``None``/NaN give ``None``; "inf"/"-inf" give ±inf."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf}.get(v)
    f = float(v)
    return None if math.isnan(f) else f


def fmt(v: Any, digits: int = 3) -> str:
    """HTML for a number: ``digits`` significant digits, whole numbers from 1,000 to 1e7.

    Examples
    --------
    >>> fmt(0.123456), fmt(2.5e-7), fmt(12345.6), fmt("inf"), fmt(None)
    ('0.123', '2.5e-07', '12,346', '∞', '—')
    """
    f = num(v)
    if f is None:
        return "—"
    if math.isinf(f):
        return "∞" if f > 0 else "−∞"
    if 1e3 <= abs(f) < 1e7:
        return f"{f:,.0f}"
    return f"{f:.{digits}g}"  # switches to scientific notation below 1e-4 and above 1e7


def fmt_p(v: Any) -> str:
    """HTML for a p-value: three decimals, or scientific notation below 0.001.

    Examples
    --------
    >>> fmt_p(0.04321), fmt_p(3.2e-12), fmt_p(0.0)
    ('0.043', '3.2e-12', '&lt; 1e-300')
    """
    p = num(v)
    if p is None:
        return "—"
    if p == 0:
        return "&lt; 1e-300"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def fmt_int(v: Any) -> str:
    return "—" if v is None else f"{int(v):,}"


def fmt_pct(share: float) -> str:
    return f"{share * 100:.0f}%" if share in (0, 1) else f"{share * 100:.1f}%"


def _c(v: float) -> str:
    """A coordinate rounded to 0.1 px, without a trailing ``.0``."""
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _shares(counts: Sequence[float]) -> list[float]:
    total = float(sum(counts))
    return [c / total if total else 0.0 for c in counts]


def _finite(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _merge_hist(
    edges: Sequence[float], ref: Sequence[int], cur: Sequence[int], max_bars: int
) -> tuple[list[float], list[int], list[int]]:
    """Merge runs of adjacent bins so that at most ``max_bars`` remain."""
    step = math.ceil(len(ref) / max_bars)
    if step <= 1:
        return list(edges), list(ref), list(cur)
    starts = range(0, len(ref), step)
    return ([edges[i] for i in starts] + [edges[-1]],
            [sum(ref[i:i + step]) for i in starts], [sum(cur[i:i + step]) for i in starts])


def _merge_freq(
    labels: Sequence[str], ref: Sequence[int], cur: Sequence[int], max_bars: int
) -> tuple[list[str], list[int], list[int]]:
    """Keep the first ``max_bars - 1`` labels and sum the rest into ``"(other)"``."""
    if len(labels) <= max_bars:
        return list(labels), list(ref), list(cur)
    k = max_bars - 1
    return ([*labels[:k], "(other)"], [*ref[:k], sum(ref[k:])], [*cur[:k], sum(cur[k:])])


def _bin_label(edges: Sequence[float], i: int) -> str:
    """The range of bin ``i``; the outer bins also hold values beyond the plotted range."""
    n = len(edges) - 1
    if n == 1:
        return "all values"
    if i == 0:
        return f"< {fmt(edges[1], 4)}"
    if i == n - 1:
        return f"≥ {fmt(edges[i], 4)}"
    return f"[{fmt(edges[i], 4)}, {fmt(edges[i + 1], 4)})"


def _prepared(dist: Mapping[str, Any]) -> tuple[list[float] | None, list[tuple[str, int, int]]]:
    """The (merged) bin edges, or ``None`` when unusable, and the bars."""
    ref, cur = list(dist.get("reference") or []), list(dist.get("current") or [])
    if dist.get("kind") == "histogram":
        edges = list(dist.get("edges") or [])
        if len(edges) == len(ref) + 1 and _finite(edges):
            edges, ref, cur = _merge_hist(edges, ref, cur, MAX_BARS)
            pairs = enumerate(zip(ref, cur, strict=True))
            return edges, [(_bin_label(edges, i), r, c) for i, (r, c) in pairs]
        labels = [f"bin {i + 1}" for i in range(len(ref))]
    else:
        labels = [_clip(str(x), _TITLE_CHARS) for x in dist.get("labels") or []]
    labels, ref, cur = _merge_freq(labels, ref, cur, MAX_LABELS)
    return None, list(zip(labels, ref, cur, strict=True))


def bins(dist: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """The bars of a distribution as ``(label, reference count, current count)``.

    Histograms with more than :data:`MAX_BARS` bins are merged into wider bins, and labels
    of frequencies beyond :data:`MAX_LABELS` are summed into ``"(other)"``, so charts and
    tables stay bounded.

    Examples
    --------
    >>> bins({"kind": "histogram", "edges": [0, 1, 2, 3], "reference": [1, 2, 3],
    ...       "current": [3, 2, 1], "labels": []})
    [('< 1', 1, 3), ('[1, 2)', 2, 2), ('≥ 2', 3, 1)]
    """
    return _prepared(dist)[1]


def _nice(v: float, steps: Sequence[float]) -> float:
    """The smallest of ``steps`` times a power of ten that is at least ``v``."""
    if not v > 0:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(v))
    return next(m * mag for m in (*steps, 10) if m * mag >= v * (1 - 1e-9))


def _x_positions(edges: Sequence[float] | None, n: int, x0: float, width: float
                 ) -> tuple[list[float], bool]:
    """Pixel x of each bin edge, and whether it is proportional to the values (else even)."""
    if edges is not None and len(edges) == n + 1 and _finite(edges):
        span = edges[-1] - edges[0]
        if span > 0 and all(b > a for a, b in pairwise(edges)):
            return [x0 + (e - edges[0]) / span * width for e in edges], True
    return [x0 + i * width / n for i in range(n + 1)], False


def _x_ticks(edges: Sequence[float], xs: list[float], linear: bool) -> list[tuple[float, str]]:
    """Round values along a linear axis, else about five bin edges."""
    if not linear:
        n = len(xs) - 1
        return [(xs[i], fmt(edges[i], 4)) for i in sorted({round(k * n / 4) for k in range(5)})]
    lo, hi = edges[0], edges[-1]
    step = _nice((hi - lo) / 6, (1, 2, 2.5, 5))
    ticks = range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)
    px = (xs[-1] - xs[0]) / (hi - lo)
    return [(xs[0] + (k * step - lo) * px, fmt(round(k * step, 12), 4)) for k in ticks]


def _heights(shares: list[float], xs: list[float]) -> list[float]:
    """Bar heights as density per average bin width, so uneven bins are drawn honestly."""
    mean_w = (xs[-1] - xs[0]) / len(shares)
    return [s * mean_w / (b - a) for s, (a, b) in zip(shares, pairwise(xs), strict=True)]


def _bars_path(xs: list[float], ys: list[float], base: float, gap: float) -> str:
    parts = []
    for (a, b), y in zip(pairwise(xs), ys, strict=True):
        if base - y >= 0.05:
            g = gap if b - a > 3 * gap else 0.0
            parts.append(f"M{_c(a + g)} {_c(base)}V{_c(y)}H{_c(b - g)}V{_c(base)}Z")
    return "".join(parts)


def _step_path(xs: list[float], ys: list[float], base: float) -> str:
    parts = [f"M{_c(xs[0])} {_c(base)}"]
    for b, y in zip(xs[1:], ys, strict=True):
        parts.append(f"V{_c(y)}H{_c(b)}")
    parts.append(f"V{_c(base)}")
    return "".join(parts)


def _axes(top: float, xs: list[float], edges: Sequence[float] | None, linear: bool,
          base: float) -> str:
    """Gridlines with percentage labels, and x ticks."""
    out = []
    for frac in (0.0, 0.5, 1.0):
        y = base - frac * (base - _T)
        label = f"{top * frac * 100:.3g}%"
        out.append(f'<path class="g" d="M{_L} {_c(y)}H{_W - 4}"/>'
                   f'<text x="{_L - 4}" y="{_c(y + 3.5)}" class="ya">{label}</text>')
    if edges is not None:
        for x, text in _x_ticks(edges, xs, linear):
            anchor = "xs" if x < _L + 12 else ("xe" if x > _W - 16 else "xa")
            out.append(f'<path class="g" d="M{_c(x)} {base}v4"/>'
                       f'<text x="{_c(x)}" y="{base + 15}" class="{anchor}">{text}</text>')
    return "".join(out)


def _hover(xs: list[float], tips: list[str], y: float, h: float) -> str:
    return "".join(
        f'<rect class="h" x="{_c(a)}" y="{_c(y)}" width="{_c(b - a)}" height="{_c(h)}">'
        f"<title>{escape(t)}</title></rect>" for (a, b), t in zip(pairwise(xs), tips, strict=True))


def _tip(label: str, r: int, c: int, rs: float, cs: float) -> str:
    return (f"{_clip(label, _TIP_CHARS)}: reference {_pct(rs)} ({r:,}), "
            f"current {_pct(cs)} ({c:,})")


def _histogram(dist: Mapping[str, Any], title: str) -> str:
    edges, rows = _prepared(dist)
    ref, cur = [r for _, r, _ in rows], [c for _, _, c in rows]
    base = _H - _B
    xs, linear = _x_positions(edges, len(rows), _L, _W - 4 - _L)
    rh, ch = _heights(_shares(ref), xs), _heights(_shares(cur), xs)
    top = _nice(max(rh + ch), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8))
    scale = (base - _T) / top
    ry = [base - v * scale for v in rh]
    cy = [base - v * scale for v in ch]
    tips = [_tip(lab, r, c, rs, cs)
            for (lab, r, c), rs, cs in zip(rows, _shares(ref), _shares(cur), strict=True)]
    return (f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}">'
            f"{_axes(top, xs, edges, linear, base)}"
            f'<path class="r" d="{_bars_path(xs, ry, base, 0.5)}"/>'
            f'<path class="c" d="{_step_path(xs, cy, base)}"/>'
            f"{_hover(xs, tips, _T, base - _T)}</svg>")


def _frequencies(dist: Mapping[str, Any], title: str) -> str:
    rows = bins(dist)
    ref_s, cur_s = _shares([r for _, r, _ in rows]), _shares([c for _, _, c in rows])
    row_h, x0, x1 = 22, 168, _W - 112
    top = max(ref_s + cur_s) or 1.0
    height = row_h * len(rows) + 4
    parts, ref_d, cur_d = [], [], []
    for i, ((label, _, _), rs, cs) in enumerate(zip(rows, ref_s, cur_s, strict=True)):
        y = 2 + i * row_h
        ref_d.append(f"M{x0} {y + 3}h{_c(rs / top * (x1 - x0))}v7H{x0}Z")
        cur_d.append(f"M{x0} {y + 11}h{_c(cs / top * (x1 - x0))}v7H{x0}Z")
        shown = escape(_clip(label, _LABEL_CHARS))
        parts.append(f'<text x="{x0 - 6}" y="{y + 15}" class="ya">{shown}</text>'
                     f'<text x="{x1 + 6}" y="{y + 15}">{_pct(rs)} → {_pct(cs)}</text>')
    return (f'<svg class="chart" viewBox="0 0 {_W} {height}" role="img" '
            f'aria-label="{escape(title)}">'
            f'<path class="g" d="M{x0} 0V{height}"/>{"".join(parts)}'
            f'<path class="r" d="{"".join(ref_d)}"/><path class="cf" d="{"".join(cur_d)}"/>'
            "</svg>")


def distribution_svg(dist: Mapping[str, Any] | None, title: str) -> str:
    """The chart of one column's reference and current distributions ("" when there is none).

    Examples
    --------
    >>> svg = distribution_svg({"kind": "frequencies", "labels": ["a", "<b>"],
    ...                         "reference": [3, 1], "current": [1, 3], "edges": []}, "x")
    >>> svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
    True
    """
    if not dist or not dist.get("reference"):
        return ""
    if dist.get("kind") == "histogram":
        return _histogram(dist, title)
    return _frequencies(dist, title)


def sparkline_svg(dist: Mapping[str, Any] | None) -> str:
    """A small decorative overlay of both distributions, for the verdict table."""
    rows = bins(dist) if dist and dist.get("reference") else []
    if not rows:
        return ""
    w, h = 96, 24
    xs = [i * w / len(rows) for i in range(len(rows) + 1)]
    rs, cs = _shares([r for _, r, _ in rows]), _shares([c for _, _, c in rows])
    scale = (h - 2) / (max(rs + cs) or 1.0)
    ry, cy = [h - v * scale for v in rs], [h - v * scale for v in cs]
    return (f'<svg class="spark" viewBox="0 0 {w} {h}" aria-hidden="true">'
            f'<path class="r" d="{_bars_path(xs, ry, h, 0.3)}"/>'
            f'<path class="c" d="{_step_path(xs, cy, h)}"/></svg>')


def figure(dist: Mapping[str, Any] | None, column: str) -> str:
    """A column's chart with its legend and a table of the counts behind it (for screen readers).

    Examples
    --------
    >>> figure(None, "x")
    '<div class="figure muted">No distribution available.</div>'
    """
    title = f"Reference and current distribution of {column}"
    svg = distribution_svg(dist, title)
    if dist is None or not svg:
        return '<div class="figure muted">No distribution available.</div>'
    hist = dist.get("kind") == "histogram"
    cur = '<span class="sw c"></span>' if hist else '<span class="sw cf"></span>'
    note = " · outer bins include values beyond the axis" if hist else ""
    legend = (f'<div class="legend"><span class="sw r"></span>reference '
              f'({"bars" if hist else "upper bar"}){cur}current ({"line" if hist else "lower bar"})'
              f"{note}</div>")
    data = bins(dist)
    rs, cs = _shares([r for _, r, _ in data]), _shares([c for _, _, c in data])
    rows = "".join(
        f"<tr><td>{escape(label)}</td><td>{r:,}</td><td>{_pct(a)}</td><td>{c:,}</td>"
        f"<td>{_pct(b)}</td></tr>"
        for (label, r, c), a, b in zip(data, rs, cs, strict=True))
    table = ('<details class="counts"><summary>Counts</summary><table><thead><tr><th>'
             f'{"Bin" if hist else "Value"}</th><th colspan="2">Reference</th>'
             f'<th colspan="2">Current</th></tr></thead><tbody>{rows}</tbody>'
             "</table></details>")
    return f'<div class="figure">{legend}{svg}{table}</div>'
