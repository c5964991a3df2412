"""Property tests over every registered method (STYLE §8.3): p-values in [0, 1], distances
non-negative and zero on identical samples, symmetry where the maths has it, and invariance to
row order."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftline import stats

from .conftest import LEVELS, primary_kind

METHODS = stats.available()
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _settings(name: str):
    """Fewer examples for the permutation and quadratic methods, which cost more per call."""
    examples = 25 if stats.get(name).is_cheap else 8
    return settings(max_examples=examples, deadline=None, suppress_health_check=_HEALTH)


def _samples(kind: str, min_n: int) -> st.SearchStrategy:
    size = st.integers(min_value=max(min_n, 2), max_value=max(min_n, 2) + 60)
    if kind == "numerical":
        elem = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
        mixed = st.one_of(elem, st.integers(-5, 5).map(float))  # ties matter
        return size.flatmap(lambda n: st.lists(mixed, min_size=n, max_size=n))
    labels = ["yes", "no"] if kind == "binary" else list(LEVELS)
    return size.flatmap(lambda n: st.lists(st.sampled_from(labels), min_size=n, max_size=n))


def _run(name, a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kind = primary_kind(name)
        arr = (lambda x: np.asarray(x, dtype=float)) if kind == "numerical" else (
            lambda x: np.asarray(x, dtype=object))
        return stats.get(name)(arr(a), arr(b))


def _pair(name):
    spec = stats.get(name)
    kind = primary_kind(name)
    return st.tuples(_samples(kind, spec.min_n), _samples(kind, spec.min_n))


def _close(x: float, y: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("name", METHODS)
def test_p_value_in_unit_interval_and_distance_non_negative(name):
    @_settings(name)
    @given(_pair(name))
    def check(pair):
        res = _run(name, *pair)
        if res.p_value is not None:
            assert 0.0 <= res.p_value <= 1.0
        if not stats.get(name).has_p_value and not math.isnan(res.statistic):
            assert res.statistic >= 0.0

    check()


@pytest.mark.parametrize("name", METHODS)
def test_identical_samples(name):
    @_settings(name)
    @given(_samples(primary_kind(name), stats.get(name).min_n))
    def check(a):
        res = _run(name, a, list(a))
        assert res.drifted is not True
        if not stats.get(name).has_p_value and not math.isnan(res.statistic):
            assert res.statistic == 0.0

    check()


@pytest.mark.parametrize("name", [m for m in METHODS if stats.get(m).symmetric])
def test_symmetric(name):
    @_settings(name)
    @given(_pair(name))
    def check(pair):
        a, b = pair
        assert _close(_run(name, a, b).statistic, _run(name, b, a).statistic)

    check()


@pytest.mark.parametrize("name", METHODS)
def test_invariant_to_row_order(name):
    @_settings(name)
    @given(_pair(name), st.randoms(use_true_random=False))
    def check(pair, rnd):
        a, b = pair
        a2, b2 = list(a), list(b)
        rnd.shuffle(a2)
        rnd.shuffle(b2)
        r1, r2 = _run(name, a, b), _run(name, a2, b2)
        assert _close(r1.statistic, r2.statistic)
        if r1.p_value is not None:
            assert r2.p_value is not None and _close(r1.p_value, r2.p_value)

    check()
