"""The essential rules of Grafana's dashboard linter (grafana/dashboard-linter), re-implemented
for the tests: each rule takes a dashboard (the JSON as a dict) and returns its problems, one
sentence each, naming the panel or variable. No problem, no list entries.

Rules (the linter's names): dashboard-uid-schema-rule, dashboard-no-import-inputs-rule,
template-datasource-rule, template-job-rule, template-instance-rule, template-label-promql-rule,
panel-datasource-rule, panel-title-description-rule, panel-units-rule, panel-layout-rule,
target-promql-rule, target-rate-interval-rule, target-counter-agg-rule, target-job-rule,
target-instance-rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from tests.integrations.promql import selectors

__all__ = ["RULES", "expressions", "lint", "panels", "query_panels"]

Dashboard = dict[str, Any]
Rule = Callable[[Dashboard], list[str]]

# Grafana unit ids a panel may use here (from Grafana's value formats: misc, percent, data,
# throughput, time, date, boolean).
UNITS = {"none", "short", "percent", "percentunit", "bytes", "decbytes", "bits", "reqps", "rps",
         "ops", "cps", "wps", "iops", "s", "ms", "µs", "ns", "m", "h", "d", "dtdurations",
         "dtdurationms", "dateTimeAsIso", "dateTimeFromNow", "bool", "bool_yes_no",
         "bool_on_off", "hertz"}
# Panel types that hold queries and values (rows and text panels have none).
QUERY_PANELS = {"timeseries", "stat", "gauge", "bargauge", "table", "graph", "singlestat",
                "state-timeline"}
DATASOURCE_REFS = {"$datasource", "${datasource}"}
_VARIABLE_QUERY = re.compile(r"^(label_values|label_names|metrics|query_result)\((.*)\)$", re.S)


def panels(d: Dashboard) -> Iterator[dict[str, Any]]:
    """Every panel, including those inside collapsed rows."""
    for p in d.get("panels", []):
        yield p
        yield from p.get("panels", [])


def query_panels(d: Dashboard) -> Iterator[dict[str, Any]]:
    return (p for p in panels(d) if p.get("type") in QUERY_PANELS)


def _targets(d: Dashboard) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for p in query_panels(d):
        for t in p.get("targets", []):
            yield p, t


def expressions(d: Dashboard) -> list[str]:
    """Every PromQL expression: the targets', and the series of the query variables."""
    out = [t.get("expr", "") for _, t in _targets(d)]
    for v in _variables(d, "query"):
        m = _VARIABLE_QUERY.match(str(v.get("query", "")))
        if m and m.group(1) in ("label_values", "query_result"):
            out.append(m.group(2).rsplit(",", 1)[0] if m.group(1) == "label_values" else m.group(2))
    return out


def _variables(d: Dashboard, kind: str | None = None) -> list[dict[str, Any]]:
    return [v for v in d.get("templating", {}).get("list", []) if kind is None or v.get("type") == kind]


def _where(p: dict[str, Any]) -> str:
    return f"panel {p.get('id')!r} ({p.get('title', '')!r})"


def uid_schema(d: Dashboard) -> list[str]:
    problems = []
    uid = d.get("uid")
    if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
        problems.append(f"uid must be 1 to 40 letters, digits, '-' or '_'; got {uid!r}")
    if not isinstance(d.get("schemaVersion"), int):
        problems.append(f"schemaVersion must be an integer; got {d.get('schemaVersion')!r}")
    if not d.get("title"):
        problems.append("the dashboard has no title")
    return problems


def no_import_inputs(d: Dashboard) -> list[str]:
    text = json.dumps(d)
    problems = [f"uses import inputs {k}: file provisioning cannot fill them in"
                for k in ("__inputs", "__requires") if k in d]
    if "${DS_" in text or "$DS_" in text:
        problems.append("refers to a ${DS_...} import input: file provisioning cannot fill it in")
    return problems


def template_datasource(d: Dashboard) -> list[str]:
    found = _variables(d, "datasource")
    if not found:
        return ["has no templated datasource variable"]
    problems = []
    for v in found:
        if v.get("query") != "prometheus":
            problems.append(f"datasource variable {v.get('name')!r} has query {v.get('query')!r}, "
                            "not 'prometheus'")
        if v.get("name") not in ("datasource", "prometheus_datasource"):
            problems.append(f"datasource variable is named {v.get('name')!r}, not 'datasource'")
        if v.get("label") not in ("Data source", "Prometheus data source"):
            problems.append(f"datasource variable is labeled {v.get('label')!r}, not 'Data source'")
    return problems


def _template(name: str) -> Rule:
    def rule(d: Dashboard) -> list[str]:
        found = [v for v in _variables(d) if v.get("name") == name]
        if not found:
            return [f"is missing the {name} variable"]
        v, problems = found[0], []
        if v.get("type") != "query":
            problems.append(f"{name} variable must be a query variable; is {v.get('type')!r}")
        if (v.get("datasource") or {}).get("uid") not in DATASOURCE_REFS:
            problems.append(f"{name} variable must use $datasource; uses {v.get('datasource')!r}")
        if v.get("label") != name.title():
            problems.append(f"{name} variable should be labeled {name.title()!r}; is {v.get('label')!r}")
        if not v.get("multi"):
            problems.append(f"{name} variable must be multi-select")
        if v.get("allValue") != ".+":
            problems.append(f"{name} variable's allValue must be '.+'; is {v.get('allValue')!r}")
        return problems
    return rule


