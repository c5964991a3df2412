"""ADWIN: parity with river 0.26 (detections and window statistics, bit for bit), river's own
documented example, the one-report-per-change behaviour, update_many, state and validation."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from driftline.errors import DataError, ParameterError
from driftline.streaming._adwin import ADWIN

drift = pytest.importorskip("river.drift")

KINDS = ("bits-none", "bits-abrupt", "bits-gradual", "real-none", "real-abrupt", "real-gradual")
PARAMS = {
    "defaults": {},
    "clock1": {"clock": 1},
    "sensitive": {"delta": 0.1, "clock": 7, "max_buckets": 2},
    "small": {"delta": 0.01, "clock": 1, "max_buckets": 3, "min_window_length": 1, "grace_period": 0},
    "long": {"delta": 0.5, "clock": 3, "max_buckets": 8, "min_window_length": 20, "grace_period": 100},
}


def stream(kind: str, seed: int, n: int | None = None) -> np.ndarray:
    """A seeded stream: error bits or reals, stationary, with a jump, or with a ramp."""
    rng = np.random.default_rng([KINDS.index(kind), seed])
    n = n or int(rng.integers(500, 3_000))
    at, span = int(rng.integers(n // 4, 3 * n // 4)), int(rng.integers(50, 800))
    step = np.arange(n) >= at
    ramp = np.clip((np.arange(n) - at) / span, 0.0, 1.0)
    shape = {"none": np.zeros(n), "abrupt": step.astype(float), "gradual": ramp}[kind.split("-")[1]]
    if kind.startswith("bits"):
        p0 = rng.uniform(0.02, 0.4)
        return (rng.random(n) < p0 + shape * rng.uniform(0.05, 0.5)).astype(float)
    return rng.normal(rng.normal(0, 5) + shape * rng.normal(0, 2), rng.uniform(0.1, 3), n)


def river_run(xs, **params):
    """River's detections, and (width, total, variance) after each of them and at the end."""
    det, hits, stats = drift.ADWIN(**params), [], []
    for i, x in enumerate(xs.tolist()):
        det.update(x)
        if det.drift_detected:
            hits.append(i)
            stats.append((det.width, det.total, det.variance))
    return hits, [*stats, (det.width, det.total, det.variance, det.estimation)]


def ours_run(xs, **params):
    det, hits, stats = ADWIN(**params), [], []
    for i, x in enumerate(xs.tolist()):
        det.update(x)
        assert not det.warning_detected  # ADWIN has no warning zone, in river or here
        if det.drift_detected:
            hits.append(i)
            stats.append((det.width, det.total, det.variance))
    return hits, [*stats, (det.width, det.total, det.variance, det.estimation)]


# -- river's documented example --------------------------------------------------------------
def river_docstring_stream() -> list[int]:
    rng = random.Random(12345)
    return rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)


def test_river_docstring_example_reproduces():
    data_stream = river_docstring_stream()
    printed = []
    adwin = ADWIN()
    for i, val in enumerate(data_stream):
        adwin.update(val)
        if adwin.drift_detected:
            printed.append(f"Change detected at index {i}, input value: {val}")
    assert printed == ["Change detected at index 1023, input value: 4"]
    assert ADWIN().update_many(data_stream).tolist() == [1023]
    assert river_run(np.asarray(data_stream, dtype=float))[0] == [1023]


# -- differential test against river -----------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_same_detections_and_window_as_river_defaults(kind):
    for s in range(34):
        xs = stream(kind, s)
        ours, theirs = ours_run(xs), river_run(xs)
        assert ours == theirs, f"{kind}-{s}"
        assert ADWIN().update_many(xs).tolist() == theirs[0], f"{kind}-{s}"


@pytest.mark.parametrize("name", [p for p in PARAMS if p != "defaults"])
def test_same_detections_and_window_as_river_other_parameters(name):
    params = PARAMS[name]
    for kind in KINDS:
        for s in range(8):
            xs = stream(kind, 100 + s)[:1_500]
            ours, theirs = ours_run(xs, **params), river_run(xs, **params)
            assert ours == theirs, f"{name}-{kind}-{s}"
            assert ADWIN(**params).update_many(xs).tolist() == theirs[0], f"{name}-{kind}-{s}"


