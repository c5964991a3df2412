"""``driftline export grafana DIR`` and ``driftline export prometheus DIR``, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from driftline.cli import main
from driftline.integrations import grafana_dashboards
from tests.integrations.promtool import run as promtool


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_export_grafana_prints_the_written_files(tmp_path, capsys):
    code, out, err = _run(capsys, "export", "grafana", tmp_path / "grafana",
                          "--prometheus-url", "http://prometheus:9090")
    assert (code, err) == (0, "")
    written = [Path(line) for line in out.splitlines()]
    assert [p.name for p in written[2:]] == [f"{uid}.json" for uid in grafana_dashboards()]
    assert all(p.is_file() for p in written)
    ds = yaml.safe_load(written[0].read_text())["datasources"][0]
    assert ds["url"] == "http://prometheus:9090"


def test_export_prometheus_with_options(tmp_path, capsys):
    code, out, err = _run(capsys, "export", "prometheus", tmp_path,
                          "--target", "driftline-1:8000", "--target", "driftline-2:8000",
                          "--alertmanager", "http://alertmanager:9093", "--error-ratio", "0.1",
                          "--latency-p99", "0.25", "--missed-runs", "1",
                          "--for", "DriftlineTargetDown=1m", "--json", "-")
    assert code == 0
    payload = json.loads(out)
    config_path, rules_path = map(Path, payload["written"])
    assert err.splitlines() == payload["written"]  # the summary goes to stderr with --json -
    config = yaml.safe_load(config_path.read_text())
    assert config["scrape_configs"][0]["static_configs"][0]["targets"] == [
        "driftline-1:8000", "driftline-2:8000"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "alertmanager:9093"]
    rules = {r["alert"]: r for r in yaml.safe_load(rules_path.read_text())["groups"][0]["rules"]}
    assert rules["DriftlineHighErrorRatio"]["expr"].endswith("> 0.1")
    assert rules["DriftlineHighLatency"]["expr"].endswith("> 0.25")
    assert "\n2 * max by (model)" in rules["DriftlineRetrainOverdue"]["expr"]
    assert rules["DriftlineTargetDown"]["for"] == "1m"
    check = promtool("check", "config", config_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_export_prometheus_defaults(tmp_path, capsys):
    code, out, _ = _run(capsys, "export", "prometheus", tmp_path, "--quiet")
    assert (code, out) == (0, "")
    config = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    assert config["scrape_configs"][0]["static_configs"][0]["targets"] == ["127.0.0.1:8000"]
    assert "alerting" not in config


@pytest.mark.parametrize("argv, fragment", [
    (["prometheus", "--target", "nohost"], "target must be HOST:PORT"),
    (["prometheus", "--error-ratio", "1.5"], "error_ratio must be a number in (0, 1); got 1.5."),
    (["prometheus", "--error-ratio", "high"], "argument --error-ratio: invalid float value"),
    (["prometheus", "--for", "Nope=1m"], "argument --for: the alert must be one of"),
    (["prometheus", "--for", "DriftlineTargetDown"], "expected ALERT=DURATION"),
    (["prometheus", "--alertmanager", "am:9093"], "alertmanager must be an http:// or https://"),
    (["grafana", "--dashboards-path", "relative"], "dashboards_path must be an absolute path"),
], ids=["target", "ratio", "not-a-number", "alert-name", "no-duration", "alertmanager", "path"])
def test_bad_options_exit_2_with_one_line(tmp_path, capsys, argv, fragment):
    what, *rest = argv
    code, out, err = _run(capsys, "export", what, tmp_path, *rest)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftline: error: ")
    assert fragment in lines[0]


def test_export_needs_what_to_export(capsys):
    code, _, err = _run(capsys, "export")
    assert code == 2 and "the following arguments are required: WHAT" in err
