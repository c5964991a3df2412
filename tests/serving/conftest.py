"""Fixtures: a trained project (champion v1, challenger v2) copied fresh for each test."""

from __future__ import annotations

import shutil

import pytest

from tests.serving.project import make_project

PREDICT_TOKEN = "predict-token-0123456789"
ADMIN_TOKEN = "admin-token-9876543210"


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A project with v1 (champion) and v2 (challenger, another C) registered."""
    from driftline.config import load_project
    from driftline.retrain import register

    folder = tmp_path_factory.mktemp("trained")
    path = make_project(folder)
    register(path, promote=True)
    proj = load_project(path)
    other = proj.config.model_copy(update={"training": proj.config.training.model_copy(
        update={"params": {"C": 0.01}})})
    register(type(proj)(other, proj.path), promote=False)
    return folder


@pytest.fixture
def project(trained, tmp_path):
    """A private copy of the trained project: its project file's path."""
    dest = tmp_path / "proj"
    shutil.copytree(trained, dest)
    return dest / "driftline.yaml"


def instance(**overrides):
    """One valid row for the credit model."""
    row = {"income": 52000.0, "age": 41.0, "debt_ratio": 0.31, "region": "north",
           "purpose": "car", "has_mortgage": True}
    row.update(overrides)
    return row


def oip_body(rows):
    """An OIP v2 infer body (pandas codec) for these rows."""
    def dtype(v):
        return "BOOL" if isinstance(v, bool) else "FP64" if isinstance(v, float) else "BYTES"
    names = list(rows[0])
    return {"inputs": [{"name": n, "shape": [len(rows)], "datatype": dtype(rows[0][n]),
                        "data": [r[n] for r in rows]} for n in names]}