def test_window_statistics_match_river_after_every_update():
    for kind, s in [("real-abrupt", 1), ("bits-gradual", 2), ("real-gradual", 3)]:
        xs = stream(kind, s, 2_000)
        ours, theirs = ADWIN(clock=4), drift.ADWIN(clock=4)
        for x in xs.tolist():
            ours.update(x)
            theirs.update(x)
            assert (ours.drift_detected, ours.width, ours.total, ours.variance, ours.estimation) == \
                (theirs.drift_detected, theirs.width, theirs.total, theirs.variance, theirs.estimation)


def test_window_statistics_on_a_small_example():
    det = ADWIN()
    assert (det.width, det.total, det.variance, det.estimation) == (0, 0.0, 0.0, 0.0)
    for x in [1.0, 2.0, 3.0, 4.0, 5.0]:
        det.update(x)
    # variance is river's: the sum of squared deviations, not divided by the width
    assert (det.width, det.total, det.variance, det.estimation) == (5, 15.0, 10.0, 3.0)


# -- one change, one report --------------------------------------------------------------------
def issue_574_stream() -> np.ndarray:
    """The stream of river issue #574 ("duplicate drifts detected by ADWIN"): two changes."""
    rs = np.random.RandomState(seed=42)
    return np.concatenate((rs.normal(0.8, 0.05, 1000), rs.normal(0.4, 0.02, 1000), rs.normal(0.6, 0.1, 1000)))


class _ShrinkOnly(ADWIN):
    """ADWIN as in the paper and early river (issue #574): after a drift the window only shrinks."""

    def update(self, x):
        self._insert(float(x))
        self._tick += 1
        self._drift = self._tick % self.clock == 0 and self._width > self.grace_period and self._cut()


def test_each_change_is_reported_once_like_river_026():
    xs = issue_574_stream()
    assert ours_run(xs)[0] == river_run(xs)[0] == [1023, 2047]
    # Without the restart, the old values left in the shrinking window report each change again.
    shrink, hits = _ShrinkOnly(), []
    for i, x in enumerate(xs):
        shrink.update(x)
        if shrink.drift_detected:
            hits.append(i)
    assert hits == [1023, 1055, 1119, 2047, 2079, 2111, 2175]


def test_one_report_per_abrupt_change():
    for seed in range(30):
        rng = np.random.default_rng(seed)
        xs = np.concatenate([rng.normal(0, 1, 1000), rng.normal(rng.uniform(1, 3), 1, 1000)])
        hits = ADWIN().update_many(xs).tolist()
        assert len([h for h in hits if h >= 1000]) == 1, seed


def test_the_update_after_a_drift_starts_an_empty_window():
    xs = np.asarray(river_docstring_stream(), dtype=float)
    det = ADWIN()
    det.update_many(xs[:1024])
    assert det.drift_detected and det.width < 1024  # the cut dropped the oldest summaries
    det.update(xs[1024])
    assert not det.drift_detected and (det.width, det.total) == (1, xs[1024])


# -- pinned indices (regression guard) ---------------------------------------------------------
@pytest.mark.parametrize(("kind", "seed", "params", "expected"), [
    ("bits-abrupt", 3, {}, [1055]),
    ("bits-gradual", 1, {}, [1247]),
    ("real-abrupt", 0, {}, [1247]),
    ("real-gradual", 5, {}, [1311, 1823]),
    ("bits-none", 3, {}, []),
    ("real-abrupt", 2, {"clock": 1}, [958]),
    ("real-none", 3, {"delta": 0.5, "clock": 1}, [768, 1116, 1761, 1882, 1968]),
], ids=["bits-abrupt", "bits-gradual", "real-abrupt", "real-gradual", "bits-none", "real-abrupt-clock1",
        "real-none-false-alarms"])
def test_pinned_detection_indices(kind, seed, params, expected):
    xs = stream(kind, seed, 2_000)
    assert ADWIN(**params).update_many(xs).tolist() == expected
    assert ours_run(xs, **params)[0] == expected


# -- update_many, state, reset -----------------------------------------------------------------
def state_after_loop(xs, **params):
    det, hits = ADWIN(**params), []
    for i, x in enumerate(xs.tolist()):
        det.update(x)
        if det.drift_detected:
            hits.append(i)
    return hits, det.to_state()


