"""domain_classifier: calibrated under H0, powerful under shift, importances name the shift."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.drift import domain_classifier
from driftline.errors import DataError, ParameterError, SmallSampleWarning

pytest.importorskip("sklearn")
threadpoolctl = pytest.importorskip("threadpoolctl")

ALPHA = 0.05


def fp_bound(replicates: int) -> float:
    return ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / replicates)


@pytest.fixture(autouse=True)
def one_thread():
    with threadpoolctl.threadpool_limits(1):
        yield


def small_model():
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=25, random_state=0)


@pytest.mark.parametrize("method", ["permutation", "binomial"], ids=["dc-null-permutation",
                                                                    "dc-null-binomial"])
def test_false_positive_rate_under_h0(method):
    replicates = 100
    alarms = 0
    for s in range(replicates):
        rng = np.random.default_rng(s)
        r = domain_classifier(rng.normal(size=(80, 2)), rng.normal(size=(80, 2)),
                              model=small_model(), n_repeats=0, p_value_method=method,
                              n_permutations=199, seed=s)
        assert r.p_value is not None and 0 < r.p_value <= 1
        alarms += bool(r.drifted)
    assert alarms / replicates <= fp_bound(replicates)


def test_power_under_mean_shift():
    hits = 0
    for s in range(20):
        rng = np.random.default_rng(100 + s)
        cur = rng.normal(size=(150, 3))
        cur[:, 1] += 1.0
        hits += bool(domain_classifier(rng.normal(size=(150, 3)), cur, n_repeats=0, seed=s).drifted)
    assert hits >= 18


def test_importances_name_the_shifted_feature_first():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(7)

    def frame(n: int, shift: float) -> object:
        return pd.DataFrame({"age": rng.normal(size=n), "income": rng.normal(shift, 1, size=n),
                             "city": rng.choice(["a", "b", "c"], size=n),
                             "tenure": rng.normal(size=n)})

    r = domain_classifier(frame(300, 0.0), frame(300, 1.2), n_repeats=3, seed=0)
    assert r.drifted
    assert r.importances[0].feature == "income"
    assert {i.feature for i in r.importances} == {"age", "income", "city", "tenure"}
    assert r.importances[0].importance > 3 * max(abs(i.importance) for i in r.importances[1:])


def test_categorical_shift_is_found_through_ordinal_codes():
    rng = np.random.default_rng(3)
    ref = {"c": rng.choice(["x", "y", "z"], p=[0.6, 0.3, 0.1], size=400).astype(object),
           "n": rng.normal(size=400)}
    cur = {"c": rng.choice(["x", "y", "z"], p=[0.3, 0.3, 0.4], size=400).astype(object),
           "n": rng.normal(size=400)}
    ref["c"][:5] = None  # missing labels stay missing, not a level
    r = domain_classifier(ref, cur, n_repeats=2, seed=0)
    assert r.drifted and r.importances[0].feature == "c"


def test_seeded_and_serialisable():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(100, 2)), rng.normal(0.5, 1, size=(100, 2))
    r1 = domain_classifier(a, b, n_repeats=2, seed=4)
    r2 = domain_classifier(a, b, n_repeats=2, seed=4)
    assert r1 == r2
    d = r1.to_dict()
    assert d["method"] == "domain_classifier" and d["statistic"] == d["auc"]
    assert d["n_test"] == 60 and len(d["importances"]) == 2
    assert set(d["importances"][0]) == {"feature", "importance", "std"}


def test_custom_model_is_cloned():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    model = LogisticRegression()
    r = domain_classifier(rng.normal(size=(200, 2)), rng.normal(1, 1, size=(200, 2)),
                          model=model, n_repeats=0)
    assert r.model == "LogisticRegression" and r.drifted and r.importances == ()
    assert not hasattr(model, "coef_")


def test_too_few_rows_give_no_verdict():
    rng = np.random.default_rng(0)
    with pytest.warns(SmallSampleWarning, match="at least 10 rows"):
        r = domain_classifier(rng.normal(size=(5, 2)), rng.normal(size=(50, 2)))
    assert r.drifted is None and r.p_value is None and math.isnan(r.auc)
    assert r.to_dict()["auc"] is None


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"test_size": 1.5}, "test_size"),
    ({"n_repeats": 1000}, "n_repeats"),
    ({"n_repeats": -1}, "n_repeats"),
    ({"alpha": 0.0}, "alpha"),
    ({"p_value_method": "exact"}, "p_value_method"),
    ({"n_permutations": 0}, "n_permutations"),
    ({"model": object()}, "model"),
], ids=["test-size", "repeats-high", "repeats-negative", "alpha", "p-value-method",
        "permutations", "model"])
def test_parameter_errors_name_the_parameter(kwargs, name):
    rng = np.random.default_rng(0)
    with pytest.raises(ParameterError, match=name):
        domain_classifier(rng.normal(size=(30, 2)), rng.normal(size=(30, 2)), **kwargs)


def test_data_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(DataError, match="same columns"):
        domain_classifier(rng.normal(size=(30, 2)), rng.normal(size=(30, 3)))
    with pytest.raises(DataError, match="2-D numeric"):
        domain_classifier(rng.normal(size=30), rng.normal(size=30))
