"""The update_many kernels (driftline.streaming._accel): compiled with numba and in pure
Python they give the same drifts and the same state, both the same as a loop of update, in one
batch or in many; without numba (not installed) the pure path runs, and importing the
package never imports numba."""

from __future__ import annotations

import importlib
import itertools
import json
import os
import pkgutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import driftline.streaming as streaming
from driftline.errors import ParameterError
from driftline.streaming import (
    ADWIN,
    CUSUM,
    DDM,
    EDDM,
    FHDDM,
    HDDM_A,
    HDDM_W,
    KSWIN,
    RDDM,
    STEPD,
    DriftDetector,
    PageHinkley,
    _accel,
)

from ._streams import _run, _steps, _stream

numba = pytest.importorskip("numba")  # the dev extra installs it; both paths are compared


def _kernels() -> dict[str, _accel.Kernel]:
    """The detector kernels, by module: the module's ``_<name>_run``."""
    found = {}
    for info in pkgutil.iter_modules(streaming.__path__):
        mod = importlib.import_module(f"driftline.streaming.{info.name}")
        for name, obj in vars(mod).items():
            if isinstance(obj, _accel.Kernel) and name.endswith("_run"):
                found[info.name] = obj
    return found


KERNELS = _kernels()

# Every detector with a kernel, in several configurations, and whether it takes reals.
CONFIGS: dict[str, tuple[type[DriftDetector], list[dict], bool]] = {
    "_adwin": (ADWIN, [{}, {"clock": 1}, {"delta": 0.1, "clock": 7, "max_buckets": 2},
                       {"delta": 0.01, "clock": 1, "max_buckets": 3, "min_window_length": 1,
                        "grace_period": 0}], True),
    "_ddm": (DDM, [{}, {"warm_start": 0, "warning_threshold": 1.0, "drift_threshold": 1.5}], True),
    "_eddm": (EDDM, [{}, {"warm_start": 5, "alpha": 0.8, "beta": 0.75}], False),
    "_hddm_a": (HDDM_A, [{}, {"two_sided_test": True, "drift_confidence": 0.01, "warning_confidence": 0.05}],
                True),
    "_hddm_w": (HDDM_W, [{}, {"two_sided_test": True, "lambda_val": 0.2}], True),
    "_page_hinkley": (PageHinkley, [{"threshold": 5.0}, {"mode": "up", "threshold": 3.0, "alpha": 1.0},
                                    {"mode": "down", "threshold": 3.0, "min_instances": 0}], True),
    "_cusum": (CUSUM, [{}, {"min_instances": 2, "delta": 0.2, "threshold": 4.0}], True),
    "_fhddm": (FHDDM, [{}, {"window_size": 25, "delta": 0.01}], False),
    "_stepd": (STEPD, [{}, {"window_size": 10, "alpha_warning": 0.1, "alpha_drift": 0.05}], False),
    "_rddm": (RDDM, [{}, {"min_instances": 30, "max_size_concept": 400, "min_size_stable_concept": 200,
                          "warning_limit": 40}], False),
    # the second and third draw their samples by random.sample's set branch, not its pool
    "_kswin": (KSWIN, [{"seed": 42, "alpha": 0.05},
                       {"seed": 1, "window_size": 50, "stat_size": 3, "alpha": 0.2},
                       {"seed": 5, "window_size": 200, "stat_size": 6, "alpha": 0.1}], True),
}
# detectors whose fallback without numba is not their kernel (vectorised numpy, or a loop of
# update); their pure kernel is run directly
OTHER_FALLBACK = ("_adwin", "_fhddm", "_stepd", "_kswin")

CASES = [(mod, i) for mod, (_, params, _) in CONFIGS.items() for i in range(len(params))]
STREAMS = [(seed, kind, reals) for seed in range(4) for kind in ("none", "abrupt", "gradual")
           for reals in (False, True)]


def _streams(reals_ok: bool) -> list[np.ndarray]:
    out = [np.asarray(_stream(seed, kind, reals, down=seed % 2 == 1)) for seed, kind, reals in STREAMS
           if reals_ok or not reals]
    if reals_ok:
        out += [np.asarray(_steps(seed)) for seed in range(2)]
    return out


def _make(mod: str, i: int) -> DriftDetector:
    cls, params, _ = CONFIGS[mod]
    return cls(**params[i])


