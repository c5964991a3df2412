"""DriftAdaptive: the state machine on scripted detectors, the regression loss, river and
scikit-learn models, and over 20 seeds each: few swaps on stationary streams, a prompt swap that
pays off after an abrupt drift. The seeds are 0-19, every one counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from river import linear_model, naive_bayes, preprocessing
from sklearn.linear_model import LinearRegression, SGDClassifier, SGDRegressor

from driftline.datasets import SEA, STAGGER, FriedmanDrift, drifting
from driftline.errors import ParameterError
from driftline.retrain import DriftAdaptive, ModelSwap
from driftline.streaming import ADWIN, DDM, HDDM_A, PageHinkley

SEEDS = range(20)
FAR = (10**6, 2 * 10**6)  # FriedmanDrift change points beyond the stream: a stationary f0


# -- scripted parts -------------------------------------------------------------------------

class Scripted:
    """A detector that signals what ``script`` says at given update counts (1-based, counted
    over its whole life), and records what it was fed and how often it was reset."""

    def __init__(self, script=None):
        self.script, self.values, self.resets = dict(script or {}), [], 0
        self.drift_detected = self.warning_detected = False

    def update(self, x):
        self.values.append(x)
        signal = self.script.get(len(self.values))
        self.drift_detected, self.warning_detected = signal == "drift", signal == "warning"

    def reset(self):
        self.resets += 1
        self.drift_detected = self.warning_detected = False


class Memo:
    """A river-style model that predicts a constant and remembers the rows it learned."""

    def __init__(self, prediction=0):
        self.prediction, self.learned = prediction, []

    def predict_one(self, x):
        return self.prediction

    def learn_one(self, x, y):
        self.learned.append(x["i"])

    def clone(self):
        return Memo(self.prediction)


class BatchMemo:
    """The same, scikit-learn style: rows arrive as arrays whose first column is the row id."""

    def __init__(self):
        self.learned = []

    def partial_fit(self, X, y, classes=None):
        self.learned.extend(np.asarray(X)[:, 0].astype(int).tolist())

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def scripted(script, model=None, grace=10, **kwargs):
    """A DriftAdaptive on a scripted detector; ``made`` lists every fresh model, in order."""
    made = []

    def factory():
        made.append((model or Memo()).__class__())
        return made[-1]

    detector = Scripted(script)
    wrapped = DriftAdaptive(model or Memo(), detector, task=kwargs.pop("task", "classification"),
                            grace_period=grace, factory=factory, **kwargs)
    return wrapped, detector, made


def feed(wrapped, n, start=0, y=1):
    for i in range(start, start + n):
        wrapped.learn_one({"i": i}, y)


def warn(first, last):
    return {k: "warning" for k in range(first, last + 1)}


# -- the state machine ------------------------------------------------------------------------

def test_grace_period_keeps_the_detector_unfed():
    wrapped, detector, _ = scripted({}, grace=10)
    assert wrapped.state == "grace"
    feed(wrapped, 10)
    assert detector.values == [] and wrapped.state == "stable"
    feed(wrapped, 5, start=10)
    assert detector.values == [1.0] * 5  # Memo predicts 0, the label is 1: errors
    assert wrapped.n_rows == 15 and detector.resets == 1  # reset once, at the start


def test_warning_starts_a_background_model_and_a_cleared_warning_drops_it():
    wrapped, _, made = scripted(warn(3, 4), grace=10)  # updates 3-4 are rows 12-13
    first = wrapped.model
    feed(wrapped, 13)
    assert wrapped.state == "warning" and len(made) == 1
    feed(wrapped, 7, start=13)
    assert wrapped.state == "stable" and wrapped.model is first and wrapped.swaps == ()
    assert made[0].learned == [12, 13] and wrapped.n_warnings == 1
    assert first.learned == list(range(20))


def test_drift_swaps_in_the_background_model_and_starts_a_new_grace_period():
    wrapped, detector, made = scripted({**warn(3, 4), 5: "drift"}, grace=10)
    first = wrapped.model
    feed(wrapped, 15)  # the drift comes at row 14
    assert wrapped.model is made[0] and wrapped.state == "grace"
    assert wrapped.swaps == (ModelSwap(14, wrapped.swaps[0].reason, 12, 2),)
    assert "row 12" in wrapped.swaps[0].reason and detector.resets == 2
    feed(wrapped, 15, start=15)
    # The new model had learned rows 12-13 in the background; its 10th row is row 21, so the
    # detector hears from row 22 on.
    assert len(detector.values) == 5 + (30 - 22)
    assert first.learned == list(range(14)) and made[0].learned == list(range(12, 30))


def test_drift_without_a_warning_swaps_in_a_fresh_model():
    wrapped, _, made = scripted({2: "drift"}, grace=0)
    feed(wrapped, 5)
    (swap,) = wrapped.swaps
    assert (swap.index, swap.warning_index, swap.background_rows) == (1, None, 0)
    assert "fresh model" in swap.reason and made[0].learned == [1, 2, 3, 4]
    assert swap.to_dict() == {"index": 1, "reason": swap.reason, "warning_index": None,
                              "background_rows": 0}


def test_a_new_warning_after_a_swap_starts_another_background_model():
    wrapped, _, made = scripted({1: "warning", 2: "drift", 3: "warning", 4: "drift"}, grace=0)
    feed(wrapped, 6)
    assert [(s.index, s.warning_index, s.background_rows) for s in wrapped.swaps] == [
        (1, 0, 1), (3, 2, 1)]
    assert wrapped.model is made[1] and wrapped.n_warnings == 2


@pytest.mark.parametrize("size", [1, 3, 7, 10], ids=lambda s: f"batch-{s}")
def test_scikit_learn_batches_learn_the_same_rows_as_river_rows(size):
    # The first batch stays inside the grace period: before it, a scikit-learn model cannot
    # predict, so a larger first batch would give the detector fewer rows.
    script = {**warn(3, 4), 5: "drift", 15: "warning", 17: "drift"}
    rows, _, rows_made = scripted(script, grace=10)
    feed(rows, 60)
    batched, _, made = scripted(script, model=BatchMemo(), grace=10, classes=[0, 1])
    X, y = np.arange(60)[:, None], np.ones(60, dtype=int)
    for a in range(0, 60, size):
        batched.learn_many(X[a:a + size], y[a:a + size])
    assert batched.swaps == rows.swaps and len(batched.swaps) == 2
    assert [m.learned for m in made] == [m.learned for m in rows_made]
    assert batched.model.learned == rows.model.learned


def test_river_learn_many_is_a_loop_of_learn_one():
    X, y = drifting(SEA(7.0, seed=3), SEA(13.0, seed=4), position=600).take(1_200)
    make = lambda: DriftAdaptive(naive_bayes.GaussianNB(), grace_period=100)  # noqa: E731
    looped, batched = make(), make()
    for x, target in zip(X.to_dict("records"), y.tolist(), strict=True):
        looped.learn_one(x, target)
    batched.learn_many(X, y)
    assert looped.swaps == batched.swaps and len(looped.swaps) == 1
    assert (looped.predict_many(X) == batched.predict_many(X)).all()


# -- the regression loss ----------------------------------------------------------------------

def test_regression_loss_is_scaled_by_the_median_residual_and_clipped():
    wrapped, detector, _ = scripted({}, model=Memo(0.0), grace=20, task="regression")
    for i, target in enumerate([50.0] * 10 + list(range(1, 11))):  # rows 10-19: median 5.5
        wrapped.learn_one({"i": i}, float(target))
    assert detector.values == [] and wrapped.state == "stable"
    for i, target in enumerate([8.25, -16.5, 100.0], start=20):
        wrapped.learn_one({"i": i}, target)
    assert detector.values == pytest.approx([0.5, 1.0, 1.0])


def test_regression_scale_stays_fixed_until_the_next_swap():
    wrapped, detector, made = scripted({31: "drift"}, model=Memo(0.0), grace=20, task="regression")
    for i, target in enumerate([1.0] * 20 + [9.0] * 20 + [0.5] * 12):
        wrapped.learn_one({"i": i}, target)
    assert set(detector.values[:20]) == {1.0} and detector.values[20:31] == pytest.approx([1 / 6] * 11)
    # Row 50 swapped in a fresh model, whose grace period has just begun.
    assert wrapped.model is made[0] and wrapped.state == "grace" and len(detector.values) == 31


def test_background_residuals_set_the_scale_of_a_model_swapped_in_after_its_grace():
    script = {**warn(1, 25), 26: "drift"}
    wrapped, detector, made = scripted(script, model=Memo(0.0), grace=20, task="regression")
    for i in range(47):
        wrapped.learn_one({"i": i}, 3.0)
    # The background model learned rows 20-44 and predicted them (residual 3), so it takes
    # over at row 45 with its scale ready: no grace, loss 3 / (3 * 3).
    assert wrapped.model is made[0] and wrapped.state == "stable"
    assert wrapped.swaps[0].background_rows == 25 and detector.values[-1] == pytest.approx(1 / 3)


# -- real models, 20 seeds each ---------------------------------------------------------------

class Bare:
    """A scikit-learn model behind DriftAdaptive's batch API, never adapted."""

    def __init__(self, model, **fit):
        self.model, self.fit, self.fitted = model, fit, False

    def predict_many(self, X):
        return self.model.predict(X) if self.fitted else np.full(len(X), np.nan)

    def learn_many(self, X, y):
        self.model.partial_fit(X, y, **self.fit)
        self.fitted = True


