"""Small builders for Grafana dashboard JSON: selectors, targets, panels, variables, layout.

Every panel reads Prometheus through the dashboard's ``datasource`` variable (never a
``${DS_…}`` import input, which file provisioning cannot fill in), has a title, a description
and a unit, and filters on the ``job`` and ``instance`` variables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["DATASOURCE", "dashboard", "row", "sel", "stat", "table", "target", "timeseries", "variables"]

#: How every panel, target and query variable names its datasource: the template variable.
DATASOURCE: dict[str, str] = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39
RATE = "$__rate_interval"
_WIDTH = {"row": 24, "stat": 6, "timeseries": 12, "table": 12}
_HEIGHT = {"row": 1, "stat": 4, "timeseries": 8, "table": 8}


def sel(metric: str, *, model: bool = False, **matchers: str) -> str:
    """A selector filtered on the ``job`` and ``instance`` variables (and ``model``).

    >>> sel("driftline_requests_total", model=True, code="5xx")
    'driftline_requests_total{job=~"$job", instance=~"$instance", model=~"$model", code="5xx"}'
    """
    parts = ['job=~"$job"', 'instance=~"$instance"']
    if model:
        parts.append('model=~"$model"')
    parts += [f'{k}="{v}"' for k, v in matchers.items()]
    return f"{metric}{{{', '.join(parts)}}}"


def target(expr: str, legend: str = "", *, instant: bool = False) -> dict[str, Any]:
    """A Prometheus query of a panel (its ``refId`` is set by the panel)."""
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend or "__auto",
            "instant": instant, "range": not instant, "editorMode": "code"}


def _panel(kind: str, title: str, description: str, unit: str, targets: Iterable[dict[str, Any]],
           options: Mapping[str, Any], custom: Mapping[str, Any] | None = None,
           **defaults: Any) -> dict[str, Any]:
    refs = [{**t, "refId": chr(ord("A") + i)} for i, t in enumerate(targets)]
    field_defaults = {"unit": unit, **{k: v for k, v in defaults.items() if v is not None}}
    if custom is not None:
        field_defaults["custom"] = dict(custom)
    return {"type": kind, "title": title, "description": description, "datasource": DATASOURCE,
            "targets": refs, "options": dict(options),
            "fieldConfig": {"defaults": field_defaults, "overrides": []}}


def timeseries(title: str, description: str, unit: str, *targets: dict[str, Any],
               min: float | None = None, max: float | None = None,
               threshold: float | None = None) -> dict[str, Any]:
    """A time-series panel; ``threshold`` draws a dashed red line at that value."""
    custom: dict[str, Any] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                              "showPoints": "never", "spanNulls": False}
    thresholds = None
    if threshold is not None:
        custom["thresholdsStyle"] = {"mode": "dashed"}
        thresholds = {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                    {"color": "red", "value": threshold}]}
    options = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
               "tooltip": {"mode": "multi", "sort": "desc"}}
    return _panel("timeseries", title, description, unit, targets, options, custom,
                  min=min, max=max, thresholds=thresholds)


def stat(title: str, description: str, unit: str, *targets: dict[str, Any],
         red_at: float | None = None, text: str = "value") -> dict[str, Any]:
    """A single-value panel (the last value of each series); red at ``red_at`` and above."""
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if red_at is not None:
        steps.append({"color": "red", "value": red_at})
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "colorMode": "value", "graphMode": "none", "textMode": text,
               "orientation": "auto", "justifyMode": "auto"}
    return _panel("stat", title, description, unit, targets, options,
                  thresholds={"mode": "absolute", "steps": steps})


def table(title: str, description: str, unit: str, *targets: dict[str, Any]) -> dict[str, Any]:
    """A table of instant values, one row per series, labels as columns."""
    options = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}}
    panel = _panel("table", title, description, unit, targets, options)
    panel["transformations"] = [{"id": "labelsToFields", "options": {"mode": "columns"}},
                                {"id": "merge", "options": {}}]
    return panel


def row(title: str) -> dict[str, Any]:
    """A (non-collapsed) row header that groups the panels after it."""
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def _layout(panels: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Number the panels and place them left to right, top to bottom, on the 24-wide grid."""
    out, x, y, line_height = [], 0, 0, 0
    for pid, panel in enumerate(panels, start=1):
        w, h = _WIDTH[panel["type"]], _HEIGHT[panel["type"]]
        if x + w > 24 or panel["type"] == "row":
            x, y, line_height = 0, y + line_height, 0
        out.append({**panel, "id": pid, "gridPos": {"x": x, "y": y, "w": w, "h": h}})
        x, line_height = x + w, max(line_height, h)
    return out


def _query_variable(name: str, query: str, *, all_value: str = ".+") -> dict[str, Any]:
    return {"type": "query", "name": name, "label": name.title(), "datasource": DATASOURCE,
            "query": query, "definition": query, "refresh": 2, "sort": 1, "multi": True,
            "includeAll": True, "allValue": all_value, "hide": 0, "regex": "",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "options": [], "skipUrlSync": False}


def variables(datasource_uid: str) -> list[dict[str, Any]]:
    """The template variables every driftline dashboard has: the Prometheus datasource (the
    provisioned one selected), then job, instance and model."""
    datasource = {"type": "datasource", "name": "datasource", "label": "Data source",
                  "query": "prometheus", "regex": "", "hide": 0, "includeAll": False,
                  "multi": False, "refresh": 1, "options": [], "skipUrlSync": False,
                  "current": {"selected": True, "text": datasource_uid, "value": datasource_uid}}
    return [datasource,
            _query_variable("job", "label_values(driftline_inflight_requests, job)"),
            _query_variable("instance",
                            'label_values(driftline_inflight_requests{job=~"$job"}, instance)'),
            _query_variable("model", 'label_values(driftline_model_info{job=~"$job"}, model)')]


def dashboard(uid: str, title: str, description: str, panels: Iterable[dict[str, Any]], *,
              datasource_uid: str) -> dict[str, Any]:
    """A complete dashboard: fixed ``uid``, the variables, links to the other driftline
    dashboards (by tag), and the panels laid out."""
    return {
        "uid": uid, "title": title, "description": description, "tags": ["driftline"],
        "schemaVersion": SCHEMA_VERSION, "version": 1, "editable": False, "graphTooltip": 1,
        "timezone": "browser", "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
        "timepicker": {}, "fiscalYearStartMonth": 0, "liveNow": False, "weekStart": "",
        "templating": {"list": variables(datasource_uid)},
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [{"type": "dashboards", "tags": ["driftline"], "asDropdown": True,
                   "title": "driftline", "includeVars": True, "keepTime": True,
                   "icon": "external link", "targetBlank": False, "tooltip": "", "url": ""}],
        "panels": _layout(panels),
    }