def _many(det: DriftDetector, xs: np.ndarray, mode: str) -> list[int]:
    with _accel.use(mode):
        return det.update_many(xs).tolist()


def test_every_kernel_is_tested():
    assert set(KERNELS) == set(CONFIGS)


@pytest.mark.parametrize(("mod", "i"), CASES, ids=[f"{m[1:]}-{i}" for m, i in CASES])
def test_compiled_pure_and_a_loop_of_update_agree(mod, i):
    fired = 0
    for s, xs in enumerate(_streams(CONFIGS[mod][2])):
        looped = _make(mod, i)
        drifts, _ = _run(looped, xs.tolist())
        fired += len(drifts)
        for mode in ("pure", "compiled"):
            det = _make(mod, i)
            assert _many(det, xs, mode) == drifts, mode
            assert det.to_state() == looped.to_state(), mode
            assert det.warning_detected == looped.warning_detected
        if mod in OTHER_FALLBACK and s % 4 == 0:  # the pure form of the kernel itself (slow: numpy scalars)
            det = _make(mod, i)
            assert det._kernel(KERNELS[mod].py_func, xs).tolist() == drifts  # type: ignore[attr-defined]
            assert det.to_state() == looped.to_state()
    assert fired > 0  # the streams exercise the restart after a drift


@pytest.mark.parametrize(("mod", "i"), CASES, ids=[f"{m[1:]}-{i}" for m, i in CASES])
@pytest.mark.parametrize("mode", ["pure", "compiled"])
def test_batches_with_saved_state_between_them_equal_one_batch(mod, i, mode):
    rng = np.random.default_rng(7)
    for xs in _streams(CONFIGS[mod][2])[::3]:
        whole = _make(mod, i)
        expected = _many(whole, xs, mode)
        cuts = sorted({0, xs.size, *rng.integers(0, xs.size, 6).tolist(), *expected[:2]})  # a cut at a drift
        det, got = _make(mod, i), []
        for a, b in itertools.pairwise(cuts):
            got += [a + j for j in _many(det, xs[a:b], mode)]
            det = type(det).from_state(json.loads(det.to_json()))
        assert got == expected
        assert det.to_state() == whole.to_state()


@pytest.mark.parametrize("mod", list(CONFIGS), ids=[m[1:] for m in CONFIGS])
@pytest.mark.parametrize("mode", ["pure", "compiled"])
def test_a_batch_may_end_on_a_drift_and_an_empty_batch_changes_nothing(mod, mode):
    xs = next(xs for xs in _streams(False) if _make(mod, 0).update_many(xs).size)
    first = int(_make(mod, 0).update_many(xs)[0])
    det = _make(mod, 0)
    assert _many(det, xs[:first + 1], mode) == [first] and det.drift_detected
    state = det.to_state()
    assert _many(det, np.array([]), mode) == [] and det.drift_detected and det.to_state() == state
    looped = _make(mod, 0)
    assert [first + 1 + i for i in _many(det, xs[first + 1:], mode)] == _run(looped, xs.tolist())[0][1:]
    assert det.to_state() == looped.to_state()


def test_a_long_stream_compiles_in_auto_mode_and_agrees():
    xs = (np.random.default_rng(1).random(_accel.COMPILE_AFTER + 1) < 0.2).astype(float)
    auto, pure = DDM(), DDM()
    assert auto.update_many(xs).tolist() == _many(pure, xs, "pure")
    assert auto.to_state() == pure.to_state()
    assert KERNELS["_ddm"].compiled() is not None


# -- the lazy switch -------------------------------------------------------------------------
@_accel.kernel
def _ones(xs, hits):
    k = 0
    for i, x in enumerate(xs):
        if x == 1.0:
            hits[k] = i
            k += 1
    return k


@_accel.kernel
def _ones_twice(xs, hits):
    return _ones(xs, hits) + _ones(xs, hits)  # a kernel calling a kernel


def test_a_kernel_compiles_once_enough_values_have_run_through_it(monkeypatch):
    monkeypatch.setattr(_accel, "COMPILE_AFTER", 100)
    k = _accel.Kernel(_ones.py_func)
    assert k.select(60) is None and k.select(30) is None  # 90 values: still pure
    compiled = k.select(10)
    assert compiled is not None and k.select(1) is compiled
    hits = np.empty(4, dtype=np.int64)
    xs = np.array([1.0, 0.0, 1.0, 1.0])
    assert compiled(xs, hits) == k(xs.tolist(), hits) == 3


