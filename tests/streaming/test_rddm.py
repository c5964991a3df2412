"""RDDM (no river oracle): the same drifts and warnings as a line-by-line transliteration of the
authors' MOA code, hand-derived statistics, the silent recomputation and the warning limit,
false alarms and delays, pinned indices, and the streaming protocol."""

from __future__ import annotations

import json
import math
import sys
from itertools import pairwise

import numpy as np
import pytest

from driftline.errors import DataError, ParameterError
from driftline.streaming._rddm import RDDM
from tests.streaming._streams import _run

PARAMS = {
    "defaults": {},
    "short-concepts": {"max_size_concept": 1_500, "min_size_stable_concept": 500, "warning_limit": 100},
    "ddm-levels": {"min_instances": 30, "warning_level": 2.0, "drift_level": 3.0, "max_size_concept": 800,
                   "min_size_stable_concept": 300, "warning_limit": 50},
    "no-warning-zone": {"min_instances": 60, "warning_level": 2.5, "drift_level": 2.0,
                        "max_size_concept": 1_500, "min_size_stable_concept": 600},
}
KINDS = ("none", "abrupt", "gradual")
MAX = sys.float_info.max


class MoaRDDM:
    """``moa.classifiers.core.driftdetection.RDDM.input`` transliterated line by line (MOA's
    names; 1.0 = error)."""

    def __init__(self, min_instances=129, warning_level=1.773, drift_level=2.258, max_size_concept=40_000,
                 min_size_stable_concept=7_000, warning_limit=1_400):
        self.minNumInstances, self.warningLevel, self.driftLevel = min_instances, warning_level, drift_level
        self.maxSizeConcept, self.minSizeStableConcept = max_size_concept, min_size_stable_concept
        self.warnLimit = warning_limit
        self.isInitialized = self.isChangeDetected = self.isWarningZone = False

    def initialize(self):
        self.storedPredictions = [0] * self.minSizeStableConcept
        self.numStoredInstances, self.firstPos, self.lastPos = 0, 0, -1
        self.lastWarnPos, self.lastWarnInst, self.instNum = -1, -1, 0
        self.rddmDrift = self.isChangeDetected = False
        self.resetLearning()
        self.m_pmin = self.m_smin = self.m_psmin = MAX

    def resetLearning(self):
        self.m_n, self.m_p, self.m_s = 1, 1.0, 0.0
        if self.isChangeDetected:
            self.m_pmin = self.m_smin = self.m_psmin = MAX

    def input(self, prediction):  # one method, like the Java
        if not self.isInitialized:
            self.initialize()
            self.isInitialized = True
        if self.rddmDrift:
            self.resetLearning()
            if self.lastWarnPos != -1:
                self.firstPos = self.lastWarnPos
                self.numStoredInstances = self.lastPos - self.firstPos + 1
                if self.numStoredInstances <= 0:
                    self.numStoredInstances += self.minSizeStableConcept
            pos = self.firstPos
            for _ in range(self.numStoredInstances):
                self.m_p = self.m_p + (self.storedPredictions[pos] - self.m_p) / self.m_n
                self.m_s = math.sqrt(self.m_p * (1 - self.m_p) / self.m_n)
                if self.isChangeDetected and self.m_n > self.minNumInstances and \
                        self.m_p + self.m_s < self.m_psmin:
                    self.m_pmin, self.m_smin, self.m_psmin = self.m_p, self.m_s, self.m_p + self.m_s
                self.m_n += 1
                pos = (pos + 1) % self.minSizeStableConcept
            self.lastWarnPos = self.lastWarnInst = -1
            self.rddmDrift = self.isChangeDetected = False
        self.lastPos = (self.lastPos + 1) % self.minSizeStableConcept
        self.storedPredictions[self.lastPos] = int(prediction)
        if self.numStoredInstances < self.minSizeStableConcept:
            self.numStoredInstances += 1
        else:
            self.firstPos = (self.firstPos + 1) % self.minSizeStableConcept
            if self.lastWarnPos == self.lastPos:
                self.lastWarnPos = -1
        self.m_p = self.m_p + (prediction - self.m_p) / self.m_n
        self.m_s = math.sqrt(self.m_p * (1 - self.m_p) / self.m_n)
        self.instNum += 1
        self.m_n += 1
        self.isWarningZone = False
        if self.m_n <= self.minNumInstances:
            return
        if self.m_p + self.m_s < self.m_psmin:
            self.m_pmin, self.m_smin, self.m_psmin = self.m_p, self.m_s, self.m_p + self.m_s
        if self.m_p + self.m_s > self.m_pmin + self.driftLevel * self.m_smin:
            self.isChangeDetected = self.rddmDrift = True
            if self.lastWarnInst == -1:
                self.firstPos, self.numStoredInstances = self.lastPos, 1
            return
        if self.m_p + self.m_s > self.m_pmin + self.warningLevel * self.m_smin:
            if self.lastWarnInst != -1 and self.lastWarnInst + self.warnLimit <= self.instNum:
                self.isChangeDetected = self.rddmDrift = True
                self.firstPos, self.numStoredInstances = self.lastPos, 1
                self.lastWarnPos = self.lastWarnInst = -1
                return
            self.isWarningZone = True
            if self.lastWarnInst == -1:
                self.lastWarnInst, self.lastWarnPos = self.instNum, self.lastPos
        else:
            self.lastWarnInst = self.lastWarnPos = -1
        if self.m_n > self.maxSizeConcept and not self.isWarningZone:
            self.rddmDrift = True


