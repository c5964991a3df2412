"""OnlineCVM: the statistic against SciPy, the calibrated run length on stationary streams, the
delay on a shift, update_many, the JSON state and parameter validation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import cramervonmises_2samp

from driftline.errors import DataError, ParameterError
from driftline.streaming._online_cvm import OnlineCVM, _cvm


def _loop(det: OnlineCVM, xs: np.ndarray) -> list[int]:
    hits = []
    for i, x in enumerate(xs.tolist()):
        det.update(x)
        if det.drift_detected:
            hits.append(i)
    return hits


@pytest.mark.parametrize("seed", range(5), ids=lambda s: f"seed{s}")
def test_statistic_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    ref = np.sort(rng.normal(size=int(rng.integers(50, 500))))
    win = rng.normal(rng.normal(0, 0.5), 1.0, size=int(rng.integers(5, 60)))
    ranks = np.sort(np.searchsorted(ref, win, side="right"))
    assert _cvm(ranks, ref.size) == pytest.approx(cramervonmises_2samp(ref, win).statistic, rel=1e-10)


def test_update_reports_the_statistic_of_the_window():
    rng = np.random.default_rng(3)
    ref, xs = rng.normal(size=400), rng.normal(0.0, 1.0, 130)
    det = OnlineCVM(ref, ert=100_000, window_size=30, n_bootstraps=200)
    det.update_many(xs[:29])
    assert np.isnan(det.statistic) and not det.drift_detected  # the window is not full yet
    for x in xs[29:]:
        det.update(x)
        assert not det.drift_detected
    expected = cramervonmises_2samp(ref, xs[-30:]).statistic
    assert det.statistic == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("window_size,n_ref", [(20, 1_000), (50, 2_000)], ids=["w20-n1000", "w50-n2000"])
def test_mean_run_length_on_stationary_streams_is_close_to_ert(window_size, n_ref):
    ert, lengths = 200, []
    for r in range(3):  # three references, each with a long stationary stream
        rng = np.random.default_rng([r, window_size])
        det = OnlineCVM(rng.normal(size=n_ref), ert=ert, window_size=window_size, seed=r)
        hits = det.update_many(rng.normal(size=60 * ert))
        lengths.extend(np.diff(np.concatenate([[-1], hits])).tolist())  # a drift restarts the window
    assert len(lengths) > 150
    assert 0.5 * ert < np.mean(lengths) < 2.0 * ert
    assert min(lengths) >= window_size  # never before the window is full


@pytest.mark.parametrize("seed", range(5), ids=lambda s: f"shift-1sd-seed{s}")
def test_a_one_sd_shift_is_caught_within_two_windows(seed):
    rng = np.random.default_rng([seed, 7])
    det = OnlineCVM(rng.normal(5.0, 2.0, 2_000), ert=1_000, window_size=50, n_bootstraps=500)
    xs = np.concatenate([rng.normal(5.0, 2.0, 300), rng.normal(7.0, 2.0, 300)])
    after = det.update_many(xs)
    after = after[after >= 300]
    assert after.size and after[0] - 300 < 100


def test_pinned_detection_on_a_seeded_stream():
    rng = np.random.default_rng(0)
    reference = rng.normal(0.0, 1.0, 2_000)
    stream = np.concatenate([rng.normal(0.0, 1.0, 500), rng.normal(1.0, 1.0, 500)])
    det = OnlineCVM(reference, ert=1_000, window_size=50, n_bootstraps=1_000)
    # after a drift the window restarts, so a lasting shift fires once per window
    assert det.update_many(stream).tolist() == [537, 587, 637, 687, 737, 787, 837, 887, 937, 987]


def test_update_many_equals_a_loop_of_update():
    rng = np.random.default_rng(11)
    ref = rng.normal(size=500)
    xs = np.concatenate([rng.normal(size=800), rng.normal(0.8, 1.0, 800)])
    looped, many = OnlineCVM(ref, ert=300, window_size=25), OnlineCVM(ref, ert=300, window_size=25)
    hits = _loop(looped, xs)
    assert len(hits) > 3
    assert many.update_many(xs).tolist() == hits
    assert many.to_state() == looped.to_state()


@pytest.mark.parametrize("cut", [10, 700, 1_234], ids=["filling", "stationary", "drifting"])
def test_the_json_state_continues_a_stream_exactly(cut):
    rng = np.random.default_rng(5)
    ref = rng.normal(size=6_000)
    xs = np.concatenate([rng.normal(size=1_000), rng.normal(1.0, 1.0, 1_000)])
    params = {"ert": 300, "window_size": 30, "max_reference": 1_000, "n_bootstraps": 300}
    whole = OnlineCVM(ref, **params).update_many(xs).tolist()
    first = OnlineCVM(ref, **params)
    head = first.update_many(xs[:cut]).tolist()
    resumed = OnlineCVM.from_state(json.loads(json.dumps(first.to_state(), allow_nan=False)))
    assert resumed.threshold == first.threshold and resumed.params == first.params
    assert len(resumed.reference) == 1_000  # the kept reference is bounded
    rest = resumed.update_many(xs[cut:]).tolist()
    assert head + [i + cut for i in rest] == whole
    assert OnlineCVM.from_state(first.to_json()).to_state() == first.to_state()


def test_reset_and_seeded_determinism():
    rng = np.random.default_rng(8)
    ref, xs = rng.normal(size=3_000), rng.normal(0.5, 1.0, 500)
    a = OnlineCVM(ref, ert=400, window_size=40, max_reference=1_000, seed=3)
    b = OnlineCVM(ref, ert=400, window_size=40, max_reference=1_000, seed=3)
    assert a.threshold == b.threshold and a.reference.tolist() == b.reference.tolist()
    first = a.update_many(xs).tolist()
    a.reset()
    assert np.isnan(a.statistic) and a.update_many(xs).tolist() == first
    assert repr(a) == "OnlineCVM(ert=400, window_size=40, n_bootstraps=2000, max_reference=1000, seed=3)"


@pytest.mark.parametrize("kwargs,match", [
    ({"ert": 50}, r"ert must be a number > window_size \(100\); got 50"),
    ({"ert": float("inf")}, r"ert must be a number > window_size \(100\); got inf"),
    ({"ert": True}, r"ert must be .*; got True"),
    ({"window_size": 1}, r"window_size must be an integer >= 2; got 1"),
    ({"window_size": 2.5}, r"window_size must be an integer >= 2; got 2.5"),
    ({"n_bootstraps": 10}, r"n_bootstraps must be an integer >= 100; got 10"),
    ({"max_reference": 50}, r"max_reference must be an integer >= 100; got 50"),
    ({"seed": -1}, r"seed must be an integer >= 0; got -1"),
], ids=["ert-small", "ert-inf", "ert-bool", "window-small", "window-float", "bootstraps", "max-ref", "seed"])
def test_parameter_validation(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        OnlineCVM(np.zeros(1_000), **kwargs)


def test_data_validation():
    with pytest.raises(DataError, match=r"at least window_size \(100\) values; got 10"):
        OnlineCVM(np.arange(10.0))
    with pytest.raises(DataError, match="1 non-finite"):
        OnlineCVM(np.r_[np.arange(200.0), np.nan])
    det = OnlineCVM(np.arange(200.0), ert=200, window_size=20, n_bootstraps=100)
    with pytest.raises(DataError, match=r"OnlineCVM\.update: x must be a finite number; got nan"):
        det.update(float("nan"))
    with pytest.raises(ParameterError, match="state must be the saved state of a OnlineCVM"):
        OnlineCVM.from_state({"schema": "driftline.detector/1", "detector": "ADWIN", "state": {}})
