"""Retention and erasure from the command line and in the running server."""

from __future__ import annotations

import json
import time

import pandas as pd

from driftline.cli import main
from tests.serving.project import make_project


def _log_rows(project, ages_days):
    from driftline.config import load_project
    from driftline.retrain import open_registry
    from driftline.serving import log_frame

    registry = open_registry(load_project(project, check_files=False))
    registry.store.add_model("credit", "binary")
    now = pd.Timestamp.now(tz="UTC")
    frame = pd.DataFrame({
        "income": [50_000.0] * len(ages_days), "prediction": [0] * len(ages_days),
        "id": [f"r{k}" for k in range(len(ages_days))],
        "timestamp": [now - pd.Timedelta(days=d) for d in ages_days]})
    log_frame(registry, "credit", frame)
    return registry.store


def test_retention_and_forget_commands(tmp_path, capsys, store_url):
    project = make_project(tmp_path / "p", n=300, store_url=store_url,
                           extra="retention: {days: 30, action: delete}\n")
    store = _log_rows(project, [90, 60, 10, 1])
    assert main(["retention", str(project), "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["deleted"] == 2 and out["kept"] == 2
    assert sorted(store.read_window("credit")["id"]) == ["r2", "r3"]
    assert main(["forget", "r2", "nope", "--project", str(project), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": 1, "requested": 2}
    assert store.read_window("credit")["id"].tolist() == ["r3"]


def test_retention_without_days_is_a_clear_error(tmp_path, capsys):
    project = make_project(tmp_path / "p", n=300)
    assert main(["retention", str(project)]) == 2
    assert "retention.days" in capsys.readouterr().err


def test_the_server_applies_retention(tmp_path):
    from fastapi.testclient import TestClient

    from driftline.app import ServeSettings, create_app

    project = make_project(tmp_path / "p", n=300,
                           extra="retention: {days: 7, action: delete}\n")
    store = _log_rows(project, [30, 20, 2])
    with TestClient(create_app([project], ServeSettings(environ={}, poll_seconds=0.05))):
        deadline = time.monotonic() + 20
        while sorted(store.read_window("credit")["id"]) != ["r2"]:
            assert time.monotonic() < deadline, "the server never applied retention"
            time.sleep(0.05)


def test_serve_refuses_a_public_address_without_tokens(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DRIFTLINE_TOKEN", raising=False)
    monkeypatch.delenv("DRIFTLINE_ADMIN_TOKEN", raising=False)
    project = make_project(tmp_path / "p", n=300)
    assert main(["serve", str(project), "--host", "0.0.0.0", "--port", "9"]) == 2
    err = capsys.readouterr().err
    assert "refusing to listen on 0.0.0.0" in err and "--insecure" in err


def test_models_command_lists_shows_promotes_and_rolls_back(tmp_path, capsys):
    import json

    from driftline.retrain import register

    project = make_project(tmp_path / "p", n=400)
    register(project, promote=True)
    register(project, promote=False)
    assert main(["models", str(project), "list", "--json", "-"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [v["stage"] for v in listed["versions"]] == ["champion", "challenger"]
    assert main(["models", str(project), "show", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
    assert main(["models", str(project), "promote", "--version", "2", "-q"]) == 0
    assert main(["models", str(project), "rollback", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
