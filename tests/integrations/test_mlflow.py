"""The MLflow export (driftline.integrations.MLflowSink) against real MLflow: a local
``sqlite:///`` tracking database with every artifact under the test's temporary directory."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from driftline.errors import DataError, DriftlineWarning, ParameterError
from driftline.integrations import MLflowSink
from driftline.integrations._mlflow import _key, _text
from driftline.store import Store
from driftline.tracking import metric_history, track

pytest.importorskip("mlflow")


@pytest.fixture(scope="module")
def mlflow_root(tmp_path_factory):
    # One database for the module: creating MLflow's tables takes seconds. Each test uses its
    # own model name, hence its own experiment and registered model.
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture
def sink(mlflow_root):
    return MLflowSink(f"sqlite:///{mlflow_root}/mlflow.db",
                      artifact_location=str(mlflow_root / "artifacts"))


@pytest.fixture(autouse=True)
def _nothing_in_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield
    assert list(tmp_path.iterdir()) == [], "MLflow wrote into the working directory"


@pytest.fixture
def model():
    return f"credit_{uuid.uuid4().hex[:8]}"


def _runs(sink, model):
    exp = sink.client.get_experiment_by_name(f"driftline/{model}")
    return {r.info.run_id: r for r in sink.client.search_runs([exp.experiment_id])}


def test_a_study_and_its_trials_are_mirrored_nested(sink, model):
    store = Store.open("sqlite://")
    with track(model, store=store, sinks=(sink,), run_name="study", kind="study",
               params={"sampler": "tpe", "n_trials": 3}, tags={"team": "risk"}) as study:
        trials = []
        for i, c in enumerate((0.1, 1.0, 10.0)):
            with study.child(f"trial-{i}", params={"C": c, "penalty": None}) as trial:
                for step, loss in enumerate((0.9, 0.5 - c / 100, 0.3 - c / 100)):
                    trial.log_metric("loss", loss, step=step)
                trial.log_metrics({"auc": 0.7 + c / 100, "log_loss": 0.4})
                trial.set_tags({"fold": i, "notes": {"kept": True}})
                trials.append(trial)
        study.log_metric("best_auc", 0.8)
        study.log_model_params({"n_coef": 3})
    runs = _runs(sink, model)
    assert len(runs) == 4
    study_id = sink.mlflow_run_id(study.id)
    for run in (study, *trials):
        mirrored = runs[sink.mlflow_run_id(run.id)]
        rec = run.record()
        assert run.sink_errors == 0
        assert mirrored.info.run_name == rec.name
        assert mirrored.info.status == "FINISHED"
        assert mirrored.data.params == {k: "None" if v is None else str(v)
                                        for k, v in rec.params.items()}
        assert mirrored.data.metrics == rec.metrics
        tags = mirrored.data.tags
        assert tags["driftline.run_id"] == rec.id and tags["driftline.model"] == model
        assert tags["driftline.kind"] == rec.kind
        for k, v in rec.tags.items():
            assert tags[k] == (json.dumps(v, sort_keys=True) if isinstance(v, dict) else str(v))
        for name, history in metric_history(store, run.id).items():
            got = sink.client.get_metric_history(mirrored.info.run_id, name)
            assert [(m.step, m.value) for m in got] == [(s or 0, v) for s, v in history]
        if run is study:
            assert "mlflow.parentRunId" not in tags
            assert tags["model_params.n_coef"] == "3"
        else:
            assert tags["mlflow.parentRunId"] == study_id
            assert tags["driftline.parent_id"] == study.id


def test_failed_and_pruned_runs_end_failed_and_killed(sink, model):
    store = Store.open("sqlite://")
    with pytest.raises(ZeroDivisionError), track(model, store=store, sinks=(sink,)) as failed:
        1 / 0  # noqa: B018
    with track(model, store=store, sinks=(sink,), kind="trial") as pruned:
        pruned.log_metric("loss", 0.9, step=0)
        pruned.end("pruned")
    failed_run = sink.client.get_run(sink.mlflow_run_id(failed.id))
    assert failed_run.info.status == "FAILED"
    assert failed_run.data.tags["error.type"] == "ZeroDivisionError"
    assert sink.client.get_run(sink.mlflow_run_id(pruned.id)).info.status == "KILLED"
    assert failed.sink_errors == pruned.sink_errors == 0


def test_artifacts_download_with_the_same_bytes(sink, model, tmp_path_factory):
    store = Store.open("sqlite://")
    with track(model, store=store, sinks=(sink,)) as run:
        run.log_dict("report.json", {"auc": 0.81, "classes": [0, 1]})
        run.log_text("notes/summary.txt", "fine")
    out = tmp_path_factory.mktemp("download")
    mlflow_id = sink.mlflow_run_id(run.id)
    for name in ("report.json", "notes/summary.txt"):
        path = sink.client.download_artifacts(mlflow_id, name, str(out))
        with open(path, "rb") as fh:
            assert fh.read() == store.run_artifact(run.id, name)[1]


def test_link_registers_a_model_version_and_mirrors_stages(sink, model, tmp_path_factory):
    store = Store.open("sqlite://")
    artifact = b"PK\x03\x04 a skops file"
    with track(model, store=store, sinks=(sink,), kind="retrain") as run:
        run.link(version=1, artifact=artifact)
        run.link(version=1, artifact=artifact)  # already mirrored: no second MLflow version
    assert run.sink_errors == 0
    versions = sink.client.search_model_versions(f"name = '{model}'")
    assert [(str(v.version), v.tags["driftline.version"]) for v in versions] == [("1", "1")]
    mv = versions[0]
    assert mv.run_id == sink.mlflow_run_id(run.id) and mv.source.endswith("/model")
    path = sink.client.download_artifacts(mv.run_id, "model/model.skops",
                                          str(tmp_path_factory.mktemp("model")))
    with open(path, "rb") as fh:
        assert fh.read() == artifact
    sink.mirror_stage(model, 1, "champion")
    assert str(sink.client.get_model_version_by_alias(model, "champion").version) == "1"
    sink.mirror_stage(model, 1, "archived")
    got = sink.client.get_model_version(model, "1")
    assert got.aliases == [] and got.tags["driftline.stage"] == "archived"
    with pytest.raises(DataError, match="not mirrored"):
        sink.mirror_stage(model, 7, "champion")
    with pytest.raises(ParameterError):
        sink.mirror_stage(model, 1, "production")


def test_a_changed_param_keeps_its_first_value_and_goes_to_a_tag(sink, model):
    store = Store.open("sqlite://")
    with track(model, store=store, sinks=(sink,), params={"C": 1.0}) as run:
        run.log_params({"C": 1.0, "max_iter": 100})
        with pytest.warns(DriftlineWarning, match="cannot change"):
            run.log_params({"C": 2.0})
    mirrored = sink.client.get_run(sink.mlflow_run_id(run.id)).data
    assert mirrored.params == {"C": "1.0", "max_iter": "100"}
    assert mirrored.tags["param.C"] == "2.0"
    assert run.record().params["C"] == 2.0 and run.sink_errors == 0


def test_a_new_sink_finds_runs_mirrored_before_a_restart(sink, model, mlflow_root):
    store = Store.open("sqlite://")
    with track(model, store=store, sinks=(sink,), run_name="study", kind="study",
               params={"C": 1.0}) as study:
        pass
    # Another process (a fresh sink, empty mapping) adds a trial and logs to the study.
    later = MLflowSink(f"sqlite:///{mlflow_root}/mlflow.db",
                       artifact_location=str(mlflow_root / "artifacts"))
    with track(model, store=store, sinks=(later,), parent=study.id, kind="trial") as trial:
        trial.log_metric("auc", 0.8)
    later.set_tags(study.id, {"resumed": True})
    with pytest.warns(DriftlineWarning):
        later.log_params(study.id, {"C": 3.0, "seed": 0})
    mirrored = later.client.get_run(later.mlflow_run_id(trial.id))
    assert mirrored.data.tags["mlflow.parentRunId"] == sink.mlflow_run_id(study.id)
    study_run = later.client.get_run(sink.mlflow_run_id(study.id)).data
    assert study_run.tags["resumed"] == "True" and study_run.params == {"C": "1.0", "seed": "0"}
    with pytest.raises(DataError, match="not mirrored"):
        later.mlflow_run_id("0" * 32)


def test_a_run_whose_creation_fails_halfway_is_not_left_behind(sink, model, monkeypatch):
    client = sink.client

    def broken(*args, **kwargs):
        raise RuntimeError("MLflow went away")

    monkeypatch.setattr(client, "log_batch", broken)
    with track(model, store=Store.open("sqlite://"), sinks=(sink,), params={"C": 1.0}) as run:
        run.log_metric("auc", 0.8)
    assert run.record().status == "finished"
    assert run.sink_errors == 3  # start, log_metrics, end
    assert _runs(sink, model) == {}  # the created run was deleted, not left half-mirrored
    with pytest.raises(DataError):
        sink.mlflow_run_id(run.id)


def test_an_unreachable_server_does_not_break_the_run(model, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    sink = MLflowSink("http://user:secret@127.0.0.1:9/")
    assert "secret" not in repr(sink)
    store = Store.open("sqlite://")
    with track(model, store=store, sinks=(sink,), params={"C": 1.0}) as run:
        run.log_metric("auc", 0.8, step=1)
        run.log_dict("report.json", {"auc": 0.8})
        run.link(version=1, artifact=b"model")
    rec = run.record()
    assert rec.status == "finished" and rec.metrics == {"auc": 0.8}
    assert run.sink_errors == 5  # start, log_metrics, log_artifact, version, end


def test_keys_and_values_fit_mlflows_rules():
    assert _key("auc[class=1]") == "auc_class_1_"
    assert _key("/abs/path") == "_abs_path" and _key("..") == "_.." and _key("") == "_"
    assert _key("train/loss") == "train/loss" and len(_key("k" * 400)) == 250
    assert _text({"b": 1, "a": [1, 2]}, 100) == '{"a": [1, 2], "b": 1}'
    assert _text("x" * 7000, 6000) == "x" * 6000 and _text(None, 10) == "None"
    with pytest.raises(ParameterError):
        MLflowSink("")


def test_importing_integrations_does_not_import_mlflow():
    code = ("import sys, driftline.integrations as i; i.MLflowSink; "
            "print(any(m.split('.')[0] == 'mlflow' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
