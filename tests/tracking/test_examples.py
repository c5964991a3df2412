"""The training and tuning scripts that docs/tracking.md shows run as they are, and leave the
runs the training page draws."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from driftline.store import Store
from driftline.tracking import list_runs, metric_history

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, url: str, *args: str) -> str:
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "tracking" / script),
                          "--store", url, *args], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"}, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_training_script_leaves_a_run_with_a_curve_and_an_evaluation(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    printed = _run("train.py", url)
    store = Store.open(url)
    (run,) = list_runs(store, "credit")
    assert run.id in printed and run.status == "finished" and run.params["n_estimators"] == 150
    curve = metric_history(store, run.id)["valid_0_binary_logloss"]
    assert [s for s, _ in curve] == list(range(150))
    assert {"accuracy", "log_loss", "roc_auc", "pr_auc"} <= set(run.metrics)
    assert run.model_params["n_trees"] == 150
    assert {a["name"] for a in store.run_artifacts(run.id)} == {
        "confusion_matrix.json", "classification_report.json"}


def test_the_tuning_script_leaves_two_studies_with_their_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    _run("tune.py", url, "--trials", "12")
    store = Store.open(url)
    studies = {r.tags["source"]: r for r in list_runs(store, "credit", kind="study")}
    assert set(studies) == {"optuna", "sklearn"}
    for source, n in (("optuna", 12), ("sklearn", 8)):
        study = studies[source]
        trials = list_runs(store, "credit", parent=study.id)
        assert len(trials) == n and study.tags["best_trial"] in {t.id for t in trials}
        imp = json.loads(store.run_artifact(study.id, "param_importances.json")[1])
        assert abs(sum(imp.values()) - 1) < 1e-9
    statuses = {t.status for t in list_runs(store, "credit", parent=studies["optuna"].id)}
    assert "finished" in statuses and statuses <= {"finished", "pruned"}