@pytest.mark.parametrize("name", list(PARAMS))
def test_update_many_is_a_loop_of_update(name):
    params = PARAMS[name]
    rng = np.random.default_rng(11)
    steps = np.repeat(rng.normal(0, 3, 6), 1_000)  # several drifts
    cases = [stream(k, 40 + i)[:1_500] for i, k in enumerate(KINDS)] + [rng.normal(steps, 1.0)]
    if name == "defaults":  # a window wider than the largest numpy pass
        cases.append((rng.random(20_000) < 0.2).astype(float))
    for xs in cases:
        hits, state = state_after_loop(xs, **params)
        det = ADWIN(**params)
        assert det.update_many(xs).tolist() == hits
        assert det.to_state() == state
        pieces, got, start = ADWIN(**params), [], 0  # and in pieces, cut anywhere
        for stop in [*sorted(rng.integers(0, xs.size, 4).tolist()), xs.size]:
            got += [start + i for i in pieces.update_many(xs[start:stop]).tolist()]
            start = max(start, stop)
        assert got == hits and pieces.to_state() == state


@pytest.mark.parametrize("cut", [500, 1023, 1024, 1500])
def test_state_round_trip_continues_the_stream(cut):
    xs = np.asarray(river_docstring_stream() * 2, dtype=float)
    whole = ADWIN(delta=0.01)
    expected = whole.update_many(xs).tolist()
    first = ADWIN(delta=0.01)
    head = first.update_many(xs[:cut]).tolist()
    saved = json.loads(json.dumps(first.to_state(), allow_nan=False))
    resumed = ADWIN.from_state(saved)
    assert resumed.params == first.params and resumed.drift_detected == first.drift_detected
    assert (resumed.width, resumed.total, resumed.variance) == (first.width, first.total, first.variance)
    tail = resumed.update_many(xs[cut:]).tolist()
    assert head + [cut + i for i in tail] == expected
    assert resumed.to_state() == whole.to_state()


def test_reset_starts_over():
    xs = stream("real-abrupt", 0, 2_000)
    det = ADWIN(clock=5)
    det.update_many(xs)
    det.reset()
    assert det.to_state() == ADWIN(clock=5).to_state() and det.width == 0
    assert det.update_many(xs).tolist() == ADWIN(clock=5).update_many(xs).tolist()


def test_update_many_accepts_lists_and_empty_input():
    det = ADWIN()
    assert det.update_many([]).tolist() == [] and det.update_many([]).dtype == np.int64
    assert det.update_many(river_docstring_stream()).tolist() == [1023]


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused(bad):
    det = ADWIN()
    with pytest.raises(DataError, match="finite"):
        det.update(bad)
    xs = [0.0, 1.0] * 50 + [bad, 1.0]
    many = ADWIN()
    many.update_many([1.0, 0.0])
    before = many.to_state()
    with pytest.raises(DataError, match=r"ADWIN\.update_many: xs\[100\] must be a finite number"):
        many.update_many(xs)
    assert many.to_state() == before  # the whole batch was refused


@pytest.mark.parametrize(("params", "message"), [
    ({"delta": 0.0}, "delta must be a float in (0, 1); got 0.0."),
    ({"delta": 1.0}, "delta must be a float in (0, 1); got 1.0."),
    ({"delta": "0.1"}, "delta must be a float in (0, 1); got '0.1'."),
    ({"clock": 0}, "clock must be an integer >= 1; got 0."),
    ({"clock": 2.5}, "clock must be an integer >= 1; got 2.5."),
    ({"max_buckets": 1}, "max_buckets must be an integer >= 2; got 1."),
    ({"min_window_length": 0}, "min_window_length must be an integer >= 1; got 0."),
    ({"grace_period": -1}, "grace_period must be an integer >= 0; got -1."),
    ({"grace_period": True}, "grace_period must be an integer >= 0; got True."),
])
def test_parameter_errors_name_the_parameter_and_the_allowed_values(params, message):
    with pytest.raises(ParameterError) as exc:
        ADWIN(**params)
    assert str(exc.value).startswith(message)


def test_defaults_and_repr_match_river():
    river = drift.ADWIN()
    ours = ADWIN()
    assert ours.params == {k: getattr(river, k) for k in ours.params}
    assert repr(ours) == "ADWIN(delta=0.002, clock=32, max_buckets=5, min_window_length=5, grace_period=10)"