def _stream(seed: int, kind: str, n: int = 4_000) -> list[int]:
    """Error bits whose rate stays put ("none"), rises at a random point ("abrupt") or ramps
    up from there ("gradual")."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.02, 0.35)
    at, width = int(rng.integers(n // 5, 3 * n // 5)), int(rng.integers(100, 1_500))
    ramp = np.clip((np.arange(n) - at) / (width if kind == "gradual" else 1), 0, 1)
    p = p0 + (0.0 if kind == "none" else rng.uniform(0.03, 0.4)) * ramp
    return (rng.random(n) < p).astype(int).tolist()




def _run_moa(moa, xs) -> tuple[list[int], list[int]]:
    drifts, warnings = [], []
    for i, x in enumerate(xs):
        moa.input(float(x))
        if moa.isChangeDetected:
            drifts.append(i)
        if moa.isWarningZone:
            warnings.append(i)
    return drifts, warnings


@pytest.mark.parametrize("name", PARAMS)
def test_fires_and_warns_where_moa_does(name):
    """50 seeded streams per parameter set (200 in all): no drift, abrupt and gradual."""
    fired = 0
    for seed in range(50):
        xs = _stream(seed, KINDS[seed % 3])
        ours = _run(RDDM(**PARAMS[name]), xs)
        assert ours == _run_moa(MoaRDDM(**PARAMS[name]), xs), (name, seed)
        assert RDDM(**PARAMS[name]).update_many(xs).tolist() == ours[0]
        fired += bool(ours[0])
    assert fired > 20


def test_the_statistics_match_moa_bit_for_bit():
    xs = _stream(5, "abrupt")
    ours, moa = RDDM(**PARAMS["short-concepts"]), MoaRDDM(**PARAMS["short-concepts"])
    for x in xs:
        ours.update(x)
        moa.input(float(x))
        assert (ours.n, ours.p, ours.s, ours.ps_min) == (moa.m_n, moa.m_p, moa.m_s, moa.m_psmin)


def test_hand_derived_statistics():
    """n starts at 1 and p at 1, so the first prediction sets p: after an error p = 1, then a
    correct prediction gives p = 1 + (0 - 1)/2 = 0.5 and s = sqrt(0.5 * 0.5 / 2)."""
    det = RDDM()
    det.update(1)
    assert (det.n, det.p, det.s) == (2, 1.0, 0.0)
    det.update(0)
    assert (det.n, det.p, det.s) == (3, 0.5, math.sqrt(0.125))
    det.update(0)
    assert det.p == pytest.approx(1 / 3, rel=1e-15)


def test_a_long_concept_is_recomputed_silently_from_the_stored_predictions():
    det = RDDM(min_instances=30, max_size_concept=300, min_size_stable_concept=100)
    xs = [1] + [0] * 301  # p + s falls at every step: no warning, no drift
    ns = []
    for x in xs:
        det.update(x)
        ns.append(det.n)
        assert not det.drift_detected
    assert ns[298:] == [300, 301, 102, 103]  # after n > 300: the last 100 predictions replayed


def test_a_warning_that_lasts_becomes_a_drift():
    rng = np.random.default_rng(1)
    xs = (rng.random(3_000) < np.where(np.arange(3_000) < 1_000, 0.2, 0.26)).astype(int).tolist()
    params = {"min_instances": 30, "warning_level": 1.0, "drift_level": 5.0, "warning_limit": 40}
    drifts, warnings = _run(RDDM(**params), xs)
    assert drifts and _run(RDDM(**{**params, "drift_level": 5.0, "warning_limit": 20_000}), xs)[0] == []
    first = drifts[0]
    assert set(range(first - 40, first)) <= set(warnings)  # 40 warnings in a row, then a drift
    assert _run_moa(MoaRDDM(**params), xs) == (drifts, warnings)


def test_false_alarms_are_bounded_on_stationary_streams():
    """RDDM's levels (1.773 and 2.258 deviations) are DDM's made more sensitive: on steady
    error rates from 0.1 to 0.3 it raises about 0.5–0.9 false alarms per 1,000 predictions,
    as MOA's code does."""
    alarms = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        alarms += RDDM().update_many((rng.random(2_000) < rng.uniform(0.1, 0.3)).astype(int)).size
    assert alarms / (100 * 2_000) < 1.2e-3


