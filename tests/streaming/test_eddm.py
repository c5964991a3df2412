"""EDDM: the same detections and warnings as river 0.26's drift.binary.EDDM, pinned indices, and
the streaming protocol (update_many, reset, JSON state, parameter checks)."""

from __future__ import annotations

import json
import random
from itertools import pairwise

import numpy as np
import pytest

from driftline.errors import ParameterError
from driftline.streaming._eddm import EDDM
from tests.streaming._streams import _run

river_binary = pytest.importorskip("river.drift.binary")

PARAMS = {
    "defaults": {},
    "river-example": {"alpha": 0.8, "beta": 0.75},
    "short-warm-start": {"warm_start": 5, "alpha": 0.99, "beta": 0.95},
    "long-warm-start-equal-levels": {"warm_start": 100, "alpha": 0.9, "beta": 0.9},
}
KINDS = ("none", "abrupt", "gradual")


def _stream(seed: int, kind: str, n: int = 2_500) -> list[float]:
    """Error bits whose rate stays put ("none"), jumps ("abrupt") or ramps ("gradual")."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.02, 0.4)
    p1 = min(p0 + rng.uniform(0.05, 0.4), 0.95) if kind != "none" else p0
    at, width = int(rng.integers(n // 5, 3 * n // 5)), int(rng.integers(100, 800))
    ramp = np.clip((np.arange(n) - at) / (width if kind == "gradual" else 1), 0, 1)
    return (rng.random(n) < p0 + (p1 - p0) * ramp).astype(float).tolist()




@pytest.mark.parametrize("name", PARAMS)
def test_fires_and_warns_where_river_does(name):
    """60 seeded streams of error bits per parameter set (240 in all): no drift, abrupt and
    gradual."""
    fired = warned = 0
    for seed in range(60):
        xs = _stream(seed, KINDS[seed % 3])
        ours = _run(EDDM(**PARAMS[name]), xs)
        assert ours == _run(river_binary.EDDM(**PARAMS[name]), xs), (name, seed)
        assert EDDM(**PARAMS[name]).update_many(xs).tolist() == ours[0]
        fired += bool(ours[0])
        warned += bool(ours[1])
    assert fired > 20  # the comparison is not vacuous
    assert warned > 20 or PARAMS[name].get("alpha") == PARAMS[name].get("beta")  # no zone then


def test_river_docstring_example():
    """river's example (alpha=0.8, beta=0.75) prints warning 1059 and change 1278; so do we."""
    rng = random.Random(42)
    stream = rng.choices([0, 1], k=1000)
    stream = stream + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    printed = []
    for det in (EDDM(alpha=0.8, beta=0.75), river_binary.EDDM(alpha=0.8, beta=0.75)):
        lines, print_warning = [], True
        for i, x in enumerate(stream):
            det.update(x)
            if det.warning_detected and print_warning:
                lines.append(f"Warning detected at index {i}")
                print_warning = False
            if det.drift_detected:
                lines.append(f"Change detected at index {i}")
                print_warning = True
        printed.append(lines)
    assert printed == [["Warning detected at index 1059", "Change detected at index 1278"]] * 2


@pytest.mark.parametrize(("seed", "kind", "params", "expected"), [
    (11, "abrupt", {"alpha": 0.8, "beta": 0.75}, [317, 797, 1119, 1216, 1320, 1427]),
    (12, "gradual", {"alpha": 0.8, "beta": 0.75}, [216, 633, 744]),
    (13, "none", {"alpha": 0.8, "beta": 0.75}, [329]),
    (11, "abrupt", {}, [317, 797, 1119, 1216, 1320, 1416, 1643, 1744, 1865, 1956,
                            2040, 2424]),
], ids=["abrupt", "gradual", "none", "abrupt-defaults"])
def test_pinned_detections(seed, kind, params, expected):
    assert EDDM(**params).update_many(_stream(seed, kind)).tolist() == expected


def test_a_warning_stays_on_until_the_next_error_and_through_a_drift():
    """EDDM only looks at errors, so its flags keep their value in between (as in river)."""
    xs = _stream(11, "abrupt")
    drifts, warnings = _run(EDDM(), xs)
    assert set(drifts) & set(warnings)  # a drift update can still carry the earlier warning
    assert any(xs[i] == 0 for i in warnings)


def test_it_starts_over_on_the_update_after_a_drift():
    xs = _stream(11, "abrupt")
    first = int(EDDM().update_many(xs)[0])
    det = EDDM()
    det.update_many(xs[: first + 1])
    assert det.drift_detected
    det.update(xs[first + 1])
    fresh = EDDM()
    fresh.update(xs[first + 1])
    assert det.to_state() == fresh.to_state()
    oracle = river_binary.EDDM()
    for x in xs[: first + 2]:
        oracle.update(x)
    assert oracle._n == 1  # river starts over on that update too


def test_update_many_equals_a_loop_in_any_chunks():
    xs = _stream(5, "abrupt", 6_000)
    looped = EDDM()
    drifts, _ = _run(looped, xs)
    assert len(drifts) > 3
    chunked = EDDM()
    cuts = [0, drifts[0] + 1, drifts[1], 4_000, len(xs)]  # a chunk ends on a drift
    got = [int(i) + a for a, b in pairwise(cuts) for i in chunked.update_many(xs[a:b])]
    assert got == drifts
    assert chunked.to_state() == looped.to_state()
    assert chunked.warning_detected == looped.warning_detected


def test_reset_starts_over():
    det = EDDM()
    det.update_many(_stream(11, "abrupt"))
    det.reset()
    assert det.to_state() == EDDM().to_state()


@pytest.mark.parametrize("cut", [500, 1119, 1120, 1900], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, including on the drift update itself (1119), the stream continues as
    if it had never stopped."""
    params = {"alpha": 0.8, "beta": 0.75}
    xs = _stream(11, "abrupt")
    whole = _run(EDDM(**params), xs)
    head = EDDM(**params)
    first = _run(head, xs[:cut])
    resumed = EDDM.from_state(json.loads(json.dumps(head.to_state(), allow_nan=False)))
    rest = _run(resumed, xs[cut:])
    assert (first[0] + [i + cut for i in rest[0]], first[1] + [i + cut for i in rest[1]]) == whole
    assert resumed.params == {"warm_start": 30, "alpha": 0.8, "beta": 0.75}


@pytest.mark.parametrize(("params", "message"), [
    ({"warm_start": -3}, "warm_start must be an integer >= 0; got -3."),
    ({"alpha": 1.5}, r"alpha must be a float in \(0, 1\]; got 1.5."),
    ({"beta": 0.0}, r"beta must be a float in \(0, 1\]; got 0.0."),
    ({"alpha": 0.8}, r"beta must be at most alpha \(0.8\); got 0.9."),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        EDDM(**params)


def test_only_bits_are_accepted_unlike_river():
    river = river_binary.EDDM()
    river.update(0.5)  # river counts anything but 1 as a correct prediction
    det = EDDM()
    with pytest.raises(ParameterError, match=r"x must be 0 or 1 \(1 = error, 0 = correct\); got 0.5"):
        det.update(0.5)
    with pytest.raises(ParameterError, match=r"xs\[1\] must be 0 or 1"):
        det.update_many([1, 2, 0])
    assert det.to_state() == EDDM().to_state()  # nothing was consumed
    det.update(True)
    assert det.to_state()["state"]["n_errors"] == 1
