"""The loop tunes before it trains (``training.tuning``): a study nested in the retrain's
tracked run, each trial trained in a separate process like the final training, and the
challenger trained (and registered) with the best params; with the built-in random tuner and
with Optuna's, through the ``driftline retrain`` command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from driftline.datasets import make_credit_frames
from tests.monitor.test_monitor import _log
from tests.serving.project import TRAIN_CODE, make_project

TUNED_TRAIN = TRAIN_CODE + '''

def train_tuned(data, *, previous=None, params):
    prep = ColumnTransformer([
        ("num", StandardScaler(), NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    ])
    clf = LogisticRegression(C=params["C"], class_weight=params["class_weight"],
                             max_iter=params["max_iter"])
    return Pipeline([("prep", prep), ("clf", clf)]).fit(data.X, data.y)
'''

TUNING = """\
training:
  function: "credit_model:train_tuned"
  params: {{C: 1.0, class_weight: null, max_iter: 300}}
  seed: 0
  tuning:
    trials: 4
    tuner: {tuner}
    space:
      C: {{low: 0.001, high: 10, log: true}}
      class_weight: {{choices: [null, balanced]}}
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A registered champion and 1,000 labelled rows of drifted traffic, built once."""
    from driftline.config import load_project
    from driftline.retrain import register

    folder = tmp_path_factory.mktemp("tuning") / "p"
    path = make_project(folder, n=1_200)
    (folder / "credit_model.py").write_text(TUNED_TRAIN)
    register(path, promote=True)
    project = load_project(path)
    _, cur = make_credit_frames(10, 1_000, drift=True, seed=5)
    _log(project, cur, start=pd.Timestamp("2026-04-01", tz="UTC"), labels=1 - cur["default"],
         prefix="z")
    return folder


def _project(base, tmp_path, tuner):
    from driftline.config import load_project

    folder = tmp_path / "p"
    shutil.copytree(base, folder)
    path = folder / "driftline.yaml"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("training:")]
    path.write_text("\n".join(lines) + "\n" + TUNING.format(tuner=tuner))
    return load_project(path)


def _check_study(store, version, source):
    from driftline.tracking import get_run, list_runs

    (retrain,) = list_runs(store, "credit", kind="retrain")
    (study,) = list_runs(store, parent=retrain.id)
    assert study.kind == "study" and study.status == "finished"
    assert study.tags["objective"] == "roc_auc" and study.tags["direction"] == "maximize"
    assert study.tags["source"] == source
    trials = list_runs(store, parent=study.id)
    assert len(trials) == 4 and {t.kind for t in trials} == {"trial"}
    assert sorted(t.tags["trial_number"] for t in trials) == [0, 1, 2, 3]
    assert all(t.status == "finished" and "roc_auc" in t.metrics for t in trials)
    best = get_run(store, study.tags["best_trial"])
    assert best.metrics["roc_auc"] == max(t.metrics["roc_auc"] for t in trials)
    assert study.metrics["best_value"] == best.metrics["roc_auc"]
    importances = json.loads(store.run_artifact(study.id, "param_importances.json")[1])
    assert set(importances) == {"C", "class_weight"}
    assert sum(importances.values()) == pytest.approx(1.0)
    # the challenger was trained, and registered, with the best params over training.params
    expected = {"C": best.params["C"], "class_weight": best.params["class_weight"],
                "max_iter": 300}
    assert version.params == expected
    assert retrain.params == expected and retrain.tags["tuning.study"] == study.id
    assert retrain.version == version.version
    return best


def test_the_loop_tunes_with_the_random_tuner(base, tmp_path):
    from driftline.retrain import open_registry, retrain

    project = _project(base, tmp_path, "random")
    registry = open_registry(project)
    outcome = retrain(project, registry=registry, trigger="test")
    assert outcome.version == 2
    version = registry.get("credit", outcome.version)
    best = _check_study(registry.store, version, "driftline")
    assert outcome.training["params"]["C"] == best.params["C"]
    assert 0.001 <= best.params["C"] <= 10


def test_the_retrain_command_tunes_with_optuna(base, tmp_path, capsys):
    from driftline.cli import main
    from driftline.retrain import open_registry

    project = _project(base, tmp_path, "optuna")
    assert main(["retrain", str(project.path), "--json", "-"]) in (0, 1)
    out = json.loads(capsys.readouterr().out)
    registry = open_registry(project)
    version = registry.get("credit", out["version"])
    _check_study(registry.store, version, "optuna")


def test_an_unregistered_optuna_tuner_says_what_to_import():
    code = ("from driftline.retrain import make_tuner\n"
            "try:\n    make_tuner('optuna')\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("ParameterError tuner 'optuna' is not registered")
    assert "import driftline.integrations._optuna" in out


def test_the_tuning_section_is_validated(tmp_path):
    from driftline.config import load_project
    from driftline.errors import ConfigError

    path = make_project(tmp_path / "p", n=200)
    text = path.read_text()
    for bad, message in (("space: {C: {low: 1, high: 0.5}}", "low must be below high"),
                         ("space: {C: {low: 0, high: 1, log: true}}", "log: true needs low > 0"),
                         ("space: {C: {low: 1, high: 2}}, tuner: grid", "tuner"),
                         ("space: {}", "space"),
                         ("space: {k: {choices: []}}", "non-empty 'choices'"),
                         ("space: {C: {low: 1, high: 2}}, timeout: soon", "duration")):
        path.write_text(text.replace("seed: 0}", "seed: 0, tuning: {" + bad + "}}"))
        with pytest.raises(ConfigError, match=message):
            load_project(path)
    path.write_text(text.replace("seed: 0}", "seed: 0, tuning: {trials: 3, timeout: 5m, "
                                 "space: {depth: {low: 2, high: 8, type: int}}}}"))
    tuning = load_project(path).config.training.tuning
    assert tuning.trials == 3 and tuning.space["depth"].to_spec() == {
        "type": "int", "low": 2, "high": 8, "log": False}


PROBE = '''
import os, time


class Probe:
    def __init__(self, params):
        self.params, self.pid, self.niceness = params, os.getpid(), os.nice(0)
        self.omp = os.environ.get("OMP_NUM_THREADS")

    def predict(self, X):
        return X


def probe(data, *, previous=None, params):
    if params.get("fail"):
        raise ValueError("bad params")
    time.sleep(params.get("sleep", 0))
    return Probe(params)
'''


def test_trials_share_one_niced_capped_process_and_a_slow_one_is_killed(tmp_path):
    import os

    import numpy as np

    from driftline.registry import TrainingData
    from driftline.retrain import TrainingError
    from driftline.retrain._trial_process import _TrialProcess

    (tmp_path / "probe_model.py").write_text(PROBE)
    data = TrainingData.from_frame(pd.DataFrame({"x": np.arange(10.0), "y": [0, 1] * 5}),
                                   target="y")
    with _TrialProcess("probe_model:probe", tmp_path, nice=3, threads=2) as trainer:
        first = trainer.fit(data, {"C": 1.0}, timeout=30)
        with pytest.raises(TrainingError, match="ValueError: bad params"):
            trainer.fit(data, {"fail": True}, timeout=30)
        second = trainer.fit(data, {"C": 2.0}, timeout=30)
        assert first.pid == second.pid != os.getpid() and trainer.starts == 1
        assert second.params == {"C": 2.0} and second.omp == "2"
        assert second.niceness == min(19, os.nice(0) + 3)
        with pytest.raises(TrainingError, match=r"timeout=0\.5 s"):
            trainer.fit(data, {"sleep": 30}, timeout=0.5)
        third = trainer.fit(data, {"C": 3.0}, timeout=30)
        assert third.pid != first.pid and trainer.starts == 2
    with pytest.raises(ProcessLookupError):
        os.kill(third.pid, 0)  # closed: the process group is gone


def test_tune_params_tracks_failed_trials_and_fails_when_every_trial_does():
    import numpy as np
    from sklearn.linear_model import LogisticRegression, Ridge

    from driftline.registry import TrainingData
    from driftline.retrain import RandomSearchTuner, TrainingError, tune_params
    from driftline.store import Store
    from driftline.tracking import list_runs, track

    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 2))
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x[:, 0] + x[:, 1] > 0).astype(int)})
    data = TrainingData.from_frame(frame, target="y")

    def fit(d, p):
        if p["C"] > 1.0:
            raise ValueError("nope")
        return LogisticRegression(C=p["C"]).fit(d.X, d.y)

    store = Store.open("sqlite://")
    with track("m", store=store, run_name="retrain", kind="retrain") as run:
        res = tune_params(fit, data, {"C": {"low": 0.01, "high": 100.0, "log": True}},
                          parent=run, task="binary", n_trials=8, metric="accuracy")
    (study,) = list_runs(store, parent=run.id)
    trials = {t.id: t for t in list_runs(store, parent=study.id)}
    assert len(res.trials) == len(trials) == 8
    for t in res.trials:
        assert trials[t.run_id].status == t.status
        assert (t.status == "failed") == (t.params["C"] > 1.0)
        if t.status == "failed":
            assert t.error == "ValueError: nope"
            assert trials[t.run_id].tags["error.message"] == "nope"
    assert 0 < res.n_failed < 8 and study.tags["n_failed"] == res.n_failed
    assert study.tags["best_trial"] == res.best.run_id and res.best.params["C"] <= 1.0
    assert study.tags["objective"] == "accuracy" and study.tags["tuner"] == "random"

    with track("m", store=store) as run, \
            pytest.raises(TrainingError, match="every one of the 3 tuning trials failed; "
                                               "the first error: ValueError: nope"):
        tune_params(fit, data, {"C": {"low": 2.0, "high": 3.0}}, parent=run, task="binary",
                    n_trials=3)
    (failed,) = list_runs(store, parent=run.id)
    assert failed.kind == "study" and failed.status == "failed"

    reg = frame.assign(y=x @ [1.0, -2.0] + rng.normal(0, 0.1, 240))
    with track("m", store=store) as run:
        res = tune_params(lambda d, p: Ridge(alpha=p["alpha"]).fit(d.X, d.y),
                          TrainingData.from_frame(reg, target="y"),
                          {"alpha": {"low": 0.01, "high": 1000.0, "log": True}}, parent=run,
                          task="regression", n_trials=5, tuner=RandomSearchTuner(seed=1))
    assert res.metric == "rmse" and res.direction == "minimize"
    assert res.best_value == min(t.value for t in res.trials)
