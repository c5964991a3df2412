"""``driftline.track`` at the surface: the store from the argument, DRIFTLINE_STORE_URL or the
default file, and MLflow mirroring when MLFLOW_TRACKING_URI is set, for scripts and for the
retraining loop's runs."""

from __future__ import annotations

import pytest

import driftline as dl
from driftline.integrations import DEFAULT_STORE_URL, configure_tracking
from driftline.store import Store
from driftline.tracking import list_runs, remove_default_sink


def test_the_store_comes_from_the_argument_the_environment_or_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env_url = f"sqlite:///{tmp_path / 'env.db'}"
    with dl.track("credit", run_name="from env", environ={"DRIFTLINE_STORE_URL": env_url}) as a, \
            dl.track("credit", run_name="nested", environ={}) as b:  # the parent's store
        b.log_metric("auc", 0.7)
    with dl.track("credit", run_name="default", environ={}) as c:
        c.log_metric("auc", 0.8)
    given = Store.open(f"sqlite:///{tmp_path / 'given.db'}")
    with dl.track("credit", store=given, environ={"DRIFTLINE_STORE_URL": env_url}) as d:
        pass
    assert DEFAULT_STORE_URL == "sqlite:///./driftline.db" and (tmp_path / "driftline.db").is_file()
    env_store = Store.open(env_url)
    assert [r.name for r in list_runs(env_store, "credit")] == ["nested", "from env"]
    assert b.parent_id == a.id
    assert [r.id for r in list_runs(Store.open(DEFAULT_STORE_URL), "credit")] == [c.id]
    assert [r.id for r in list_runs(given, "credit")] == [d.id]


@pytest.fixture
def mlflow_env(tmp_path):
    pytest.importorskip("mlflow")
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
            "DRIFTLINE_MLFLOW_ARTIFACT_LOCATION": str(tmp_path / "mlartifacts"),
            "DRIFTLINE_STORE_URL": f"sqlite:///{tmp_path / 'runs.db'}"}


def test_a_script_mirrors_to_mlflow_when_a_tracking_uri_is_set(mlflow_env, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.chdir(tmp_path)
    with dl.track("credit", run_name="study", kind="study", environ=mlflow_env) as study:
        for c in (0.1, 1.0):
            with dl.track("credit", params={"C": c}, kind="trial") as trial:
                trial.log_metric("roc_auc", 0.7 + c / 10, step=0)
    client = MlflowClient(mlflow_env["MLFLOW_TRACKING_URI"])
    exp = client.get_experiment_by_name("driftline/credit")
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 3
    parent = next(r for r in runs if r.data.tags["driftline.run_id"] == study.id)
    trials = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.data.params["C"] for r in trials) == ["0.1", "1.0"]
    assert not (tmp_path / "mlruns").exists()  # artifacts go where the environment says


def test_the_loops_runs_mirror_once_the_service_configured_tracking(mlflow_env, tmp_path,
                                                                     monkeypatch):
    from mlflow.tracking import MlflowClient

    from driftline.config import load_project
    from driftline.retrain import register
    from tests.serving.project import make_project

    monkeypatch.chdir(tmp_path)
    sinks = configure_tracking(mlflow_env)
    try:
        assert len(sinks) == 1
        path = make_project(tmp_path / "p", n=600)
        register(load_project(path), promote=True)
    finally:
        for s in sinks:
            remove_default_sink(s)
    client = MlflowClient(mlflow_env["MLFLOW_TRACKING_URI"])
    (version,) = client.search_model_versions("name='credit'")
    assert version.tags["driftline.version"] == "1"
    (run,) = client.search_runs([client.get_experiment_by_name("driftline/credit").experiment_id])
    assert run.info.run_id == version.run_id and "roc_auc" in run.data.metrics
    assert client.get_model_version_by_alias("credit", "champion").version == version.version
    assert configure_tracking({}) == ()  # nothing configured: nothing added
