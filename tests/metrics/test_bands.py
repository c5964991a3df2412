"""Sampling-error bands: coverage on known data-generating processes, analytic against bootstrap,
the vectorised resampling against a plain loop, determinism and edge cases."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from driftline import metrics
from driftline.errors import ParameterError
from driftline.metrics import _bands
from driftline.metrics._inputs import Prepared, UndefinedMetricError

REPLICATES = 200
N = 200


# -- data-generating processes with a known population metric -----------------------------
def mae_process(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.normal(0.0, 1.0, n)
    return y, y + rng.normal(0.0, 1.0, n)            # E|e| = sqrt(2/pi)


def accuracy_process(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, n)
    return y, np.where(rng.random(n) < 0.8, y, 1 - y)  # 80 % right


def auc_process(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, n)
    return y, rng.normal(y.astype(float), 1.0)       # binormal: AUC = Phi(1 / sqrt 2)


PROCESSES = {
    "mae": (mae_process, math.sqrt(2 / math.pi)),
    "accuracy": (accuracy_process, 0.8),
    "roc_auc": (auc_process, NormalDist().cdf(1 / math.sqrt(2))),
}


def coverage(metric: str, method: str, n_boot: int = 300) -> float:
    process, truth = PROCESSES[metric]
    hits = 0
    for r in range(REPLICATES):
        y, pred = process(np.random.default_rng(1000 + r), N)
        v = metrics.metric_band(metric, y, pred, method=method, n_boot=n_boot, seed=r)
        hits += v.lower <= truth <= v.upper
    return hits / REPLICATES


# Binomial sd of a 95 % coverage over 200 replicates is 1.5 points; the bounds allow about
# three of them below (plus the percentile bootstrap's known small-sample undercoverage).
@pytest.mark.parametrize(("metric", "method"), [("mae", "bootstrap"), ("accuracy", "bootstrap"),
                                                ("roc_auc", "bootstrap"), ("mae", "analytic"),
                                                ("accuracy", "analytic"), ("roc_auc", "analytic")],
                         ids=lambda v: str(v))
def test_95_percent_band_covers_the_population_metric(metric, method):
    assert 0.90 <= coverage(metric, method) <= 0.99


@pytest.mark.parametrize("metric", ["accuracy", "mae", "mse", "rmse", "log_loss", "roc_auc"])
def test_analytic_and_bootstrap_bands_agree(metric):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 2000)
    if metric in ("mae", "mse", "rmse"):
        y, pred = mae_process(rng, 2000)
    elif metric == "accuracy":
        y, pred = accuracy_process(rng, 2000)
    else:
        pred = 1 / (1 + np.exp(-rng.normal(2.0 * y - 1.0, 1.5)))
    a = metrics.metric_band(metric, y, pred, method="analytic")
    b = metrics.metric_band(metric, y, pred, method="bootstrap", n_boot=2000, seed=1)
    assert a.method != "bootstrap" and b.method == "bootstrap"
    assert a.width == pytest.approx(b.width, rel=0.15)
    assert abs(a.lower - b.lower) < 0.2 * a.width and abs(a.upper - b.upper) < 0.2 * a.width


def _rows(p: Prepared, i: np.ndarray) -> Prepared:
    return Prepared(p.kind, p.y[i], p.pred[i], p.classes)


def _inputs_for(name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    spec = metrics.get(name)
    if spec.inputs == "regression":
        return mae_process(rng, 60)
    labels = np.array(["ant", "bee", "cat"])
    y = labels[rng.integers(0, 3, 60)]
    if spec.inputs == "label":
        return y, np.where(rng.random(60) < 0.7, y, labels[0])
    s = np.round(rng.dirichlet([1, 1, 1], 60), 1)   # ties
    return y, s / s.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("name", metrics.available())
def test_vectorised_replicates_equal_a_loop(name):
    spec = metrics.get(name)
    y, pred = _inputs_for(name)
    p = spec.prepare(y, pred)
    idx = np.random.default_rng(0).integers(0, p.n, size=(25, p.n))
    idx[0] = 0                                       # one resample of a single row, repeated
    looped = []
    for i in idx:
        try:
            looped.append(spec.compute(_rows(p, i)))
        except UndefinedMetricError:
            looped.append(math.nan)
    np.testing.assert_allclose(spec.replicates(p)(idx), looped, rtol=1e-12, atol=1e-12)


def test_binary_ranking_replicates_equal_a_loop():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 50)
    s = np.round(rng.uniform(size=50), 1)
    idx = rng.integers(0, 50, size=(30, 50))
    for name in ("roc_auc", "pr_auc"):
        spec = metrics.get(name)
        p = spec.prepare(y, s)
        looped = [spec.compute(_rows(p, i)) for i in idx]
        np.testing.assert_allclose(spec.replicates(p)(idx), looped, rtol=1e-12, atol=1e-12)


def test_bootstrap_is_seeded_and_does_not_depend_on_the_chunk_size(monkeypatch):
    y, pred = auc_process(np.random.default_rng(5), 300)
    a = metrics.metric_band("roc_auc", y, pred, method="bootstrap", n_boot=200, seed=11)
    assert metrics.metric_band("roc_auc", y, pred, method="bootstrap", n_boot=200, seed=11) == a
    assert metrics.metric_band("roc_auc", y, pred, method="bootstrap", n_boot=200, seed=12) != a
    monkeypatch.setattr(_bands, "_CHUNK_CELLS", 7 * 300)   # 7 resamples per chunk
    assert metrics.metric_band("roc_auc", y, pred, method="bootstrap", n_boot=200, seed=11) == a


def test_auto_uses_analytic_where_known_and_bootstrap_elsewhere():
    y, pred = mae_process(np.random.default_rng(6), 100)
    assert metrics.metric_band("mae", y, pred).method == "normal"
    assert metrics.metric_band("r2", y, pred).method == "bootstrap"
    labels = np.array(["a", "b", "c"])
    yc = labels[np.arange(90) % 3]
    s = np.random.default_rng(0).dirichlet([1, 1, 1], 90)
    assert metrics.metric_band("roc_auc", yc, s).method == "bootstrap"   # DeLong is binary only
    with pytest.raises(ParameterError, match="no analytic band"):
        metrics.metric_band("roc_auc", yc, s, method="analytic")
    with pytest.raises(ParameterError, match="'auto' or 'bootstrap' for r2"):
        metrics.metric_band("r2", y, pred, method="analytic")


def test_bands_stay_inside_the_metric_range():
    y = np.arange(50) % 2
    for method in ("analytic", "bootstrap"):
        v = metrics.metric_band("accuracy", y, y, method=method)
        assert v.value == 1.0 and v.upper == 1.0 and 0.9 < v.lower <= 1.0
        v = metrics.metric_band("mae", y.astype(float), y.astype(float), method=method)
        assert (v.lower, v.upper) == (0.0, 0.0)


def test_one_row_has_no_band():
    v = metrics.metric_band("mae", [1.0], [2.0])
    assert (v.value, v.lower, v.upper, v.method, v.n) == (1.0, None, None, None, 1)
    assert v.to_dict()["lower"] is None and v.width is None


def test_rmse_band_is_the_square_root_of_the_mse_band():
    y, pred = mae_process(np.random.default_rng(8), 300)
    a, b = metrics.metric_band("mse", y, pred), metrics.metric_band("rmse", y, pred)
    assert b.lower == pytest.approx(math.sqrt(a.lower)) and b.upper == pytest.approx(math.sqrt(a.upper))


def test_a_metric_function_gets_a_looped_bootstrap_band_on_the_same_resamples():
    y, pred = mae_process(np.random.default_rng(9), 80)

    def my_mae(t, p):
        return float(np.mean(np.abs(t - p)))

    v = metrics.metric_band(my_mae, y, pred, n_boot=100, seed=3)
    w = metrics.metric_band("mae", y, pred, method="bootstrap", n_boot=100, seed=3)
    assert v.name == "my_mae" and v.method == "bootstrap"
    assert (v.lower, v.upper) == pytest.approx((w.lower, w.upper), abs=1e-12)
    with pytest.raises(ParameterError, match="metric function"):
        metrics.metric_band(my_mae, y, pred, method="analytic")


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"level": 1.5}, "level must be a float in (0, 1); got 1.5"),
    ({"n_boot": 5}, "n_boot must be an integer >= 10; got 5"),
    ({"method": "exact"}, "method must be one of 'auto', 'analytic', 'bootstrap'; got 'exact'"),
])
def test_band_parameters_are_checked(kwargs, words):
    with pytest.raises(ParameterError) as info:
        metrics.metric_band("mae", [1.0, 2.0], [1.0, 2.0], **kwargs)
    assert words in str(info.value)


def test_level_widens_the_band():
    y, pred = mae_process(np.random.default_rng(10), 300)
    narrow = metrics.metric_band("mae", y, pred, level=0.8)
    wide = metrics.metric_band("mae", y, pred, level=0.99)
    assert wide.width > narrow.width and wide.level == 0.99
