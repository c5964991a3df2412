"""The model registry and ``retrain.register``, on SQLite and the real PostgreSQL.

Stages and their history go through the store; ``retrain.register`` runs on a real project
folder whose training function is ordinary user code (it records the rows it was given, so
the tests can tell training rows from holdout rows).
"""

from __future__ import annotations

import contextlib
import json
import random
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from driftline.config import load_project
from driftline.errors import DataError, ParameterError
from driftline.registry import ArtifactRecord, ModelVersion, Registry
from driftline.retrain import open_registry, register
from driftline.retrain._register import _frame_hash
from driftline.store import Store
from tests.serving.project import make_project

N = 800
FEATURES = ["income", "age", "debt_ratio", "region", "purpose", "has_mortgage"]
TINY_X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})

# User code next to the project file: trains like credit_model and writes the ids it saw.
RECORDING_CODE = '''
import json
from pathlib import Path

from credit_model import train as fit


def train(data, *, previous=None, params):
    Path(params["record"]).write_text(json.dumps([str(i) for i in data.frame["loan_id"]]))
    return fit(data, previous=previous, params=params)
'''


# -- the registry on its own ------------------------------------------------------------
@pytest.fixture
def registry(store_url, tmp_path):
    store = Store.open(store_url)
    yield Registry(store, tmp_path / "artifacts")
    store.engine.dispose()


def add(reg: Registry, n: int = 1) -> list[int]:
    """Register ``n`` tiny versions of ``credit``; return their numbers."""
    out = []
    for _ in range(n):
        model = LogisticRegression().fit(TINY_X, [0, 0, 1, 1])
        mv = reg.register("credit", model, task="binary", features=["x"],
                          reference=TINY_X.assign(prediction=[0, 0, 1, 1]))
        out.append(mv.version)
    return out


def stages(reg: Registry) -> dict[int, str]:
    return {v.version: v.stage for v in reg.versions("credit")}


def test_register_makes_a_challenger_and_promote_a_champion(registry):
    assert add(registry) == [1]
    assert stages(registry) == {1: "challenger"}
    assert registry.challenger("credit").version == 1
    assert registry.champion("credit") is None
    mv = registry.promote("credit", 1, reason="first version")
    assert (mv.version, mv.stage) == (1, "champion")
    assert registry.champion("credit") == mv
    assert registry.challenger("credit") is None
    assert registry.load(mv).predict(TINY_X).tolist() == [0, 0, 1, 1]


def test_a_new_challenger_archives_the_old_one(registry):
    add(registry, 2)
    assert stages(registry) == {1: "archived", 2: "challenger"}


def test_a_second_promote_archives_the_first_champion(registry):
    add(registry, 2)
    registry.promote("credit", 1)
    registry.promote("credit", 2)
    assert stages(registry) == {1: "archived", 2: "champion"}
    assert registry.champion("credit").version == 2


def test_rollback_returns_to_the_previous_champion(registry):
    add(registry, 3)
    for v in (1, 2, 3):
        registry.promote("credit", v, reason=f"promote {v}")
    mv = registry.rollback("credit", reason="v3 misbehaves")
    assert (mv.version, mv.stage) == (2, "champion")
    assert stages(registry) == {1: "archived", 2: "champion", 3: "archived"}
    last = registry.history("credit")[-1]
    assert (last.version, last.stage, last.previous_stage, last.reason) == (
        2, "champion", "archived", "rollback: v3 misbehaves")


def test_rollback_with_nothing_earlier_errors(registry):
    add(registry)
    with pytest.raises(DataError, match="no earlier champion"):
        registry.rollback("credit")  # never had a champion
    registry.promote("credit", 1)
    with pytest.raises(DataError, match="no earlier champion to roll back to"):
        registry.rollback("credit")
    assert registry.champion("credit").version == 1  # nothing changed


