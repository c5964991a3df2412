"""The service commands in-process (train, versions, promote, rollback, ingest) on a real
project folder, against SQLite and the real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import driftline as dl
from driftline.cli import main
from driftline.config import load_project
from driftline.datasets import make_credit_frames
from driftline.retrain import open_registry
from tests.serving.project import make_project

N = 800
FEATURES = ["income", "age", "debt_ratio", "region", "purpose", "has_mortgage"]

# A user training function that ignores the data's signal: a constant (prior) predictor.
CONSTANT_CODE = '''
from sklearn.dummy import DummyClassifier


def train(data, *, previous=None, params):
    return DummyClassifier(strategy="prior").fit(data.X, data.y)
'''


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, dict, str]:
    code, out, err = run(capsys, *argv, "--json", "-")
    return code, (json.loads(out) if out.strip() else {}), err


def one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftline: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture
def project(store_url, tmp_path) -> Path:
    return make_project(tmp_path / "credit", n=N, store_url=store_url)


@pytest.fixture
def trained(project, capsys) -> Path:
    """The project with version 1 trained and promoted through the CLI."""
    code, _, err = run(capsys, "train", project, "--promote", "--quiet")
    assert code == 0, err
    return project


def registry_of(path: Path):
    return open_registry(load_project(path))


def stages(path: Path) -> dict[int, str]:
    return {v.version: v.stage for v in registry_of(path).versions("credit")}


# -- train ------------------------------------------------------------------------------
def test_train_promote_prints_the_version(capsys, project):
    code, payload, err = run_json(capsys, "train", project, "--promote")
    assert code == 0, err
    version = payload["version"]
    assert (version["model"], version["version"], version["stage"]) == ("credit", 1, "champion")
    assert payload["promoted"] is True and payload["reason"].startswith("first version")
    assert set(version["metrics"]) == {"accuracy", "log_loss", "roc_auc", "pr_auc"}
    assert version["reference"]["path"] == "credit/v1/reference.parquet"
    assert "registered credit version 1 (champion); holdout accuracy=" in err  # summary: stderr
    assert stages(project) == {1: "champion"}


def test_train_without_promote_registers_a_challenger(capsys, trained):
    code, payload, err = run_json(capsys, "train", trained)
    assert code == 0, err
    assert payload["promoted"] is False and payload["version"]["stage"] == "challenger"
    assert payload["version"]["parent"] == 1
    assert stages(trained) == {1: "champion", 2: "challenger"}


def test_promoting_a_worse_model_keeps_the_champion_and_exits_1(capsys, trained):
    (trained.parent / "constant_model.py").write_text(CONSTANT_CODE)
    trained.write_text(trained.read_text().replace("credit_model:train", "constant_model:train"))
    code, payload, err = run_json(capsys, "train", trained, "--promote")
    assert code == 1, err
    assert payload["promoted"] is False
    assert payload["reason"].startswith("kept the champion: challenger roc_auc=0.5 vs champion")
    assert payload["version"]["metrics"]["roc_auc"] == pytest.approx(0.5)
    assert "kept the champion" in err
    assert stages(trained) == {1: "champion", 2: "challenger"}


# -- versions, promote, rollback --------------------------------------------------------
def test_versions_promote_and_rollback(capsys, trained):
    assert run(capsys, "train", trained, "--quiet")[0] == 0  # version 2, a challenger
    code, payload, err = run_json(capsys, "versions", trained)
    assert code == 0, err
    assert [(v["version"], v["stage"]) for v in payload["versions"]] == [
        (1, "champion"), (2, "challenger")]
    assert [(h["version"], h["stage"]) for h in payload["history"]] == [
        (1, "challenger"), (1, "champion"), (2, "challenger")]
    assert payload["history"][1]["reason"] == "first version"

    code, payload, err = run_json(capsys, "promote", trained)  # default: the challenger
    assert code == 0, err
    assert (payload["version"], payload["stage"]) == (2, "champion")
    assert "credit: version 2 is champion" in err
    code, payload, _ = run_json(capsys, "rollback", trained)
    assert (code, payload["version"]) == (0, 1)
    code, payload, _ = run_json(capsys, "promote", trained, "--version", 2, "--reason", "canary ok")
    assert (code, payload["version"]) == (0, 2)
    code, payload, _ = run_json(capsys, "rollback", trained, "--version", 1, "--reason", "p99 up")
    assert (code, payload["version"], payload["stage"]) == (0, 1, "champion")
    assert stages(trained) == {1: "champion", 2: "archived"}

    code, out, _ = run(capsys, "versions", trained)
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()] == [["1", "champion"],
                                                               ["2", "archived"]]
    reasons = [(h.version, h.stage, h.reason) for h in registry_of(trained).history("credit")
               if h.stage == "champion"]
    assert reasons == [(1, "champion", "first version"),
                       (2, "champion", "promoted from the CLI"),
                       (1, "champion", "rollback: from the CLI"),
                       (2, "champion", "canary ok"), (1, "champion", "rollback: p99 up")]


def test_stage_commands_explain_what_is_missing(capsys, trained):
    code, _, err = run(capsys, "promote", trained)
    assert code == 2
    one_line_error(err, "'credit' has no challenger; give --version")
    code, _, err = run(capsys, "rollback", trained)
    assert code == 2
    one_line_error(err, "no earlier champion to roll back to")
    code, _, err = run(capsys, "promote", trained, "--version", 7)
    assert code == 2
    one_line_error(err, "no version 7")
    assert stages(trained) == {1: "champion"}


def test_versions_of_a_project_without_versions(capsys, project):
    code, out, _ = run(capsys, "versions", project)
    assert (code, out.strip()) == (0, "credit has no versions yet")
    code, payload, _ = run_json(capsys, "versions", project)
    assert (code, payload) == (0, {"versions": [], "history": []})


# -- ingest -----------------------------------------------------------------------------
def predictions_frame(n: int = 60, prefix: str = "r") -> pd.DataFrame:
    """Rows scored elsewhere: features, prediction, score_1, id, timestamp and the label."""
    _, current = make_credit_frames(n, n, seed=11)
    score = current.pop("score")
    frame = current.assign(prediction=(score > 0.5).astype(int), score_1=score,
                           id=[f"{prefix}{i}" for i in range(n)])
    frame["timestamp"] = (pd.Timestamp("2025-06-01", tz="UTC")
                          + pd.to_timedelta(np.arange(n), unit="min")).strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame


@pytest.fixture
def csv(tmp_path) -> Path:
    path = tmp_path / "scored.csv"
    predictions_frame().to_csv(path, index=False)
    return path


def test_ingest_logs_rows_with_labels_and_skips_replays(capsys, trained, csv):
    code, payload, err = run_json(capsys, "ingest", csv, "--project", trained)
    assert code == 0, err
    assert payload == {"written": 60, "replayed": 0, "rows": 60}
    assert "logged 60 rows (0 replayed ids skipped)" in err
    code, payload, _ = run_json(capsys, "ingest", csv, "--project", trained)
    assert (code, payload) == (0, {"written": 0, "replayed": 60, "rows": 60})

    sent = pd.read_csv(csv)
    log = registry_of(trained).store.read_window("credit")
    assert len(log) == 60 and set(log["version"]) == {1}  # the champion's
    assert log["id"].tolist() == sent["id"].tolist()
    assert log["label"].tolist() == sent["default"].tolist()
    assert log["prediction"].tolist() == sent["prediction"].tolist()
    np.testing.assert_allclose(log["score_1"], sent["score_1"])
    assert (log["ts"] == pd.to_datetime(sent["timestamp"], utc=True)).all()
    assert "default" not in log.columns and "timestamp" not in log.columns


def test_ingest_refuses_a_changed_replay(capsys, trained, csv):
    assert run(capsys, "ingest", csv, "--project", trained, "--quiet")[0] == 0
    changed = pd.read_csv(csv)
    changed.loc[3, "prediction"] = 1 - changed.loc[3, "prediction"]
    changed.to_csv(csv, index=False)
    code, _, err = run(capsys, "ingest", csv, "--project", trained)
    assert code == 2
    one_line_error(err, "prediction id 'r3' was logged before with a different payload")


@pytest.mark.parametrize(("column", "rows", "value", "message"), [
    ("income", [5], "inf", "input 'income' holds a non-finite number"),
    ("age", [5], "forty", "input 'age' must be a finite number column"),
    ("region", slice(None), 3, "input 'region' must be a string column"),
    ("score_1", [5], "-inf", "column 'score_1' holds an infinite number"),
], ids=["infinite-feature", "text-in-number", "number-in-text", "infinite-score"])
def test_ingest_refuses_bad_values_naming_the_column(capsys, trained, tmp_path, column, rows,
                                                     value, message):
    frame = predictions_frame()
    frame[column] = frame[column].astype(object)
    frame.loc[rows, column] = value
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    code, _, err = run(capsys, "ingest", path, "--project", trained)
    assert code == 2
    one_line_error(err, str(path), message)
    assert registry_of(trained).store.read_window("credit").empty  # nothing half-written


def test_ingest_without_a_champion_still_refuses_infinities(capsys, project, tmp_path):
    frame = predictions_frame()
    frame.loc[0, "debt_ratio"] = np.inf
    frame.to_csv(tmp_path / "bad.csv", index=False)
    code, _, err = run(capsys, "ingest", tmp_path / "bad.csv", "--project", project)
    assert code == 2
    one_line_error(err, "column 'debt_ratio' holds an infinite number")


def test_log_predictions_writes_the_same_log_as_the_cli(capsys, trained, tmp_path):
    predictions_frame(prefix="cli-").to_csv(tmp_path / "cli.csv", index=False)
    predictions_frame(prefix="py-").to_csv(tmp_path / "py.csv", index=False)
    assert run(capsys, "ingest", tmp_path / "cli.csv", "--project", trained, "--quiet")[0] == 0
    res = dl.log_predictions(pd.read_csv(tmp_path / "py.csv"), trained)
    assert res.n_written == 60 and res.ids[0] == "py-0" and res.replayed == ()

    store = registry_of(trained).store
    log = store.read_window("credit")
    by = {p: log[log["id"].str.startswith(p)].reset_index(drop=True) for p in ("cli-", "py-")}
    assert len(by["cli-"]) == len(by["py-"]) == 60
    pd.testing.assert_frame_equal(by["cli-"].drop(columns="id"), by["py-"].drop(columns="id"))
    stored = store.get_predictions("credit", [*res.ids, *(f"cli-{i}" for i in range(60))])
    hashes = stored.set_index("id")["payload_hash"]
    assert all(hashes[f"cli-{i}"] == hashes[f"py-{i}"] for i in range(60))
    assert list(stored.columns) == list(store.get_predictions("credit", ["cli-0"]).columns)


def test_ingest_uses_the_id_and_timestamp_columns_the_project_names(capsys, project, tmp_path):
    reference = pd.read_csv(project.parent / "reference.csv")
    reference["loan_id"] = [f"L{i}" for i in range(len(reference))]
    reference["applied_at"] = (pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(
        np.arange(len(reference)), unit="h")).strftime("%Y-%m-%dT%H:%M:%SZ")
    reference.to_csv(project.parent / "reference.csv", index=False)
    project.write_text(project.read_text().replace(
        "target: default}", "target: default, schema: {id: loan_id, timestamp: applied_at}}"))
    assert run(capsys, "train", project, "--promote", "--quiet")[0] == 0
    scored = predictions_frame().rename(columns={"id": "loan_id", "timestamp": "applied_at"})
    scored.to_csv(tmp_path / "scored.csv", index=False)
    code, payload, err = run_json(capsys, "ingest", tmp_path / "scored.csv", "--project", project)
    assert (code, payload["written"]) == (0, 60), err
    log = registry_of(project).store.read_window("credit")
    assert log["id"].tolist() == scored["loan_id"].tolist()
    assert (log["ts"] == pd.to_datetime(scored["applied_at"], utc=True)).all()
    assert log["label"].tolist() == scored["default"].tolist()
    code, payload, _ = run_json(capsys, "ingest", tmp_path / "scored.csv", "--project", project)
    assert (code, payload["replayed"]) == (0, 60)


# -- project file errors ----------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["train", "{p}"], ["versions", "{p}"], ["promote", "{p}"], ["rollback", "{p}"],
    ["ingest", "{csv}", "--project", "{p}"],
], ids=["train", "versions", "promote", "rollback", "ingest"])
def test_a_missing_project_file_is_named(capsys, tmp_path, csv, argv):
    missing = tmp_path / "nowhere" / "driftline.yaml"
    code, _, err = run(capsys, *(a.format(p=missing, csv=csv) for a in argv))
    assert code == 2
    one_line_error(err, f"project file '{missing}' does not exist")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t + "loging: {mode: durable}\n",
     "unknown key 'loging'; allowed here: alerts"),
    (lambda t: t.replace("holdout_fraction: 0.25", "holdout_fracton: 0.25"),
     "unknown key 'reference.holdout_fracton'"),
    (lambda t: t.replace("task: binary", "task: binery"), "model.task"),
    (lambda t: t + "training: [oops\n", "not valid YAML at line"),
], ids=["unknown-top-key", "unknown-nested-key", "bad-value", "broken-yaml"])
def test_a_bad_project_file_names_the_problem(capsys, tmp_path, edit, message):
    path = make_project(tmp_path / "credit", n=N)
    path.write_text(edit(path.read_text()))
    for argv in (["train", path, "--promote"], ["versions", path]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, "")
        one_line_error(err, "driftline.yaml", message)
    assert not (tmp_path / "credit" / "artifacts").exists()


def test_a_missing_reference_file_is_named(capsys, project):
    (project.parent / "reference.csv").unlink()
    code, _, err = run(capsys, "train", project)
    assert code == 2
    one_line_error(err, "reference.path 'reference.csv' does not exist")
