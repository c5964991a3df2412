"""Plotly figure specs (plain dicts) built on the server from aggregates.

The browser receives only these small specs: every series is bucketed here to at most
:data:`MAX_POINTS` points, and heatmaps to at most :data:`MAX_HEAT_COLUMNS` ×
:data:`MAX_HEAT_ROWS` cells. Times are milliseconds since the epoch on a date axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["MAX_HEAT_COLUMNS", "MAX_HEAT_ROWS", "MAX_POINTS", "bars", "bucket", "count_points",
           "hbars", "heatmap", "lines", "scatter", "timeline"]

MAX_POINTS = 500
MAX_HEAT_COLUMNS = 200
MAX_HEAT_ROWS = 50
_COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bc4c00", "#0550ae",
            "#57606a")


def _clean(values: Sequence[Any]) -> list[Any]:
    """Floats rounded to 6 significant digits, with NaN and infinities as null (JSON)."""
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, (bool, np.bool_)):
            out.append(bool(v))
        elif isinstance(v, (int, np.integer)):
            out.append(int(v))
        else:
            f = float(v)
            out.append(float(f"{f:.6g}") if math.isfinite(f) else None)
    return out


def _times(values: Sequence[Any]) -> list[Any]:
    """Times as whole milliseconds (never rounded to significant digits)."""
    out: list[Any] = []
    for v in values:
        f = None if v is None else float(v)
        out.append(int(f) if f is not None and math.isfinite(f) else None)
    return out


def bucket(x: Sequence[float], y: Sequence[float], *, how: str = "mean",
           max_points: int = MAX_POINTS) -> tuple[list[float], list[float]]:
    """At most ``max_points`` points: consecutive points grouped, each group's first ``x`` and
    its ``how`` (``mean``, ``max`` or ``min``) of ``y``, ignoring NaN.

    Examples
    --------
    >>> bucket(list(range(10)), list(range(10)), max_points=5)
    ([0.0, 2.0, 4.0, 6.0, 8.0], [0.5, 2.5, 4.5, 6.5, 8.5])
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if len(xs) <= max_points:
        return xs.tolist(), ys.tolist()
    groups = np.array_split(np.arange(len(xs)), max_points)
    agg: Any = {"mean": np.nanmean, "max": np.nanmax, "min": np.nanmin}[how]
    out_y = []
    for g in groups:
        part = ys[g]
        out_y.append(float(agg(part)) if np.isfinite(part).any() else math.nan)
    return [float(xs[g[0]]) for g in groups], out_y


def _layout(title: str, y_title: str = "", **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 14}},
        "margin": {"l": 56, "r": 16, "t": 36, "b": 40},
        "xaxis": {"type": "date"}, "yaxis": {"title": {"text": y_title}},
        "legend": {"orientation": "h", "y": -0.2}, "hovermode": "x unified",
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    return layout


def lines(title: str, series: Sequence[dict[str, Any]], *, y_title: str = "",
          y_format: str | None = None, bands: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """A time chart: ``series`` of ``{"name", "x", "y"}`` as lines, and ``bands`` of
    ``{"name", "x", "lower", "upper"}`` as shaded ranges.

    Examples
    --------
    >>> fig = lines("rate", [{"name": "v1", "x": [0, 1000], "y": [1.0, 2.0]}])
    >>> fig["data"][0]["type"], fig["data"][0]["y"]
    ('scatter', [1.0, 2.0])
    """
    data: list[dict[str, Any]] = []
    for i, b in enumerate(bands):
        colour = b.get("colour", _COLOURS[i % len(_COLOURS)])
        data.append({"type": "scatter", "mode": "lines", "x": _times(b["x"]),
                     "y": _clean(b["upper"]), "line": {"width": 0}, "showlegend": False,
                     "hoverinfo": "skip", "name": f"{b['name']} upper"})
        data.append({"type": "scatter", "mode": "lines", "x": _times(b["x"]),
                     "y": _clean(b["lower"]), "line": {"width": 0}, "fill": "tonexty",
                     "fillcolor": _fade(colour), "name": b["name"], "hoverinfo": "skip"})
    for i, s in enumerate(series):
        colour = s.get("colour", _COLOURS[i % len(_COLOURS)])
        trace = {"type": "scatter", "mode": s.get("mode", "lines+markers"), "name": s["name"],
                 "x": _times(s["x"]), "y": _clean(s["y"]), "line": {"color": colour, "width": 2},
                 "marker": {"size": 4}, "connectgaps": bool(s.get("connect", False))}
        if s.get("dash"):
            trace["line"]["dash"] = s["dash"]
        data.append(trace)
    layout = _layout(title, y_title)
    if y_format:
        layout["yaxis"]["tickformat"] = y_format
    return {"data": data, "layout": layout}


def _fade(colour: str) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},0.18)"


