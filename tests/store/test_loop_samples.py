"""The loop's metrics read from the store: decisions by action, runs by mode and outcome."""

from __future__ import annotations

from driftline.store import Store


def _samples(store):
    return {(name, tuple(sorted(labels.items()))): value
            for name, labels, value in store.loop_samples("m")}


def test_the_failed_series_exists_at_zero_before_any_run(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    got = _samples(store)
    key = ("driftline_retrain_runs", (("mode", "stateless"), ("model", "m"), ("outcome", "failed")))
    assert got == {key: 0.0}


def test_runs_count_by_mode_and_outcome(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    store.add_decision("m", {"action": "promote", "mode": "stateful", "trigger": "t"})
    store.add_event("m", "retrain_failed", {"mode": "stateless", "error": "boom"})
    got = _samples(store)
    runs = {dict(k[1])["mode"] + "/" + dict(k[1])["outcome"]: v for k, v in got.items()
            if k[0] == "driftline_retrain_runs"}
    assert runs == {"stateful/promoted": 1.0, "stateful/failed": 0.0, "stateless/failed": 1.0}
    assert got[("driftline_decisions", (("action", "promote"), ("model", "m")))] == 1.0
