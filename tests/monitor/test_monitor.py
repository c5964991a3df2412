"""Monitoring windows of a real project's log against the champion's reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.datasets import make_credit_frames
from driftline.monitor import Window, monitor_project
from tests.serving.project import make_project


@pytest.fixture
def project(tmp_path, store_url):
    from driftline.config import load_project
    from driftline.retrain import register

    path = make_project(tmp_path / "p", n=2_000, store_url=store_url,
                        extra="monitoring: {window: {rows: 400}, min_rows: 200, min_labels: 100}\n")
    register(path, promote=True)
    return load_project(path)


def _log(project, frame, *, start, labels=None, prefix="r"):
    from driftline.retrain import open_registry
    from driftline.serving import log_frame

    registry = open_registry(project)
    champion = registry.champion("credit")
    model = registry.load(champion)
    X = frame[list(champion.features)]
    proba = model.predict_proba(X)
    rows = X.assign(prediction=model.predict(X), score_0=proba[:, 0], score_1=proba[:, 1],
                    id=[f"{prefix}{k}" for k in range(len(X))],
                    timestamp=[start + pd.Timedelta(seconds=k) for k in range(len(X))])
    log_frame(registry, "credit", rows)
    if labels is not None:
        registry.store.add_feedback("credit", list(rows["id"]), list(labels))
    return registry


def test_stable_traffic_then_drift_with_labels_and_performance(project):
    ref, cur = make_credit_frames(800, 800, drift=True, seed=7)
    t0 = pd.Timestamp("2026-03-01", tz="UTC")
    registry = _log(project, ref, start=t0, labels=ref["default"], prefix="a")
    first = monitor_project(project, registry=registry)
    assert [r.n_rows for r in first] == [400, 400]
    # stable traffic: the shifted features are quiet (a single sampling false alarm among the
    # six tests of a window is within the calibrated rate, so it is tolerated)
    assert all(len(r.drifted_features) <= 1 for r in first), [r.drifted_features for r in first]
    assert not any({"income", "age"} & set(r.drifted_features) for r in first)
    assert first[0].label_coverage == 1.0 and first[0].performance["accuracy"] > 0.6
    low, high = first[0].performance["bands"]["accuracy"]  # sampling-error band, 95%
    assert low < first[0].performance["accuracy"] < high and high - low < 0.2
    _log(project, cur, start=t0 + pd.Timedelta(hours=1), prefix="b")
    second = monitor_project(project, registry=registry)
    assert [r.n_rows for r in second] == [400, 400]  # only the new windows
    assert all(r.dataset_drift for r in second)
    assert {"income", "age"} <= set(second[0].drifted_features)
    assert "feature" in second[0].actions and second[0].label_coverage == 0.0
    assert second[0].performance is None and second[0].label_drift is None
    stored = registry.store.monitor_results("credit")
    assert len(stored) == 4 and stored[-1]["result"]["schema"] == "driftline.monitor_result/1"
    gauges = {(g[0], tuple(sorted(g[1].items()))): g[2]
              for g in registry.store.latest_gauges("credit")}
    assert gauges[("driftline_dataset_drift", (("model", "credit"),))] == 1.0
    assert (("feature", "income"), ("model", "credit")) in {k[1] for k in gauges}
    import sqlalchemy as sa

    with registry.store.engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM dl_monitor_values")).scalar()
    assert n == 4 * len(registry.champion("credit").features)


def test_a_window_too_small_gives_no_verdict(project):
    from driftline.monitor import Monitor
    from driftline.retrain import open_registry

    registry = open_registry(project)
    champion = registry.champion("credit")
    mon = Monitor("credit", champion.version, registry.load_reference(champion),
                  features=champion.features, target="default", task="binary", min_rows=200)
    ref, _ = make_credit_frames(50, 1, seed=3)
    window = ref[list(champion.features)].assign(prediction=0, label=None)
    res = mon.compute(window, "a", "b")
    assert res.too_small and res.dataset_drift is None and "at least 200" in res.reason
    assert [g["name"] for g in res.gauges()] == ["driftline_label_coverage"]


def test_time_windows_tumble_and_slide():
    log = pd.DataFrame({"ts": pd.date_range("2026-01-01", periods=120, freq="min", tz="UTC"),
                        "x": np.arange(120)})
    until = pd.Timestamp("2026-01-01 02:00", tz="UTC")
    hourly = list(Window.time(pd.Timedelta(hours=1).to_pytimedelta()).split(log, until=until))
    assert [w.n_rows for w in hourly] == [60, 60]
    sliding = list(Window.time(pd.Timedelta(hours=1).to_pytimedelta(),
                               step=pd.Timedelta(minutes=30).to_pytimedelta()).split(log, until=until))
    assert [w.n_rows for w in sliding] == [60, 60, 60]
    with pytest.raises(Exception, match="step"):
        Window.rows(10, step=20)


def test_monitor_command_and_the_embedded_worker(project, capsys):
    import json
    import time

    from fastapi.testclient import TestClient

    from driftline.app import ServeSettings, create_app
    from driftline.cli import main

    ref, _ = make_credit_frames(400, 1, seed=11)
    registry = _log(project, ref, start=pd.Timestamp("2026-03-02", tz="UTC"), prefix="c")
    assert main(["monitor", str(project.path), "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["results"]) == 1 and out["results"][0]["n_rows"] == 400
    _log(project, ref, start=pd.Timestamp("2026-03-03", tz="UTC"), prefix="d")
    text = project.path.read_text().replace("monitoring: {", "monitoring: {every: 1s, ")
    project.path.write_text(text)
    with TestClient(create_app([project.path], ServeSettings(environ={}, poll_seconds=0.05))):
        deadline = time.monotonic() + 30
        while len(registry.store.monitor_results("credit")) < 2:
            assert time.monotonic() < deadline, "the embedded monitor never ran"
            time.sleep(0.1)


def test_segments_rank_the_one_that_drifted_first(project):
    from driftline.monitor import Monitor
    from driftline.retrain import open_registry

    registry = open_registry(project)
    champion = registry.champion("credit")
    reference = registry.load_reference(champion)
    mon = Monitor("credit", 1, reference, features=champion.features, target="default",
                  task="binary", min_rows=200, segments=["region"], max_segments=10)
    ref, _ = make_credit_frames(2_000, 1, seed=21)
    window = ref[list(champion.features)].copy()
    north = (window["region"] == window["region"].value_counts().index[0]).to_numpy()
    window.loc[north, "income"] = window.loc[north, "income"] * 1.8
    window["prediction"] = 0
    res = mon.compute(window.assign(label=None), "a", "b")
    assert res.segments, "no segment was judged"
    top = res.segments[0]
    assert top["value"] == window["region"].value_counts().index[0]
    assert "income" in top["drifted_features"]
    assert all("income" not in s["drifted_features"] for s in res.segments[1:])


def test_labels_for_some_predictions_only_are_no_label_drift_but_a_prior_shift_is():
    """Labels exist only for approved loans (prediction 0): their default rate is lower than
    the reference's overall rate with nothing shifted. The label test compares P(y | ŷ), so
    selection by prediction is not an alarm, and a real prior shift still is."""
    import numpy as np

    from driftline.datasets import loan_applications
    from driftline.monitor import Monitor


    def scored(frame):
        p = 1 / (1 + np.exp(-(-1.4 - 1.6 * (np.log(frame["income"]) - 10.4)
                              + 4.0 * (frame["debt_ratio"] - 0.28))))
        return frame.assign(prediction=(p > 0.35).astype(int), score_1=p, score_0=1 - p)

    ref = scored(loan_applications(4_000, seed=1))
    feats = ["income", "age", "debt_ratio"]
    mon = Monitor("m", 1, ref, features=feats, target="default", task="binary", min_rows=100,
                  min_labels=50)
    for kind, drifted in (("base", False), ("prior", True)):
        cur = scored(loan_applications(2_000, kind, seed=2))
        approved = cur["prediction"] == 0
        window = cur.assign(label=cur["default"].where(approved, None))
        res = mon.compute(window[[*feats, "prediction", "score_0", "score_1", "label"]], "t0", "t1")
        assert res.label_coverage < 0.95
        assert res.label_drift["drifted"] is drifted, (kind, res.label_drift)
