"""Stateful adapters: continuing starts from the champion's state and never mutates it."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

from driftline.errors import DataError, DriftlineWarning, ParameterError
from driftline.registry import RiverModel, TrainingData
from driftline.retrain import TRAINING_MODES, continue_training, default_trainer, stateless_fit


def data(n=200, seed=0, classes=(0, 1), shift=0.0, weights=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(shift, 1.0, size=(n, 3))
    score = X[:, 0] + 0.5 * X[:, 1]
    edges = np.quantile(score, np.linspace(0, 1, len(classes) + 1)[1:-1])
    y = np.asarray(classes)[np.searchsorted(edges, score)]
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    if weights:
        df["w"] = rng.random(n) + 0.5
    return TrainingData.from_frame(df, target="y", sample_weight="w" if weights else None)


def regression(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(n, 2)), columns=["a", "b"])
    return TrainingData.from_frame(df.assign(y=2 * df.a - df.b), target="y")


OLD, NEW = data(seed=0), data(seed=1, shift=0.5)


def snapshot(model):
    return copy.deepcopy(model.__dict__)


def same_state(before, model):
    after = model.__dict__
    assert before.keys() == after.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, after[key]), key


# ------------------------------------------------------------------ partial_fit


def test_sgd_continues_from_the_champions_coefficients():
    from sklearn.linear_model import SGDClassifier

    champion = SGDClassifier(random_state=0, shuffle=False).fit(OLD.X, OLD.y)
    before = snapshot(champion)
    new = continue_training(champion, NEW)
    manual = copy.deepcopy(champion)
    manual.partial_fit(NEW.X, NEW.y)
    from_zero = SGDClassifier(random_state=0, shuffle=False).partial_fit(NEW.X, NEW.y, classes=[0, 1])
    assert new is not champion and np.allclose(new.coef_, manual.coef_)
    assert not np.allclose(new.coef_, from_zero.coef_)
    assert new.t_ == champion.t_ + len(NEW)
    same_state(before, champion)
    assert set(new.predict(NEW.X)) <= {0, 1}


def test_sgd_regressor_takes_sample_weights():
    from sklearn.linear_model import SGDRegressor

    old, new_rows = regression(seed=0), regression(seed=1)
    champion = SGDRegressor(random_state=0).fit(old.X, old.y)
    weighted = TrainingData(new_rows.frame, "y", ("a", "b"), np.full(len(new_rows), 3.0))
    a = continue_training(champion, new_rows)
    b = continue_training(champion, weighted)
    assert not np.allclose(a.coef_, b.coef_)
    assert np.isfinite(b.predict(new_rows.X)).all()


def test_naive_bayes_counts_old_and_new_rows_and_accepts_a_subset_of_classes():
    from sklearn.naive_bayes import MultinomialNB

    old = data(seed=0, classes=("a", "b", "c"))
    champion = MultinomialNB().fit(old.X.abs(), old.y)
    subset = old.take(np.flatnonzero(old.y.to_numpy() != "c"))
    rows = TrainingData(subset.frame.assign(a=subset.frame.a.abs(), b=subset.frame.b.abs(),
                                            c=subset.frame.c.abs()), "y", ("a", "b", "c"))
    new = continue_training(champion, rows)
    assert new.class_count_.sum() == len(old) + len(rows)
    assert champion.class_count_.sum() == len(old)
    assert list(new.classes_) == ["a", "b", "c"]


def test_unseen_class_is_refused_with_the_label_and_the_fix():
    from sklearn.linear_model import SGDClassifier

    champion = SGDClassifier(random_state=0).fit(OLD.X, OLD.y)
    with pytest.raises(DataError, match=r"label\(s\) \[2\].*never saw.*stateless"):
        continue_training(champion, data(seed=3, classes=(0, 1, 2)))


def test_pipeline_with_incremental_and_stateless_steps_continues():
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    champion = make_pipeline(FunctionTransformer(np.tanh), StandardScaler(),
                             SGDClassifier(random_state=0)).fit(OLD.X, OLD.y)
    coef = champion[-1].coef_.copy()
    new = continue_training(champion, NEW)
    assert new[1].n_samples_seen_ == len(OLD) + len(NEW)
    assert champion[1].n_samples_seen_ == len(OLD)
    assert new[-1].t_ > champion[-1].t_ and np.array_equal(champion[-1].coef_, coef)
    assert set(new.predict(NEW.X)) <= {0, 1}


def test_pipeline_with_a_fitted_encoder_is_refused():
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    df = OLD.frame.assign(a=np.where(OLD.frame.a > 0, "hi", "lo"))
    rows = TrainingData.from_frame(df, target="y")
    champion = make_pipeline(OneHotEncoder(handle_unknown="ignore"), SGDClassifier()).fit(rows.X, rows.y)
    with pytest.raises(ParameterError, match=r"'onehotencoder' \(OneHotEncoder\).*no partial_fit.*"
                                             r"stateless retraining"):
        continue_training(champion, rows)


def test_pipeline_whose_final_step_cannot_continue_is_refused():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    champion = make_pipeline(StandardScaler(), LogisticRegression()).fit(OLD.X, OLD.y)
    with pytest.raises(ParameterError, match="final step LogisticRegression has no partial_fit"):
        continue_training(champion, NEW)


# ------------------------------------------------------------------ warm_start and refusals


@pytest.mark.parametrize("name", ["logistic-regression", "knn"])
def test_models_that_cannot_continue_are_refused(name):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    model = LogisticRegression() if name == "logistic-regression" else KNeighborsClassifier()
    champion = model.fit(OLD.X, OLD.y)
    why = "warm_start=False" if name == "logistic-regression" else "neither partial_fit nor"
    with pytest.raises(ParameterError, match=rf"previous must be .*{why}.*stateless retraining"):
        continue_training(champion, NEW)


def test_convex_warm_start_warns_that_old_data_is_forgotten():
    from sklearn.linear_model import LogisticRegression

    champion = LogisticRegression(warm_start=True).fit(OLD.X, OLD.y)
    coef = champion.coef_.copy()
    with pytest.warns(DriftlineWarning, match="old data is not remembered"):
        new = continue_training(champion, NEW)
    fresh = LogisticRegression().fit(NEW.X, NEW.y)
    assert np.allclose(new.coef_, fresh.coef_, atol=1e-3)  # convex: the new rows' optimum
    assert np.array_equal(champion.coef_, coef)


def test_forest_warm_start_adds_trees_fitted_on_the_new_rows():
    from sklearn.ensemble import RandomForestClassifier

    champion = RandomForestClassifier(n_estimators=4, warm_start=True, random_state=0)
    champion.fit(OLD.X, OLD.y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = continue_training(champion, NEW, params={"n_estimators": 3})
    assert len(new.estimators_) == 7 and len(champion.estimators_) == 4
    for old_tree, kept in zip(champion.estimators_, new.estimators_[:4], strict=True):
        assert np.array_equal(old_tree.tree_.threshold, kept.tree_.threshold)
    assert set(new.predict(NEW.X)) <= {0, 1}


def test_gradient_boosting_warm_start_continues_boosting():
    from sklearn.ensemble import GradientBoostingRegressor

    old, new_rows = regression(seed=0), regression(seed=1)
    champion = GradientBoostingRegressor(n_estimators=5, warm_start=True).fit(old.X, old.y)
    new = continue_training(champion, new_rows, params={"n_estimators": 5})
    assert new.n_estimators_ == 10 and champion.n_estimators_ == 5


def test_warm_start_ensembles_need_every_class_in_the_new_rows():
    from sklearn.ensemble import RandomForestClassifier

    old = data(seed=0, classes=(0, 1, 2))
    champion = RandomForestClassifier(n_estimators=3, warm_start=True).fit(old.X, old.y)
    two = old.take(np.flatnonzero(old.y.to_numpy() < 2))
    with pytest.raises(DataError, match=r"no rows of class\(es\) \[2\]"):
        continue_training(champion, two)


def test_hist_gradient_boosting_is_refused_because_of_its_bins():
    from sklearn.ensemble import HistGradientBoostingClassifier

    champion = HistGradientBoostingClassifier(max_iter=3, warm_start=True).fit(OLD.X, OLD.y)
    with pytest.raises(ParameterError, match="bin edges"):
        continue_training(champion, NEW)


def test_no_champion_is_refused():
    with pytest.raises(ParameterError, match="previous must be the champion"):
        continue_training(None, NEW)


# ------------------------------------------------------------------ LightGBM, XGBoost


def test_lightgbm_adds_rounds_to_the_champions_trees():
    lgb = pytest.importorskip("lightgbm")

    champion = lgb.LGBMClassifier(n_estimators=4, verbose=-1).fit(OLD.X, OLD.y)
    new = continue_training(champion, NEW, params={"n_estimators": 3})
    assert new.booster_.num_trees() == 7 and champion.booster_.num_trees() == 4
    booster = continue_training(champion.booster_, NEW, params={"n_estimators": 2})
    assert booster.num_trees() == 6 and champion.booster_.num_trees() == 4
    proba = new.predict_proba(NEW.X)
    assert np.allclose(proba.sum(axis=1), 1.0) and list(new.classes_) == [0, 1]


def test_xgboost_adds_rounds_to_the_champions_trees():
    xgb = pytest.importorskip("xgboost")

    champion = xgb.XGBClassifier(n_estimators=4, max_depth=2).fit(OLD.X, OLD.y)
    new = continue_training(champion, NEW, params={"n_estimators": 3})
    assert new.get_booster().num_boosted_rounds() == 7
    assert champion.get_booster().num_boosted_rounds() == 4
    booster = continue_training(champion.get_booster(), NEW, params={"n_estimators": 2})
    assert booster.num_boosted_rounds() == 6
    assert set(new.predict(NEW.X)) <= {0, 1}


def test_boosting_wrappers_refuse_a_missing_class():
    lgb = pytest.importorskip("lightgbm")

    champion = lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(OLD.X, OLD.y)
    ones = NEW.take(np.flatnonzero(NEW.y.to_numpy() == 1))
    with pytest.raises(DataError, match="every class of the champion"):
        continue_training(champion, ones)


# ------------------------------------------------------------------ river


def river_pipeline():
    pytest.importorskip("river")
    from river import linear_model, preprocessing

    return preprocessing.StandardScaler() | linear_model.LogisticRegression()


@pytest.mark.parametrize("batch_size", [1, 50], ids=["learn-one", "learn-many"])
def test_river_wrapper_learns_the_new_rows_on_a_copy(batch_size):
    champion = RiverModel(river_pipeline()).learn(OLD.X, OLD.y)
    new = continue_training(champion, NEW, params={"batch_size": batch_size})
    scaler = new.model["StandardScaler"]
    assert scaler.counts["a"] == len(OLD) + len(NEW)
    assert champion.model["StandardScaler"].counts["a"] == len(OLD)
    assert new.classes_.tolist() == [0, 1]
    assert set(new.predict(NEW.X)) <= {0, 1}


def test_raw_river_model_learns_row_by_row():
    champion = river_pipeline()
    for row, label in zip(OLD.X.to_dict(orient="records"), OLD.y, strict=True):
        champion.learn_one(row, label)
    new = continue_training(champion, NEW)
    assert type(new) is type(champion) and new is not champion
    assert new["StandardScaler"].counts["a"] == len(OLD) + len(NEW)


# ------------------------------------------------------------------ stateless and default_trainer


def test_stateless_fit_accepts_a_spec_a_class_and_an_instance():
    from sklearn.linear_model import LogisticRegression

    champion = LogisticRegression(C=0.5).fit(OLD.X, OLD.y)
    by_spec = stateless_fit("sklearn.linear_model:LogisticRegression", NEW, params={"C": 0.5})
    by_class = stateless_fit(LogisticRegression, NEW, params={"C": 0.5})
    by_instance = stateless_fit(champion, NEW)
    assert by_instance is not champion
    assert np.allclose(by_spec.coef_, by_class.coef_) and np.allclose(by_spec.coef_, by_instance.coef_)
    with pytest.raises(ParameterError, match="cannot be imported"):
        stateless_fit("sklearn.linear_model:NoSuchModel", NEW)


def test_stateless_fit_wraps_river_models():
    model = stateless_fit(river_pipeline(), NEW)
    assert isinstance(model, RiverModel) and model.model["StandardScaler"].counts["a"] == len(NEW)


def test_default_trainer_stateless_fits_fresh_and_stateful_continues():
    from sklearn.linear_model import SGDClassifier

    assert TRAINING_MODES == ("stateless", "stateful")
    champion = SGDClassifier(random_state=0).fit(OLD.X, OLD.y)
    stateless = default_trainer("stateless", SGDClassifier)
    fresh = stateless(NEW, previous=champion, params={"random_state": 0})
    assert np.allclose(fresh.coef_, SGDClassifier(random_state=0).fit(NEW.X, NEW.y).coef_)
    stateful = default_trainer("stateful", SGDClassifier)
    continued = stateful(NEW, previous=champion, params={})
    assert continued.t_ == champion.t_ + len(NEW)
    first = stateful(NEW, params={"random_state": 0})
    assert np.allclose(first.coef_, fresh.coef_)


def test_default_trainer_refuses_an_unknown_mode_and_a_missing_estimator():
    with pytest.raises(ParameterError, match="mode must be one of 'stateless', 'stateful'"):
        default_trainer("incremental")
    with pytest.raises(ParameterError, match="estimator must be an estimator"):
        default_trainer("stateful")(NEW, params={})
