"""Paired bootstrap validation: challenger b against champion a on the same rows."""

from __future__ import annotations

import json

import numpy as np
import pytest

from driftline import metrics
from driftline.errors import ParameterError


def labels_and_models(n: int = 600, seed: int = 0, right_a: float = 0.85, right_b: float = 0.85):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    a = np.where(rng.random(n) < right_a, y, 1 - y)
    b = np.where(rng.random(n) < right_b, y, 1 - y)
    return y, a, b


def regression_models(n: int = 500, seed: int = 1, noise_b: float = 1.0):
    rng = np.random.default_rng(seed)
    y = rng.normal(0, 2, n)
    return y, y + rng.normal(0, 1.0, n), y + rng.normal(0, noise_b, n)


@pytest.mark.parametrize("margin", [0.0, 0.02])
def test_identical_models_pass_with_a_zero_difference(margin):
    y, a, _ = labels_and_models()
    c = metrics.paired_bootstrap("accuracy", y, a, a, margin=margin)
    assert (c.diff, c.lower, c.upper) == (0.0, 0.0, 0.0)
    assert c.decision == "pass" and c.passed


def test_identical_scores_pass_for_every_score_metric():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300)
    s = np.clip(0.3 * y + rng.uniform(0, 0.7, 300), 0, 1)
    for name in ("roc_auc", "pr_auc", "log_loss"):
        c = metrics.paired_bootstrap(name, y, s, s, margin=0.01)
        assert c.decision == "pass" and c.diff == 0.0, name


def test_a_clearly_worse_challenger_fails():
    y, a, b = labels_and_models(right_a=0.9, right_b=0.7)
    c = metrics.paired_bootstrap("accuracy", y, a, b, margin=0.02)
    assert c.decision == "fail" and c.upper < -0.02 and c.diff < 0
    assert "worse by more than the margin" in c.reason


def test_lower_is_better_metrics_flip_the_rule():
    y, a, worse = regression_models(noise_b=2.0)
    c = metrics.paired_bootstrap("rmse", y, a, worse, margin=0.1)
    assert not c.higher_is_better and c.diff > 0 and c.lower > 0.1 and c.decision == "fail"
    _, a, better = regression_models(noise_b=0.5)
    assert metrics.paired_bootstrap("rmse", y, a, better, margin=0.1).decision == "pass"


def test_a_challenger_within_noise_of_a_zero_margin_defers():
    y, a, b = labels_and_models(n=400, seed=3, right_a=0.8, right_b=0.8)
    c = metrics.paired_bootstrap("accuracy", y, a, b, margin=0.0)
    assert c.lower < 0 <= c.upper and c.decision == "defer" and "straddles" in c.reason


def test_tiny_n_defers():
    y, a, b = labels_and_models(n=12, right_a=1.0, right_b=0.0)
    c = metrics.paired_bootstrap("accuracy", y, a, b, margin=0.05)
    assert c.decision == "defer" and c.n == 12 and "min_n=30" in c.reason
    assert metrics.paired_bootstrap("accuracy", y, a, b, min_n=10).decision == "fail"


def test_seeded_and_reproducible():
    y, a, b = labels_and_models(seed=4, right_b=0.83)
    one = metrics.paired_bootstrap("accuracy", y, a, b, margin=0.01, seed=7)
    assert metrics.paired_bootstrap("accuracy", y, a, b, margin=0.01, seed=7) == one
    assert metrics.paired_bootstrap("accuracy", y, a, b, margin=0.01, seed=8) != one
    json.dumps(one.to_dict(), allow_nan=False)


def test_pairing_resamples_the_same_rows_for_both_models():
    # b differs from a on exactly one row: any resample moves both together except there.
    y, a, _ = labels_and_models(n=500, seed=5)
    b = a.copy()
    b[0] = 1 - b[0]
    c = metrics.paired_bootstrap("accuracy", y, a, b, n_boot=500)
    assert c.upper - c.lower <= 4 / 500


def test_paired_interval_is_narrower_than_the_unpaired_difference():
    # Correlated models (b is a plus a little noise): pairing cancels the rows' shared luck.
    y, a, _ = regression_models()
    b = a + np.random.default_rng(6).normal(0, 0.2, a.size)
    c = metrics.paired_bootstrap("mae", y, a, b)
    band_a, band_b = metrics.metric_band("mae", y, a), metrics.metric_band("mae", y, b)
    assert c.upper - c.lower < 0.5 * (band_a.width + band_b.width)


def test_a_metric_undefined_on_the_rows_defers_with_the_reason():
    y = np.ones(50, dtype=int)
    s = np.linspace(0, 1, 50)
    c = metrics.paired_bootstrap("roc_auc", y, s, s, classes=[0, 1])
    assert c.decision == "defer" and "only one class" in c.reason
    assert c.to_dict()["value_a"] is None


def test_labels_seen_only_in_the_challenger_are_handled():
    y = np.array(["a", "b"] * 30)
    c = metrics.paired_bootstrap("accuracy", y, y, np.where(np.arange(60) < 2, "z", y), margin=0.1)
    assert c.value_b == pytest.approx(58 / 60) and c.decision == "pass"


def test_a_metric_function_needs_its_direction():
    y, a, b = regression_models()

    def medae(t, p):
        return float(np.median(np.abs(t - p)))

    with pytest.raises(ParameterError, match="higher_is_better"):
        metrics.paired_bootstrap(medae, y, a, b)
    c = metrics.paired_bootstrap(medae, y, a, a, higher_is_better=False, n_boot=50, margin=0.01)
    assert c.metric == "medae" and c.decision == "pass"


def test_the_direction_can_be_overridden():
    y, a, b = labels_and_models(right_a=0.9, right_b=0.7)
    c = metrics.paired_bootstrap("accuracy", y, a, b, higher_is_better=False)
    assert c.decision == "pass" and not c.higher_is_better


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"margin": -0.1}, "margin must be a finite float >= 0; got -0.1"),
    ({"min_n": 1}, "min_n must be an integer >= 2; got 1"),
    ({"level": 0}, "level must be a float in (0, 1)"),
    ({"n_boot": 3}, "n_boot must be an integer >= 10"),
    ({"higher_is_better": "yes"}, "higher_is_better must be True, False or None"),
])
def test_parameters_are_checked(kwargs, words):
    y, a, b = labels_and_models(n=40)
    with pytest.raises(ParameterError) as info:
        metrics.paired_bootstrap("accuracy", y, a, b, **kwargs)
    assert words in str(info.value)


def test_input_errors_name_the_model():
    y, a, b = labels_and_models(n=40)
    with pytest.raises(ValueError, match="y_true and b"):
        metrics.paired_bootstrap("accuracy", y, a, b[:-1])
