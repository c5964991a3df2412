"""CUSUM (no river oracle): hand-derived sums, a naive two-pass reference, false alarms and
detection delays on seeded streams, pinned indices, and the streaming protocol."""

from __future__ import annotations

import json
import math
from itertools import pairwise

import numpy as np
import pytest

from driftline.errors import DataError, ParameterError
from driftline.streaming._cusum import CUSUM


def _stream(seed: int, kind: str, n: int = 2_000) -> list[float]:
    """Normal values with a random level and scale, whose mean stays put ("none"), jumps by
    1.5 standard deviations at 1000 ("abrupt"), or ramps there over 300 values ("gradual")."""
    rng = np.random.default_rng(seed)
    mu, sd = rng.uniform(-50, 50), rng.uniform(0.1, 10)
    ramp = np.clip((np.arange(n) - 1_000) / (300 if kind == "gradual" else 1), 0, 1)
    shift = 0.0 if kind == "none" else 1.5 * sd * rng.choice([-1, 1])
    return (rng.normal(mu, sd, n) + shift * ramp).tolist()


def _run(det, xs) -> tuple[list[int], list[tuple[float, float]]]:
    hits, sums = [], []
    for i, x in enumerate(xs):
        det.update(x)
        sums.append((det.upper_sum, det.lower_sum))
        if det.drift_detected:
            hits.append(i)
    return hits, sums


def _naive(xs, min_instances=30, k=0.5, h=10.0) -> tuple[list[int], list[tuple[float, float]]]:
    """The textbook recursion with the mean and deviation recomputed (two-pass, numpy) from the
    values since the last drift before each new value."""
    hits, sums, run, up, down = [], [], [], 0.0, 0.0
    for i, x in enumerate(xs):
        if len(run) >= min_instances:
            z = (x - np.mean(run)) / np.std(run, ddof=1)
            up, down = max(0.0, up + z - k), max(0.0, down - z - k)
        sums.append((up, down))
        run.append(x)
        if up > h or down > h:
            hits.append(i)
            run, up, down = [], 0.0, 0.0
    return hits, sums


def test_hand_derived_sums():
    """After 0, 1, 2 (mean 1, sd 1): x=3 gives z=2, C+ = 1.5. Then (mean 1.5, sd sqrt(5/3)):
    x=4 gives z = 2.5/sqrt(5/3) = 1.93649, C+ = 2.93649 > h = 2: drift at index 4."""
    det = CUSUM(min_instances=3, delta=0.5, threshold=2.0)
    assert det.update_many([0.0, 1.0, 2.0, 3.0]).tolist() == []
    assert (det.upper_sum, det.lower_sum) == (1.5, 0.0)
    assert (det.n, det.mean, det.std) == (4, 1.5, pytest.approx(math.sqrt(5 / 3)))
    det.update(4.0)
    assert det.drift_detected
    assert det.upper_sum == pytest.approx(1.5 + 2.5 / math.sqrt(5 / 3) - 0.5, rel=1e-15)
    assert det.upper_sum == pytest.approx(2.9364916731037085, rel=1e-15)
    mirrored = CUSUM(min_instances=3, delta=0.5, threshold=2.0)
    assert mirrored.update_many([0.0, -1.0, -2.0, -3.0, -4.0]).tolist() == [4]
    assert mirrored.lower_sum == det.upper_sum and mirrored.upper_sum == 0.0


def test_a_constant_run_fires_on_the_first_different_value():
    assert CUSUM(min_instances=3).update_many([5.0] * 10 + [5.0, 6.0]).tolist() == [11]


@pytest.mark.parametrize("kind", ["none", "abrupt", "gradual"])
def test_matches_the_naive_two_pass_reference(kind):
    for seed in range(8):
        xs = _stream(seed, kind, 1_500)
        ours, ref = _run(CUSUM(), xs), _naive(xs)
        assert ours[0] == ref[0], (kind, seed)
        np.testing.assert_allclose(ours[1], ref[1], rtol=1e-9, atol=1e-9)


