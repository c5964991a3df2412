"""The conformance suite: it runs on every registered method automatically (STYLE §8.1).

Each method must: run with defaults; return a frozen, serialisable TestResult named after
itself; be deterministic for a fixed seed; keep its false-alarm rate on stationary data within
a binomial margin of alpha at its minimum sample size; and catch an obvious shift.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings

import numpy as np
import pytest

from driftline import stats
from driftline.errors import SmallSampleWarning

from .conftest import draw, primary_kind

METHODS = stats.available()
ALPHA = 0.05


def _n_for(name: str) -> int:
    return max(stats.get(name).min_n, 100)


@pytest.mark.parametrize("name", METHODS)
def test_defaults_repr_and_round_trip(name):
    rng = np.random.default_rng(0)
    kind = primary_kind(name)
    res = stats.get(name)(draw(kind, 200, rng), draw(kind, 200, rng))
    assert isinstance(res, stats.TestResult)
    assert res.method == name
    assert repr(res).startswith("TestResult(")
    d = res.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert stats.TestResult(**{**d, "warnings": tuple(d["warnings"])}) == res
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.statistic = 0.0  # type: ignore[misc]
    assert (res.p_value is None) == (not stats.get(name).has_p_value)


@pytest.mark.parametrize("name", METHODS)
def test_seeded_determinism(name):
    kind = primary_kind(name)
    a = draw(kind, 300, np.random.default_rng(1))
    b = draw(kind, 300, np.random.default_rng(2), shifted=True)
    assert stats.get(name)(a, b) == stats.get(name)(a, b)


@pytest.mark.parametrize("name", METHODS)
def test_fitted_reference_gives_the_same_result(name):
    spec = stats.get(name)
    kind = primary_kind(name)
    rng = np.random.default_rng(3)
    a, b = draw(kind, 400, rng), draw(kind, 300, rng, shifted=True)
    assert spec(spec.fit(a), b) == spec(a, b)


@pytest.mark.parametrize("name", METHODS)
def test_obvious_shift_is_caught(name):
    kind = primary_kind(name)
    rng = np.random.default_rng(4)
    res = stats.get(name)(draw(kind, 500, rng), draw(kind, 500, rng, shifted=True))
    assert res.drifted is True, res


def _verdict_size(name: str, kind: str) -> int:
    """The smallest tried n (from the method's min_n, doubling) at which it gives verdicts."""
    n = _n_for(name)
    rng = np.random.default_rng(55)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        while stats.get(name)(draw(kind, n, rng), draw(kind, n, rng)).drifted is None:
            n *= 2
            assert n <= 10_000, f"{name} gives no verdict on stationary data even at n={n}"
    return n


@pytest.mark.parametrize("name", METHODS)
def test_false_alarm_rate_is_bounded(name):
    spec = stats.get(name)
    kind = primary_kind(name)
    replicates = 100 if not spec.is_cheap else 300
    n = _verdict_size(name, kind)
    rng = np.random.default_rng(5)
    verdicts = [spec(draw(kind, n, rng), draw(kind, n, rng)).drifted for _ in range(replicates)]
    assert None not in verdicts, f"{name}: no verdict in some replicates at n={n}"
    alarms = sum(verdicts)
    margin = ALPHA + 2 * math.sqrt(ALPHA * (1 - ALPHA) / replicates)
    assert alarms / replicates <= margin, f"{name}: {alarms}/{replicates} false alarms at n={n}"


@pytest.mark.parametrize("name", METHODS)
def test_too_small_gives_no_verdict_and_warns(name):
    kind = primary_kind(name)
    rng = np.random.default_rng(6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.get(name)(draw(kind, 0, rng), draw(kind, 50, rng))
    assert res.drifted is None
    assert any(issubclass(w.category, SmallSampleWarning) for w in caught)
    assert res.warnings


@pytest.mark.parametrize("name", METHODS)
def test_missing_values_are_counted(name):
    kind = primary_kind(name)
    rng = np.random.default_rng(7)
    a = draw(kind, 200, rng).astype(object)
    a[:7] = None if kind != "numerical" else np.nan
    if kind == "numerical":
        a = a.astype(float)
        a[7] = np.inf
    res = stats.get(name)(a, draw(kind, 200, rng))
    assert res.n_missing_reference == (8 if kind == "numerical" else 7)
    assert res.n_reference == 200 - res.n_missing_reference


@pytest.mark.parametrize("name", METHODS)
def test_bad_alpha_names_the_parameter(name):
    kind = primary_kind(name)
    rng = np.random.default_rng(8)
    with pytest.raises(ValueError, match="alpha"):
        stats.get(name)(draw(kind, 50, rng), draw(kind, 50, rng), alpha=1.5)
