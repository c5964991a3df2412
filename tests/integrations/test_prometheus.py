"""The Prometheus export: the alert rules pass ``promtool check rules``, every alert fires and
stays silent where it should (``promtool test rules`` on alerts_test.yml), and the scrape
config passes ``promtool check config``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from driftline.errors import ParameterError
from driftline.integrations import (
    ALERTS,
    RULE_FILE,
    AlertThresholds,
    alert_rules,
    prometheus_config,
    write_prometheus,
)
from driftline.policy import LOWER_IS_BETTER
from tests.integrations.promql import selectors
from tests.integrations.promtool import run

HERE = Path(__file__).resolve().parent
UNIT_TESTS = HERE / "alerts_test.yml"
DOC = HERE.parents[1] / "docs" / "dashboards.md"
RULES = {r["alert"]: r for r in alert_rules()["groups"][0]["rules"]}


def _unit_tests(rule_file: Path, directory: Path) -> Path:
    """alerts_test.yml with rule_files pointing at ``rule_file``."""
    spec = yaml.safe_load(UNIT_TESTS.read_text(encoding="utf-8"))
    spec["rule_files"] = [str(rule_file)]
    path = directory / "alerts_test.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_the_rules_pass_promtool_check(tmp_path):
    _, rules = write_prometheus(tmp_path)
    result = run("check", "rules", rules)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_every_alert_fires_and_stays_silent_as_the_unit_tests_expect(tmp_path):
    _, rules = write_prometheus(tmp_path)
    result = run("test", "rules", _unit_tests(rules, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_firing_and_a_non_firing_case():
    spec = yaml.safe_load(UNIT_TESTS.read_text(encoding="utf-8"))
    cases: dict[str, set[bool]] = {}
    for group in spec["tests"]:
        for case in group["alert_rule_test"]:
            cases.setdefault(case["alertname"], set()).add(bool(case["exp_alerts"]))
    assert cases == {name: {True, False} for name in ALERTS}


def test_the_unit_tests_fail_when_a_threshold_changes(tmp_path):
    # the expectations are only worth something if promtool reports a rule that differs
    _, rules = write_prometheus(tmp_path, thresholds=AlertThresholds(error_ratio=0.2))
    result = run("test", "rules", _unit_tests(rules, tmp_path))
    assert result.returncode != 0
    assert "DriftlineHighErrorRatio" in result.stdout + result.stderr


@pytest.mark.parametrize("name", ALERTS)
def test_every_alert_has_labels_annotations_and_a_runbook(name):
    rule = RULES[name]
    assert rule["labels"]["severity"] in ("warning", "critical")
    notes = rule["annotations"]
    assert set(notes) == {"summary", "description", "runbook_url"}
    assert "$labels." in notes["summary"] and "$labels." in notes["description"]
    # up is 0, and the label-shift verdict is 1: their value says nothing the summary does not
    assert "$value" in notes["description"] or name in ("DriftlineTargetDown", "DriftlineLabelShift")
    anchor = notes["runbook_url"].split("#", 1)[1]
    assert notes["runbook_url"] == f"docs/dashboards.md#{anchor}"
    assert f'<a id="{anchor}"></a>\n### {name}\n' in DOC.read_text(encoding="utf-8")
    assert re.fullmatch(r"\d+[smh]", rule["for"])


def _doc_table() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| Driftline"):
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("name", ALERTS)
def test_the_docs_table_matches_the_rules(name):
    cells = _doc_table()[name]
    assert cells[1] == RULES[name]["labels"]["severity"]
    assert cells[4] == RULES[name]["for"]


def test_thresholds_and_durations_are_options():
    t = AlertThresholds(error_ratio=0.2, latency_p99=1.5, drop_ratio=0.01, performance_drop=0.1,
                        missed_runs=4, durations={"DriftlineTargetDown": "1m"})
    rules = {r["alert"]: r for r in alert_rules(t, job="ml", runbook_base="https://x/d.md")
             ["groups"][0]["rules"]}
    assert rules["DriftlineHighErrorRatio"]["expr"].endswith("> 0.2")
    assert "20%" in rules["DriftlineHighErrorRatio"]["annotations"]["description"]
    assert rules["DriftlineHighLatency"]["expr"].endswith("> 1.5")
    assert rules["DriftlinePredictionLogDrops"]["expr"].endswith("> 0.01")
    assert "0.1 * abs(" in rules["DriftlinePerformanceDegraded"]["expr"]
    assert "\n5 * max by (model)" in rules["DriftlineRetrainOverdue"]["expr"]
    assert rules["DriftlineTargetDown"]["expr"] == 'up{job="ml"} == 0'
    assert rules["DriftlineTargetDown"]["for"] == "1m"
    assert rules["DriftlineHighLatency"]["for"] == "10m"
    assert rules["DriftlineTargetDown"]["annotations"]["runbook_url"] == \
        "https://x/d.md#driftlinetargetdown"


def test_lower_is_better_metrics_fire_when_they_rise():
    expr = RULES["DriftlinePerformanceDegraded"]["expr"]
    higher, lower = expr.split("\n  or\n")
    for part, op, cmp in ((higher, "!~", "<"), (lower, "=~", ">")):
        regex = re.search(rf'metric{op}"([^"]+)"', part)
        assert regex is not None and set(regex.group(1).split("|")) == set(LOWER_IS_BETTER)
        assert f"{cmp} on (model, version, metric)" in part


def _aggregations(expr: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for s in selectors(expr):
        out.setdefault(s.metric, set()).update(s.parents)
    return out


def test_counters_are_summed_and_store_read_series_maxed():
    for rule in RULES.values():
        for metric, parents in _aggregations(rule["expr"]).items():
            if metric in ("driftline_requests_total", "driftline_predictions_total",
                          "driftline_prediction_log_dropped_total",
                          "driftline_request_duration_seconds_bucket"):
                assert "sum" in parents and "max" not in parents, (metric, rule["alert"])
            elif metric != "up":
                assert "max" in parents, (metric, rule["alert"])


@pytest.mark.parametrize("kwargs, fragment", [
    ({"error_ratio": 0}, "error_ratio must be a number in (0, 1); got 0."),
    ({"latency_p99": -1.0}, "latency_p99 must be a number of seconds > 0; got -1.0."),
    ({"drop_ratio": 1.0}, "drop_ratio must be a number in [0, 1); got 1.0."),
    ({"performance_drop": "5%"}, "performance_drop must be a number in [0, 1); got '5%'."),
    ({"missed_runs": 1.5}, "missed_runs must be an integer >= 0; got 1.5."),
    ({"durations": {"TargetDown": "1m"}}, "durations must be one of 'DriftlineHighErrorRatio'"),
    ({"durations": {"DriftlineTargetDown": "1 min"}}, "durations['DriftlineTargetDown'] must be a "
                                                      "Prometheus duration"),
], ids=lambda v: v if isinstance(v, str) else next(iter(v)))
def test_bad_thresholds_name_the_parameter(kwargs, fragment):
    with pytest.raises(ParameterError) as info:
        AlertThresholds(**kwargs)
    assert fragment in str(info.value)


def _config(tmp_path: Path, **kwargs: Any) -> tuple[dict[str, Any], Path]:
    config_path, _ = write_prometheus(tmp_path, **kwargs)
    return yaml.safe_load(config_path.read_text(encoding="utf-8")), config_path


def test_the_scrape_config_passes_promtool_check_config(tmp_path):
    config, path = _config(tmp_path, targets=["driftline-1:8000", "10.0.0.2:8001"],
                           alertmanager="https://am.example:9093/am/", scrape_interval="30s")
    result = run("check", "config", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout
    scrape = config["scrape_configs"][0]
    assert scrape["job_name"] == "driftline" and scrape["scrape_interval"] == "30s"
    assert scrape["static_configs"] == [{"targets": ["driftline-1:8000", "10.0.0.2:8001"]}]
    assert config["rule_files"] == [RULE_FILE]
    assert config["alerting"]["alertmanagers"] == [{
        "scheme": "https", "path_prefix": "/am", "api_version": "v2",
        "static_configs": [{"targets": ["am.example:9093"]}]}]


def test_defaults_scrape_localhost_without_alertmanager(tmp_path):
    config, path = _config(tmp_path)
    assert config["scrape_configs"][0]["static_configs"] == [{"targets": ["127.0.0.1:8000"]}]
    assert "alerting" not in config
    assert run("check", "config", path).returncode == 0


@pytest.mark.parametrize("kwargs, fragment", [
    ({"targets": ["driftline"]}, "target must be HOST:PORT"),
    ({"targets": ["driftline:99999"]}, "got 'driftline:99999'"),
    ({"targets": []}, "targets must be at least one HOST:PORT; got []."),
    ({"alertmanager": "alertmanager:9093"}, "alertmanager must be an http:// or https:// URL"),
    ({"job": 'a"b'}, "job must be a non-empty scrape job name without quotes"),
    ({"scrape_interval": "15 s"}, "scrape_interval must be a Prometheus duration"),
], ids=["no-port", "bad-port", "no-targets", "alertmanager", "job", "interval"])
def test_bad_scrape_settings_name_the_parameter(kwargs, fragment):
    with pytest.raises(ParameterError) as info:
        prometheus_config(**kwargs)
    assert fragment in str(info.value)