def prequential(model, X, y, batch=None):
    """Per-row loss of test-then-train (0/1 error, or |residual| for float targets; NaN where
    nothing predicted): row by row, or in batches of ``batch`` rows through the batch API."""
    regression, y = y.dtype.kind == "f", np.asarray(y)
    loss = (lambda p, t: np.abs(p - t)) if regression else (lambda p, t: (p != t).astype(float))
    out = np.full(len(y), np.nan)
    if batch is None:
        for i, x in enumerate(X.to_dict("records")):
            p = model.predict_one(x)
            out[i] = np.nan if p is None else loss(np.asarray(p), y[i])
            model.learn_one(x, y[i])
        return out
    for a in range(0, len(y), batch):
        if a:
            out[a:a + batch] = loss(model.predict_many(X[a:a + batch]).astype(float), y[a:a + batch])
        model.learn_many(X[a:a + batch], y[a:a + batch])
    return out


def river_logistic():
    return preprocessing.StandardScaler() | linear_model.LogisticRegression()


def sgd_classifier():
    return SGDClassifier(average=True, random_state=0)


def sgd_regressor():
    # Averaged SGD: stable estimates, and a long memory that a drift leaves stuck.
    return SGDRegressor(eta0=0.1, average=True, random_state=0)


def scaled(X):
    return ((X - 5.0) / 2.9).to_numpy()  # SEA's features are U[0, 10]