def template_label_promql(d: Dashboard) -> list[str]:
    problems = []
    for v in _variables(d, "query"):
        query = str(v.get("query", ""))
        if not _VARIABLE_QUERY.match(query):
            problems.append(f"variable {v.get('name')!r} has an invalid query {query!r}: expected "
                            "label_values(...), label_names(...), metrics(...) or query_result(...)")
    return problems


def panel_datasource(d: Dashboard) -> list[str]:
    problems = []
    for p in query_panels(d):
        refs = [p.get("datasource")] + [t.get("datasource") for t in p.get("targets", [])
                                         if "datasource" in t]
        for ref in refs:
            uid = ref.get("uid") if isinstance(ref, dict) else ref
            if uid not in DATASOURCE_REFS:
                problems.append(f"{_where(p)} does not use the templated datasource; uses {uid!r}")
    return problems


def panel_title_description(d: Dashboard) -> list[str]:
    return [f"{_where(p)} has no title or no description" for p in query_panels(d)
            if not str(p.get("title", "")).strip() or not str(p.get("description", "")).strip()]


def panel_units(d: Dashboard) -> list[str]:
    problems = []
    for p in query_panels(d):
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        for override in p.get("fieldConfig", {}).get("overrides", []):
            for prop in override.get("properties", []):
                if prop.get("id") == "unit":
                    unit = prop.get("value")
        if unit not in UNITS:
            problems.append(f"{_where(p)} has no or an invalid unit: {unit!r}")
    return problems


def panel_layout(d: Dashboard) -> list[str]:
    ids = [p.get("id") for p in panels(d)]
    problems = [f"panel id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for p in panels(d):
        pos = p.get("gridPos") or {}
        if not all(isinstance(pos.get(k), int) for k in "xywh") or pos["x"] + pos["w"] > 24:
            problems.append(f"{_where(p)} has an invalid gridPos {pos!r}")
    return problems


def target_promql(d: Dashboard) -> list[str]:
    problems = []
    for p, t in _targets(d):
        expr = t.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            problems.append(f"{_where(p)} target {t.get('refId')!r} has no expression")
            continue
        try:
            selectors(expr)
        except (ValueError, IndexError) as exc:
            problems.append(f"{_where(p)} target {t.get('refId')!r} cannot be read: {exc}")
    return problems


def _each_selector(d: Dashboard) -> Iterator[tuple[dict[str, Any], str, Any]]:
    for p, t in _targets(d):
        try:
            found = selectors(t.get("expr", ""))
        except (ValueError, IndexError):
            continue  # target-promql-rule reports it
        for s in found:
            yield p, t.get("expr", ""), s


def target_rate_interval(d: Dashboard) -> list[str]:
    return [f"{_where(p)}: {s.call}() over [{s.range}] should use [$__rate_interval] in {expr!r}"
            for p, expr, s in _each_selector(d)
            if s.range is not None and s.call in ("rate", "irate") and s.range != "$__rate_interval"]


def target_counter_agg(d: Dashboard) -> list[str]:
    return [f"{_where(p)}: counter {s.metric} is not under rate(), irate() or increase() "
            f"over a range in {expr!r}"
            for p, expr, s in _each_selector(d)
            if s.metric.endswith("_total")
            and (s.range is None or s.call not in ("rate", "irate", "increase"))]


def _required_matcher(label: str) -> Rule:
    def rule(d: Dashboard) -> list[str]:
        return [f"{_where(p)}: {s.metric} has no {label}=~\"${label}\" matcher in {expr!r}"
                for p, expr, s in _each_selector(d)
                if (label, "=~", f"${label}") not in s.matchers]
    return rule


RULES: dict[str, Rule] = {
    "dashboard-uid-schema-rule": uid_schema,
    "dashboard-no-import-inputs-rule": no_import_inputs,
    "template-datasource-rule": template_datasource,
    "template-job-rule": _template("job"),
    "template-instance-rule": _template("instance"),
    "template-label-promql-rule": template_label_promql,
    "panel-datasource-rule": panel_datasource,
    "panel-title-description-rule": panel_title_description,
    "panel-units-rule": panel_units,
    "panel-layout-rule": panel_layout,
    "target-promql-rule": target_promql,
    "target-rate-interval-rule": target_rate_interval,
    "target-counter-agg-rule": target_counter_agg,
    "target-job-rule": _required_matcher("job"),
    "target-instance-rule": _required_matcher("instance"),
}


def lint(d: Dashboard) -> dict[str, list[str]]:
    """Every rule's problems, for the rules that found any."""
    return {name: found for name, rule in RULES.items() if (found := rule(d))}
