"""`driftline demo --fast` end to end: the expected phases, verdicts and decisions happen,
through a real local service, and the dashboards answer at the URLs it prints."""

from __future__ import annotations

import json
import urllib.request

import pytest

from driftline.cli import main
from driftline.demo import run_demo


class _Explore:
    """Stands in for Ctrl-C under --keep-running: looks at the running service, then returns."""

    def __init__(self, paths):
        self.paths, self.url, self.seen = paths, "", {}

    def __call__(self):
        for path in self.paths:
            with urllib.request.urlopen(self.url + path, timeout=30) as r:
                self.seen[path] = (r.status, r.read().decode())


def _run(out, explore, **kw):
    from driftline.demo import _server

    class Recording(_server.DemoServer):  # learn the port the demo picked
        def start(self, timeout=60.0):
            explore.url = self.url
            return super().start(timeout)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_server, "DemoServer", Recording)
        return run_demo(out, quiet=True, keep_running=True, wait=explore, **kw)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    explore = _Explore(["/ui/", "/ui/models/loans-stage-1/timeline", "/metrics"])
    result = _run(out, explore, fast=True)
    return out, result, explore.seen


def _phase(stage, key):
    return next(p for p in stage["phases"] if p["phase"] == key)


def test_each_phase_is_seen_by_the_monitor(demo):
    _, result, _ = demo
    for stage in result.stages.values():
        stable = _phase(stage, "stable")
        assert not stable["drifted"] and stable["decision"] == "none"
        assert not stable["label_drift"]
        assert {"income", "age"} <= set(_phase(stage, "covariate")["drifted"])
        assert _phase(stage, "prior")["label_drift"] is True
        concept = _phase(stage, "concept")
        assert concept["roc_auc"] < 0.5 < stable["roc_auc"]  # the drop, once labels arrive
        assert concept["label_coverage"] < 1.0  # labels only for approved loans
        assert _phase(stage, "new_data")["label_coverage"] == 1.0


def test_the_four_stages_retrain_as_their_policies_say(demo):
    _, result, _ = demo
    retrains = {s: [p["retrain"] for p in st["phases"] if p["retrain"]]
                for s, st in result.stages.items()}
    decisions = {s: [d for d in st["decisions"] if d["action"] == "retrain"]
                 for s, st in result.stages.items()}
    assert [d["trigger"] for d in decisions[1]] == ["on_demand"]
    assert [(d["trigger"], d["mode"]) for d in decisions[2]] == [("on_schedule", "stateless")]
    assert [(d["trigger"], d["mode"]) for d in decisions[3]] == [("on_schedule", "stateful")]
    assert decisions[4] and all(d["trigger"] in ("on_data_drift", "on_performance_degradation")
                                for d in decisions[4])
    for s in (1, 2, 4):
        assert retrains[s][-1]["outcome"] == "promoted", (s, retrains[s])
    assert result.stages[1]["champion"] == 2  # promoted, rolled back, and forward again


def test_the_detectors_watch_the_labelled_errors_and_the_outlier_share(demo):
    _, result, _ = demo
    phases = [p for st in result.stages.values() for p in st["phases"]]
    assert all(p["concept_drifts"] == 0 for p in phases if p["phase"] == "stable")
    # defaults twice as common, then a new concept: the error stream changes, label by label
    assert any(p["concept_drifts"] for p in phases if p["phase"] != "stable")
    stable = [p["outlier_share"] for p in phases if p["phase"] == "stable"]
    assert all(s is not None and s < 0.05 for s in stable), stable


def test_the_streams_part_runs_on_a_drifting_generator(demo):
    _, result, _ = demo
    s = result.streams
    assert s["change_at"] == 5_000 and s["rows"] == 10_000  # --fast
    for name in ("ADWIN", "HDDM_A", "PageHinkley"):
        d = s["detectors"][name]
        assert d["false_alarms"] == 0 and 0 <= d["delay"] < 2_000, (name, d)
    assert s["swaps"] and all(w >= s["change_at"] for w in s["swaps"])
    assert s["accuracy_after"]["adaptive"] > s["accuracy_after"]["fixed"] + 0.03


def test_a_challenger_is_rejected_and_a_rollback_happens(demo):
    _, result, _ = demo
    stage = result.stages[1]
    assert stage["experiment"]["outcome"] == "rejected"
    assert stage["rollback"] == {"to": 1, "from": 2, "forward": 2}
    actions = [d["action"] for d in stage["decisions"]]
    assert "reject" in actions and "promote" in actions


def test_reports_summary_and_the_running_service(demo):
    out, result, seen = demo
    assert len(result.reports) == 5 and all(p.endswith(".html") for p in result.reports)
    summary = json.loads((out / "demo-summary.json").read_text())
    assert set(summary["stages"]) == {"1", "2", "3", "4"}
    assert summary["streams"]["detectors"]["ADWIN"]["first_alarm"] >= 5_000
    assert seen["/ui/"][0] == 200 and "loans-stage-4" in seen["/ui/"][1]
    assert "rollback" in seen["/ui/models/loans-stage-1/timeline"][1]
    assert 'driftline_predictions_total{model="loans-stage-1"' in seen["/metrics"][1]


def test_one_stage_from_the_command_line(tmp_path, capsys):
    assert main(["demo", "--fast", "--stage", "3", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Stage 3: On a schedule, stateful" in text and "Stage 1" not in text
    assert "retrain (stateful)" in text and "/ui/models/loans-stage-3/drift" in text
    assert "Blind spot" in text and "with a label" in text


def test_with_prometheus_scraping_the_demo_and_its_alert_rules(tmp_path):
    from tests.telemetry.prom import require_binary

    require_binary("prometheus")
    state = {}

    def check():
        import time

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{result_prom[0]}/api/v1/query?query=up", timeout=5) as r:
                up = json.loads(r.read())["data"]["result"]
            if up and up[0]["value"][1] == "1":
                break
            time.sleep(0.5)
        with urllib.request.urlopen(f"{result_prom[0]}/api/v1/rules", timeout=5) as r:
            state["groups"] = json.loads(r.read())["data"]["groups"]
        state["up"] = up

    result_prom = [""]
    from driftline.demo import _server

    real = _server.start_prometheus

    def recording(folder, target):
        started = real(folder, target)
        result_prom[0] = started[1]
        return started

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_server, "start_prometheus", recording)
        run_demo(tmp_path, stages=[1], fast=True, quiet=True, with_prometheus=True,
                 keep_running=True, wait=check)
    assert state["up"] and state["up"][0]["value"][1] == "1"
    names = {r["name"] for g in state["groups"] for r in g["rules"]}
    assert {"DriftlineDatasetDrift", "DriftlineTargetDown"} <= names