def dummies(X):
    return pd.get_dummies(X).astype(float).to_numpy()


STATIONARY = {
    "river-logistic-sea": (lambda s: SEA(8.0, noise=0.1, seed=s).take(4_000), None, river_logistic, {}),
    "sklearn-sgd-sea": (lambda s: SEA(8.0, noise=0.1, seed=s).take(4_000), scaled, sgd_classifier,
                        {"classes": [0, 1]}),
    "sklearn-sgd-friedman": (lambda s: FriedmanDrift("gra", position=FAR, seed=s).take(4_000),
                             lambda X: X.to_numpy(), sgd_regressor, {}),
    "river-linear-friedman": (lambda s: FriedmanDrift("gra", position=FAR, seed=s).take(4_000), None,
                              linear_model.LinearRegression, {}),
}


@pytest.mark.parametrize("case", STATIONARY)
def test_stationary_streams_swap_at_most_once_in_20_seeds(case):
    make_stream, prepare, make_model, kwargs = STATIONARY[case]
    swapped = 0
    for seed in SEEDS:
        X, y = make_stream(seed)
        wrapped = DriftAdaptive(make_model(), **kwargs)
        prequential(wrapped, X if prepare is None else prepare(X), y, batch=None if prepare is None else 50)
        swapped += len(wrapped.swaps) > 0
    assert swapped <= 1