def heatmap(title: str, x: Sequence[float | None], rows: Sequence[str],
            z: Sequence[Sequence[float | None]], *, z_title: str = "score") -> dict[str, Any]:
    """Rows × time cells (already capped by the caller), coloured from quiet to drifted.

    Examples
    --------
    >>> fig = heatmap("drift", [0, 1], ["a"], [[0.2, 1.5]])
    >>> fig["data"][0]["type"], fig["data"][0]["z"]
    ('heatmap', [[0.2, 1.5]])
    """
    data = [{"type": "heatmap", "x": _times(x), "y": list(rows),
             "z": [_clean(r) for r in z], "zmin": 0, "zmax": 2,
             "colorscale": [[0, "#f6f8fa"], [0.5, "#fff1b8"], [0.75, "#f49a4b"],
                            [1, "#b42318"]],
             "colorbar": {"title": {"text": z_title}}, "hoverongaps": False}]
    layout = _layout(title, "", height=max(240, 18 * len(rows) + 90))
    layout["yaxis"] = {"automargin": True, "autorange": "reversed"}
    layout["hovermode"] = "closest"
    return {"data": data, "layout": layout}


def bars(title: str, labels: Sequence[str], reference: Sequence[float],
         current: Sequence[float], *, edges: Sequence[float] | None = None) -> dict[str, Any]:
    """Reference against current shares: side by side per label, or overlaid histograms on
    a number line when ``edges`` (one more than the shares) are given.

    Examples
    --------
    >>> bars("x", ["a", "b"], [0.5, 0.5], [0.9, 0.1])["data"][1]["name"]
    'current'
    >>> bars("x", [], [0.5, 0.5], [0.9, 0.1], edges=[0, 1, 2])["data"][0]["x"]
    [0.5, 1.5]
    """
    if edges is not None:
        e = np.asarray(edges, dtype=float)
        x: list[Any] = _clean(((e[:-1] + e[1:]) / 2).tolist())
        width = _clean(np.diff(e).tolist())
        data = [{"type": "bar", "name": name, "x": x, "y": _clean(y), "width": width,
                 "opacity": 0.55, "marker": {"color": colour}}
                for name, y, colour in (("reference", reference, "#57606a"),
                                        ("current", current, "#1f6feb"))]
        layout = _layout(title, "share", barmode="overlay")
        layout["xaxis"] = {"type": "linear", "automargin": True}
        layout["yaxis"]["tickformat"] = ".0%"
        layout["hovermode"] = "closest"
        return {"data": data, "layout": layout}
    data = [{"type": "bar", "name": "reference", "x": list(labels), "y": _clean(reference),
             "marker": {"color": "#8c959f"}},
            {"type": "bar", "name": "current", "x": list(labels), "y": _clean(current),
             "marker": {"color": "#1f6feb"}}]
    layout = _layout(title, "share", barmode="group")
    layout["xaxis"] = {"type": "category", "automargin": True}
    layout["yaxis"]["tickformat"] = ".0%"
    layout["hovermode"] = "closest"
    return {"data": data, "layout": layout}


