"""compare() and the fitted Reference: inputs, roles, kinds, quality, options and errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import driftline as dl
from driftline.drift import Reference, Schema
from driftline.errors import DataError, ParameterError, SchemaError


def frames(n=2_000, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({
        "income": rng.lognormal(10, 0.4, n),
        "age": rng.integers(18, 80, n),
        "city": pd.Categorical(rng.choice(["paris", "lyon", "nice", "lille"], n)),
        "member": rng.random(n) < 0.3,
        "default": (rng.random(n) < 0.2).astype(int),
        "score": rng.random(n),
    })
    cur = pd.DataFrame({
        "income": rng.lognormal(10 + shift, 0.4, n),
        "age": rng.integers(18, 80, n),
        "city": pd.Categorical(rng.choice(["paris", "lyon", "nice", "lille"], n)),
        "member": rng.random(n) < 0.3,
        "default": (rng.random(n) < 0.2).astype(int),
        "score": rng.random(n) + shift,
    })
    return ref, cur


def test_no_drift_on_same_distribution():
    ref, cur = frames()
    rep = dl.compare(ref, cur, target="default", prediction="score")
    assert rep.drifted is False and rep.drift_share == 0.0
    assert rep.columns["income"].kind == "numerical"
    assert rep.columns["city"].kind == "categorical"
    assert rep.columns["member"].kind == "binary"


def test_shift_is_found_with_evidence_and_action():
    ref, cur = frames(shift=0.3)
    rep = dl.compare(ref, cur, target="default", prediction="score")
    col = rep.columns["income"]
    assert rep.drifted and col.drifted
    assert col.method == "ks" and col.correction == "holm"
    assert col.p_value_adjusted >= col.p_value
    assert col.effect_size >= col.effect_threshold == 0.1
    assert col.action == "investigate feature generation; retrain on new data"
    assert rep.columns["age"].drifted is False and rep.columns["age"].action is None
    pred = rep.prediction_drift[0]
    assert pred.column == "score" and pred.drift_type == "prediction" and pred.drifted
    assert pred.action == "investigate training; assess business impact"
    assert rep.target_drift.column == "default" and rep.target_drift.drift_type == "label"
    assert rep.sorted_columns()[0].drifted


def test_multiclass_prediction_scores_are_prediction_drift():
    rng = np.random.default_rng(1)
    n = 5_000
    ref = {"x": rng.normal(size=n), "p_a": rng.random(n), "p_b": rng.random(n)}
    cur = {"x": rng.normal(size=n), "p_a": rng.random(n) ** 2, "p_b": rng.random(n)}
    rep = dl.compare(ref, cur, prediction_scores={"a": "p_a", "b": "p_b"})
    roles = {c.column: c.role for c in rep.prediction_drift}
    assert roles == {"p_a": "prediction_score", "p_b": "prediction_score"}
    assert rep.columns["p_a"].drifted and not rep.columns["p_b"].drifted


@pytest.mark.parametrize("kind", ["dict", "polars", "pyarrow"])
def test_other_table_types_give_the_same_report(kind):
    ref, cur = frames(shift=0.2)
    ref, cur = ref.drop(columns=["city"]), cur.drop(columns=["city"])
    expected = dl.compare(ref, cur).to_dict()
    if kind == "dict":
        conv = lambda f: {c: f[c].to_numpy() for c in f.columns}  # noqa: E731
    elif kind == "polars":
        pl = pytest.importorskip("polars")
        conv = pl.from_pandas
    else:
        pa = pytest.importorskip("pyarrow")
        conv = pa.Table.from_pandas
    got = dl.compare(conv(ref), conv(cur)).to_dict()
    assert got["columns"] == expected["columns"]


def test_fitted_reference_equals_one_shot():
    ref, cur = frames(shift=0.1)
    fitted = Reference.fit(ref, target="default")
    assert fitted.compare(cur).to_dict() == dl.compare(ref, cur, target="default").to_dict()
    assert dl.compare(fitted, cur).to_dict() == fitted.compare(cur).to_dict()
    with pytest.raises(ParameterError, match="already fitted"):
        dl.compare(fitted, cur, target="default")


def test_schema_overrides_inference():
    ref, cur = frames()
    rep = dl.compare(ref, cur, schema=Schema(kinds={"age": "categorical"}, ignore=("score",)))
    assert rep.columns["age"].kind == "categorical" and rep.columns["age"].method == "chi_square"
    assert "score" not in rep.columns


def test_columns_limits_features_but_keeps_roles():
    ref, cur = frames()
    rep = dl.compare(ref, cur, columns=["income"], target="default")
    assert list(rep.columns) == ["income", "default"]
    assert rep.warnings == ()  # the other columns are in both tables: nothing to warn about
    cur = cur.assign(new_col=1.0)
    assert "new_col" in dl.compare(ref, cur, columns=["income"]).warnings[0]


def test_method_by_name_kind_and_column():
    ref, cur = frames(shift=0.3)
    rep = dl.compare(ref, cur, method={"numerical": "psi", "city": "g_test"})
    assert rep.columns["income"].method == "psi" and rep.columns["income"].p_value is None
    assert rep.columns["income"].drifted
    assert rep.columns["city"].method == "g_test"
    with pytest.raises(ParameterError, match="method must be one of"):
        dl.compare(ref, cur, method="nope")


def test_unsupported_method_falls_back_with_a_note():
    ref, cur = frames()
    rep = dl.compare(ref, cur, method="ks")
    assert rep.columns["city"].method == "chi_square"
    assert any("does not support" in w for w in rep.columns["city"].warnings)


def test_effect_floor_off_and_corrections():
    ref, cur = frames(n=300_000, shift=0.01)  # 0.025 SD of log-income: negligible
    strict = dl.compare(ref[["income"]], cur[["income"]])
    assert strict.columns["income"].p_value < 1e-6 and not strict.drifted
    assert strict.columns["income"].effect_size < 0.1
    loose = dl.compare(ref[["income"]], cur[["income"]], effect_floor=False)
    assert loose.drifted
    for corr in ("bonferroni", "bh", "none"):
        assert dl.compare(ref, cur, correction=corr).rule.correction == corr
    with pytest.raises(ParameterError, match="correction"):
        dl.compare(ref, cur, correction="sidak")


def test_quality_checks():
    ref, cur = frames()
    cur = cur.copy()
    cur.loc[:99, "income"] = np.nan
    cur.loc[100:199, "income"] = 1e9
    cur["city"] = cur["city"].cat.add_categories(["brest"])
    cur.loc[:499, "city"] = "brest"
    cur["age"] = 40
    q = dl.compare(ref, cur).quality
    assert q["income"].check("missing_share").value == pytest.approx(0.05)
    assert q["income"].check("missing_share").status == "warn"
    inc = cur["income"].dropna()
    outside = ((inc < ref["income"].min()) | (inc > ref["income"].max())).sum()
    assert outside >= 100
    assert q["income"].check("out_of_range_share").value == pytest.approx(outside / 1900)
    assert q["income"].check("out_of_range_share").status == "fail"
    assert q["city"].check("unseen_categories").status == "fail"
    assert "'brest'" in q["city"].check("unseen_categories").message
    assert q["age"].check("constant").status == "warn"
    assert q["member"].status == "ok"


def test_all_missing_column_is_not_tested_and_fails_quality():
    ref, cur = frames()
    cur = cur.copy()
    cur["income"] = np.nan
    rep = dl.compare(ref, cur)
    col = rep.columns["income"]
    assert col.tested is False and "no valid values in the current" in col.reason
    assert rep.quality["income"].check("missing_share").status == "fail"


def test_numbers_arriving_as_text():
    ref, cur = frames()
    cur = cur.copy()
    cur["income"] = cur["income"].astype(str)
    cur.loc[:9, "income"] = "n/a"
    rep = dl.compare(ref, cur)
    assert rep.quality["income"].check("type_mismatch").value == pytest.approx(10 / 2000)
    assert rep.columns["income"].n_current == 1990
    cur["income"] = "abc"
    with pytest.raises(SchemaError, match="holds numbers in the reference"):
        dl.compare(ref, cur)


@pytest.mark.parametrize("bad, error, match", [
    (lambda r, c: (r, c.drop(columns=["income"])), SchemaError, "not in the current data"),
    (lambda r, c: (r.iloc[:0], c), DataError, "reference has no rows"),
    (lambda r, c: (r, c.iloc[:0]), DataError, "current has no rows"),
    (lambda r, c: ([1, 2], c), DataError, "must be a pandas or polars DataFrame"),
    (lambda r, c: ({"a": [1, 2], "b": [1]}, c), DataError, "same length"),
])
def test_bad_input_errors_name_the_problem(bad, error, match):
    ref, cur = frames(n=100)
    r, c = bad(ref, cur)
    with pytest.raises(error, match=match):
        dl.compare(r, c)


def test_target_missing_from_reference():
    ref, cur = frames(n=100)
    with pytest.raises(SchemaError, match="'label' named in the schema"):
        dl.compare(ref, cur, target="label")


def test_text_columns_are_tested_on_descriptors():
    rng = np.random.default_rng(2)
    words = np.array(["good", "bad", "fast", "slow", "price", "delivery", "item", "service"])
    def texts(n, extra):
        out = [" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(n)]
        return [t + " " + " ".join(["refund"] * extra) if extra else t for t in out]
    ref = {"review": texts(1_500, 0)}
    same = dl.compare(ref, {"review": texts(1_500, 0)})
    assert same.columns["review"].kind == "text" and same.drifted is False
    new = dl.compare(ref, {"review": texts(1_500, 3)})
    col = new.columns["review"]
    assert col.drifted and {d.column for d in col.details} == {
        "review:length", "review:words", "review:oov_share"}


def test_datetime_columns_get_quality_only():
    ref = {"t": pd.date_range("2024-01-01", periods=500, freq="h"), "x": np.arange(500.0)}
    cur = {"t": pd.date_range("2023-12-01", periods=500, freq="h"), "x": np.arange(500.0)}
    rep = dl.compare(ref, cur, now=np.datetime64("2024-03-01"))
    assert rep.columns["t"].tested is False and "quality checks only" in rep.columns["t"].reason
    q = rep.quality["t"]
    assert q.check("datetime_range").value > 0 and q.check("datetime_range").status == "fail"
    assert q.check("freshness").value > 0


def test_progress_is_reported_per_column():
    ref, cur = frames(n=300)
    seen = []
    dl.compare(ref, cur, progress=lambda done, total, col: seen.append((done, total, col)))
    assert [s[0] for s in seen] == list(range(1, 7)) and all(s[1] == 6 for s in seen)


def test_json_follows_the_versioned_schema(tmp_path):
    ref, cur = frames(shift=0.3)
    rep = dl.compare(ref, cur, target="default")
    data = json.loads(rep.to_json(tmp_path / "r.json"))
    assert data == json.loads((tmp_path / "r.json").read_text())
    assert data["schema"] == "driftline.drift_report/1"
    assert data["drifted"] is True and data["target_drift"] == "default"
    assert set(data["columns"]["income"]) >= {
        "method", "statistic", "p_value", "p_value_adjusted", "alpha", "effect_size",
        "effect_size_name", "effect_threshold", "correction", "drifted", "n_reference",
        "n_current", "column", "kind"}
    dist = data["columns"]["income"]["distribution"]
    assert dist["kind"] == "histogram" and len(dist["edges"]) == len(dist["reference"]) + 1
    assert sum(dist["reference"]) == 2_000


def _regression(n, rng, slope, x_mean):
    x = rng.normal(x_mean, 1.0, n)
    y = slope * x + rng.normal(0, 0.5, n)
    return {"x": x, "y": y, "pred": 2.0 * x}  # the model learned slope 2


def test_concept_drift_from_residuals_not_from_covariate_shift():
    rng = np.random.default_rng(11)
    ref = _regression(5_000, rng, 2.0, 0.0)
    shifted_inputs = dl.compare(ref, _regression(5_000, rng, 2.0, 1.0), target="y",
                                prediction="pred")
    assert shifted_inputs.columns["x"].drifted
    assert shifted_inputs.concept_drift.drifted is False
    changed = dl.compare(ref, _regression(5_000, rng, 2.6, 0.0), target="y", prediction="pred")
    concept = changed.concept_drift
    assert concept.column == "concept:residual" and concept.drift_type == "concept"
    assert concept.drifted and concept.action == (
        "feature engineering; an alternative approach; retrain or tune")
    assert changed.to_dict()["concept_drift"] == "concept:residual"


def test_concept_drift_for_label_predictions_uses_the_error_rate():
    rng = np.random.default_rng(12)
    n = 4_000
    y = rng.choice(["a", "b", "c"], n)
    good = np.where(rng.random(n) < 0.9, y, "a")
    ref = {"f": rng.normal(size=n), "y": y, "p": good}
    y2 = rng.choice(["a", "b", "c"], n)
    bad = np.where(rng.random(n) < 0.7, y2, "a")
    rep = dl.compare(ref, {"f": rng.normal(size=n), "y": y2, "p": bad}, target="y", prediction="p")
    assert rep.concept_drift.kind == "binary" and rep.concept_drift.drifted


def test_small_windows_can_still_drift():
    # Below the distances' own minimum n the floor's measure is still computed, so a large
    # change in a 30-row window is flagged (the corrected test guards against false alarms).
    rng = np.random.default_rng(21)
    ref = {"x": rng.normal(size=30), "b": np.where(rng.random(60)[:30] < 0.5, "y", "n")}
    cur = {"x": rng.normal(2.0, 1.0, size=30), "b": np.array(["y"] * 28 + ["n"] * 2)}
    rep = dl.compare(ref, cur)
    assert rep.columns["x"].drifted and rep.columns["x"].effect_size > 1.0
    assert rep.columns["b"].drifted
    same = dl.compare(ref, {"x": rng.normal(size=30), "b": ref["b"]})
    assert not same.drifted