def sea_switch(seed):
    return drifting(SEA(7.0, seed=seed), SEA(13.0, seed=100 + seed), position=2_000).take(4_000)


def stagger_switch(seed):
    return drifting(STAGGER(1, seed=seed), STAGGER(2, seed=100 + seed), position=2_000).take(4_000)


def friedman_switch(seed):
    return FriedmanDrift("gra", position=(4_000, 10**6), seed=seed).take(7_000)


# case: stream, drift position, feature preparation (None: river rows), model, kwargs, delay bound
ABRUPT = {
    "river-logistic-sea": (sea_switch, 2_000, None, river_logistic, {}, 500),
    "sklearn-sgd-stagger": (stagger_switch, 2_000, dummies, sgd_classifier, {"classes": [0, 1]}, 500),
    "sklearn-sgd-friedman": (friedman_switch, 4_000, lambda X: X.to_numpy(), sgd_regressor, {}, 1_500),
}


@pytest.mark.parametrize("case", ABRUPT)
def test_abrupt_drift_is_followed_by_a_swap_that_pays_off_in_18_of_20_seeds(case):
    make_stream, position, prepare, make_model, kwargs, bound = ABRUPT[case]
    prompt = better = 0
    for seed in SEEDS:
        X, y = make_stream(seed)
        batch = None if prepare is None else 50
        if prepare is not None:
            X = prepare(X)
        wrapped = DriftAdaptive(make_model(), **kwargs)
        ours = prequential(wrapped, X, y, batch)
        bare = prequential(make_model() if batch is None else Bare(make_model(), **kwargs), X, y, batch)
        prompt += any(position <= s.index <= position + bound for s in wrapped.swaps)
        better += np.nanmean(ours[position:]) < np.nanmean(bare[position:])
    assert prompt >= 18 and better >= 18


# -- the two APIs ---------------------------------------------------------------------------

def test_scikit_learn_model_predicts_none_before_learning_and_takes_dict_rows():
    X, y = SEA(8.0, seed=0).take(300)
    rows = X.to_dict("records")
    wrapped = DriftAdaptive(SGDClassifier(random_state=0), classes=[0, 1])
    assert wrapped.predict_one(rows[0]) is None
    assert wrapped.predict_many(X[:3]).tolist() == [None, None, None]
    for x, target in zip(rows[:20], y[:20].tolist(), strict=True):
        wrapped.learn_one(x, target)
    wrapped.learn_many(X[20:], y[20:])
    assert wrapped.predict_one(rows[0]) in (0, 1) and wrapped.predict_many(X).shape == (300,)
    assert wrapped.n_rows == 300


def test_array_rows_reach_a_scikit_learn_model_fitted_on_arrays_without_names():
    X, y = SEA(8.0, seed=0).take(100)
    wrapped = DriftAdaptive(SGDClassifier(random_state=0), classes=[0, 1])
    wrapped.learn_many(X.to_numpy(), y)
    assert wrapped.predict_one({"x0": 9.0, "x1": 9.0, "x2": 0.0}) in (0, 1)


def test_river_model_takes_arrays_as_rows_keyed_by_column_index():
    X, y = SEA(8.0, seed=0).take(300)
    wrapped = DriftAdaptive(linear_model.LogisticRegression())
    wrapped.learn_many(X.to_numpy(), y)
    assert wrapped.predict_many(X.to_numpy()).shape == (300,)
    assert set(wrapped.model.weights) == {0, 1, 2}


def test_a_fitted_scikit_learn_classifier_brings_its_classes():
    X, y = SEA(8.0, seed=0).take(100)
    model = SGDClassifier(random_state=0).partial_fit(X, y, classes=[0, 1])
    wrapped = DriftAdaptive(model)
    assert wrapped.state == "grace" and wrapped.predict_one(X.iloc[0].to_dict()) in (0, 1)
    wrapped.learn_many(X, y)


