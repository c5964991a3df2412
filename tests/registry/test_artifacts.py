"""Artifacts: safe formats per family (native files for LightGBM and XGBoost), checksums verified
on every load, pickle only opted in, and a malicious file never runs on any route."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from driftline.errors import DataError, DriftlineWarning, ParameterError
from driftline.registry import (
    ArtifactRecord,
    RiverModel,
    load_artifact,
    save_artifact,
    sha256_file,
)

X = np.random.default_rng(0).normal(size=(60, 3))
Y = (X[:, 0] > 0).astype(int)


class Thresholded(LogisticRegression):
    """A user subclass: skops cannot know it, so it is untrusted until the project says so."""


def test_sklearn_round_trip_through_skops(tmp_path):
    model = LogisticRegression().fit(X, Y)
    rec = save_artifact(model, tmp_path, "credit/v1")
    assert rec.format == "skops" and rec.libraries["scikit-learn"]
    loaded = load_artifact(rec, tmp_path)
    assert np.array_equal(loaded.predict(X), model.predict(X))


def test_changed_file_is_refused(tmp_path):
    rec = save_artifact(LogisticRegression().fit(X, Y), tmp_path, "credit/v1")
    path = tmp_path / rec.path
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(DataError, match="does not match its recorded SHA-256"):
        load_artifact(rec, tmp_path)


def test_untrusted_types_need_the_project_trust_list(tmp_path):
    rec = save_artifact(Thresholded().fit(X, Y), tmp_path, "m/v1")
    with pytest.raises(DataError, match="not trusted"):
        load_artifact(rec, tmp_path)
    name = f"{Thresholded.__module__}.{Thresholded.__qualname__}"
    assert type(load_artifact(rec, tmp_path, trusted_types=[name])).__name__ == "Thresholded"


def test_pickle_needs_the_opt_in_both_ways(tmp_path):
    river = pytest.importorskip("river")
    from river import linear_model

    model = RiverModel(linear_model.LogisticRegression())
    with pytest.raises(ParameterError, match="allow_pickle: true"):
        save_artifact(model, tmp_path, "r/v1")
    rec = save_artifact(model, tmp_path, "r/v1", allow_pickle=True)
    assert rec.format == "pickle"
    with pytest.raises(ParameterError, match="does not allow pickles"):
        load_artifact(rec, tmp_path)
    assert isinstance(load_artifact(rec, tmp_path, allow_pickle=True), RiverModel)
    assert river.__version__


def test_library_versions_major_refuses_minor_warns(tmp_path):
    rec = save_artifact(LogisticRegression().fit(X, Y), tmp_path, "m/v1")
    have = rec.libraries["scikit-learn"]
    major, minor = (int(p) for p in have.split(".")[:2])
    other_major = dataclasses.replace(rec, libraries={"scikit-learn": f"{major + 1}.0.0"})
    with pytest.raises(DataError, match="another major version"):
        load_artifact(other_major, tmp_path)
    other_minor = dataclasses.replace(rec, libraries={"scikit-learn": f"{major}.{minor + 1}.0"})
    with pytest.warns(DriftlineWarning, match="was written with scikit-learn"):
        load_artifact(other_minor, tmp_path)


def test_record_paths_cannot_escape(tmp_path):
    rec = save_artifact(LogisticRegression().fit(X, Y), tmp_path, "m/v1")
    with pytest.raises(ParameterError, match="inside the artifact root"):
        load_artifact(dataclasses.replace(rec, path="../../etc/passwd"), tmp_path)


# -- LightGBM and XGBoost: their own model files, never skops or pickle ------------------------
Y3 = np.digitize(X[:, 1], [-0.5, 0.5])  # three classes
LABELS = np.array(["low", "mid", "high"])[Y3]


def _lgb_classifier():
    lgb = pytest.importorskip("lightgbm")
    return lgb.LGBMClassifier(n_estimators=8, verbose=-1).fit(X, LABELS)


def _lgb_binary():
    lgb = pytest.importorskip("lightgbm")
    return lgb.LGBMClassifier(n_estimators=8, verbose=-1).fit(X, Y)


def _lgb_regressor():
    lgb = pytest.importorskip("lightgbm")
    return lgb.LGBMRegressor(n_estimators=8, verbose=-1).fit(X, X[:, 2])


def _lgb_booster():
    lgb = pytest.importorskip("lightgbm")
    return lgb.train({"objective": "regression", "verbose": -1}, lgb.Dataset(X, X[:, 2]), 8)


def _xgb_classifier():
    xgb = pytest.importorskip("xgboost")
    return xgb.XGBClassifier(n_estimators=8, max_depth=2).fit(X, Y3)


def _xgb_regressor():
    xgb = pytest.importorskip("xgboost")
    return xgb.XGBRegressor(n_estimators=8, max_depth=2).fit(X, X[:, 2])


def _xgb_booster():
    xgb = pytest.importorskip("xgboost")
    return xgb.train({"max_depth": 2}, xgb.DMatrix(X, X[:, 2]), 8)


def _predict(model):
    if type(model).__name__ == "Booster" and type(model).__module__.startswith("xgboost"):
        import xgboost as xgb

        return model.predict(xgb.DMatrix(X))
    return model.predict(X)


NATIVE = [
    pytest.param(_lgb_classifier, "lightgbm", "model.lgb.txt", id="lightgbm-classifier"),
    pytest.param(_lgb_binary, "lightgbm", "model.lgb.txt", id="lightgbm-binary"),
    pytest.param(_lgb_regressor, "lightgbm", "model.lgb.txt", id="lightgbm-regressor"),
    pytest.param(_lgb_booster, "lightgbm", "model.lgb.txt", id="lightgbm-booster"),
    pytest.param(_xgb_classifier, "xgboost", "model.ubj", id="xgboost-classifier"),
    pytest.param(_xgb_regressor, "xgboost", "model.ubj", id="xgboost-regressor"),
    pytest.param(_xgb_booster, "xgboost", "model.ubj", id="xgboost-booster"),
]


@pytest.mark.parametrize(("build", "fmt", "filename"), NATIVE)
def test_native_round_trip_predicts_identically(tmp_path, build, fmt, filename):
    model = build()
    rec = save_artifact(model, tmp_path, "m/v1")
    assert (rec.format, rec.path) == (fmt, f"m/v1/{filename}")
    head = (tmp_path / rec.path).read_bytes()[:16]
    # the library's own format: LightGBM's text file starts "tree", XGBoost's UBJSON with "{"
    assert head.startswith(b"tree\nversion=v") if fmt == "lightgbm" else head.startswith(b"{")
    assert rec.libraries == {fmt: importlib.import_module(fmt).__version__}
    rec = ArtifactRecord(**json.loads(json.dumps(dataclasses.asdict(rec))))  # JSON-ready
    loaded = load_artifact(rec, tmp_path)
    assert np.array_equal(_predict(loaded), _predict(model))
    if hasattr(model, "predict_proba"):
        assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
        assert np.array_equal(loaded.classes_, model.classes_)


def test_lightgbm_classifier_records_its_classes(tmp_path):
    rec = save_artifact(_lgb_classifier(), tmp_path, "m/v1")
    assert rec.meta == {"class": "LGBMClassifier", "classes": ["high", "low", "mid"],
                        "objective": "multiclass"}
    assert load_artifact(rec, tmp_path).predict(X[:3]).tolist() == _lgb_classifier().predict(
        X[:3]).tolist()


@pytest.mark.parametrize(("build", "fmt", "filename"), NATIVE)
def test_native_files_are_checksummed(tmp_path, build, fmt, filename):
    rec = save_artifact(build(), tmp_path, "m/v1")
    path = tmp_path / rec.path
    path.write_bytes(path.read_bytes().replace(b"1", b"2", 1))
    with pytest.raises(DataError, match="does not match its recorded SHA-256"):
        load_artifact(rec, tmp_path)


def test_xgboost_version_is_checked_under_its_cpu_distribution(tmp_path):
    xgb = pytest.importorskip("xgboost")
    rec = save_artifact(_xgb_regressor(), tmp_path, "m/v1")
    major = int(xgb.__version__.split(".")[0])
    with pytest.raises(DataError, match="another major version"):
        load_artifact(dataclasses.replace(rec, libraries={"xgboost": f"{major + 1}.0.0"}), tmp_path)


def test_native_handlers_refuse_unfitted_models(tmp_path):
    lgb = pytest.importorskip("lightgbm")
    xgb = pytest.importorskip("xgboost")
    for model in (lgb.LGBMClassifier(), xgb.XGBRegressor()):
        with pytest.raises(ParameterError, match="must be fitted before it is saved"):
            save_artifact(model, tmp_path, "m/v1")


def test_lightgbm_custom_objective_is_refused(tmp_path):
    lgb = pytest.importorskip("lightgbm")

    def squared(y_true, y_pred):
        return y_pred - y_true, np.ones_like(y_true)

    model = lgb.LGBMRegressor(n_estimators=3, objective=squared, verbose=-1).fit(X, X[:, 2])
    with pytest.raises(ParameterError, match="custom objective function"):
        save_artifact(model, tmp_path, "m/v1")
    assert save_artifact(model.booster_, tmp_path, "m/v1").format == "lightgbm"


def test_unknown_format_names_the_known_ones(tmp_path):
    rec = save_artifact(LogisticRegression().fit(X, Y), tmp_path, "m/v1")
    with pytest.raises(ParameterError, match="'lightgbm', 'xgboost', 'skops', 'pickle'; got 'onnx'"):
        load_artifact(dataclasses.replace(rec, format="onnx"), tmp_path)


# -- a malicious pickle is refused on every route, and never runs --------------------------------
class _Payload:
    """Unpickling this runs code: it creates the sentinel file."""

    def __init__(self, sentinel):
        self.sentinel = str(sentinel)

    def __reduce__(self):
        return (exec, (f"open({self.sentinel!r}, 'w').close()",))


class _SkopsPayload:
    """Loading this through skops (if trusted) runs code: __setstate__ creates the sentinel."""

    def __init__(self, sentinel):
        self.sentinel = str(sentinel)

    def __setstate__(self, state):
        open(state["sentinel"], "w").close()


def _plant(tmp_path, rel, data):
    target = tmp_path / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return ArtifactRecord(rel, "pickle", sha256_file(target))


def test_the_payloads_are_live(tmp_path):
    """The controls: without the guards these files do run code."""
    sio = pytest.importorskip("skops.io")
    pickle.loads(pickle.dumps(_Payload(tmp_path / "pickle-ran")))
    assert (tmp_path / "pickle-ran").exists()
    sio.dump(_SkopsPayload(tmp_path / "skops-ran"), tmp_path / "p.skops")
    sio.load(tmp_path / "p.skops", trusted=[f"{__name__}._SkopsPayload"])
    assert (tmp_path / "skops-ran").exists()


def test_a_pickle_is_refused_when_the_project_does_not_allow_pickles(tmp_path):
    sentinel = tmp_path / "ran"
    rec = _plant(tmp_path, "m/v1/model.pkl", pickle.dumps(_Payload(sentinel)))
    with pytest.raises(ParameterError, match="does not allow pickles"):
        load_artifact(rec, tmp_path)
    assert not sentinel.exists()


def test_a_pickle_replaced_after_registration_is_refused(tmp_path):
    sentinel = tmp_path / "ran"
    rec = save_artifact({"weights": [1.0, 2.0]}, tmp_path, "m/v1", allow_pickle=True)
    (tmp_path / rec.path).write_bytes(pickle.dumps(_Payload(sentinel)))  # the attacker's swap
    with pytest.raises(DataError, match="does not match its recorded SHA-256"):
        load_artifact(rec, tmp_path, allow_pickle=True)
    assert not sentinel.exists()


def test_a_skops_file_with_an_untrusted_type_is_refused(tmp_path):
    sio = pytest.importorskip("skops.io")
    sentinel = tmp_path / "ran"
    target = tmp_path / "m/v1/model.skops"
    target.parent.mkdir(parents=True)
    sio.dump(_SkopsPayload(sentinel), target)
    rec = ArtifactRecord("m/v1/model.skops", "skops", sha256_file(target))
    with pytest.raises(DataError, match=r"not trusted: .*_SkopsPayload"):
        load_artifact(rec, tmp_path, allow_pickle=True)
    assert not sentinel.exists()


@pytest.mark.parametrize(("fmt", "module"), [("lightgbm", "lightgbm"), ("xgboost", "xgboost")])
def test_a_pickle_posing_as_a_native_model_is_never_unpickled(tmp_path, fmt, module):
    pytest.importorskip(module)
    sentinel = tmp_path / "ran"
    rec = dataclasses.replace(_plant(tmp_path, "m/v1/model.bin", pickle.dumps(_Payload(sentinel))),
                              format=fmt)
    with pytest.raises(DataError, match="is not a valid"):
        load_artifact(rec, tmp_path, allow_pickle=True)
    assert not sentinel.exists()


# -- record paths cannot leave the artifact root ------------------------------------------------
@pytest.mark.parametrize("bad", ["..", "../model.skops", "m/../../model.skops", "/etc/passwd",
                                 "%2e%2e/model.skops", "m/%2E%2E/%2e%2e/model.skops",
                                 "%252e%252e/model.skops"],
                         ids=["dotdot", "parent", "nested-parent", "absolute", "url-encoded",
                              "url-encoded-upper", "double-encoded"])
def test_traversal_in_a_record_is_refused(tmp_path, bad):
    root = tmp_path / "root"
    root.mkdir()
    rec = save_artifact(LogisticRegression().fit(X, Y), tmp_path, "model-outside")
    with pytest.raises(ParameterError, match="inside the artifact root"):
        load_artifact(dataclasses.replace(rec, path=bad), root)


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    outside = save_artifact(LogisticRegression().fit(X, Y), tmp_path, "elsewhere")  # valid file
    os.symlink(tmp_path / "elsewhere", root / "m")
    with pytest.raises(ParameterError, match="symlink"):
        load_artifact(dataclasses.replace(outside, path="m/model.skops"), root)


def test_saving_cannot_escape_the_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    for bad in ("../escape", "/tmp/escape", "%2e%2e/escape"):
        with pytest.raises(ParameterError, match="inside the artifact root"):
            save_artifact(LogisticRegression().fit(X, Y), root, bad)
    assert list(tmp_path.iterdir()) == [root]


def test_a_subclass_is_saved_as_its_library_class_with_a_warning(tmp_path):
    lgb = pytest.importorskip("lightgbm")

    class Mine(lgb.LGBMRegressor):
        pass

    model = Mine(n_estimators=3, verbose=-1).fit(X, X[:, 2])
    with pytest.warns(DriftlineWarning, match="saved in lightgbm's native format as a LGBMRegressor"):
        rec = save_artifact(model, tmp_path, "m/v1")
    assert np.array_equal(load_artifact(rec, tmp_path).predict(X), model.predict(X))
