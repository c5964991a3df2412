"""The training contract: TrainingData, the Model protocols, the holdout split, river."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.errors import DataError, ParameterError
from driftline.registry import Classifier, Model, RiverModel, TrainingData, split_holdout


def frame(n=100, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "t": pd.date_range("2025-01-01", periods=n, freq="D"),
        "x": rng.normal(size=n), "w": rng.random(n), "y": rng.integers(0, 2, n),
    })


def test_from_frame_picks_features_weights_and_time_range():
    df = frame()
    data = TrainingData.from_frame(df, target="y", sample_weight="w", timestamp="t")
    assert data.features == ("x",)
    assert np.array_equal(data.sample_weight, df["w"].to_numpy())
    assert data.time_range == (df["t"].min(), df["t"].max())
    assert len(data) == 100 and list(data.X.columns) == ["x"]


def test_from_frame_errors_name_the_column():
    with pytest.raises(DataError, match="target column 'label'"):
        TrainingData.from_frame(frame(), target="label")
    with pytest.raises(DataError, match="feature column 'z'"):
        TrainingData.from_frame(frame(), target="y", features=["x", "z"])
    with pytest.raises(ParameterError, match="sample_weight"):
        TrainingData.from_frame(frame(), target="y", sample_weight=np.ones(3))


def test_random_holdout_is_disjoint_seeded_and_keeps_weights():
    df = frame().assign(row=range(100))
    data = TrainingData.from_frame(df, target="y", sample_weight="w", timestamp="t")
    train, hold = split_holdout(data, 0.25, seed=3)
    assert (len(train), len(hold)) == (75, 25)
    assert set(train.frame["row"]).isdisjoint(hold.frame["row"])
    assert np.array_equal(hold.sample_weight, df["w"].to_numpy()[hold.frame["row"]])
    again, _ = split_holdout(data, 0.25, seed=3)
    assert again.frame["row"].tolist() == train.frame["row"].tolist()


def test_time_holdout_is_the_latest_rows():
    data = TrainingData.from_frame(frame().sample(frac=1.0, random_state=1), target="y",
                                   timestamp="t")
    train, hold = split_holdout(data, 0.2, timestamp="t")
    assert hold.frame["t"].min() > train.frame["t"].max()


def test_holdout_fraction_is_checked():
    data = TrainingData.from_frame(frame(4), target="y")
    with pytest.raises(ParameterError, match="fraction"):
        split_holdout(data, 1.5)
    with pytest.raises(DataError, match="leaves no rows"):
        split_holdout(data, 0.01)


def test_protocols():
    class Regressor:
        def predict(self, X):
            return np.zeros(len(X))

    assert isinstance(Regressor(), Model) and not isinstance(Regressor(), Classifier)


def test_river_wrapper_learns_incrementally_and_is_a_classifier():
    river = pytest.importorskip("river")
    from river import linear_model

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = pd.Series(X["a"] + 0.1 * rng.normal(size=400) > 0)
    model = RiverModel(linear_model.LogisticRegression())
    assert isinstance(model, Classifier)
    model.learn(X.iloc[:200], y.iloc[:200]).learn(X.iloc[200:], y.iloc[200:])
    accuracy = (model.predict(X) == y.to_numpy()).mean()
    assert accuracy > 0.9
    proba = model.predict_proba(X.head(5))
    assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert river.__version__
