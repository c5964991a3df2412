"""The reference profile stored with each model version, on SQLite and the real PostgreSQL.

Registering a version profiles its reference (the scored holdout) next to the reference file,
with its own checksum; loading verifies it. Versions registered before profiles have none on
disk, and get one built from their stored reference on first use.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline.errors import DataError, MissingDependencyError
from driftline.profile import TableProfile, compare_profiles, profile_frame
from driftline.registry import ModelVersion, Registry
from driftline.registry._registry import profile_reference
from driftline.store import Store

FEATURES = ["income", "region", "n_loans", "has_car"]
SCHEMA = {"kinds": {"income": "numerical", "region": "categorical", "n_loans": "categorical",
                    "has_car": "binary"}, "prediction": "prediction", "target": "y"}


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "income": rng.lognormal(10, 0.4, n),
        "region": rng.choice(["north", "south", "east"], n),
        "n_loans": rng.integers(0, 4, n),          # numbers the schema says are categories
        "has_car": rng.integers(0, 2, n),
    })
    frame["y"] = (frame["income"] > np.median(frame["income"])).astype(int)
    return frame


@pytest.fixture
def registry(store_url, tmp_path):
    store = Store.open(store_url)
    yield Registry(store, tmp_path / "artifacts")
    store.engine.dispose()


def _register(reg: Registry, frame: pd.DataFrame) -> ModelVersion:
    model = LogisticRegression().fit(frame[["income"]], frame["y"])
    reference = frame.assign(prediction=model.predict(frame[["income"]]))
    return reg.register("credit", model, task="binary", features=FEATURES, schema=SCHEMA,
                        reference=reference)


def test_the_profile_is_stored_with_its_checksum_and_loaded(registry):
    frame = _frame()
    mv = _register(registry, frame)
    record = mv.reference_profile
    assert record is not None and record.format == "driftline-profile"
    assert record.path == "credit/v1/reference.profile"
    assert (registry.root / record.path).is_file()
    stored = registry.get("credit", 1)  # the record went through the store's JSON
    assert stored.reference_profile == record
    profile = registry.load_reference_profile(stored)
    assert isinstance(profile, TableProfile) and profile.n_rows == len(frame)
    # features and the prediction, with the schema's kinds; the target is not profiled
    assert profile.kinds == {"income": "numerical", "region": "categorical",
                             "n_loans": "categorical", "has_car": "binary",
                             "prediction": "binary"}
    # the exact parts are the reference's own
    assert profile["region"].counts.sum() == len(frame)
    assert profile["income"].counts.tolist() == [60] * 10
    # windows profiled against it compare with it
    rng = np.random.default_rng(5)
    window = _frame(400, seed=9).assign(prediction=rng.integers(0, 2, 400))
    report = compare_profiles(profile, profile_frame(window, reference=profile))
    assert set(report.columns) == set(profile.kinds)


def test_a_changed_profile_file_is_refused(registry):
    mv = _register(registry, _frame())
    path = registry.root / mv.reference_profile.path
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=re.escape("reference profile 'credit/v1/reference.profile' "
                                                  "does not match its recorded SHA-256")):
        registry.load_reference_profile(mv)
    path.unlink()
    with pytest.raises(DataError, match="missing from the artifact root"):
        registry.load_reference_profile(mv)


def test_an_older_version_gets_its_profile_built_from_the_reference(registry):
    frame = _frame()
    mv = _register(registry, frame)
    # a record written before reference profiles existed has no such key
    record = mv.to_dict()
    del record["reference_profile"]
    old = ModelVersion.from_dict(record)
    assert old.reference_profile is None
    built = registry.load_reference_profile(old)
    stored = registry.load_reference_profile(mv)
    assert built.kinds == stored.kinds and built.n_rows == stored.n_rows
    for name in ("region", "n_loans", "has_car", "prediction"):
        assert built[name].table()[0].tolist() == stored[name].table()[0].tolist()
        assert built[name].counts.tolist() == stored[name].counts.tolist()
    assert built["income"].edges.tolist() == stored["income"].edges.tolist()
    assert registry.load_reference_profile(old) is built  # kept in memory
    # the stored reference is checksum verified on the way
    (registry.root / mv.reference.path).write_bytes(b"not parquet")
    fresh = Registry(registry.store, registry.root)
    with pytest.raises(DataError, match="does not match its recorded SHA-256"):
        fresh.load_reference_profile(old)
    # without a reference there is nothing to profile
    with pytest.raises(DataError, match="has no reference"):
        fresh.load_reference_profile(dataclasses.replace(old, reference=None))


def test_registering_without_the_profile_dependency_still_works(registry, monkeypatch):
    import driftline.registry._registry as module

    def missing(*args, **kwargs):
        raise MissingDependencyError.for_extra("datasketches", "profile", "Profiles")

    monkeypatch.setattr(module, "profile_reference", missing)
    mv = _register(registry, _frame())
    assert mv.reference_profile is None and mv.reference is not None
    assert not (registry.root / "credit/v1/reference.profile").exists()


def test_profile_reference_matches_the_monitors_columns():
    frame = _frame(200).assign(prediction=1, note="free text")
    profile = profile_reference(frame, [*FEATURES, "note"], {"kinds": {"note": "text"}})
    assert list(profile.columns) == [*FEATURES, "prediction"]  # text is not profiled
    assert profile.kinds["n_loans"] == "numerical"  # inferred without a schema kind
    no_prediction = profile_reference(frame.drop(columns=["prediction"]), FEATURES)
    assert "prediction" not in no_prediction