def test_rollback_to_an_explicit_version(registry):
    add(registry, 3)
    for v in (1, 2, 3):
        registry.promote("credit", v)
    assert registry.rollback("credit", 1).version == 1
    assert stages(registry) == {1: "champion", 2: "archived", 3: "archived"}
    with pytest.raises(ParameterError, match="a version other than the current champion"):
        registry.rollback("credit", 1)
    with pytest.raises(DataError, match="no version 9"):
        registry.rollback("credit", 9)
    assert registry.champion("credit").version == 1


def test_a_second_rollback_goes_further_back(registry):
    add(registry, 3)
    for v in (1, 2, 3):
        registry.promote("credit", v)
    assert registry.rollback("credit").version == 2
    assert registry.rollback("credit").version == 1


def test_history_says_who_was_champion_when(registry):
    add(registry, 2)
    registry.promote("credit", 1, reason="first version")
    registry.promote("credit", 2, reason="better roc_auc")
    registry.rollback("credit", reason="bad canary")
    rows = registry.history("credit")
    assert [(h.version, h.stage, h.previous_stage, h.reason) for h in rows] == [
        (1, "challenger", None, "registered (manual)"),
        (1, "archived", "challenger", "replaced by version 2"),
        (2, "challenger", None, "registered (manual)"),
        (1, "champion", "archived", "first version"),
        (1, "archived", "champion", "replaced by version 2"),
        (2, "champion", "challenger", "better roc_auc"),
        (2, "archived", "champion", "replaced by version 1"),
        (1, "champion", "archived", "rollback: bad canary"),
    ]
    times = [h.at for h in rows]
    assert all(t is not None for t in times) and times == sorted(times)
    reigns = [(h.version, h.reason) for h in rows if h.stage == "champion"]
    assert reigns == [(1, "first version"), (2, "better roc_auc"), (1, "rollback: bad canary")]
    assert rows[-1].to_dict()["previous_stage"] == "archived"


def test_one_champion_and_one_challenger_at_any_time(registry):
    rng = random.Random(7)
    registry.store.add_model("credit", "binary")
    for step in range(30):
        known = [v.version for v in registry.versions("credit")]
        action = rng.choice(["register", "promote", "rollback", "archive"]) if known else "register"
        if action == "register":
            add(registry)
        elif action == "promote":
            registry.promote("credit", rng.choice(known), reason=f"step {step}")
        elif action == "archive":
            registry.store.set_stage("credit", rng.choice(known), "archived", reason="retired")
        else:
            with contextlib.suppress(DataError):  # nothing to roll back to yet
                registry.rollback("credit")
        held = list(stages(registry).values())
        assert held.count("champion") <= 1 and held.count("challenger") <= 1, (step, held)
        champion = registry.champion("credit")
        assert (champion is not None) == ("champion" in held)
        assert champion is None or stages(registry)[champion.version] == "champion"


def test_model_version_round_trips_through_the_store(registry):
    mv = ModelVersion(
        model="credit", version=1, stage="challenger", task="binary",
        features=("income", "region"),
        artifact=ArtifactRecord("credit/v1/model.skops", "skops", "a" * 64,
                                {"scikit-learn": "1.9.1"}, {"note": [1, 2]}),
        schema={"kinds": {"income": "numerical", "region": "categorical"}, "target": "default"},
        inputs={"income": "number?", "region": "string"}, classes=(0, 1),
        reference=ArtifactRecord("credit/v1/reference.parquet", "parquet", "b" * 64),
        training_range=("2025-01-01T00:00:00", "2025-03-31T23:00:00"), data_hash="c" * 64,
        params={"C": 0.5, "layers": [8, 4], "opts": {"fast": True}},
        metrics={"roc_auc": 0.71, "accuracy": 0.8}, seed=42, parent=None, trigger="drift",
        created_at="2025-04-01T00:00:00+00:00")
    registry.store.add_model("credit", "binary")
    registry.store.add_version("credit", mv.to_dict(), version=1)
    back = registry.get("credit", 1)
    assert back == mv
    for key in ("artifact", "reference", "schema", "inputs", "classes", "training_range",
                "data_hash", "params", "metrics", "seed", "parent", "trigger"):
        assert getattr(back, key) == getattr(mv, key), key
    child = ModelVersion.from_dict({**mv.to_dict(), "version": 2, "parent": 1, "reference": None})
    registry.store.add_version("credit", child.to_dict(), version=2)
    assert registry.get("credit", 2) == child
    assert registry.get("credit", 1).stage == "archived"  # the new challenger replaced it


