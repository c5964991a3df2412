"""Artifacts: safe formats per family, checksums verified on every load, pickle only opted in."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from driftline.errors import DataError, DriftlineWarning, ParameterError
from driftline.registry import RiverModel, load_artifact, save_artifact

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
