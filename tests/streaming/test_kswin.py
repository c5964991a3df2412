"""KSWIN: the same detections and p-values as river 0.26's drift.KSWIN with a fixed seed, the
cached KS p-values against scipy, pinned indices, and the streaming protocol."""

from __future__ import annotations

import json
import math
import random
import warnings
from itertools import pairwise

import numpy as np
import pytest
from scipy import stats

from driftline.errors import DataError, ParameterError
from driftline.streaming._kswin import KSWIN, _ks_test

river_drift = pytest.importorskip("river.drift")

# river's test costs ~0.4 ms an update once the window is full (scipy's ks_2samp), so the
# streams are kept just long enough to fill the window, drift, and fill it again.
PARAMS = {
    "defaults": ({}, 260),
    "small-window": ({"alpha": 0.001, "window_size": 60, "stat_size": 20}, 200),
    "tiny-window": ({"alpha": 0.01, "window_size": 30, "stat_size": 10}, 150),
    "warm-window": ({"alpha": 0.005, "window_size": 50, "stat_size": 25}, 140),
}
KINDS = ("none", "abrupt", "gradual")


def _stream(seed: int, kind: str, reals: bool, n: int) -> list[float]:
    """Normal values (``reals``) or error bits whose distribution stays put ("none"), jumps
    ("abrupt") or ramps ("gradual")."""
    rng = np.random.default_rng(seed)
    at, width = int(rng.integers(n // 3, 2 * n // 3)), int(rng.integers(10, 60))
    ramp = np.clip((np.arange(n) - at) / (width if kind == "gradual" else 1), 0, 1)
    if kind == "none":
        ramp[:] = 0
    if reals:
        return (rng.normal(0, 1, n) * (1 + ramp * rng.uniform(0, 1)) + ramp * rng.uniform(0.5, 3)).tolist()
    p = rng.uniform(0.1, 0.5) + rng.uniform(0.2, 0.45) * ramp
    return (rng.random(n) < p).astype(float).tolist()


def _params(name: str, seed: int) -> dict:
    params = {**PARAMS[name][0], "seed": seed}
    if name == "warm-window":
        params["window"] = np.random.default_rng(seed + 1000).normal(0, 1, 40).tolist()
    return params


def _run(det, xs) -> tuple[list[int], list[float]]:
    hits, p_values = [], []
    for i, x in enumerate(xs):
        det.update(x)
        p_values.append(float(det.p_value))
        if det.drift_detected:
            hits.append(i)
    return hits, p_values


@pytest.mark.parametrize("name", PARAMS)
def test_fires_where_river_does_with_the_same_p_values(name):
    """50 seeded streams per parameter set (200 in all): no drift, abrupt and gradual, of reals
    and of error bits; the p-value after every update is the same float as river's."""
    fired = 0
    for seed in range(50):
        xs = _stream(seed, KINDS[seed % 3], seed % 2 == 1, PARAMS[name][1])
        ours = _run(KSWIN(**_params(name, seed)), xs)
        assert ours == _run(river_drift.KSWIN(**_params(name, seed)), xs), (name, seed)
        assert KSWIN(**_params(name, seed)).update_many(xs).tolist() == ours[0]
        fired += bool(ours[0])
    assert fired > 10  # the comparison is not vacuous


def test_river_docstring_example():
    """river's example prints "Change detected at index 1016, input value: 6"."""
    rng = random.Random(12345)
    data_stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    hits = KSWIN(alpha=0.0001, seed=42).update_many(data_stream).tolist()
    assert [f"Change detected at index {i}, input value: {data_stream[i]}" for i in hits] == [
        "Change detected at index 1016, input value: 6"]


@pytest.mark.parametrize("n", [1, 5, 30, 64])
def test_the_ks_test_is_scipys(n):
    """The statistic and cached p-value equal ks_2samp(method="auto") on samples with and
    without ties."""
    rng = np.random.default_rng(n)
    for i in range(60):
        if i % 3 == 0:
            a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)  # heavy ties
        elif i % 3 == 1:
            a, b = rng.integers(0, 6, n), rng.integers(2, 9, n)
        else:
            a, b = rng.normal(0, 1, n), rng.normal(rng.uniform(0, 2), 1, n)
        with warnings.catch_warnings():  # scipy's fall-back to asymptotic p-values
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ks_2samp(a.astype(float), b.astype(float), method="auto")
        assert _ks_test(a.astype(float).tolist(), b.astype(float).tolist()) == (res.statistic, res.pvalue)


@pytest.mark.parametrize(("seed", "kind", "reals", "params", "expected"), [
    (1, "abrupt", True, "defaults", [306]),
    (3, "abrupt", True, "defaults", [371, 520]),
    (2, "gradual", True, "tiny-window", [394, 448, 573]),
    (1, "none", False, "defaults", []),
    (2, "abrupt", False, "defaults", [395]),
], ids=["abrupt-reals", "abrupt-reals-twice", "gradual-reals-tiny-window", "none-bits", "abrupt-bits"])
def test_pinned_detections(seed, kind, reals, params, expected):
    xs = _stream(seed, kind, reals, 600)
    assert KSWIN(**_params(params, 7)).update_many(xs).tolist() == expected


def test_update_many_equals_a_loop_in_any_chunks():
    xs = _stream(4, "abrupt", True, 1_500)
    params = {"alpha": 0.05, "window_size": 30, "stat_size": 10, "seed": 3}
    looped = KSWIN(**params)
    drifts, _ = _run(looped, xs)
    assert len(drifts) > 3
    chunked = KSWIN(**params)
    cuts = [0, drifts[0] + 1, drifts[1], 1_000, len(xs)]  # a chunk ends on a drift
    got = [int(i) + a for a, b in pairwise(cuts) for i in chunked.update_many(xs[a:b])]
    assert got == drifts
    assert chunked.to_state() == looped.to_state()


def test_after_a_drift_the_window_empties_and_the_draws_restart_as_in_river():
    xs = _stream(1, "abrupt", True, 600)
    first = int(KSWIN(seed=7).update_many(xs)[0])
    det = KSWIN(seed=7)
    det.update_many(xs[: first + 2])
    fresh = KSWIN(seed=7)
    fresh.update(xs[first + 1])
    assert det.to_state()["state"] == fresh.to_state()["state"]


def test_reset_restores_the_initial_window_and_the_seed():
    window = [0.1, 0.2, 0.3]
    det = KSWIN(seed=5, window=window)
    det.update_many(_stream(1, "abrupt", True, 600))
    det.reset()
    assert det.to_state() == KSWIN(seed=5, window=window).to_state()
    assert det.to_state()["state"]["window"] == window


@pytest.mark.parametrize("cut", [50, 99, 100, 306, 307, 450], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, including with the random generator's state and on the drift update
    itself (306), the stream continues as if it had never stopped."""
    xs = _stream(1, "abrupt", True, 600)
    whole = _run(KSWIN(seed=7), xs)
    head = KSWIN(seed=7)
    first = _run(head, xs[:cut])
    resumed = KSWIN.from_state(json.loads(json.dumps(head.to_state(), allow_nan=False)))
    rest = _run(resumed, xs[cut:])
    assert (first[0] + [i + cut for i in rest[0]], first[1] + rest[1]) == whole


def test_an_unseeded_detector_continues_its_own_draws_after_a_save():
    """Until the next drift, which re-seeds from the operating system, as river does."""
    xs = _stream(3, "none", True, 400)
    det = KSWIN(alpha=1e-9)
    det.update_many(xs[:150])
    copy = KSWIN.from_state(det.to_json())
    ours, theirs = _run(copy, xs[150:]), _run(det, xs[150:])
    assert ours == theirs and ours[0] == []


def test_nan_is_refused_before_any_value_is_fed():
    det = KSWIN(seed=1)
    with pytest.raises(DataError, match=r"KSWIN\.update: x must be a number, not NaN; got nan"):
        det.update(math.nan)
    with pytest.raises(DataError, match=r"KSWIN\.update_many: xs\[2\] must be a number, not NaN"):
        det.update_many([1.0, 2.0, math.nan, 3.0])
    assert det.to_state() == KSWIN(seed=1).to_state()


@pytest.mark.parametrize(("params", "message"), [
    ({"alpha": 0}, r"alpha must be a float in \(0, 1\); got 0."),
    ({"alpha": 1.5}, r"alpha must be a float in \(0, 1\); got 1.5."),
    ({"window_size": 1}, "window_size must be an integer >= 2; got 1."),
    ({"stat_size": 0}, r"stat_size must be an integer in \[1, window_size // 2\] = \[1, 50\]; got 0."),
    ({"window_size": 50, "stat_size": 30},
     r"stat_size must be an integer in \[1, window_size // 2\] = \[1, 25\]; got 30. The older part"),
    ({"seed": "x"}, "seed must be an integer or None; got 'x'."),
    ({"window": [1.0, "a"]}, "window must be an iterable of numbers or None"),
    ({"window": [1.0, math.nan]}, "window must be an iterable of numbers without NaN"),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        KSWIN(**params)


def test_a_stat_size_above_half_the_window_is_refused_where_river_fails_later():
    river = river_drift.KSWIN(window_size=50, stat_size=30, seed=1)  # river accepts it ...
    with pytest.raises(ValueError, match="Sample larger than population"):
        for x in range(50):
            river.update(float(x))  # ... and fails on the first full window
    with pytest.raises(ParameterError, match="stat_size"):
        KSWIN(window_size=50, stat_size=30)
