"""The monitor's profile engine (``monitoring.engine: profile``), on SQLite and PostgreSQL.

A project's log is monitored turn by turn with the profile engine, each turn a fresh
``monitor_project`` call (a restarted worker), and the results are checked against the exact
path computed on the whole log at the end: every column whose profile verdict is certain has
the exact path's verdict, and each logged row is read for the window profiles once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.datasets import make_credit_frames
from driftline.monitor import Monitor, MonitorResult, Window, monitor_project
from driftline.monitor._profiled import STATE_NAME
from driftline.monitor._run import _iso, _outlier_params, window_from_config
from tests.monitor.test_monitor import _log
from tests.serving.project import make_project

T0 = pd.Timestamp("2026-03-01", tz="UTC")


def _project(tmp_path, store_url, window: str):
    from driftline.retrain import register

    extra = (f"monitoring: {{window: {window}, min_rows: 200, min_labels: 100, "
             "engine: profile}\n")
    path = make_project(tmp_path / "p", n=2_000, store_url=store_url, extra=extra)
    register(path, promote=True)
    return path


def _turn(path, *, until=None, reads=None) -> list[MonitorResult]:
    """One worker turn from scratch: a new project, registry and store connection."""
    from driftline.config import load_project
    from driftline.retrain import open_registry

    project = load_project(path)
    registry = open_registry(project)
    if reads is not None:  # count the rows each read of the log returns
        read = registry.store.read_window

        def counted(model, start=None, end=None):
            frame = read(model, start=start, end=end)
            reads.append((end is None, len(frame)))
            return frame

        registry.store.read_window = counted
    try:
        return monitor_project(project, registry=registry, until=until)
    finally:
        registry.store.engine.dispose()


def _exact(path, *, until=None) -> list[MonitorResult]:
    """The exact path on the whole log, as monitor_project computes it from scratch."""
    from driftline.config import load_project
    from driftline.retrain import open_registry

    project = load_project(path)
    registry = open_registry(project)
    cfg, champion = project.config.monitoring, registry.champion("credit")
    monitor = Monitor("credit", champion.version, registry.load_reference(champion),
                      features=champion.features, target="default", task="binary",
                      kinds=champion.schema.get("kinds"), min_rows=cfg.min_rows,
                      min_labels=cfg.min_labels, alpha=cfg.alpha,
                      outliers=_outlier_params(cfg.outliers), estimate=cfg.estimate)
    log = registry.store.read_window("credit")
    out = [monitor.compute(part.frame, _iso(part.start), _iso(part.end))
           for part in window_from_config(cfg.window).split(log, until=until) if part.n_rows]
    registry.store.engine.dispose()
    return out


def _state(path):
    from driftline.config import load_project
    from driftline.retrain import open_registry

    registry = open_registry(load_project(path))
    try:
        return registry.store.stream_state("credit", STATE_NAME)
    finally:
        registry.store.engine.dispose()


def _agree(profiled: list[MonitorResult], exact: list[MonitorResult]) -> int:
    """Assert that every certain verdict is the exact one; return the columns compared."""
    assert [(r.start, r.end, r.n_rows) for r in profiled] == \
           [(r.start, r.end, r.n_rows) for r in exact]
    compared = 0
    for p, e in zip(profiled, exact, strict=True):
        columns = [(p.features[k], e.features[k]) for k in e.features]
        columns.append((p.prediction_drift, e.prediction_drift))
        for mine, theirs in columns:
            assert mine["method"] == theirs["method"]
            if mine["uncertain"]:
                assert mine["drifted"] is None
                continue
            compared += 1
            assert mine["drifted"] == theirs["drifted"], (p.start, mine, theirs)
            if mine["bound"] == 0:  # exact tables: the statistic itself is the exact one
                assert mine["statistic"] == pytest.approx(theirs["statistic"], rel=1e-9)
        # the parts that read the window's rows are the exact path's
        assert (p.label_coverage, p.n_labelled, p.quality_ok) == \
               (e.label_coverage, e.n_labelled, e.quality_ok)
        assert p.performance == e.performance and p.label_drift == e.label_drift
        assert p.outliers == e.outliers and p.estimated == e.estimated
        if not any(f["uncertain"] for f in p.features.values()):
            assert p.drift_share == e.drift_share and p.dataset_drift == e.dataset_drift
    return compared


def test_row_windows_across_restarts_match_the_exact_path(tmp_path, store_url):
    path = _project(tmp_path, store_url, "{rows: 400}")
    from driftline.config import load_project

    project = load_project(path)
    ref, cur = make_credit_frames(800, 1000, drift=True, seed=7)
    reads: list[tuple[bool, int]] = []
    _log(project, ref.iloc[:600], start=T0, labels=ref["default"].iloc[:600], prefix="a")
    first = _turn(path, reads=reads)
    assert [r.n_rows for r in first] == [400]
    state = _state(path)
    assert state["open"]["n_rows"] == 200 and state["cursor"][1] == "a599"
    assert _turn(path, reads=reads) == []  # nothing new: nothing read, nothing closed
    _log(project, ref.iloc[600:], start=T0 + pd.Timedelta(seconds=600), prefix="b")
    _log(project, cur.iloc[:600], start=T0 + pd.Timedelta(hours=1), prefix="c")
    second = _turn(path, reads=reads)
    assert [r.n_rows for r in second] == [400, 400]
    _log(project, cur.iloc[600:], start=T0 + pd.Timedelta(hours=2), prefix="d")
    third = _turn(path, reads=reads)
    results = first + second + third
    assert _state(path)["open"]["n_rows"] == 200
    # each logged row was read once to feed the profiles (a read from the cursor's time also
    # returns the cursor's own row, left out), and each closed window once more
    feeding = [n for is_feeding, n in reads if is_feeding]
    assert len(feeding) == 4 and sum(feeding) - 3 == 1800
    closing = [n for is_feeding, n in reads if not is_feeding]
    assert len(closing) == 4 and all(400 <= n <= 401 for n in closing)  # (and the origin's row)
    exact = _exact(path)
    assert len(exact) == 4
    assert _agree(results, exact) >= 0.8 * 4 * 7
    # stable windows, then drifted ones
    assert not {"income", "age"} & set(results[0].drifted_features)
    assert {"income", "age"} <= set(results[2].drifted_features)
    assert results[2].dataset_drift is True and "feature" in results[2].actions
    stored = [r["result"] for r in _stored(path)]
    assert [s["n_rows"] for s in stored] == [400] * 4
    assert all("uncertain" in f for s in stored for f in s["features"].values())


def _stored(path):
    from driftline.config import load_project
    from driftline.retrain import open_registry

    registry = open_registry(load_project(path))
    try:
        return registry.store.monitor_results("credit")
    finally:
        registry.store.engine.dispose()


def test_time_windows_continue_from_the_saved_profile(tmp_path, store_url):
    path = _project(tmp_path, store_url, "{time: 5m}")
    from driftline.config import load_project

    project = load_project(path)
    ref, cur = make_credit_frames(450, 450, drift=True, seed=3)
    _log(project, ref, start=T0, labels=ref["default"], prefix="a")  # 0 s .. 449 s
    first = _turn(path)
    assert [r.n_rows for r in first] == [300]
    assert _state(path)["open"]["begin"] == (T0 + pd.Timedelta(minutes=5)).isoformat()
    _log(project, cur, start=T0 + pd.Timedelta(seconds=450), prefix="b")  # 450 s .. 899 s
    second = _turn(path)
    assert [r.n_rows for r in second] == [300]  # 150 rows carried over, 150 new
    until = T0 + pd.Timedelta(minutes=15)
    third = _turn(path, until=until)  # no new rows; the last window's end has passed
    assert [r.n_rows for r in third] == [300]
    assert _state(path)["open"] is None
    exact = _exact(path, until=until)
    assert _agree(first + second + third, exact) >= 0.8 * 3 * 7
    assert (first + second + third)[2].dataset_drift is True


def test_a_new_champion_or_stored_windows_restart_the_open_window(tmp_path, store_url):
    """State saved for another champion, or behind the stored windows, is not used."""
    path = _project(tmp_path, store_url, "{rows: 400}")
    from driftline.config import load_project
    from driftline.retrain import open_registry

    project = load_project(path)
    ref, _ = make_credit_frames(600, 1, seed=5)
    _log(project, ref, start=T0, prefix="a")
    assert [r.n_rows for r in _turn(path)] == [400]
    registry = open_registry(project)
    state = registry.store.stream_state("credit", STATE_NAME)
    registry.store.save_stream_state("credit", STATE_NAME, {**state, "version": 99})
    registry.store.engine.dispose()
    _log(project, ref.iloc[:200], start=T0 + pd.Timedelta(hours=1), prefix="b")
    # the open window is rebuilt from the rows after the last stored window
    assert [r.n_rows for r in _turn(path)] == [400]
    assert _state(path)["version"] == 1


def test_the_monitor_engines_agree_on_frames():
    rng = np.random.default_rng(0)
    n = 3_000
    ref = pd.DataFrame({"x": rng.normal(size=n), "z": rng.gamma(2.0, size=n),
                        "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                        "y": rng.integers(0, 2, n)})
    ref["prediction"] = (ref["x"] > 0).astype(int)
    args = dict(features=["x", "z", "c"], target="y", task="binary", min_rows=100,
                estimate=False, outliers=False)
    exact = Monitor("m", 1, ref, **args)
    profiled = Monitor("m", 1, ref, engine="profile", **args)
    compared = 0
    for seed, shift in enumerate([0.0, 0.05, 0.1, 0.2, 0.4] * 2):
        r = np.random.default_rng(100 + seed)
        cur = pd.DataFrame({"x": r.normal(shift, 1, 1500), "z": r.gamma(2.0 + shift, size=1500),
                            "c": r.choice(["a", "b", "c"], 1500, p=[0.5 - shift / 2, 0.3,
                                                                    0.2 + shift / 2])})
        cur["prediction"] = (cur["x"] > 0).astype(int)
        e, p = exact.compute(cur, "s", "e"), profiled.compute(cur, "s", "e")
        compared += _agree([p], [e])
        assert p.distributions["c"]["kind"] == "frequencies"
        assert sum(p.distributions["x"]["current"]) == 1500
    assert compared >= 0.8 * 10 * 4
    small = profiled.compute(cur.iloc[:50], "s", "e")
    assert small.too_small and small.dataset_drift is None


def test_text_features_are_left_to_the_exact_engine():
    rng = np.random.default_rng(1)
    words = np.array(["good", "bad loan", "fine", "late payment again"])
    ref = pd.DataFrame({"x": rng.normal(size=600), "note": rng.choice(words, 600),
                        "y": rng.integers(0, 2, 600)})
    ref["prediction"] = (ref["x"] > 0).astype(int)
    mon = Monitor("m", 1, ref, features=["x", "note"], kinds={"note": "text"}, target="y",
                  task="binary", min_rows=100, estimate=False, outliers=False, engine="profile")
    assert list(mon.reference_profile.columns) == ["x", "prediction"]
    res = mon.compute(ref.drop(columns=["y"]).iloc[:300], "s", "e")
    assert res.features["note"]["tested"] is False
    assert "not profiled" in res.features["note"]["reason"]
    assert res.features["x"]["tested"] is True


def test_engine_errors_name_what_is_allowed():
    from driftline.config._model import MonitoringConfig
    from driftline.errors import ParameterError

    ref = pd.DataFrame({"x": np.arange(300.0), "y": [0, 1] * 150, "prediction": [0, 1] * 150})
    with pytest.raises(ParameterError, match="engine must be one of 'exact', 'profile'; got 'fast'"):
        Monitor("m", 1, ref, features=["x"], target="y", task="binary", engine="fast")
    mon = Monitor("m", 1, ref, features=["x"], target="y", task="binary", outliers=False,
                  estimate=False)
    with pytest.raises(ParameterError, match="profile must be None with engine='exact'"):
        mon.compute(ref, "s", "e", profile=object())
    assert MonitoringConfig().engine == "exact"
    with pytest.raises(ValueError, match="engine 'profile' needs a tumbling window"):
        MonitoringConfig.model_validate({"engine": "profile",
                                         "window": {"time": "1h", "step": "15m"}})
    from driftline.monitor._profiled import monitor_on_profiles

    with pytest.raises(ParameterError, match="window must be a tumbling window"):
        monitor_on_profiles(None, mon, Window.rows(10, step=5))  # type: ignore[arg-type]


def test_a_dask_window_is_profiled_on_its_cluster():
    profile_module = pytest.importorskip("driftline.profile")
    if not hasattr(profile_module, "profile_dask"):
        pytest.skip("driftline.profile.profile_dask is not there yet")
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000),
                        "y": rng.integers(0, 2, 2000)})
    ref["prediction"] = (ref["x"] > 0).astype(int)
    args = dict(features=["x", "c"], target="y", task="binary", min_rows=100, estimate=False,
                outliers=False)
    cur = pd.DataFrame({"x": rng.normal(0.5, 1, 4000), "c": rng.choice(["a", "b"], 4000)})
    cur["prediction"] = (cur["x"] > 0).astype(int)
    cur["label"] = [1.0] * 1000 + [None] * 3000
    res = Monitor("m", 1, ref, engine="profile", **args).compute(
        dd.from_pandas(cur, npartitions=4), "s", "e")
    exact = Monitor("m", 1, ref, **args).compute(cur, "s", "e")
    assert res.n_rows == 4000 and res.n_labelled == 1000 and res.performance is None
    assert res.features["x"]["drifted"] is True and exact.features["x"]["drifted"] is True
    assert res.features["c"]["drifted"] == exact.features["c"]["drifted"]
