"""The concept-drift watcher: the champion's labelled errors, fed to a streaming detector as
feedback arrives, with its state and position saved so that a restart continues the stream."""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from driftline.datasets import make_credit_frames
from driftline.errors import ConfigError
from driftline.monitor import concept_drifts, watch_feedback
from driftline.monitor._concept import STATE_NAME
from driftline.streaming import ADWIN
from tests.monitor.test_monitor import _log
from tests.serving.project import make_project

T0 = pd.Timestamp("2026-04-01", tz="UTC")


def _project(tmp_path, extra=""):
    from driftline.config import load_project
    from driftline.retrain import register

    path = make_project(tmp_path / "p", n=1_500, extra=extra)
    register(path, promote=True)
    return load_project(path)


@pytest.fixture
def project(tmp_path):
    return _project(tmp_path)


def _traffic(project, n_stable=1_500, n_flipped=1_500, seed=3):
    """Logged predictions, labels not yet sent: the true labels, then flipped ones (a concept
    change that doubles the champion's error rate at least)."""
    _, cur = make_credit_frames(10, n_stable + n_flipped, seed=seed)
    y = cur["default"].to_numpy().copy()
    y[n_stable:] = 1 - y[n_stable:]
    registry = _log(project, cur, start=T0, prefix="q")
    preds = registry.store.get_predictions("credit", [f"q{k}" for k in range(len(cur))])
    order = preds.set_index("id").loc[[f"q{k}" for k in range(len(cur))]]
    errors = (order["prediction"].astype(int).to_numpy() != y).astype(float)
    return registry, [f"q{k}" for k in range(len(cur))], list(y), errors


def _send(registry, ids, labels, start, *, at):
    registry.store.add_feedback("credit", ids, labels, arrived_at=at)
    return start + len(ids)


def test_drift_found_where_a_plain_detector_finds_it_even_across_restarts(project):
    registry, ids, y, errors = _traffic(project)
    expected = ADWIN().update_many(errors).tolist()
    assert expected and all(i >= 1_500 for i in expected)  # the oracle sees the flip only
    # labels arrive in uneven pieces; each turn is a fresh call (as after a restart)
    cuts = [0, 7, 700, 1_499, 1_500, 2_100, 3_000]
    at = T0.to_pydatetime()
    turns = []
    for a, b in itertools.pairwise(cuts):
        at += timedelta(minutes=1)
        registry.store.add_feedback("credit", ids[a:b], y[a:b], arrived_at=at)
        turns.append(watch_feedback(project, registry=registry))
    assert [t.n_fed for t in turns] == [b - a for a, b in itertools.pairwise(cuts)]
    assert turns[-1].n_seen == 3_000
    found = concept_drifts(registry, "credit", 1)
    assert [d.index for d in found] == expected
    first = found[0]
    assert first.worse and first.error_after > first.error_before
    assert first.detector == "ADWIN" and first.version == 1 and first.error == "error_rate"
    assert abs(turns[-1].error_rate - errors[-200:].mean()) < 1e-12
    # nothing new: nothing fed, nothing doubled
    again = watch_feedback(project, registry=registry)
    assert again.n_read == 0 and len(concept_drifts(registry, "credit")) == len(expected)


def test_stable_labels_raise_no_drift_and_other_versions_are_read_past(project):
    registry, ids, y, errors = _traffic(project, n_stable=2_000, n_flipped=0)
    registry.store.add_feedback("credit", ids, y, arrived_at=T0.to_pydatetime())
    # labels of rows the champion did not predict (another version) are read but not fed
    other = make_credit_frames(10, 50, seed=9)[1]
    from driftline.serving import log_frame

    rows = other[list(registry.champion("credit").features)].assign(
        prediction=1, id=[f"o{k}" for k in range(50)],
        timestamp=[T0 + pd.Timedelta(seconds=k) for k in range(50)])
    log_frame(registry, "credit", rows, version=7)
    registry.store.add_feedback("credit", list(rows["id"]), [0] * 50,
                                arrived_at=(T0 + pd.Timedelta(hours=1)).to_pydatetime())
    registry.store.add_feedback("credit", ["unknown-id"], [1],
                                arrived_at=(T0 + pd.Timedelta(hours=2)).to_pydatetime())
    turn = watch_feedback(project, registry=registry)
    assert (turn.n_read, turn.n_fed) == (2_051, 2_000)
    assert ADWIN().update_many(errors).tolist() == [] and turn.drifts == ()
    assert registry.store.stream_state("credit", STATE_NAME)["n_seen"] == 2_000


def test_a_new_champion_or_detector_starts_the_stream_afresh(tmp_path):
    project = _project(tmp_path, extra="monitoring: {concept_drift: {detector: DDM}}\n")
    registry, ids, y, _ = _traffic(project, n_stable=300, n_flipped=0)
    registry.store.add_feedback("credit", ids, y, arrived_at=T0.to_pydatetime())
    assert watch_feedback(project, registry=registry).n_seen == 300
    state = registry.store.stream_state("credit", STATE_NAME)
    assert state["detector"] == "DDM" and state["state"]["detector"] == "DDM"
    state["version"] = 0  # as if the champion changed since
    registry.store.save_stream_state("credit", STATE_NAME, state)
    turn = watch_feedback(project, registry=registry)
    assert turn.n_seen == 0 and turn.n_read == 0  # the position is kept: no label twice


def test_disabled_and_misconfigured(tmp_path):
    off = _project(tmp_path / "a", extra="monitoring: {concept_drift: {enabled: false}}\n")
    assert watch_feedback(off) is None
    bad = _project(tmp_path / "b", extra="monitoring: {concept_drift: {params: {delta: -1}}}\n")
    with pytest.raises(Exception, match="delta"):
        watch_feedback(bad)
    typo = _project(tmp_path / "c", extra="monitoring: {concept_drift: {params: {delt: 0.1}}}\n")
    with pytest.raises(ConfigError, match=r"monitoring\.concept_drift\.params"):
        watch_feedback(typo)


def test_the_loop_decides_on_concept_drift_and_the_metrics_count_it(tmp_path):
    from driftline.retrain import run_loop_once

    extra = ("policies: {triggers: [{type: on_concept_drift}], cooldown: 0, min_rows: 0}\n")
    project = _project(tmp_path, extra=extra)
    registry, ids, y, errors = _traffic(project)
    registry.store.add_feedback("credit", ids, y)  # now: after the champion was trained
    from driftline.retrain import decide

    out = run_loop_once(project, registry=registry)
    assert out["concept"]["n_seen"] == 3_000 and out["concept"]["drifts"]
    assert out["decision"]["trigger"] == "on_concept_drift"
    assert "ADWIN concept drift at label" in out["decision"]["reasons"][0]
    samples = {(n, tuple(sorted(lab.items()))): v
               for n, lab, v in registry.store.loop_samples("credit")}
    # labels that arrive in the same instant are read in the order of their ids
    arrival = errors[sorted(range(len(ids)), key=lambda k: ids[k])]
    n = len(ADWIN().update_many(arrival))
    assert n >= 1
    assert samples[("driftline_concept_drifts", (("detector", "ADWIN"), ("model", "credit")))] == n
    err = samples[("driftline_labelled_error", (("model", "credit"),))]
    assert err == pytest.approx(float(np.mean(arrival[-200:])))
    assert decide(project, registry).action in ("retrain", "hold", "none")
