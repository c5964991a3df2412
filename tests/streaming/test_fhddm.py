"""FHDDM: the paper's algorithm on error bits, checked against river 0.26's drift.binary.FHDDM fed
the correct-prediction bits (1 - x), the hand-derived bound, the difference from river, false
alarms and delays, pinned indices, and the streaming protocol."""

from __future__ import annotations

import json
import math
from itertools import pairwise

import numpy as np
import pytest

from driftline.errors import DataError, ParameterError
from driftline.streaming._fhddm import FHDDM
from tests.streaming._streams import _drifts as _run

river_binary = pytest.importorskip("river.drift.binary")

PARAMS = {  # ours, and river's names for the same parameters
    "defaults": ({}, {}),
    "short-window": ({"window_size": 25, "delta": 1e-3},
                     {"sliding_window_size": 25, "confidence_level": 1e-3}),
    "long-window": ({"window_size": 300, "delta": 1e-7},
                    {"sliding_window_size": 300, "confidence_level": 1e-7}),
    "loose": ({"window_size": 50, "delta": 0.05}, {"sliding_window_size": 50, "confidence_level": 0.05}),
}
KINDS = ("none", "abrupt", "gradual")


def _stream(seed: int, kind: str, n: int = 2_500) -> list[int]:
    """Error bits whose rate stays put ("none"), jumps ("abrupt") or ramps ("gradual"), up or
    down."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.02, 0.5)
    at, width = int(rng.integers(n // 5, 3 * n // 5)), int(rng.integers(100, 800))
    ramp = np.clip((np.arange(n) - at) / (width if kind == "gradual" else 1), 0, 1)
    p = p0 + (0.0 if kind == "none" else rng.uniform(-0.2, 0.4)) * ramp
    return (rng.random(n) < np.clip(p, 0.0, 1.0)).astype(int).tolist()


@pytest.mark.parametrize("name", PARAMS)
def test_fires_where_river_does_on_the_correct_prediction_bits(name):
    """50 seeded streams per parameter set (200 in all): no drift, abrupt and gradual."""
    ours_params, river_params = PARAMS[name]
    fired = 0
    for seed in range(50):
        xs = _stream(seed, KINDS[seed % 3])
        ours = _run(FHDDM(**ours_params), xs)
        assert ours == _run(river_binary.FHDDM(**river_params), [1 - x for x in xs]), (name, seed)
        assert FHDDM(**ours_params).update_many(xs).tolist() == ours
        fired += bool(ours)
    assert fired > 10


def test_river_fires_when_the_error_rate_falls_and_we_do_not():
    rng = np.random.default_rng(0)
    xs = (rng.random(1_000) < np.where(np.arange(1_000) < 500, 0.5, 0.05)).astype(int).tolist()
    assert _run(river_binary.FHDDM(), xs) != []  # river fed errors: a fall of its mean
    assert _run(FHDDM(), xs) == []
    assert _run(FHDDM(), [1 - x for x in xs]) != []  # an accuracy that falls: a drift


def test_hand_derived_bound():
    """eps = sqrt(ln(1/delta) / (2n)); n=4, delta=e^-2: eps = 0.5. Four correct (accuracy 1),
    then errors: accuracies 0.75 (drop 0.25), 0.5 (drop 0.5, not > 0.5), 0.25 (drift)."""
    det = FHDDM(window_size=4, delta=math.exp(-2.0))
    assert det.epsilon == 0.5
    assert det.update_many([0, 0, 0, 0, 1, 1]).tolist() == []
    assert det.max_accuracy == 1.0
    det.update(1)
    assert det.drift_detected
    assert FHDDM().epsilon == pytest.approx(math.sqrt(math.log(1e6) / 200), rel=1e-15)


def test_no_false_alarm_on_most_stationary_streams():
    """Error rates from 0.02 to 0.5 over 2,500 predictions; the rates near 0.5 (the largest
    variance) account for most alarms."""
    alarmed = sum(bool(FHDDM().update_many(_stream(seed, "none")).size) for seed in range(100))
    assert alarmed <= 20


def test_catches_an_abrupt_fall_of_the_accuracy_soon():
    delays = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        p = np.where(np.arange(2_000) < 1_000, 0.1, 0.4)
        hits = FHDDM().update_many((rng.random(2_000) < p).astype(int))
        assert not (hits < 1_000).any()
        delays.append(int(hits[0]) - 1_000)
    assert max(delays) <= 200 and np.median(delays) <= 80


@pytest.mark.parametrize(("seed", "kind", "params", "expected"), [
    (1, "abrupt", "defaults", []),
    (2, "gradual", "defaults", [936]),
    (3, "none", "defaults", []),
    (4, "abrupt", "loose", [88, 253, 349, 870, 1011, 1153, 1316, 1403, 1718, 2400]),
], ids=["abrupt-a-fall-of-errors", "gradual", "none", "abrupt-loose"])
def test_pinned_detections(seed, kind, params, expected):
    assert FHDDM(**PARAMS[params][0]).update_many(_stream(seed, kind)).tolist() == expected


def test_update_many_equals_a_loop_in_any_chunks():
    xs = _stream(4, "abrupt", 6_000)
    params = PARAMS["loose"][0]
    looped = FHDDM(**params)
    drifts = _run(looped, xs)
    assert len(drifts) > 3
    for cuts in ([0, drifts[0] + 1, drifts[1], 4_000, len(xs)], [0, 7, 60, drifts[2], len(xs)]):
        chunked = FHDDM(**params)
        got = []
        for a, b in pairwise(cuts):
            got += [int(i) + a for i in chunked.update_many(xs[a:b])]
            ref = FHDDM(**params)
            _run(ref, xs[:b])
            assert chunked.to_state() == ref.to_state()
        assert got == drifts


def test_reset_starts_over():
    det = FHDDM()
    det.update_many(_stream(1, "abrupt"))
    det.reset()
    assert det.to_state() == FHDDM().to_state()


@pytest.mark.parametrize("cut", [0, 50, 99, 700, 936, 937, 2000], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, before the window fills and on the drift update itself (936), the
    stream continues as if it had never stopped."""
    xs = _stream(2, "gradual")
    whole = _run(FHDDM(), xs)
    assert whole == [936]
    head = FHDDM()
    first = _run(head, xs[:cut])
    resumed = FHDDM.from_state(json.loads(json.dumps(head.to_state(), allow_nan=False)))
    assert first + [i + cut for i in _run(resumed, xs[cut:])] == whole


@pytest.mark.parametrize("bad", [2, 0.5, -1, math.nan])
def test_values_other_than_zero_or_one_are_refused_before_any_value_is_fed(bad):
    det = FHDDM()
    with pytest.raises(DataError, match=r"FHDDM\.update: x must be 1 \(error\) or 0 \(correct\)"):
        det.update(bad)
    with pytest.raises(DataError, match=r"FHDDM\.update_many: xs\[2\] must be 1 \(error\) or 0 \(correct\)"):
        det.update_many([1, 0, bad, 1])
    assert det.to_state() == FHDDM().to_state()


@pytest.mark.parametrize(("params", "message"), [
    ({"window_size": 0}, "window_size must be an integer >= 1; got 0."),
    ({"window_size": 10.5}, "window_size must be an integer >= 1; got 10.5."),
    ({"delta": 0}, r"delta must be a float in \(0, 1\); got 0."),
    ({"delta": 1.0}, r"delta must be a float in \(0, 1\); got 1.0."),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        FHDDM(**params)
