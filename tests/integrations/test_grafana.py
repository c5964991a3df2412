"""The Grafana export: the dashboards pass the dashboard linter's rules (re-implemented in
lint.py, each shown to catch a broken dashboard), every query parses with promtool, and the
provisioning files are what Grafana's file provisioning reads."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from driftline.errors import ParameterError
from driftline.integrations import (
    DATASOURCE_UID,
    grafana_dashboard_provider,
    grafana_dashboards,
    grafana_datasource,
    write_grafana,
)
from driftline.telemetry import LOOP_METRICS, MODEL_STATE_METRICS
from tests.integrations.lint import RULES, expressions, lint, query_panels
from tests.integrations.promql import selectors
from tests.integrations.promtool import check_expressions

BOARDS = grafana_dashboards()
UIDS = sorted(BOARDS)


def test_four_dashboards_with_fixed_uids_and_schema():
    assert UIDS == ["driftline-drift", "driftline-performance", "driftline-retraining",
                    "driftline-serving"]
    for uid, board in BOARDS.items():
        assert board["uid"] == uid and isinstance(board["schemaVersion"], int)
        assert board["tags"] == ["driftline"] and board["title"].startswith("driftline / ")


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("uid", UIDS)
def test_the_dashboards_pass_the_lint_rule(uid, rule):
    assert RULES[rule](BOARDS[uid]) == []


def _first(d: dict[str, Any], kind: str = "timeseries") -> dict[str, Any]:
    return next(p for p in query_panels(d) if p["type"] == kind)


def _set_expr(d: dict[str, Any], expr: str) -> None:
    _first(d)["targets"][0]["expr"] = expr


def _variable(d: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in d["templating"]["list"] if v["name"] == name)


# rule -> how to break a dashboard so that exactly that rule has something to say
BREAK: dict[str, Callable[[dict[str, Any]], None]] = {
    "dashboard-uid-schema-rule": lambda d: d.pop("schemaVersion"),
    "dashboard-no-import-inputs-rule": lambda d: _first(d).update(
        datasource={"type": "prometheus", "uid": "${DS_PROMETHEUS}"}),
    "template-datasource-rule": lambda d: _variable(d, "datasource").update(query="loki"),
    "template-job-rule": lambda d: _variable(d, "job").update(allValue=".*"),
    "template-instance-rule": lambda d: _variable(d, "instance").update(multi=False),
    "template-label-promql-rule": lambda d: _variable(d, "model").update(
        query="values(driftline_model_info, model)"),
    "panel-datasource-rule": lambda d: _first(d).update(
        datasource={"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}),
    "panel-title-description-rule": lambda d: _first(d).update(description=""),
    "panel-units-rule": lambda d: _first(d)["fieldConfig"]["defaults"].pop("unit"),
    "panel-layout-rule": lambda d: _first(d).update(id=_first(d, "stat")["id"]),
    "target-promql-rule": lambda d: _set_expr(d, ""),
    "target-rate-interval-rule": lambda d: _set_expr(
        d, 'sum(rate(driftline_requests_total{job=~"$job", instance=~"$instance"}[5m]))'),
    "target-counter-agg-rule": lambda d: _set_expr(
        d, 'sum(driftline_requests_total{job=~"$job", instance=~"$instance"})'),
    "target-job-rule": lambda d: _set_expr(
        d, 'max(driftline_inflight_requests{instance=~"$instance"})'),
    "target-instance-rule": lambda d: _set_expr(d, 'max(driftline_inflight_requests{job=~"$job"})'),
}


def test_every_rule_has_a_breaking_case():
    assert set(BREAK) == set(RULES)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_catches_a_broken_dashboard(rule):
    board = copy.deepcopy(BOARDS["driftline-serving"])
    BREAK[rule](board)
    found = lint(board)
    assert rule in found, f"{rule} missed the break; the lint found {found}"
    assert all(isinstance(m, str) and m for m in found[rule])


@pytest.mark.parametrize("expr, rule", [
    ('rate(driftline_requests_total{job=~"$job", instance=~"$instance"}[$__rate_interval]) > 0',
     None),
    ('increase(driftline_requests_total{job=~"$job", instance=~"$instance"}[$__range])', None),
    ('irate(x{job=~"$job", instance=~"$instance"}[1m])', "target-rate-interval-rule"),
    ('sum by (code) (driftline_requests_total{job=~"$job", instance=~"$instance"})',
     "target-counter-agg-rule"),
    ('delta(driftline_requests_total{job=~"$job", instance=~"$instance"}[$__rate_interval])',
     "target-counter-agg-rule"),
], ids=["rate-ok", "increase-range-ok", "irate-fixed-range", "counter-summed", "counter-delta"])
def test_the_query_rules_read_promql(expr, rule):
    board = copy.deepcopy(BOARDS["driftline-serving"])
    _set_expr(board, expr)
    found = {name for name in ("target-rate-interval-rule", "target-counter-agg-rule")
             if RULES[name](board)}
    assert found == ({rule} if rule else set())


def test_every_promql_expression_parses(tmp_path):
    exprs = [e for board in BOARDS.values() for e in expressions(board)]
    assert len(exprs) > 50
    result = check_expressions(exprs, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout


def test_promtool_rejects_a_broken_expression(tmp_path):
    # the check above is only worth something if it fails on bad PromQL
    result = check_expressions(['sum(rate(x[$__rate_interval])', 'x{model=$model}'], tmp_path)
    assert result.returncode != 0
    assert "unclosed left parenthesis" in result.stdout + result.stderr


def _store_read(metric: str) -> bool:
    """Families every replica reads from the store and exports with the same value."""
    suffixes = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}
    names = set(MODEL_STATE_METRICS) | {n + x for n, (k, _, _) in LOOP_METRICS.items()
                                         for x in suffixes[k]}
    return metric in names


@pytest.mark.parametrize("uid", UIDS)
def test_replicas_are_combined_with_max_for_store_read_series(uid):
    for expr in expressions(BOARDS[uid]):
        for s in selectors(expr):
            if _store_read(s.metric) and "label_values" not in s.parents:
                assert "max" in s.parents, (s.metric, expr)


@pytest.mark.parametrize("uid", UIDS)
def test_variables_and_panel_datasources(uid):
    board = BOARDS[uid]
    names = [v["name"] for v in board["templating"]["list"]]
    assert names == ["datasource", "job", "instance", "model"]
    assert _variable(board, "datasource")["current"]["value"] == DATASOURCE_UID
    assert _variable(board, "model")["query"] == 'label_values(driftline_model_info{job=~"$job"}, model)'
    for panel in query_panels(board):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert [t["refId"] for t in panel["targets"]] == [chr(65 + i) for i in range(len(panel["targets"]))]


def test_write_grafana_writes_provisioning_files(tmp_path):
    paths = write_grafana(tmp_path, prometheus_url="http://prometheus:9090",
                          dashboards_path="/dashboards", scrape_interval="30s", folder="ML")
    rel = [p.relative_to(tmp_path).as_posix() for p in paths]
    assert rel == ["provisioning/datasources/driftline.yaml", "provisioning/dashboards/driftline.yaml",
                   *[f"dashboards/{uid}.json" for uid in BOARDS]]
    ds = yaml.safe_load(paths[0].read_text())["datasources"][0]
    assert (ds["uid"], ds["url"], ds["jsonData"]["timeInterval"]) == (
        DATASOURCE_UID, "http://prometheus:9090", "30s")
    provider = yaml.safe_load(paths[1].read_text())["providers"][0]
    assert (provider["type"], provider["folder"], provider["options"]["path"]) == (
        "file", "ML", "/dashboards")
    for path in paths[2:]:
        text = path.read_text()
        board = json.loads(text)
        assert text == json.dumps(board, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert board == BOARDS[path.stem] and "${DS_" not in text


def test_the_output_is_stable(tmp_path):
    first = [p.read_bytes() for p in write_grafana(tmp_path / "a")]
    assert first == [p.read_bytes() for p in write_grafana(tmp_path / "b")]


@pytest.mark.parametrize("call, fragment", [
    (lambda: grafana_datasource("prometheus:9090"),
     "prometheus_url must be an http:// or https:// URL such as http://prometheus:9090; "
     "got 'prometheus:9090'"),
    (lambda: grafana_datasource(scrape_interval="15"),
     "scrape_interval must be a Prometheus duration such as 30s, 5m or 1h30m; got '15'"),
    (lambda: grafana_dashboard_provider("dashboards"),
     "dashboards_path must be an absolute path inside the Grafana host or container; got "
     "'dashboards'"),
    (lambda: grafana_dashboards(""), "datasource_uid must be a non-empty string; got ''"),
], ids=["url", "interval", "path", "uid"])
def test_bad_values_are_refused_with_the_parameter_named(call, fragment):
    with pytest.raises(ParameterError, match="must be") as info:
        call()
    assert fragment in str(info.value)
