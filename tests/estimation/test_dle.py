"""DLE: estimated MAE tracks the realized MAE on heteroscedastic data; errors name parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from driftline.errors import DataError, ParameterError
from driftline.estimation import DLE
from driftline.metrics import mae, mse

pytest.importorskip("sklearn")
threadpoolctl = pytest.importorskip("threadpoolctl")

# As for CBPE: 50 chunks, 95% bands, P(Binomial(50, 0.95) < 43) = 0.003.
CHUNKS, MIN_INSIDE = 50, 43


@pytest.fixture(autouse=True)
def _one_thread():
    # OpenMP threads of scikit-learn's boosting spin against each other on a busy two-core
    # runner (a 3 s fit becomes 30 s); these models are small, so one thread is fastest anyway.
    with threadpoolctl.threadpool_limits(1):
        yield


def _rows(rng, n, low=-3.0, high=3.0):
    """Noise grows with |x0|; the model predicts the mean, so its error is the noise."""
    x = np.column_stack([rng.uniform(low, high, n), rng.normal(size=n)])
    f = x[:, 0] + 0.5 * x[:, 1]
    return x, f, f + rng.normal(0.0, 0.2 + 0.5 * np.abs(x[:, 0]))


@pytest.fixture(scope="module")
def dle():
    with threadpoolctl.threadpool_limits(1):
        return DLE().fit(*_rows(np.random.default_rng(10), 4000))


def test_mae_tracks_realized_on_heteroscedastic_shift(dle):
    # Half the chunks stationary, half moved to the noisy end of the reference's range.
    rng = np.random.default_rng(11)
    inside = dict.fromkeys(["mae", "mse", "rmse"], 0)
    est_mae, real_mae = [], []
    for i in range(CHUNKS):
        x, f, y = _rows(rng, 400) if i < CHUNKS // 2 else _rows(rng, 400, 1.0, 3.0)
        est = dle.estimate(x, f)
        real = {"mae": mae(y, f), "mse": mse(y, f), "rmse": float(np.sqrt(mse(y, f)))}
        for name, value in real.items():
            inside[name] += est[name].lower <= value <= est[name].upper
        est_mae.append(est["mae"].value)
        real_mae.append(real["mae"])
    assert min(inside.values()) >= MIN_INSIDE, inside
    est_rise = np.mean(est_mae[CHUNKS // 2:]) - np.mean(est_mae[:CHUNKS // 2])
    real_rise = np.mean(real_mae[CHUNKS // 2:]) - np.mean(real_mae[:CHUNKS // 2])
    assert real_rise > 0.15 and est_rise == pytest.approx(real_rise, rel=0.15)


def test_rmse_is_the_root_of_mse_and_results_are_plain(dle):
    x, f, _ = _rows(np.random.default_rng(12), 300)
    est = dle.estimate(x, f)
    assert est["rmse"].value == pytest.approx(np.sqrt(est["mse"].value))
    assert est["rmse"].lower == pytest.approx(np.sqrt(est["mse"].lower))
    assert all(m.lower <= m.value <= m.upper and m.method == "normal" for m in est.metrics)
    assert est.to_dict() == dle.estimate(x, f).to_dict()
    json.dumps(est.to_dict())
    assert est.method == "dle" and est.confusion_matrix is None and "DLE(" in repr(dle)


def test_a_custom_model_is_cloned():
    tree = pytest.importorskip("sklearn.tree")
    model = tree.DecisionTreeRegressor(max_depth=3, random_state=0)
    x, f, y = _rows(np.random.default_rng(13), 600)
    est = DLE(model=model).fit(x, f, y).estimate(x[:100], f[:100])
    assert est["mae"].value > 0
    assert not hasattr(model, "tree_")  # the user's object is left unfitted


@pytest.mark.parametrize("kwargs, name", [
    ({"n_folds": 1}, "n_folds"),
    ({"model": "hgb"}, "model"),
    ({"level": 0.0}, "level"),
], ids=["n_folds", "model", "level"])
def test_parameter_errors_name_the_parameter(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        DLE(**kwargs)


def test_data_errors_name_the_input(dle):
    with pytest.raises(DataError, match="not fitted"):
        DLE().estimate(np.ones((3, 2)), np.ones(3))
    with pytest.raises(DataError, match="reference_targets needs at least"):
        DLE().fit(np.ones((5, 2)), np.ones(5), np.ones(5))
    with pytest.raises(DataError, match="reference_features"):
        DLE().fit(np.ones((40, 2)), np.ones(39), np.ones(39))
    with pytest.raises(DataError, match="features must have 2 column"):
        dle.estimate(np.ones((3, 3)), np.ones(3))
    with pytest.raises(DataError, match="features must be finite"):
        dle.estimate(np.array([[1.0, np.nan]]), np.ones(1))
    with pytest.raises(DataError, match="predictions"):
        dle.estimate(np.ones((3, 2)), ["a", "b", "c"])
