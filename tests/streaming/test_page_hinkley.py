"""PageHinkley: the same detections as river 0.26's drift.PageHinkley, river's documented example,
pinned indices, and the streaming protocol (update_many, reset, JSON state, parameter checks)."""

from __future__ import annotations

import json
import math
import random
from itertools import pairwise

import numpy as np
import pytest

from driftline.errors import DataError, ParameterError
from driftline.streaming._page_hinkley import PageHinkley
from tests.streaming._streams import _drifts as _run

river_drift = pytest.importorskip("river.drift")

PARAMS = {
    "defaults": {},
    "up-sensitive": {"min_instances": 10, "delta": 0.05, "threshold": 10.0, "alpha": 0.999, "mode": "up"},
    "down": {"min_instances": 50, "delta": 0.01, "threshold": 20.0, "mode": "down"},
    "no-forgetting": {"min_instances": 1, "delta": 0.0, "threshold": 8.0, "alpha": 1.0},
}
KINDS = ("none", "abrupt", "gradual")


def _stream(seed: int, kind: str, reals: bool, n: int = 2_000) -> list[float]:
    """Normal values (``reals``) or error bits whose mean stays put ("none"), jumps ("abrupt", up
    or down) or ramps ("gradual")."""
    rng = np.random.default_rng(seed)
    at, width = int(rng.integers(n // 5, 3 * n // 5)), int(rng.integers(100, 800))
    ramp = np.clip((np.arange(n) - at) / (width if kind == "gradual" else 1), 0, 1)
    if kind == "none":
        ramp[:] = 0
    if reals:
        shift = rng.uniform(0.5, 3.0) * rng.choice([-1, 1])
        return (rng.normal(0, rng.uniform(0.5, 2.0), n) + shift * ramp).tolist()
    p0 = rng.uniform(0.05, 0.5)
    p = p0 + (rng.uniform(0.05, 0.45) * rng.choice([-1, 1])) * ramp
    return (rng.random(n) < np.clip(p, 0.01, 0.99)).astype(float).tolist()


CASES = [(seed, KINDS[seed % 3], seed % 2 == 1) for seed in range(60)]


@pytest.mark.parametrize("name", PARAMS)
def test_fires_where_river_does(name):
    """60 seeded streams per parameter set (240 in all): no drift, abrupt and gradual, of reals
    and of error bits."""
    fired = 0
    for seed, kind, reals in CASES:
        xs = _stream(seed, kind, reals)
        ours = _run(PageHinkley(**PARAMS[name]), xs)
        assert ours == _run(river_drift.PageHinkley(**PARAMS[name]), xs), (name, seed, kind, reals)
        assert PageHinkley(**PARAMS[name]).update_many(xs).tolist() == ours
        fired += bool(ours)
    assert fired > 15  # the comparison is not vacuous


def test_the_running_statistics_match_river_bit_for_bit():
    xs = _stream(4, "abrupt", True)
    ours, theirs = PageHinkley(), river_drift.PageHinkley()
    for x in xs[:600]:
        ours.update(x)
        theirs.update(x)
        assert (ours.mean, ours.sum_increase, ours.sum_decrease) == (
            theirs._x_mean.get(), theirs._sum_increase, theirs._sum_decrease)


def test_river_docstring_example():
    """river's example prints "Change detected at index 1006, input value: 5"; so do we."""
    rng = random.Random(12345)
    data_stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    lines = {}
    for det in (PageHinkley(), river_drift.PageHinkley()):
        lines[type(det).__module__] = [
            f"Change detected at index {i}, input value: {data_stream[i]}" for i in _run(det, data_stream)]
    assert list(lines.values()) == [["Change detected at index 1006, input value: 5"]] * 2


@pytest.mark.parametrize(("seed", "kind", "reals", "params", "expected"), [
    (1, "abrupt", True, "defaults", [456, 694, 795, 1311, 1779]),
    (2, "gradual", True, "up-sensitive", [880]),
    (3, "none", False, "defaults", []),
    (4, "abrupt", False, "no-forgetting", [257, 346, 388, 748, 869, 998, 1102, 1263, 1365, 1625, 1991]),
    (5, "abrupt", True, "down", [581, 777, 862, 946, 1284, 1484]),
], ids=["abrupt-reals", "gradual-reals-up", "none-bits", "abrupt-bits-no-forgetting", "abrupt-reals-down"])
def test_pinned_detections(seed, kind, reals, params, expected):
    assert PageHinkley(**PARAMS[params]).update_many(_stream(seed, kind, reals)).tolist() == expected


def test_mode_picks_the_direction():
    xs = [0.0] * 300 + [5.0] * 300
    assert PageHinkley(mode="up").update_many(xs).tolist() == [310]
    assert PageHinkley(mode="down").update_many(xs).tolist() == []
    assert PageHinkley(mode="down").update_many([-x for x in xs]).tolist() == [310]


def test_update_many_equals_a_loop_in_any_chunks():
    xs = _stream(4, "abrupt", False, 4_000)
    looped = PageHinkley(**PARAMS["no-forgetting"])
    drifts = _run(looped, xs)
    assert len(drifts) > 3
    chunked = PageHinkley(**PARAMS["no-forgetting"])
    cuts = [0, drifts[0] + 1, drifts[1], 3_000, len(xs)]  # a chunk ends on a drift
    got = [int(i) + a for a, b in pairwise(cuts) for i in chunked.update_many(xs[a:b])]
    assert got == drifts
    assert chunked.to_state() == looped.to_state()


def test_reset_starts_over():
    det = PageHinkley()
    det.update_many(_stream(1, "abrupt", True))
    det.reset()
    assert det.to_state() == PageHinkley().to_state()


@pytest.mark.parametrize("cut", [0, 600, 456, 457, 1900], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, including before any sum exists (inf in the state) and on the drift
    update itself (456), the stream continues as if it had never stopped."""
    xs = _stream(1, "abrupt", True)
    whole = _run(PageHinkley(), xs)
    head = PageHinkley()
    first = _run(head, xs[:cut])
    resumed = PageHinkley.from_state(json.loads(json.dumps(head.to_state(), allow_nan=False)))
    assert first + [i + cut for i in _run(resumed, xs[cut:])] == whole
    assert resumed.params == PageHinkley().params


def test_nan_is_refused_before_any_value_is_fed():
    det = PageHinkley()
    with pytest.raises(DataError, match=r"PageHinkley\.update: x must be a number, not NaN; got nan"):
        det.update(math.nan)
    with pytest.raises(DataError, match=r"PageHinkley\.update_many: xs\[2\] must be a number, not NaN"):
        det.update_many([1.0, 2.0, math.nan, 3.0])
    assert det.to_state() == PageHinkley().to_state()


@pytest.mark.parametrize(("params", "message"), [
    ({"min_instances": -1}, "min_instances must be an integer >= 0; got -1."),
    ({"min_instances": 2.5}, "min_instances must be an integer >= 0; got 2.5."),
    ({"delta": -0.1}, "delta must be a finite float >= 0; got -0.1."),
    ({"threshold": 0}, "threshold must be a finite float > 0; got 0."),
    ({"alpha": 1.5}, r"alpha must be a float in \(0, 1\]; got 1.5."),
    ({"mode": "sideways"}, "mode must be one of 'up', 'down', 'both'; got 'sideways'."),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        PageHinkley(**params)
