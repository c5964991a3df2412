"""Every streaming detector keeps the protocol (STYLE §4): update_many gives what a loop of
update gives, reset starts over, and the JSON state continues a stream exactly."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import numpy as np
import pytest

import driftline.streaming as streaming
from driftline.errors import DataError
from driftline.streaming import DriftDetector


def _detectors() -> list[type[DriftDetector]]:
    found = {}
    for info in pkgutil.iter_modules(streaming.__path__):
        mod = importlib.import_module(f"driftline.streaming.{info.name}")
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, DriftDetector) and obj is not DriftDetector and \
                    obj.__module__ == mod.__name__:
                found[obj.__name__] = obj
    return [found[k] for k in sorted(found)]


DETECTORS = _detectors()

# detectors that need more than their defaults to exist (a reference sample)
_FACTORIES = {
    "KSWIN": lambda cls: cls(seed=0),  # river's default seed=None draws from the OS
    "OnlineCVM": lambda cls: cls(np.random.default_rng(0).random(500), ert=300, window_size=30,
                                 n_bootstraps=200),
}


def _make(cls):
    return _FACTORIES.get(cls.__name__, lambda c: c())(cls)


def _stream(seed: int, n: int = 3_000) -> np.ndarray:
    """Error bits whose rate jumps from 0.1 to 0.5 in the middle (in [0, 1] for every kind)."""
    rng = np.random.default_rng(seed)
    p = np.where(np.arange(n) < n // 2, 0.1, 0.5)
    return (rng.random(n) < p).astype(float)


def _loop(det: DriftDetector, xs: np.ndarray) -> tuple[list[int], list[int]]:
    drifts, warnings = [], []
    for i, x in enumerate(xs):
        det.update(float(x))
        if det.drift_detected:
            drifts.append(i)
        if det.warning_detected:
            warnings.append(i)
    return drifts, warnings


def test_there_are_detectors():
    assert {"ADWIN", "DDM", "EDDM", "HDDM_A", "HDDM_W"} <= {c.__name__ for c in DETECTORS}


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.__name__)
def test_update_many_equals_a_loop_of_update(cls):
    for seed in range(5):
        xs = _stream(seed)
        looped, _ = _loop(_make(cls), xs)
        many = _make(cls)
        assert many.update_many(xs).tolist() == looped
        after = _make(cls)
        _loop(after, xs)
        assert many.to_state() == after.to_state()  # the same state afterwards


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.__name__)
def test_the_json_state_continues_a_stream_exactly(cls):
    xs = _stream(7, 4_000)
    whole, whole_warn = _loop(_make(cls), xs)
    first = _make(cls)
    _loop(first, xs[:1_700])
    text = json.dumps(first.to_state(), allow_nan=False)  # strict JSON, never pickle
    resumed = cls.from_state(json.loads(text))
    rest, rest_warn = _loop(resumed, xs[1_700:])
    head, head_warn = _loop(_make(cls), xs[:1_700])
    assert head + [i + 1_700 for i in rest] == whole
    assert head_warn + [i + 1_700 for i in rest_warn] == whole_warn
    assert cls.from_state(first.to_json()).to_state() == first.to_state()


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.__name__)
def test_reset_starts_over(cls):
    xs = _stream(3)
    det = _make(cls)
    _loop(det, xs)
    det.reset()
    assert not det.drift_detected and not det.warning_detected
    assert det.to_state() == _make(cls).to_state()
    assert _loop(det, xs) == _loop(_make(cls), xs)


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.__name__)
def test_documented_with_a_reference_and_an_example(cls):
    doc = inspect.getdoc(cls) or ""
    assert ">>>" in doc and any(str(y) in doc for y in range(1954, 2027)), cls.__name__
    assert repr(_make(cls)).startswith(f"{cls.__name__}(")


def test_a_state_of_another_detector_is_refused():
    a, b = DETECTORS[0], DETECTORS[1]
    with pytest.raises(Exception, match="saved state"):
        b.from_state(_make(a).to_state())


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.__name__)
def test_a_bad_value_in_update_many_refuses_the_whole_batch(cls):
    """One convention for every detector: the batch is checked first; the first bad value
    raises the error update would raise, named by its index; the detector is untouched."""
    det = _make(cls)
    xs = _stream(11)
    first = det.update_many(xs)  # a detector mid-stream, with a drift behind it where it has one
    assert first.size or cls.__name__ in ("ADWIN", "KSWIN", "OnlineCVM", "PageHinkley", "CUSUM")
    state = det.to_state()
    with pytest.raises(Exception) as one:
        _make(cls).update(np.nan)
    with pytest.raises(type(one.value)) as many:
        det.update_many([0.0, 1.0, np.nan, 0.0, np.nan])
    assert str(many.value).split(" must be ", 1)[1] == str(one.value).split(" must be ", 1)[1]
    assert "xs[2] must be" in str(many.value) and "x must be" in str(one.value)
    assert det.to_state() == state
    assert _loop(det, xs[:300]) == _loop(cls.from_state(state), xs[:300])  # and it carries on


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.__name__)
def test_update_many_takes_lists_arrays_and_nothing(cls):
    xs = _stream(12, 400)
    assert _make(cls).update_many(xs.tolist()).tolist() == _make(cls).update_many(xs).tolist()
    empty = _make(cls).update_many([])
    assert empty.dtype == np.int64 and empty.size == 0
    with pytest.raises(DataError, match="xs must be a sequence of numbers"):
        _make(cls).update_many(["a", "b"])


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.__name__)
def test_integer_and_bool_arrays_give_what_floats_give(cls):
    """Detectors that take any finite number skip the check for integer arrays (every integer
    is finite); the hits and the state are those of the same values as floats."""
    xs = _stream(13, 2_000)
    as_float, as_int, as_bool = _make(cls), _make(cls), _make(cls)
    expected = as_float.update_many(xs).tolist()
    assert as_int.update_many(xs.astype(np.int64)).tolist() == expected
    assert as_bool.update_many(xs.astype(bool)).tolist() == expected
    assert as_int.to_state() == as_float.to_state() == as_bool.to_state()
    if cls._takes_any_finite:  # large integers are finite too
        _make(cls).update_many(np.array([2**62, -(2**62), 0], dtype=np.int64))
