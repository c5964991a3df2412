"""Suites: every condition kind passing and failing, in Python and YAML, and the validation."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from driftline.drift._conditions import (
    Condition,
    MaxDriftShare,
    MaxMissingShare,
    MaxOutOfRangeShare,
    MaxUnseenCategories,
    NoColumnDrift,
)
from driftline.drift._metric_condition import MetricThreshold
from driftline.drift._report import (
    ColumnDrift,
    ColumnQuality,
    DecisionRule,
    DriftReport,
    QualityCheck,
)
from driftline.drift._suite import CONDITIONS, CompareSettings, Suite, SuiteResult
from driftline.errors import MissingDependencyError, ParameterError


def _col(name: str, drifted: bool | None, effect: float | None = 0.05, *, kind: str = "numerical",
         tested: bool = True, reason: str | None = None) -> ColumnDrift:
    return ColumnDrift(column=name, kind=kind, method="ks", statistic=0.1, p_value=0.2,
                       alpha=0.05, effect_size=effect, effect_size_name="wasserstein_normed",
                       effect_threshold=0.1, drifted=drifted, n_reference=500, n_current=500,
                       p_value_adjusted=0.001 if drifted else 0.4, tested=tested, reason=reason)


def _quality(name: str, kind: str = "numerical", **values: float | None) -> ColumnQuality:
    checks = tuple(QualityCheck(k, v, None, "ok", f"{k} message") for k, v in values.items())
    return ColumnQuality(name, kind, checks)


@pytest.fixture
def report() -> DriftReport:
    """age drifted (effect 0.3); income did not; city is categorical; note untested."""
    columns = {
        "age": _col("age", True, 0.3),
        "income": _col("income", False, 0.02),
        "city": _col("city", False, 0.04, kind="categorical"),
        "note": _col("note", None, None, kind="text", tested=False, reason="too few rows"),
    }
    quality = {
        "age": _quality("age", missing_share=0.0, out_of_range_share=0.08, constant=0.0),
        "income": _quality("income", missing_share=0.12, out_of_range_share=0.0),
        "city": _quality("city", "categorical", missing_share=0.01, unseen_categories=0.04),
        "note": _quality("note", "text", missing_share=0.0),
    }
    return DriftReport(columns, quality, DecisionRule(), 500, 500)


# condition, expected verdict, expected value, expected limit
CASES = {
    "drift-share-pass": (MaxDriftShare(0.5), "pass", 1 / 3, 0.5),
    "drift-share-fail": (MaxDriftShare(0.25), "fail", 1 / 3, 0.25),
    "drift-share-equal-passes": (MaxDriftShare(1 / 3), "pass", 1 / 3, 1 / 3),
    "column-drift-pass": (NoColumnDrift("income"), "pass", 0.0, 0.0),
    "column-drift-fail": (NoColumnDrift("age"), "fail", 1.0, 0.0),
    "column-drift-all-fail": (NoColumnDrift("*"), "fail", 1.0, 0.0),
    "column-effect-pass": (NoColumnDrift("age", max_effect=0.5), "pass", 0.3, 0.5),
    "column-effect-fail": (NoColumnDrift("income", max_effect=0.01), "fail", 0.02, 0.01),
    "column-effect-all-worst": (NoColumnDrift("*", max_effect=0.1), "fail", 0.3, 0.1),
    "missing-column-pass": (MaxMissingShare("age", 0.05), "pass", 0.0, 0.05),
    "missing-column-fail": (MaxMissingShare("income", 0.05), "fail", 0.12, 0.05),
    "missing-all-pass": (MaxMissingShare("*", 0.2), "pass", 0.12, 0.2),
    "missing-all-fail": (MaxMissingShare("*", 0.05), "fail", 0.12, 0.05),
    "out-of-range-pass": (MaxOutOfRangeShare("income", 0.01), "pass", 0.0, 0.01),
    "out-of-range-fail": (MaxOutOfRangeShare("age", 0.05), "fail", 0.08, 0.05),
    "out-of-range-all-fail": (MaxOutOfRangeShare("*", 0.05), "fail", 0.08, 0.05),
    "unseen-pass": (MaxUnseenCategories("city", 0.05), "pass", 0.04, 0.05),
    "unseen-fail": (MaxUnseenCategories("city", 0.0), "fail", 0.04, 0.0),
    "unseen-all-fail": (MaxUnseenCategories("*"), "fail", 0.04, 0.0),
    "metric-min-pass": (MetricThreshold("accuracy", min=0.9), "pass", 0.93, 0.9),
    "metric-min-fail": (MetricThreshold("accuracy", min=0.95), "fail", 0.93, 0.95),
    "metric-max-pass": (MetricThreshold("rmse", max=3.0), "pass", 2.5, 3.0),
    "metric-max-fail": (MetricThreshold("rmse", max=2.0), "fail", 2.5, 2.0),
    "metric-missing-error": (MetricThreshold("roc_auc", min=0.8), "error", None, 0.8),
    "column-absent-error": (NoColumnDrift("zip"), "error", None, None),
    "column-untested-error": (NoColumnDrift("note"), "error", None, None),
    "quality-column-absent-error": (MaxMissingShare("zip", 0.1), "error", None, 0.1),
    "quality-check-not-run-error": (MaxUnseenCategories("age", 0.1), "error", None, 0.1),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_condition_verdicts(report: DriftReport, case: tuple) -> None:
    condition, verdict, value, limit = case
    result = condition.evaluate(report, {"accuracy": 0.93, "rmse": 2.5})
    assert isinstance(condition, Condition)
    assert (result.verdict, result.limit) == (verdict, limit), result.message
    assert result.value == pytest.approx(value)
    assert result.message
    json.dumps(result.to_dict(), allow_nan=False)


def test_error_messages_say_what_is_wrong(report: DriftReport) -> None:
    assert "not in the report" in NoColumnDrift("zip").evaluate(report).message
    assert "too few rows" in NoColumnDrift("note").evaluate(report).message
    msg = MetricThreshold("roc_auc", min=0.8).evaluate(report, {"accuracy": 0.9}).message
    assert "roc_auc" in msg and "metrics=" in msg


def test_failure_message_names_the_columns(report: DriftReport) -> None:
    result = MaxMissingShare("*", 0.05).evaluate(report)
    assert "income" in result.message and "age" not in result.message
    assert "age drifted" in NoColumnDrift("*").evaluate(report).message


def test_quality_condition_on_no_matching_column_passes(report: DriftReport) -> None:
    only_numbers = DriftReport({"age": report.columns["age"]}, {"age": report.quality["age"]},
                               DecisionRule(), 10, 10)
    result = MaxUnseenCategories("*", 0.0).evaluate(only_numbers)
    assert result.verdict == "pass" and result.value is None


def test_nothing_tested_is_an_error_not_a_pass() -> None:
    empty = DriftReport({}, {}, DecisionRule(), 0, 0)
    assert MaxDriftShare(0.5).evaluate(empty).verdict == "error"
    assert NoColumnDrift().evaluate(empty).verdict == "error"


def test_run_gathers_every_verdict(report: DriftReport) -> None:
    suite = Suite([MaxDriftShare(0.5), MaxMissingShare("*", 0.05),
                   MetricThreshold("accuracy", min=0.9)], name="nightly")
    result = suite.run(report)
    assert isinstance(result, SuiteResult)
    assert [r.verdict for r in result] == ["pass", "fail", "error"]
    assert not result.passed and len(result.failed) == 1 and len(result.errors) == 1
    data = json.loads(result.to_json())
    assert data["schema"] == "driftline.suite_result/1"
    assert data["name"] == "nightly" and data["passed"] is False
    assert [c["verdict"] for c in data["conditions"]] == ["pass", "fail", "error"]
    assert set(data["conditions"][0]) == {"name", "column", "verdict", "value", "limit",
                                          "message"}
    assert "report" not in data
    assert json.loads(result.to_json(include_report=True))["report"]["schema"] == (
        "driftline.drift_report/1")
    assert suite.run(report, {"accuracy": 0.95}).errors == ()


def test_all_pass(report: DriftReport) -> None:
    result = Suite([NoColumnDrift("income"), MaxOutOfRangeShare("income", 0.0)]).run(report)
    assert result.passed and "passed=True" in repr(result)


YAML = """
version: 1
name: churn nightly
description: checks before the nightly scoring job
compare:
  target: churned
  prediction: score
  method: ks
  alpha: 0.01
  correction: bh
  columns: [age, income]
