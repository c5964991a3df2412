"""BBSD: KS on predicted probabilities with Bonferroni (soft), χ² on predicted labels (hard)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.drift import bbsd_hard, bbsd_soft
from driftline.errors import DataError, ParameterError

ALPHA = 0.05
REPLICATES = 200
BOUND = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / REPLICATES)


def test_soft_false_positive_rate_under_h0():
    alarms = 0
    for s in range(REPLICATES):
        rng = np.random.default_rng(s)
        r = bbsd_soft(rng.dirichlet([2, 2, 2], 150), rng.dirichlet([2, 2, 2], 150), alpha=ALPHA)
        alarms += bool(r.drifted)
    assert alarms / REPLICATES <= BOUND


def test_hard_false_positive_rate_under_h0():
    alarms = 0
    for s in range(REPLICATES):
        rng = np.random.default_rng(s)
        p = [0.5, 0.3, 0.2]
        alarms += bool(bbsd_hard(rng.choice(3, p=p, size=150), rng.choice(3, p=p, size=150)).drifted)
    assert alarms / REPLICATES <= BOUND


def test_power_under_label_shift():
    soft = hard = 0
    for s in range(50):
        rng = np.random.default_rng(1000 + s)
        soft += bool(bbsd_soft(rng.dirichlet([2, 2, 2], 300), rng.dirichlet([3, 2, 2], 300)).drifted)
        ref = rng.choice(3, p=[0.5, 0.3, 0.2], size=300)
        hard += bool(bbsd_hard(ref, rng.choice(3, p=[0.3, 0.4, 0.3], size=300)).drifted)
    assert soft >= 45 and hard >= 45


def test_soft_result_carries_bonferroni_per_class():
    rng = np.random.default_rng(0)
    r = bbsd_soft(rng.dirichlet([2, 2, 2], 400), rng.dirichlet([5, 2, 2], 400),
                  classes=["a", "b", "c"])
    assert r.classes == ("a", "b", "c") and len(r.tests) == 3
    for t in r.tests:
        assert t.method == "ks" and t.correction == "bonferroni"
        assert t.p_value_adjusted == pytest.approx(min(1.0, 3 * t.p_value))
        assert t.drifted == (t.p_value_adjusted <= ALPHA)
    assert r.p_value == min(t.p_value_adjusted for t in r.tests)
    assert r.drifted and r.tests[0].drifted
    d = r.to_dict()
    assert d["method"] == "bbsd_soft" and d["tests"][0]["correction"] == "bonferroni"


def test_one_dimensional_scores_are_one_column():
    rng = np.random.default_rng(0)
    r = bbsd_soft(rng.beta(2, 5, 300), rng.beta(2, 5, 300))
    assert r.classes == ("0",) and r.tests[0].p_value_adjusted == r.tests[0].p_value


def test_hard_accepts_string_labels_and_unseen_classes():
    r = bbsd_hard(["a"] * 50 + ["b"] * 50, ["a"] * 40 + ["b"] * 40 + ["c"] * 20)
    assert r.method == "chi_square" and r.drifted


def test_errors_name_the_parameter():
    rng = np.random.default_rng(0)
    probas = rng.dirichlet([1, 1], 20)
    with pytest.raises(ParameterError, match="alpha"):
        bbsd_soft(probas, probas, alpha=1.5)
    with pytest.raises(ParameterError, match="classes"):
        bbsd_soft(probas, probas, classes=["a"])
    with pytest.raises(DataError, match="same number of columns"):
        bbsd_soft(probas, rng.dirichlet([1, 1, 1], 20))
    with pytest.raises(DataError, match="current_probas"):
        bbsd_soft(probas, np.array(["x"] * 20))
    with pytest.raises(DataError, match="predict_proba"):
        bbsd_hard([0, 1], probas)
    with pytest.raises(ParameterError, match="alpha"):
        bbsd_hard([0, 1], [1, 0], alpha=0)