def test_a_kernel_calls_the_compiled_form_of_the_kernels_it_calls():
    xs, hits = np.array([0.0, 1.0, 1.0]), np.empty(3, dtype=np.int64)
    assert _ones_twice.compiled()(xs, hits) == _ones_twice(xs.tolist(), hits) == 4
    assert _ones_twice.py_func is _ones_twice.pure


def test_modes():
    with pytest.raises(ParameterError, match="mode must be one of 'auto', 'pure', 'compiled'; got 'fast'"), \
            _accel.use("fast"):
        pass  # pragma: no cover
    with _accel.use("pure"):
        assert KERNELS["_ddm"].select(10**9) is None
    with _accel.use("compiled"):
        assert KERNELS["_ddm"].select(1) is KERNELS["_ddm"].compiled()


def _python(code: str, **env: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         check=True, env={**os.environ, **env})
    return out.stdout.strip()


def test_importing_and_small_batches_do_not_import_numba():
    out = _python("""
        import sys
        import driftline.streaming as s
        assert "numba" not in sys.modules
        s.ADWIN().update_many([0.0, 1.0] * 500)
        s.DDM().update_many([0.0, 1.0] * 500)
        print("numba" in sys.modules)
    """)
    assert out == "False"


def test_without_numba_the_pure_path_runs_and_agrees():
    xs = (np.random.default_rng(2).random(_accel.COMPILE_AFTER + 10) < 0.3).astype(float)
    code = f"""
        import sys, numpy as np
        sys.modules["numba"] = None  # as if it were not installed: importing it fails
        from driftline.errors import MissingDependencyError
        from driftline.streaming import EDDM, ADWIN, _accel
        xs = (np.random.default_rng(2).random({xs.size}) < 0.3).astype(float)
        print(EDDM().update_many(xs).tolist(), ADWIN().update_many(xs).tolist())
        print(_accel.numba_enabled(), sys.modules["numba"] is None)
        try:
            with _accel.use("compiled"):
                EDDM().update_many(xs[:10])
        except MissingDependencyError as exc:
            print(exc)
    """
    hits, flags, error = _python(code).splitlines()
    with _accel.use("compiled"):
        assert hits == f"{EDDM().update_many(xs).tolist()} {ADWIN().update_many(xs).tolist()}"
    assert flags == "False True"
    assert error.endswith("pip install 'driftline[fast]'")


@pytest.mark.parametrize("offset", [1e8, 1e15])
def test_adwin_kernel_agrees_when_sums_cancel(offset):
    """The compiled ADWIN's screen takes the newer part's sum as ``total - u0``, not as the
    chain of subtractions that the exact test computes; where sums cancel (a large offset,
    or large values of both signs) the two differ most, and it still fires where update does."""
    rng = np.random.default_rng(int(np.log10(offset)))
    steps = np.repeat(rng.normal(0.0, 1.0, 8), 500)
    signs = rng.choice([-1.0, 1.0], steps.size)
    for xs in (offset + steps + rng.normal(0.0, 0.5, steps.size), signs * offset + steps):
        for params in ({"clock": 4}, {"clock": 1, "max_buckets": 2, "min_window_length": 1}):
            looped = ADWIN(**params)
            drifts, _ = _run(looped, xs.tolist())
            det = ADWIN(**params)
            assert _many(det, xs, "compiled") == drifts
            assert det.to_state() == looped.to_state()


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e-9, 1.0, 1e9, 1e150, 1e300])
def test_adwin_kernel_agrees_at_every_scale(scale):
    """The compiled ADWIN screens splits with products of sums; at any magnitude (where the
    screen stands aside, or where the sums overflow) it still fires where update does."""
    rng = np.random.default_rng(int(np.log10(scale)) + 400)
    parts = [rng.normal(0.0, 1.0, 700), rng.normal(1.5, 1.0, 700), np.full(300, 0.25),
             rng.normal(-3.0, 0.1, 700)]
    for xs in (np.concatenate(parts) * scale, np.abs(np.concatenate(parts)) * scale):
        looped = ADWIN(clock=4)
        drifts, _ = _run(looped, xs.tolist())
        det = ADWIN(clock=4)
        assert _many(det, xs, "compiled") == drifts
        assert det.to_state() == looped.to_state()
