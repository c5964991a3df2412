"""HDDM_W: the same detections and warnings as river 0.26's drift.binary.HDDMW, pinned indices,
and the streaming protocol (update_many, reset, JSON state, parameter checks)."""

from __future__ import annotations

import json
import random
from itertools import pairwise

import pytest

from driftline.errors import ParameterError
from driftline.streaming._hddm_w import HDDM_W
from tests.streaming._streams import _run, _steps, _stream

river_binary = pytest.importorskip("river.drift.binary")

PARAMS = {
    "defaults": {},
    "two-sided": {"two_sided_test": True},
    "fast-loose": {"drift_confidence": 0.01, "warning_confidence": 0.05, "lambda_val": 0.2},
    "slow-two-sided-equal-levels": {"drift_confidence": 0.0005, "warning_confidence": 0.0005,
                                    "lambda_val": 0.01, "two_sided_test": True},
}
KINDS = ("none", "abrupt", "gradual")








@pytest.mark.parametrize("name", PARAMS)
def test_fires_and_warns_where_river_does(name):
    """50 seeded streams of 2,000 values per parameter set (200 in all): no drift, abrupt and
    gradual, rising and falling, of error bits and of reals in [0, 1]."""
    fired = warned = 0
    for seed in range(50):
        xs = _stream(seed, KINDS[seed % 3], reals=seed % 2 == 1, down=(seed // 6) % 2 == 1, n=2_000)
        ours = _run(HDDM_W(**PARAMS[name]), xs)
        assert ours == _run(river_binary.HDDMW(**PARAMS[name]), xs), (name, seed)
        assert HDDM_W(**PARAMS[name]).update_many(xs).tolist() == ours[0]
        fired += bool(ours[0])
        warned += bool(ours[1])
    assert fired > 15  # the comparison is not vacuous
    levels = PARAMS[name].get("drift_confidence"), PARAMS[name].get("warning_confidence")
    assert warned > 15 or levels[0] == levels[1]  # no warning zone then


def test_river_docstring_example():
    """river's example prints warning 451 and change 1077; so do we."""
    rng = random.Random(42)
    stream = rng.choices([0, 1], k=1000)
    stream = stream + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    printed = []
    for det in (HDDM_W(), river_binary.HDDMW()):
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
    assert printed == [["Warning detected at index 451", "Change detected at index 1077"]] * 2


@pytest.mark.parametrize(("seed", "kind", "reals", "params", "expected"), [
    (11, "abrupt", False, {}, [1201, 1434]),
    (12, "gradual", False, {}, [750, 2092, 2474]),
    (13, "none", False, {}, [1049, 1261, 2389]),
    (14, "abrupt", True, {}, []),
    (18, "abrupt", False, {"two_sided_test": True}, [1396]),
], ids=["abrupt-bits", "gradual-bits", "none-bits", "abrupt-reals", "two-sided-fall"])
def test_pinned_detections(seed, kind, reals, params, expected):
    xs = _stream(seed, kind, reals, down=bool(params))
    assert HDDM_W(**params).update_many(xs).tolist() == expected


def test_a_fall_is_only_seen_by_the_two_sided_test():
    xs = _stream(18, "abrupt", False, down=True)
    assert HDDM_W().update_many(xs).tolist() == []
    assert HDDM_W(two_sided_test=True).update_many(xs).tolist() == [1396]
    oracle = river_binary.HDDMW(two_sided_test=True)
    assert _run(oracle, xs)[0] == [1396]


def test_it_starts_over_on_the_update_after_a_drift():
    xs = _stream(11, "abrupt", False)
    first = int(HDDM_W().update_many(xs)[0])
    det = HDDM_W()
    det.update_many(xs[: first + 1])
    assert det.drift_detected and not det.warning_detected
    det.update(xs[first + 1])
    fresh = HDDM_W()
    fresh.update(xs[first + 1])
    assert det.to_state() == fresh.to_state()
    oracle = river_binary.HDDMW()
    for x in xs[: first + 2]:
        oracle.update(x)
    assert oracle._total.ibc == 0.05**2 + 0.95**2  # river starts over on that update too


@pytest.mark.parametrize("params", [{}, {"two_sided_test": True}], ids=["one-sided", "two-sided"])
def test_update_many_equals_a_loop_in_any_chunks(params):
    xs = _steps(5)
    looped = HDDM_W(**params)
    drifts, _ = _run(looped, xs)
    assert len(drifts) > 3
    chunked = HDDM_W(**params)
    cuts = [0, drifts[0] + 1, drifts[1], 4_000, len(xs)]  # a chunk ends on a drift
    got = [int(i) + a for a, b in pairwise(cuts) for i in chunked.update_many(xs[a:b])]
    assert got == drifts
    assert chunked.to_state() == looped.to_state()
    assert chunked.warning_detected == looped.warning_detected


def test_reset_starts_over():
    det = HDDM_W(two_sided_test=True)
    det.update_many(_stream(11, "abrupt", False))
    det.reset()
    assert det.to_state() == HDDM_W(two_sided_test=True).to_state()


@pytest.mark.parametrize("cut", [500, 1201, 1202, 1900], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, including on the drift update itself (1201), the stream continues as
    if it had never stopped."""
    params = {"drift_confidence": 0.001, "warning_confidence": 0.01, "lambda_val": 0.05,
              "two_sided_test": True}
    xs = _stream(11, "abrupt", False)
    whole = _run(HDDM_W(**params), xs)
    head = HDDM_W(**params)
    first = _run(head, xs[:cut])
    resumed = HDDM_W.from_state(json.loads(json.dumps(head.to_state(), allow_nan=False)))
    rest = _run(resumed, xs[cut:])
    assert (first[0] + [i + cut for i in rest[0]], first[1] + [i + cut for i in rest[1]]) == whole
    assert resumed.params == params


@pytest.mark.parametrize(("params", "message"), [
    ({"drift_confidence": 0}, r"drift_confidence must be a float in \(0, 1\); got 0."),
    ({"drift_confidence": 1.0, "warning_confidence": 1.0},
     r"drift_confidence must be a float in \(0, 1\); got 1.0."),
    ({"warning_confidence": float("nan")}, r"warning_confidence must be a float in \(0, 1\); got nan."),
    ({"warning_confidence": 0.0005}, r"warning_confidence must be at least drift_confidence \(0.001\)"),
    ({"two_sided_test": "yes"}, "two_sided_test must be True or False; got 'yes'."),
    ({"lambda_val": 0.0}, r"lambda_val must be a float in \(0, 1\]; got 0.0."),
    ({"lambda_val": 1.5}, r"lambda_val must be a float in \(0, 1\]; got 1.5."),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        HDDM_W(**params)


def test_a_warning_test_stricter_than_the_drift_test_is_refused_unlike_river():
    river_binary.HDDMW(drift_confidence=0.01, warning_confidence=0.001)  # river accepts it
    with pytest.raises(ParameterError, match="at least drift_confidence"):
        HDDM_W(drift_confidence=0.01, warning_confidence=0.001)


def test_values_outside_zero_one_are_refused_unlike_river():
    river_binary.HDDMW().update(3.0)  # river takes it
    det = HDDM_W()
    with pytest.raises(ParameterError, match=r"x must be a value in \[0, 1\] .*; got -0.5"):
        det.update(-0.5)
    with pytest.raises(ParameterError, match=r"xs\[1\] must be a value in \[0, 1\]"):
        det.update_many([0.5, 3.0])
    assert det.to_state() == HDDM_W().to_state()  # nothing was consumed
