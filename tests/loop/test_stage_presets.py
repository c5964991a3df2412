"""Stages 2, 3 and 4 end to end on a small synthetic stream, with a worker on a simulated
clock: drift and labels logged → decision → retrain → validation → promotion."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd

from driftline.datasets import make_credit_frames
from tests.monitor.test_monitor import _log
from tests.serving.project import make_project

SGD_TRAIN = '''
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def train(data, *, previous=None, params):
    model = Pipeline([("scale", StandardScaler()),
                      ("clf", SGDClassifier(loss="log_loss", random_state=0))])
    return model.fit(data.X, data.y)
'''


def _setup(tmp_path, extra, *, numeric_only=False):
    from driftline.config import load_project
    from driftline.retrain import register

    features = "features: [income, age, debt_ratio], " if numeric_only else ""
    path = make_project(tmp_path / "p", n=1_500, extra=extra)
    text = path.read_text()
    if numeric_only:
        (tmp_path / "p" / "credit_model.py").write_text(SGD_TRAIN)
        text = text.replace("model: {name: credit,", "model: {" + features + "name: credit,")
        csv = pd.read_csv(tmp_path / "p" / "reference.csv")
        csv[["income", "age", "debt_ratio", "default"]].to_csv(tmp_path / "p" / "reference.csv",
                                                                index=False)
    path.write_text(text)
    register(path, promote=True)
    project = load_project(path)
    _, cur = make_credit_frames(10, 1_500, drift=True, seed=23)
    if numeric_only:
        cur = cur[["income", "age", "debt_ratio", "default"]]
    # traffic after the champion was trained (one row a second from a minute from now)
    registry = _log(project, cur, start=pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=1),
                    labels=1 - cur["default"], prefix="p")
    return project, registry


def _turn(project, hours_later):
    from driftline.policy import SimulatedClock
    from driftline.worker import Worker

    clock = SimulatedClock(datetime.now(timezone.utc) + timedelta(hours=hours_later))
    worker = Worker([project], clock=clock)
    try:
        return worker.run_once()[0]
    finally:
        worker.close()


def test_stage_2_retrains_stateless_on_its_schedule(tmp_path):
    project, registry = _setup(tmp_path, "policies: {stage: 2, cron: '0 * * * *'}\n"
                                         "monitoring: {window: {rows: 500}}\n")
    quiet = _turn(project, hours_later=0)  # no scheduled time since the champion was trained
    assert quiet.result["decision"]["action"] == "none"
    turn = _turn(project, hours_later=2)
    d = turn.result["decision"]
    assert d["action"] == "retrain" and d["trigger"] == "on_schedule" and d["mode"] == "stateless"
    assert turn.result["retrain"]["outcome"] == "promoted"
    assert registry.champion("credit").version == 2


def test_stage_3_continues_the_champion_on_its_schedule(tmp_path):
    project, _ = _setup(tmp_path, "policies: {stage: 3, cron: '0 * * * *'}\n"
                                         "monitoring: {window: {rows: 500}}\n", numeric_only=True)
    turn = _turn(project, hours_later=2)
    d = turn.result["decision"]
    assert d["action"] == "retrain" and d["mode"] == "stateful", d["reasons"]
    retrain = turn.result["retrain"]
    assert retrain["training"]["mode"] == "stateful"
    assert retrain["outcome"] in ("promoted", "rejected", "deferred")
    assert retrain["validation"]["n"] >= 100


def test_stage_4_retrains_when_drift_persists(tmp_path):
    project, _ = _setup(tmp_path, "policies: {stage: 4}\n"
                                         "monitoring: {window: {rows: 500}}\n")
    held = _turn(project, hours_later=1)  # the champion was trained an hour ago: cooldown
    assert held.result["decision"]["action"] == "hold"
    assert "cooldown" in " ".join(held.result["decision"]["reasons"])
    turn = _turn(project, hours_later=7)
    d = turn.result["decision"]
    assert turn.result["windows"] == 0  # the three windows were judged on the first turn
    assert d["action"] == "retrain", d["reasons"]
    assert turn.result["retrain"]["outcome"] == "promoted"
    reasons = " ".join(d["reasons"])
    assert "drift" in reasons or "new" in reasons or "degrad" in reasons