def scatter(title: str, series: Sequence[dict[str, Any]], *, x_title: str = "",
            y_title: str = "", x_type: str = "linear") -> dict[str, Any]:
    """Points (or lines) on a number, log or category x axis: ``series`` of ``{"name", "x",
    "y"}``, each with an optional ``mode`` (default markers), ``text`` (hover labels, one a
    point), ``shape`` (``"hv"`` draws steps) and ``colour``. Category values are shown as
    text, in sorted order.

    Examples
    --------
    >>> fig = scatter("C", [{"name": "trials", "x": [0.1, 1.0], "y": [0.7, 0.8]}], x_type="log")
    >>> fig["data"][0]["x"], fig["layout"]["xaxis"]["type"]
    ([0.1, 1.0], 'log')
    >>> scatter("k", [{"name": "t", "x": ["rbf", True], "y": [1, 2]}], x_type="category"
    ...         )["data"][0]["x"]
    ['rbf', 'True']
    """
    data: list[dict[str, Any]] = []
    for i, s in enumerate(series):
        colour = s.get("colour", _COLOURS[i % len(_COLOURS)])
        x = [str(v) for v in s["x"]] if x_type == "category" else _clean(s["x"])
        trace: dict[str, Any] = {
            "type": "scatter", "mode": s.get("mode", "markers"), "name": s["name"], "x": x,
            "y": _clean(s["y"]), "marker": {"color": colour, "size": s.get("size", 7)},
            "line": {"color": colour, "width": 2}}
        if s.get("shape"):
            trace["line"]["shape"] = s["shape"]
        if s.get("text") is not None:
            trace["text"] = [str(t) for t in s["text"]]
            trace["hovertemplate"] = "%{text}<br>%{x}: %{y}<extra></extra>"
        data.append(trace)
    layout = _layout(title, y_title)
    layout["xaxis"] = {"type": x_type, "title": {"text": x_title}, "automargin": True}
    if x_type == "category":
        layout["xaxis"]["categoryorder"] = "category ascending"
    layout["hovermode"] = "closest"
    return {"data": data, "layout": layout}


def hbars(title: str, labels: Sequence[str], values: Sequence[float], *,
          x_title: str = "") -> dict[str, Any]:
    """One horizontal bar a label, in the order given (the first on top).

    Examples
    --------
    >>> fig = hbars("importance", ["C", "kernel"], [0.7, 0.3])
    >>> fig["data"][0]["y"], fig["data"][0]["orientation"]
    (['C', 'kernel'], 'h')
    """
    data = [{"type": "bar", "orientation": "h", "name": x_title or title,
             "y": [str(v) for v in labels], "x": _clean(values),
             "marker": {"color": _COLOURS[0]}}]
    layout = _layout(title, "", height=max(220, 26 * len(labels) + 100))
    layout["xaxis"] = {"type": "linear", "title": {"text": x_title}, "automargin": True}
    layout["yaxis"] = {"type": "category", "automargin": True, "autorange": "reversed"}
    layout["hovermode"] = "closest"
    layout["showlegend"] = False
    return {"data": data, "layout": layout}


def timeline(title: str, lanes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Events as markers on one time axis, one lane per kind: ``{"name", "x", "text"}``.

    Examples
    --------
    >>> timeline("t", [{"name": "promoted", "x": [0], "text": ["v2"]}])["data"][0]["y"]
    ['promoted']
    """
    data = []
    for i, lane in enumerate(lanes):
        data.append({"type": "scatter", "mode": "markers", "name": lane["name"],
                     "x": _times(lane["x"]), "y": [lane["name"]] * len(lane["x"]),
                     "text": list(lane["text"]), "hovertemplate": "%{text}<extra></extra>",
                     "marker": {"size": 11, "color": lane.get("colour", _COLOURS[i % len(_COLOURS)]),
                                "symbol": lane.get("symbol", "circle")}})
    layout = _layout(title, "", height=max(220, 34 * len(lanes) + 100))
    layout["yaxis"] = {"type": "category", "automargin": True}
    layout["hovermode"] = "closest"
    layout["showlegend"] = False
    return {"data": data, "layout": layout}


def count_points(figure: dict[str, Any]) -> int:
    """The number of plotted values in a figure (cells for heatmaps).

    Examples
    --------
    >>> count_points(heatmap("d", [0, 1], ["a", "b"], [[1, 2], [3, 4]]))
    4
    """
    n = 0
    for trace in figure.get("data", []):
        if trace.get("type") == "heatmap":
            n += sum(len(r) for r in trace.get("z", []))
        else:
            n += len(trace.get("y", []))
    return n