def test_task_and_default_detector_follow_the_model():
    classifier = DriftAdaptive(naive_bayes.GaussianNB())
    regressor = DriftAdaptive(SGDRegressor())
    assert (classifier.task, regressor.task) == ("classification", "regression")
    assert isinstance(classifier.detector, HDDM_A) and classifier.detector.drift_confidence == 0.0001
    assert isinstance(regressor.detector, PageHinkley) and regressor.detector.mode == "up"
    assert DriftAdaptive(linear_model.LinearRegression()).task == "regression"
    assert DriftAdaptive(SGDClassifier(), classes=[0, 1]).task == "classification"


def test_repr():
    assert repr(DriftAdaptive(SGDRegressor(), ADWIN(), grace_period=50)) == (
        "DriftAdaptive(model=SGDRegressor, detector=ADWIN(delta=0.002, clock=32, max_buckets=5, "
        "min_window_length=5, grace_period=10), task='regression', grace_period=50)")


def test_a_used_detector_is_reset_at_the_start():
    detector = DDM()
    detector.update_many([1.0] * 50)
    DriftAdaptive(Memo(), detector, task="classification")
    assert detector.to_state()["state"]["n"] == 0


# -- errors -----------------------------------------------------------------------------------

class Opaque:
    def learn_one(self, x, y):
        pass

    def predict_one(self, x):
        return 0


@pytest.mark.parametrize(("model", "kwargs", "message"), [
    (SGDClassifier(), {"task": "ranking", "classes": [0, 1]},
     "task must be one of 'classification', 'regression'; got 'ranking'."),
    (Opaque(), {}, "task must be 'classification' or 'regression'; got None. It cannot be inferred "
                   "from Opaque; pass task=."),
    (LinearRegression(), {}, "model must be an incremental model with learn_one and predict_one (river) "
                             "or partial_fit and predict (scikit-learn); got 'LinearRegression'."),
    (SGDClassifier(), {"detector": "ddm", "classes": [0, 1]},
     "detector must be a streaming detector with update(x), drift_detected and reset(); got 'ddm'."),
    (SGDClassifier(), {"factory": 3, "classes": [0, 1]},
     "factory must be a callable that returns a fresh model, or None; got 3."),
    (SGDClassifier(), {"grace_period": -1, "classes": [0, 1]},
     "grace_period must be an integer >= 0 for classification; got -1."),
    (SGDRegressor(), {"grace_period": 10},
     "grace_period must be an integer >= 20 for regression; got 10. Regression takes its loss scale"),
    (SGDClassifier(), {}, "classes must be every class label, for scikit-learn's first partial_fit; "
                          "got None. Pass classes=[...]"),
    (SGDClassifier(), {"classes": [1]}, "classes must be a sequence of at least two class labels; got [1]."),
], ids=["task", "task-unknown", "batch-model", "detector", "factory", "grace", "grace-regression",
        "classes-missing", "classes-one"])
def test_parameter_errors_name_the_parameter_and_what_is_allowed(model, kwargs, message):
    with pytest.raises(ParameterError) as info:
        DriftAdaptive(model, **kwargs)
    assert str(info.value).startswith(message)


def test_labels_must_match_the_rows():
    X, y = SEA(8.0, seed=0).take(10)
    with pytest.raises(ParameterError, match=r"^y must be a 1-D array with one label per row of X \(10 rows"):
        DriftAdaptive(SGDClassifier(), classes=[0, 1]).learn_many(X, y[:5])


def test_a_factory_of_another_family_is_refused_when_first_used():
    wrapped = DriftAdaptive(Memo(), Scripted({1: "drift"}), task="classification", grace_period=0,
                            factory=SGDClassifier)
    with pytest.raises(ParameterError, match=r"^factory\(\) must be a model of the same family as Memo"):
        feed(wrapped, 2)
