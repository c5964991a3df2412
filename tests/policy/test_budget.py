"""The false-alarm budget: exact run lengths of k-of-m rules, checked by oracles and simulation."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from driftline.errors import ParameterError
from driftline.policy import OnDataDrift, Policy, expected_windows_between_false_alarms

from ._build import ctx, window


def _survival_sum(alpha: float, k: int, m: int, tol: float = 1e-13) -> float:
    """E[T] = sum_t P(T > t), by pushing the distribution of the last m outcomes forward."""
    dist, total = {(): 1.0}, 0.0
    while (alive := sum(dist.values())) > tol:
        total += alive
        nxt: dict[tuple, float] = {}
        for hist, p in dist.items():
            for x, q in ((0, 1 - alpha), (1, alpha)):
                h = (*hist, x)[-m:]
                if sum(h) < k:
                    key = h[-(m - 1):] if m > 1 else ()
                    nxt[key] = nxt.get(key, 0.0) + p * q
        dist = nxt
    return total


@pytest.mark.parametrize("alpha, k, m", [(0.05, 2, 3), (0.1, 3, 5), (0.2, 2, 4), (0.3, 1, 3)],
                         ids=["a05-2of3", "a10-3of5", "a20-2of4", "a30-1of3"])
def test_matches_an_independent_computation(alpha, k, m):
    assert expected_windows_between_false_alarms(alpha, k, m) == pytest.approx(
        _survival_sum(alpha, k, m), rel=1e-9)


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_oracles(alpha):
    f = expected_windows_between_false_alarms
    assert f(alpha, 1, 1) == pytest.approx(1 / alpha)
    assert f(alpha, 1, 4) == pytest.approx(1 / alpha)  # 1 of m alarms on the first drift
    for m in (2, 3, 4):  # m in a row: the classic run-length formula
        assert f(alpha, m, m) == pytest.approx((1 - alpha**m) / ((1 - alpha) * alpha**m))
    assert f(1.0, 3, 4) == pytest.approx(3.0) and f(0.0, 2, 3) == math.inf
    assert f(alpha, 2, 3) < f(alpha, 2, 2) and f(alpha, 2, 4) < f(alpha, 2, 3)  # more room, sooner


@pytest.mark.parametrize("args, match", [
    ((1.5, 1, 1), r"alpha must be a probability in \[0, 1\]"),
    ((0.05, 4, 3), r"k must be an integer in \[1, m=3\]"),
    ((0.05, 1, 0), r"m must be an integer in \[1, 16\]"),
    ((0.05, 1, 17), r"m must be an integer in \[1, 16\]"),
], ids=["alpha", "k", "m-zero", "m-large"])
def test_bad_arguments(args, match):
    with pytest.raises(ParameterError, match=match):
        expected_windows_between_false_alarms(*args)


def _alarms(outcomes: np.ndarray, k: int, m: int) -> int:
    """Alarms of the k-of-m rule over one stream, the history cleared after each alarm."""
    count, recent = 0, []
    for x in outcomes:
        recent = [*recent, bool(x)][-m:]
        if sum(recent) >= k:
            count, recent = count + 1, []
    return count


@pytest.mark.parametrize("alpha, k, m", [(0.05, 1, 1), (0.1, 2, 3), (0.2, 3, 4), (0.15, 2, 2)],
                         ids=["a05-1of1", "a10-2of3", "a20-3of4", "a15-2of2"])
def test_simulated_false_alarm_rate(alpha, k, m):
    rng = np.random.default_rng(20240401 + k * 10 + m)
    streams, n = 40, 1000
    observed = sum(_alarms(rng.random(n) < alpha, k, m) for _ in range(streams))
    p = 1 / expected_windows_between_false_alarms(alpha, k, m)
    total = streams * n
    assert abs(observed - total * p) <= 4 * math.sqrt(total * p * (1 - p)) + 2


def test_policy_on_stationary_stream_matches_the_budget():
    """End to end: the drift trigger behind a policy, each retrain consuming its evidence."""
    alpha, k, m = 0.15, 2, 3
    policy = Policy(OnDataDrift(persistence=(k, m)))
    rng = np.random.default_rng(11)
    total, retrains = 0, 0
    for _ in range(3):
        last = None
        verdicts = rng.random(1000) < alpha
        stream = [window(i, bool(d)) for i, d in enumerate(verdicts)]
        for i in range(len(stream)):
            d = policy.decide(ctx(windows=stream[max(0, i - m + 1): i + 1], last_retrain_decision_at=last))
            if d.retrain:
                retrains, last = retrains + 1, d.at
        total += len(stream)
    p = 1 / expected_windows_between_false_alarms(alpha, k, m)
    assert abs(retrains - total * p) <= 4 * math.sqrt(total * p * (1 - p)) + 2
    assert timedelta(hours=1) * (total / retrains) > timedelta(hours=10)
