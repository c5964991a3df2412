"""STEPD (no river oracle): hand-derived p-values, a naive recount reference with scipy's normal
tail, the deliberate differences from MOA, false alarms and delays on seeded streams, pinned
indices, and the streaming protocol."""

from __future__ import annotations

import json
import math
from itertools import pairwise

import numpy as np
import pytest
from scipy import stats

from driftline.errors import DataError, ParameterError
from driftline.streaming._stepd import STEPD
from tests.streaming._streams import _run

PARAMS = {
    "defaults": {},
    "short-window": {"window_size": 10, "alpha_warning": 0.1, "alpha_drift": 0.01},
    "long-window": {"window_size": 100, "alpha_warning": 0.01, "alpha_drift": 0.0001},
    "no-warning": {"window_size": 30, "alpha_warning": 0.003, "alpha_drift": 0.003},
}
KINDS = ("none", "abrupt", "gradual")


def _stream(seed: int, kind: str, n: int = 2_000) -> list[int]:
    """Error bits whose rate stays put ("none"), rises at n/2 ("abrupt") or ramps up from there
    over 300 predictions ("gradual")."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.02, 0.35)
    ramp = np.clip((np.arange(n) - n // 2) / (300 if kind == "gradual" else 1), 0, 1)
    p = p0 + (0.0 if kind == "none" else rng.uniform(0.1, 0.4)) * ramp
    return (rng.random(n) < p).astype(int).tolist()




def _naive(xs, window_size=30, alpha_warning=0.05, alpha_drift=0.003) -> tuple[list[int], list[int]]:
    """The paper's test recounted from the predictions since the last drift at every step,
    with scipy's normal tail."""
    drifts, warnings, run = [], [], []
    for i, x in enumerate(xs):
        run.append(x)
        if len(run) < 2 * window_size:
            continue
        older, recent = run[:-window_size], run[-window_size:]
        no, nr = len(older), len(recent)
        ro, rr = no - sum(older), nr - sum(recent)
        p_value = 1.0
        if rr / nr < ro / no:
            p_hat = (ro + rr) / (no + nr)
            t = (ro / no - rr / nr - 0.5 * (1 / no + 1 / nr)) / math.sqrt(
                p_hat * (1 - p_hat) * (1 / no + 1 / nr))
            p_value = stats.norm.sf(t)
        if p_value < alpha_drift:
            drifts.append(i)
            run = []
        elif p_value < alpha_warning:
            warnings.append(i)
    return drifts, warnings


def _moa(xs, window_size=30, alpha_drift=0.003) -> list[int]:
    """MOA's STEPD test (two-sided, |T| after the continuity correction), for the differences."""
    drifts, run = [], []
    for i, x in enumerate(xs):
        run.append(x)
        if len(run) < 2 * window_size:
            continue
        older, recent = run[:-window_size], run[-window_size:]
        no, nr = len(older), len(recent)
        ro, rr = no - sum(older), nr - sum(recent)
        inv, p_hat = 1 / no + 1 / nr, (ro + rr) / (no + nr)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.float64(abs(ro / no - rr / nr) - inv / 2) / np.sqrt(p_hat * (1 - p_hat) * inv)
        if 2 * stats.norm.sf(abs(t)) < alpha_drift:
            drifts.append(i)
            run = []
    return drifts


def test_hand_derived_p_values():
    """W=3. Ten correct then errors: at index 11 the older 9 are all correct and the recent
    [0, 1, 1] has accuracy 1/3; at index 12 the older 10 vs the recent [1, 1, 1]."""
    det = STEPD(window_size=3)
    det.update_many([0] * 10)
    assert math.isnan(det.p_value) is False and det.p_value == 1.0  # equal accuracies
    det.update(1)
    det.update(1)
    t11 = (1 - 1 / 3 - 0.5 * (1 / 9 + 1 / 3)) / math.sqrt(10 / 12 * 2 / 12 * (1 / 9 + 1 / 3))
    assert det.p_value == pytest.approx(stats.norm.sf(t11), rel=1e-12)
    assert det.p_value == pytest.approx(0.036819, abs=1e-6)
    assert det.warning_detected and not det.drift_detected
    det.update(1)
    t12 = (1 - 0 - 0.5 * (1 / 10 + 1 / 3)) / math.sqrt(10 / 13 * 3 / 13 * (1 / 10 + 1 / 3))
    assert det.p_value == pytest.approx(stats.norm.sf(t12), rel=1e-12)
    assert det.p_value == pytest.approx(0.002369, abs=1e-6)
    assert det.drift_detected and not det.warning_detected


def test_no_test_before_the_older_part_holds_a_window():
    det = STEPD(window_size=5)
    det.update_many([0] * 5 + [1] * 4)
    assert math.isnan(det.p_value) and not det.drift_detected


@pytest.mark.parametrize("name", PARAMS)
def test_matches_the_naive_recount(name):
    """50 seeded streams per parameter set (200 in all), drifts and warnings."""
    fired = 0
    for seed in range(50):
        xs = _stream(seed, KINDS[seed % 3], 1_000)
        ours = _run(STEPD(**PARAMS[name]), xs)
        assert ours == _naive(xs, **PARAMS[name]), (name, seed)
        assert STEPD(**PARAMS[name]).update_many(xs).tolist() == ours[0]
        fired += bool(ours[0])
    assert fired > 20