def test_rarely_fires_on_stationary_streams():
    """Known-parameter ARL0 with k=0.5, h=10 is ~70,000; estimated parameters shorten it."""
    alarmed = sum(bool(CUSUM().update_many(_stream(seed, "none")).size) for seed in range(100))
    assert alarmed <= 10


@pytest.mark.parametrize("kind", ["abrupt", "gradual"])
def test_catches_a_shift_of_one_and_a_half_deviations_soon(kind):
    delays, early = [], 0
    for seed in range(100):
        hits = CUSUM().update_many(_stream(seed, kind))
        early += int((hits < 1_000).any())
        delays.append(int(hits[hits >= 1_000][0]) - 1_000)
    assert early <= 5
    assert max(delays) <= (30 if kind == "abrupt" else 250)


@pytest.mark.parametrize(("seed", "kind", "params", "expected"), [
    (1, "abrupt", {}, [1007]),
    (2, "gradual", {}, [1131]),
    (3, "none", {}, []),
    (4, "abrupt", {"min_instances": 50, "delta": 1.0, "threshold": 6.0}, [1007]),
    (4, "abrupt", {"min_instances": 10, "delta": 0.25, "threshold": 8.0}, [128, 382, 476, 517, 1006]),
], ids=["abrupt", "gradual", "none", "abrupt-wide-allowance", "abrupt-sensitive"])
def test_pinned_detections(seed, kind, params, expected):
    assert CUSUM(**params).update_many(_stream(seed, kind)).tolist() == expected


def test_update_many_equals_a_loop_in_any_chunks():
    xs = _stream(4, "abrupt", 4_000)
    params = {"min_instances": 10, "delta": 0.25, "threshold": 4.0}
    looped = CUSUM(**params)
    drifts, _ = _run(looped, xs)
    assert len(drifts) > 3
    chunked = CUSUM(**params)
    cuts = [0, drifts[0] + 1, drifts[1], 3_000, len(xs)]  # a chunk ends on a drift
    got = [int(i) + a for a, b in pairwise(cuts) for i in chunked.update_many(xs[a:b])]
    assert got == drifts
    assert chunked.to_state() == looped.to_state()


def test_reset_starts_over():
    det = CUSUM()
    det.update_many(_stream(1, "abrupt"))
    det.reset()
    assert det.to_state() == CUSUM().to_state()


@pytest.mark.parametrize("cut", [0, 20, 500, 1007, 1008, 1900], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, in the warm-up and on the drift update itself (1007), the stream
    continues as if it had never stopped."""
    xs = _stream(1, "abrupt")
    whole = _run(CUSUM(), xs)
    head = CUSUM()
    first = _run(head, xs[:cut])
    resumed = CUSUM.from_state(json.loads(json.dumps(head.to_state(), allow_nan=False)))
    rest = _run(resumed, xs[cut:])
    assert (first[0] + [i + cut for i in rest[0]], first[1] + rest[1]) == whole


def test_an_infinite_sum_survives_the_json_state():
    det = CUSUM(min_instances=3)
    det.update_many([5.0] * 5 + [6.0])
    assert det.drift_detected and det.upper_sum == math.inf
    assert CUSUM.from_state(det.to_json()).upper_sum == math.inf


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused_before_any_value_is_fed(bad):
    det = CUSUM()
    with pytest.raises(DataError, match=r"CUSUM\.update: x must be a finite number"):
        det.update(bad)
    with pytest.raises(DataError, match=r"CUSUM\.update_many: xs\[2\] must be a finite number"):
        det.update_many([1.0, 2.0, bad, 3.0])
    assert det.to_state() == CUSUM().to_state()


@pytest.mark.parametrize(("params", "message"), [
    ({"min_instances": 1}, "min_instances must be an integer >= 2; got 1. Two values"),
    ({"min_instances": 3.0}, "min_instances must be an integer >= 2; got 3.0."),
    ({"delta": -1}, r"delta must be a finite float >= 0 \(in standard deviations\); got -1."),
    ({"threshold": 0.0}, r"threshold must be a finite float > 0 \(in standard deviations\); got 0.0."),
    ({"threshold": math.inf}, "threshold must be a finite float > 0"),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        CUSUM(**params)