# -- retrain.register on a real project -------------------------------------------------
def credit_project(folder: Path, store_url: str, *, timestamp: bool = False) -> Path:
    """The credit project with an id column (and a timestamp, rows out of time order),
    trained by a function that records the ids it saw in ``seen.json``."""
    path = make_project(folder, n=N, store_url=store_url)
    frame = pd.read_csv(folder / "reference.csv")
    frame.insert(0, "loan_id", [f"L{i:05d}" for i in range(len(frame))])
    if timestamp:  # hourly applications, listed out of time order
        when = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(
            np.random.default_rng(3).permutation(len(frame)), unit="h")
        frame["applied_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(folder / "reference.csv", index=False)
    (folder / "recording_model.py").write_text(RECORDING_CODE)
    schema = "{id: loan_id, timestamp: applied_at}" if timestamp else "{id: loan_id}"
    text = path.read_text().replace("target: default}", f"target: default, schema: {schema}}}")
    text = text.replace('"credit_model:train", params: {C: 1.0}',
                        f'"recording_model:train", params: {{C: 1.0, record: "{folder / "seen.json"}"}}')
    path.write_text(text)
    return path


def seen_ids(path: Path) -> list[str]:
    return json.loads((path.parent / "seen.json").read_text())


@pytest.fixture
def project(store_url, tmp_path):
    return credit_project(tmp_path / "credit", store_url)


def reg_of(path: Path) -> Registry:
    return open_registry(load_project(path))


def test_the_holdout_is_not_trained_on_and_is_the_reference(project):
    res = register(project, promote=True)
    mv = res.version
    full = pd.read_csv(project.parent / "reference.csv")
    seen = seen_ids(project)
    trained = full["loan_id"].isin(seen)
    assert len(seen) == len(set(seen)) == trained.sum() == N * 3 // 4
    assert mv.data_hash == _frame_hash(full[trained].reset_index(drop=True))
    assert mv.data_hash != _frame_hash(full)
    reg = reg_of(project)
    ref = reg.load_reference(mv)
    assert list(ref.columns) == [*FEATURES, "default", "prediction", "score_0", "score_1"]
    held = full.loc[~trained, [*FEATURES, "default"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(ref[[*FEATURES, "default"]], held, check_dtype=False)
    model = reg.load(mv)
    assert ref["prediction"].tolist() == model.predict(held[FEATURES]).tolist()
    np.testing.assert_allclose(ref["score_1"], model.predict_proba(held[FEATURES])[:, 1])
    np.testing.assert_allclose(ref["score_0"] + ref["score_1"], 1.0)
    assert mv.schema["prediction_scores"] == {"0": "score_0", "1": "score_1"}
    assert mv.features == tuple(FEATURES) and mv.classes == (0, 1)
    assert mv.training_range is None  # no timestamp configured


def test_the_first_version_is_promoted_without_comparison(project):
    res = register(project, promote=True, trigger="manual")
    assert res.promoted and res.reason.startswith("first version")
    assert res.champion_metrics is None
    mv = res.version
    assert (mv.version, mv.stage, mv.parent, mv.trigger, mv.seed) == (1, "champion", None,
                                                                       "manual", 0)
    assert set(mv.metrics) == {"accuracy", "log_loss", "roc_auc", "pr_auc"}
    assert 0.5 < mv.metrics["roc_auc"] <= 1.0
    reg = reg_of(project)
    assert reg.get("credit", 1) == mv
    assert reg.history("credit")[-1].reason == "first version"


def test_without_promote_the_version_stays_a_challenger(project):
    register(project, promote=True)
    res = register(project, trigger="schedule")
    assert not res.promoted and res.version.stage == "challenger"
    assert res.version.parent == 1 and res.version.trigger == "schedule"
    assert reg_of(project).champion("credit").version == 1


def test_the_primary_metric_decides_promotion(project):
    full = pd.read_csv(project.parent / "reference.csv")
    dummy = DummyClassifier(strategy="prior").fit(full[FEATURES], full["default"])
    first = register(project, model=dummy, promote=True)  # a bad model, but the first
    assert first.promoted and first.version.metrics["roc_auc"] == pytest.approx(0.5)

    better = register(project, promote=True)  # the trained pipeline ranks far better
    assert better.promoted, better.reason
    assert better.reason.startswith("promoted: challenger roc_auc=")
    assert better.version.parent == 1
    assert better.champion_metrics["roc_auc"] == pytest.approx(0.5)

    worse = register(project, model=dummy, promote=True)
    assert not worse.promoted
    assert worse.reason.startswith("kept the champion: challenger roc_auc=0.5 vs champion")
    assert worse.version.parent == 2 and worse.version.stage == "challenger"
    assert worse.champion_metrics["roc_auc"] == pytest.approx(better.version.metrics["roc_auc"])
    reg = reg_of(project)
    assert reg.champion("credit").version == 2
    assert {v.version: v.stage for v in reg.versions("credit")} == {
        1: "archived", 2: "champion", 3: "challenger"}


def test_a_tampered_reference_is_refused(project):
    mv = register(project, promote=True).version
    reg = reg_of(project)
    path = reg.root / mv.reference.path
    frame = pd.read_parquet(path)
    frame.loc[0, "income"] += 1.0
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError, match="does not match its recorded SHA-256"):
        reg.load_reference(mv)


def test_the_holdout_is_the_latest_rows_when_a_timestamp_is_configured(store_url, tmp_path):
    path = credit_project(tmp_path / "timed", store_url, timestamp=True)
    mv = register(path, promote=True).version
    full = pd.read_csv(path.parent / "reference.csv")
    trained = full["loan_id"].isin(seen_ids(path))
    first_held = full.loc[~trained, "applied_at"].min()
    last_trained = full.loc[trained, "applied_at"].max()
    assert (~trained).sum() == N // 4 and last_trained < first_held
    ref = reg_of(path).load_reference(mv)
    order = full.loc[~trained, [*FEATURES, "default"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(ref[[*FEATURES, "default"]], order, check_dtype=False)
    assert "applied_at" not in mv.features and "loan_id" not in mv.features
    assert mv.training_range == (full.loc[trained, "applied_at"].min(), last_trained)


NULLABLE_PROJECT = textwrap.dedent("""\
    version: 1
    store: {{url: "{url}"}}
    model: {{name: nullable, task: binary, target: y}}
    training: {{estimator: "sklearn.ensemble:HistGradientBoostingClassifier",
               params: {{max_iter: 20}}}}
    reference: {{path: data.csv}}
    """)


def nullable_data(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    x = rng.normal(size=n)
    gappy = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    return pd.DataFrame({"gappy": gappy, "full": x, "count": rng.integers(0, 9, n),
                         "flag": rng.random(n) < 0.5, "y": (x > 0).astype(int)})


def test_features_with_missing_values_in_training_are_nullable(store_url, tmp_path):
    data = nullable_data()
    data.to_csv(tmp_path / "data.csv", index=False)
    path = tmp_path / "driftline.yaml"
    path.write_text(NULLABLE_PROJECT.format(url=store_url))
    mv = register(path, promote=True).version
    assert mv.inputs == {"gappy": "number?", "full": "number", "count": "number",
                         "flag": "boolean"}
    assert reg_of(path).get("nullable", 1).inputs == mv.inputs


def test_a_boolean_column_with_gaps_is_a_nullable_boolean(store_url, tmp_path):
    data = nullable_data()
    data["flag"] = data["flag"].astype(object).where(np.arange(len(data)) % 7 != 0, np.nan)
    data.to_csv(tmp_path / "data.csv", index=False)
    path = tmp_path / "driftline.yaml"
    path.write_text(NULLABLE_PROJECT.format(url=store_url))
    mv = register(path).version
    assert mv.inputs["flag"] == "boolean?"
