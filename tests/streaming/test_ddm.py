"""DDM: the same detections and warnings as river 0.26's drift.binary.DDM, pinned indices, and
the streaming protocol (update_many, reset, JSON state, parameter checks)."""

from __future__ import annotations

import json
import random
from itertools import pairwise

import numpy as np
import pytest

from driftline.errors import ParameterError
from driftline.streaming._ddm import DDM
from tests.streaming._streams import _run

river_binary = pytest.importorskip("river.drift.binary")

PARAMS = {
    "defaults": {},
    "no-warm-start": {"warm_start": 0, "warning_threshold": 1.5, "drift_threshold": 2.5},
    "long-warm-start": {"warm_start": 100, "warning_threshold": 2.5, "drift_threshold": 4.0},
    "tight": {"warm_start": 10, "warning_threshold": 1.0, "drift_threshold": 1.5},
}
KINDS = ("none", "abrupt", "gradual")


def _stream(seed: int, kind: str, reals: bool, n: int = 2_500) -> list[float]:
    """Error indicators whose rate stays put ("none"), jumps ("abrupt") or ramps ("gradual");
    ``reals`` draws Beta values in [0, 1] with that mean instead of bits."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.02, 0.4)
    p1 = min(p0 + rng.uniform(0.05, 0.4), 0.95) if kind != "none" else p0
    at, width = int(rng.integers(n // 5, 3 * n // 5)), int(rng.integers(100, 800))
    ramp = np.clip((np.arange(n) - at) / (width if kind == "gradual" else 1), 0, 1)
    p = p0 + (p1 - p0) * ramp
    if reals:
        return rng.beta(p * 8, (1 - p) * 8).tolist()
    return (rng.random(n) < p).astype(float).tolist()




CASES = [(name, seed, KINDS[seed % 3], seed % 2 == 1) for name in PARAMS for seed in range(60)]


@pytest.mark.parametrize("name", PARAMS)
def test_fires_and_warns_where_river_does(name):
    """60 seeded streams per parameter set (240 in all): no drift, abrupt and gradual, of error
    bits and of reals in [0, 1]."""
    fired = 0
    for params_name, seed, kind, reals in CASES:
        if params_name != name:
            continue
        xs = _stream(seed, kind, reals)
        ours = _run(DDM(**PARAMS[name]), xs)
        assert ours == _run(river_binary.DDM(**PARAMS[name]), xs), (name, seed, kind, reals)
        assert DDM(**PARAMS[name]).update_many(xs).tolist() == ours[0]
        fired += bool(ours[0])
    assert fired > 20  # the comparison is not vacuous


def test_river_docstring_example():
    """river's example prints warning 1084, change 1334, warning 1492; so do we."""
    rng = random.Random(42)
    stream = rng.choices([0, 1], k=1000)
    stream = stream + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    printed = {}
    for det in (DDM(), river_binary.DDM()):
        lines, print_warning = [], True
        for i, x in enumerate(stream):
            det.update(x)
            if det.warning_detected and print_warning:
                lines.append(f"Warning detected at index {i}")
                print_warning = False
            if det.drift_detected:
                lines.append(f"Change detected at index {i}")
                print_warning = True
        printed[type(det).__module__] = lines
    assert list(printed.values()) == [[
        "Warning detected at index 1084", "Change detected at index 1334",
        "Warning detected at index 1492"]] * 2


@pytest.mark.parametrize(("seed", "kind", "reals", "expected"), [
    (11, "abrupt", False, [49, 1126, 1188]),
    (12, "gradual", False, [809]),
    (13, "none", False, [382]),
    (14, "abrupt", True, [811]),
], ids=["abrupt-bits", "gradual-bits", "none-bits", "abrupt-reals"])
def test_pinned_detections(seed, kind, reals, expected):
    assert DDM().update_many(_stream(seed, kind, reals)).tolist() == expected


def test_it_starts_over_on_the_update_after_a_drift():
    xs = _stream(11, "abrupt", False)
    first = int(DDM().update_many(xs)[0])
    det = DDM()
    det.update_many(xs[: first + 1])
    assert det.drift_detected and not det.warning_detected
    det.update(xs[first + 1])
    fresh = DDM()
    fresh.update(xs[first + 1])
    assert det.to_state() == fresh.to_state()
    oracle = river_binary.DDM()
    for x in xs[: first + 2]:
        oracle.update(x)
    assert oracle._p.n == 1  # river starts over on that update too


def test_update_many_equals_a_loop_in_any_chunks():
    xs = _stream(5, "abrupt", False, 6_000)
    looped = DDM(warm_start=10, warning_threshold=1.0, drift_threshold=1.5)
    drifts, _ = _run(looped, xs)
    assert len(drifts) > 3
    chunked = DDM(warm_start=10, warning_threshold=1.0, drift_threshold=1.5)
    cuts = [0, drifts[0] + 1, drifts[1], 4_000, len(xs)]  # a chunk ends on a drift
    got = [int(i) + a for a, b in pairwise(cuts) for i in chunked.update_many(xs[a:b])]
    assert got == drifts
    assert chunked.to_state() == looped.to_state()
    assert chunked.warning_detected == looped.warning_detected


def test_reset_starts_over():
    det = DDM()
    det.update_many(_stream(11, "abrupt", False))
    det.reset()
    assert det.to_state() == DDM().to_state()


@pytest.mark.parametrize("cut", [500, 1126, 1127, 1900], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, including on the drift update itself (1126), the stream continues as
    if it had never stopped."""
    xs = _stream(11, "abrupt", False)
    whole = _run(DDM(warm_start=20), xs)
    head = DDM(warm_start=20)
    first = _run(head, xs[:cut])
    resumed = DDM.from_state(json.loads(json.dumps(head.to_state(), allow_nan=False)))
    rest = _run(resumed, xs[cut:])
    assert (first[0] + [i + cut for i in rest[0]], first[1] + [i + cut for i in rest[1]]) == whole
    assert resumed.params == {"warm_start": 20, "warning_threshold": 2.0, "drift_threshold": 3.0}


@pytest.mark.parametrize(("params", "message"), [
    ({"warm_start": -1}, "warm_start must be an integer >= 0; got -1."),
    ({"warm_start": 2.5}, "warm_start must be an integer >= 0; got 2.5."),
    ({"warning_threshold": 0}, "warning_threshold must be a positive finite float; got 0."),
    ({"drift_threshold": float("inf")}, "drift_threshold must be a positive finite float"),
    ({"warning_threshold": 3.5}, r"drift_threshold must be at least warning_threshold \(3.5\); got 3.0"),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        DDM(**params)


def test_a_warning_level_above_the_drift_level_is_refused_unlike_river():
    river_binary.DDM(warning_threshold=3.5, drift_threshold=3.0)  # river accepts it
    with pytest.raises(ParameterError, match="at least warning_threshold"):
        DDM(warning_threshold=3.5, drift_threshold=3.0)


def test_values_outside_zero_one_are_refused_and_update_many_consumes_nothing():
    det = DDM()
    with pytest.raises(ParameterError, match=r"x must be a value in \[0, 1\] .*; got 2"):
        det.update(2)
    with pytest.raises(ParameterError, match=r"xs\[2\] must be a value in \[0, 1\]"):
        det.update_many([0, 1, float("nan"), 0])
    assert det.to_state() == DDM().to_state()
    det.update(True)  # booleans are error indicators too
    assert det.to_state()["state"]["p"] == 1.0