def test_catches_an_abrupt_rise_of_the_error_rate_soon():
    delays = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        p = np.where(np.arange(3_000) < 2_000, 0.1, 0.4)
        hits = RDDM().update_many((rng.random(3_000) < p).astype(int))
        after = hits[hits >= 2_000]
        delays.append(int(after[0]) - 2_000 if after.size else 10**6)
    assert max(delays) <= 200 and np.median(delays) <= 50


@pytest.mark.parametrize(("seed", "kind", "params", "expected"), [
    (1, "abrupt", "defaults", [239, 2080, 2151]),
    (2, "gradual", "defaults", [1152, 1223, 1518]),
    (3, "none", "defaults", [223, 2179]),
    (4, "abrupt", "short-concepts", [376, 1463, 1789, 2241, 2788]),
], ids=["abrupt", "gradual", "none", "abrupt-short-concepts"])
def test_pinned_detections(seed, kind, params, expected):
    assert RDDM(**PARAMS[params]).update_many(_stream(seed, kind)).tolist() == expected


def test_update_many_equals_a_loop_in_any_chunks():
    xs = _stream(5, "abrupt", 6_000)
    looped = RDDM(**PARAMS["ddm-levels"])
    drifts, _ = _run(looped, xs)
    assert len(drifts) > 3
    chunked = RDDM(**PARAMS["ddm-levels"])
    cuts = [0, drifts[0] + 1, drifts[1], 4_000, len(xs)]  # a chunk ends on a drift
    got = [int(i) + a for a, b in pairwise(cuts) for i in chunked.update_many(xs[a:b])]
    assert got == drifts
    assert chunked.to_state() == looped.to_state()


def test_reset_starts_over():
    det = RDDM()
    det.update_many(_stream(1, "abrupt"))
    det.reset()
    assert det.to_state() == RDDM().to_state()


@pytest.mark.parametrize("cut", [0, 100, 1000, 2080, 2081, 3500], ids=lambda c: f"cut-{c}")
def test_json_state_continues_exactly(cut):
    """Saved mid-stream, including on the drift update itself (2080), with the stored
    predictions as one string, the stream continues as if it had never stopped."""
    xs = _stream(1, "abrupt")
    whole = _run(RDDM(), xs)
    head = RDDM()
    first = _run(head, xs[:cut])
    text = json.dumps(head.to_state(), allow_nan=False)
    assert len(text) < 8_000  # 7,000 stored predictions, one character each
    resumed = RDDM.from_state(json.loads(text))
    rest = _run(resumed, xs[cut:])
    assert (first[0] + [i + cut for i in rest[0]], first[1] + [i + cut for i in rest[1]]) == whole


@pytest.mark.parametrize("bad", [2, 0.5, -1, math.nan])
def test_values_other_than_zero_or_one_are_refused_before_any_value_is_fed(bad):
    det = RDDM()
    with pytest.raises(DataError, match=r"RDDM\.update: x must be 1 \(error\) or 0 \(correct\)"):
        det.update(bad)
    with pytest.raises(DataError, match=r"RDDM\.update_many: xs\[2\] must be 1 \(error\) or 0 \(correct\)"):
        det.update_many([1, 0, bad, 1])
    assert det.to_state() == RDDM().to_state()


@pytest.mark.parametrize(("params", "message"), [
    ({"min_instances": -1}, "min_instances must be an integer >= 0; got -1."),
    ({"warning_level": 0}, "warning_level must be a finite float > 0; got 0."),
    ({"drift_level": math.inf}, "drift_level must be a finite float > 0; got inf."),
    ({"max_size_concept": 0}, "max_size_concept must be an integer >= 1; got 0."),
    ({"min_size_stable_concept": 2.5}, "min_size_stable_concept must be an integer >= 1; got 2.5."),
    ({"warning_limit": True}, "warning_limit must be an integer >= 1; got True."),
    ({"max_size_concept": 7_001}, r"max_size_concept must be an integer >= min_size_stable_concept \+ 2 "
                                  r"\(= 7002\); got 7001. Otherwise every update would recompute"),
])
def test_parameter_errors_name_the_parameter(params, message):
    with pytest.raises(ParameterError, match=message):
        RDDM(**params)