def test_unlike_moa_a_perfect_classifier_never_fires():
    xs = [0] * 500
    assert _moa(xs) == [59, 119, 179, 239, 299, 359, 419, 479]  # -inf turned into +inf
    assert STEPD().update_many(xs).tolist() == []


def test_unlike_moa_a_rare_error_does_not_fire_on_equal_accuracies():
    xs = [0] * 200 + [1] + [0] * 299
    assert _moa(xs) != []  # |T| taken after the continuity correction
    assert STEPD().update_many(xs).tolist() == []


def test_unlike_moa_an_improvement_is_not_a_drift():
    rng = np.random.default_rng(0)
    xs = (rng.random(1_000) < np.where(np.arange(1_000) < 500, 0.5, 0.05)).astype(int).tolist()
    assert any(i >= 500 for i in _moa(xs))  # two-sided
    assert [i for i in STEPD().update_many(xs).tolist() if i >= 500] == []


def test_false_alarms_are_bounded_on_stationary_streams():
    """STEPD tests at every step; at the default levels it raises ~0.45 false alarms per
    1,000 predictions, so most streams of 500 raise none."""
    alarms = [STEPD().update_many(_stream(seed, "none", 500)).size for seed in range(200)]
    assert sum(a == 0 for a in alarms) >= 140
    assert sum(alarms) / (200 * 500) < 1e-3


def test_catches_an_abrupt_rise_of_the_error_rate_soon():
    """0.1 to 0.4 at 1,000; a false alarm just before the change can restart the detector on
    the new concept, where it then sees nothing to detect."""
    delays = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        p = np.where(np.arange(1_500) < 1_000, 0.1, 0.4)
        hits = STEPD().update_many((rng.random(1_500) < p).astype(int))
        after = hits[hits >= 1_000]
        delays.append(int(after[0]) - 1_000 if after.size else 10**6)
    assert sum(d <= 60 for d in delays) >= 95 and np.median(delays) <= 25


@pytest.mark.parametrize(("seed", "kind", "params", "expected"), [
    (1, "abrupt", "defaults", [240, 1018, 1285]),
    (2, "gradual", "defaults", [1082, 1200]),
    (3, "none", "defaults", [471]),
    (4, "abrupt", "long-window", [1064]),
], ids=["abrupt", "gradual", "none", "abrupt-long-window"])
def test_pinned_detections(seed, kind, params, expected):
    assert STEPD(**PARAMS[params]).update_many(_stream(seed, kind)).tolist() == expected


def test_update_many_equals_a_loop_in_any_chunks():
    xs = _stream(5, "abrupt", 6_000)
    looped = STEPD(**PARAMS["short-window"])
    drifts, _ = _run(looped, xs)
    assert len(drifts) > 3
    for cuts in ([0, drifts[0] + 1, drifts[1], 4_000, len(xs)], [0, 7, 25, drifts[2], len(xs)]):
        chunked = STEPD(**PARAMS["short-window"])
        got = []
        for a, b in pairwise(cuts):
            got += [int(i) + a for i in chunked.update_many(xs[a:b])]
            ref = STEPD(**PARAMS["short-window"])
            _run(ref, xs[:b])
            assert chunked.to_state() == ref.to_state()  # warning and p-value included
        assert got == drifts


def test_reset_starts_over():
    det = STEPD()
    det.update_many(_stream(1, "abrupt"))
    det.reset()
    assert det.to_state() == STEPD().to_state()


@pytest.mark.parametrize("cut", [0, 45, 700, 1018, 1019, 1275, 1900], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, before any test (a NaN p-value), on the drift update itself (1018) or
    in a warning (1275), the stream continues as if it had never stopped."""
    xs = _stream(1, "abrupt")
    whole = _run(STEPD(), xs)
    head = STEPD()
    first = _run(head, xs[:cut])
    resumed = STEPD.from_state(json.loads(json.dumps(head.to_state(), allow_nan=False)))
    rest = _run(resumed, xs[cut:])
    assert (first[0] + [i + cut for i in rest[0]], first[1] + [i + cut for i in rest[1]]) == whole


@pytest.mark.parametrize("bad", [2, 0.5, -1, math.nan])
def test_values_other_than_zero_or_one_are_refused_before_any_value_is_fed(bad):
    det = STEPD()
    with pytest.raises(DataError, match=r"STEPD\.update: x must be 1 \(error\) or 0 \(correct\)"):
        det.update(bad)
    with pytest.raises(DataError, match=r"STEPD\.update_many: xs\[2\] must be 1 \(error\) or 0 \(correct\)"):
        det.update_many([1, 0, bad, 1])
    assert det.to_state() == STEPD().to_state()


@pytest.mark.parametrize(("params", "message"), [
    ({"window_size": 0}, "window_size must be an integer >= 1; got 0."),
    ({"window_size": 3.0}, "window_size must be an integer >= 1; got 3.0."),
    ({"alpha_warning": 1.0}, r"alpha_warning must be a float in \(0, 1\); got 1.0."),
    ({"alpha_drift": 0}, r"alpha_drift must be a float in \(0, 1\); got 0."),
    ({"alpha_drift": 0.1}, r"alpha_drift must be at most alpha_warning \(0.05\); got 0.1. A drift"),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        STEPD(**params)