conditions:
  - drift_share: {max: 0.5}
  - column_drift: {column: income}
  - column_drift: {column: age, max_effect: 0.5}
  - missing_share: {column: "*", max: 0.2}
  - out_of_range_share: {column: age, max: 0.1}
  - unseen_categories: {column: city, max: 0.05}
  - performance: {accuracy: 0.9, rmse: 3.0, custom_score: {min: 0.5, max: 2}}
"""


def test_yaml_suite(tmp_path, report: DriftReport) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(YAML)
    suite = Suite.from_yaml(path)
    assert suite.name == "churn nightly"
    assert suite.compare == CompareSettings(target="churned", prediction="score", method="ks",
                                            alpha=0.01, correction="bh",
                                            columns=("age", "income"))
    assert [c.name for c in suite.conditions] == [
        "drift_share", "column_drift[income]", "column_drift[age]", "missing_share[*]",
        "out_of_range_share[age]", "unseen_categories[city]", "performance[accuracy]",
        "performance[rmse]", "performance[custom_score]"]
    assert suite.conditions[7] == MetricThreshold("rmse", max=3.0)
    result = suite.run(report, {"accuracy": 0.93, "rmse": 2.5, "custom_score": 1.0})
    assert result.passed, [r.message for r in result if not r.passed]
    assert not suite.run(report, {"accuracy": 0.8, "rmse": 2.5, "custom_score": 1.0}).passed


def test_yaml_round_trip(tmp_path) -> None:
    suite = Suite.from_dict(__import__("yaml").safe_load(YAML))
    assert Suite.from_dict(suite.to_dict()) == suite


def test_python_and_yaml_agree() -> None:
    from_dict = Suite.from_dict({"version": 1, "conditions": [
        {"drift_share": {"max": 0.3}}, {"missing_share": {"column": "age", "max": 0.1}},
        {"column_drift": None}]})
    in_python = Suite([MaxDriftShare(0.3), MaxMissingShare("age", 0.1), NoColumnDrift()])
    assert from_dict == in_python


BAD = {
    "unknown-condition": ({"version": 1, "conditions": [{"drift_shar": {"max": 0.1}}]},
                          ["conditions[0]", "'drift_shar'", "drift_share", "missing_share",
                           "performance"]),
    "unknown-param": ({"version": 1, "conditions": [{"missing_share": {"maxx": 0.1}}]},
                      ["conditions[0].missing_share", "'maxx'", "column, max"]),
    "required-param": ({"version": 1, "conditions": [{"drift_share": {}}]},
                       ["conditions[0].drift_share.max is required"]),
    "share-out-of-range": ({"version": 1, "conditions": [{"missing_share": {"max": 5}}]},
                           ["conditions[0].missing_share.max", "[0, 1]", "5"]),
    "share-not-number": ({"version": 1, "conditions": [{"drift_share": {"max": "lots"}}]},
                         ["conditions[0].drift_share.max", "'lots'"]),
    "negative-effect": ({"version": 1,
                         "conditions": [{"column_drift": {"column": "a", "max_effect": -1}}]},
                        ["max_effect", ">= 0", "-1"]),
    "bare-unknown-metric": ({"version": 1, "conditions": [{"performance": {"lift": 2}}]},
                            ["conditions[0].performance.lift", "{min: 2}", "accuracy"]),
    "metric-no-bound": ({"version": 1, "conditions": [{"performance": {"lift": {}}}]},
                        ["performance.lift", "min, max"]),
    "condition-not-mapping": ({"version": 1, "conditions": ["drift_share"]},
                              ["conditions[0]", "one condition key"]),
    "no-conditions": ({"version": 1, "conditions": []}, ["conditions", "non-empty"]),
    "missing-version": ({"conditions": [{"drift_share": {"max": 0.1}}]},
                        ["version must be 1", "None"]),
    "wrong-version": ({"version": 2, "conditions": [{"drift_share": {"max": 0.1}}]},
                      ["version must be 1", "got 2"]),
    "unknown-top-key": ({"version": 1, "condition": []},
                        ["'condition'", "version, name, description, compare, conditions"]),
    "unknown-compare-key": ({"version": 1, "compare": {"alfa": 0.1},
                             "conditions": [{"drift_share": {"max": 0.1}}]},
                            ["compare", "'alfa'", "alpha"]),
    "bad-alpha": ({"version": 1, "compare": {"alpha": 1.5},
                   "conditions": [{"drift_share": {"max": 0.1}}]},
                  ["compare.alpha", "(0, 1)", "1.5"]),
    "bad-correction": ({"version": 1, "compare": {"correction": "fdr"},
                        "conditions": [{"drift_share": {"max": 0.1}}]},
                       ["compare.correction", "'holm'", "'fdr'"]),
    "bad-method": ({"version": 1, "compare": {"method": "magic"},
                    "conditions": [{"drift_share": {"max": 0.1}}]},
                   ["compare.method", "'ks'", "'magic'"]),
    "bad-columns": ({"version": 1, "compare": {"columns": "a,b"},
                     "conditions": [{"drift_share": {"max": 0.1}}]},
                    ["compare.columns", "list of column names"]),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_invalid_suites_name_the_key(case: tuple) -> None:
    spec, fragments = case
    with pytest.raises(ParameterError) as info:
        Suite.from_dict(spec)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_key_lists_every_allowed_key() -> None:
    with pytest.raises(ParameterError) as info:
        Suite.from_dict({"version": 1, "conditions": [{"nope": {}}]})
    for key in CONDITIONS:
        assert key in str(info.value)


def test_invalid_yaml_names_the_line(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nconditions:\n  - drift_share: {max: 0.1\n")
    with pytest.raises(ParameterError, match=r"not valid YAML at line \d+"):
        Suite.from_yaml(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(ParameterError, match="must hold a mapping"):
        Suite.from_yaml(path)


def test_python_validation() -> None:
    with pytest.raises(ParameterError, match=r"max must be a number in \[0, 1\]; got 1.5"):
        MaxMissingShare("a", 1.5)
    with pytest.raises(ParameterError, match="needs a limit"):
        MetricThreshold("accuracy")
    with pytest.raises(ParameterError, match="at least one condition"):
        Suite([])
    with pytest.raises(ParameterError, match="Condition objects"):
        Suite(["drift_share"])  # type: ignore[list-item]


def test_missing_pyyaml(monkeypatch, tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(YAML)
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'driftline\[yaml\]'"):
        Suite.from_yaml(path)


def test_custom_condition_follows_the_protocol(report: DriftReport) -> None:
    from dataclasses import dataclass

    from driftline.drift._conditions import ConditionResult

    @dataclass(frozen=True)
    class RowsAtLeast:
        n: int
        name: str = "rows_at_least"

        def evaluate(self, report, metrics=None):
            ok = report.n_current >= self.n
            return ConditionResult(self.name, "pass" if ok else "fail", report.n_current, self.n,
                                   f"{report.n_current} rows")

    assert Suite([RowsAtLeast(100)]).run(report).passed
    assert not Suite([RowsAtLeast(1000)]).run(report).passed


def test_check_compares_with_the_suite_settings() -> None:
    rng = np.random.default_rng(7)
    ref = {"a": rng.normal(size=800), "b": rng.normal(size=800)}
    cur = {"a": rng.normal(1.0, 1.0, size=800), "b": rng.normal(size=800)}
    calls = []
    suite = Suite([NoColumnDrift("b"), MaxDriftShare(0.0)],
                  compare=CompareSettings(columns=("a", "b"), alpha=0.01))
    result = suite.check(ref, cur, progress=lambda done, total, col: calls.append((done, total)))
    assert [r.verdict for r in result] == ["pass", "fail"]
    assert result.report is not None and result.report.rule.alpha == 0.01
    assert calls and calls[-1] == (2, 2)


def test_the_example_suite_loads() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "suite.yaml"
    suite = Suite.from_yaml(path)
    assert suite.compare == CompareSettings(target="churned", prediction="score")
    assert suite.conditions == (
        MaxDriftShare(0.25), NoColumnDrift("score"), NoColumnDrift("income", max_effect=0.2),
        MaxMissingShare("*", 0.05), MaxOutOfRangeShare("age", 0.01), MaxUnseenCategories("*"),
        MetricThreshold("accuracy", min=0.91), MetricThreshold("log_loss", max=0.35),
        MetricThreshold("calibration_error", max=0.05))
