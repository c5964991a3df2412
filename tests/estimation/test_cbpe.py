"""CBPE: estimates inside their bands on calibrated data, covariate shift tracked, the blind spot shown."""

from __future__ import annotations

import json

import numpy as np
import pytest

from driftline.errors import DataError, ParameterError
from driftline.estimation import CBPE
from driftline.metrics import evaluate

pytest.importorskip("sklearn")

# Coverage bound: with 50 independent chunks and a 95% band the count inside is Binomial(50, 0.95)
# when the assumptions hold; P(count < 43) = 0.003, so >= 43 fails by chance about once in 300
# seeds. The calibration fit on a finite reference only shrinks coverage slightly.
CHUNKS, MIN_INSIDE = 50, 43


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _binary(rng, n, mu=0.0, sd=1.0, shift=0.0):
    """P(y=1|x) = sigmoid(2(x - shift)); the model's raw score sigmoid(3x + 0.3) is monotone in the
    truth at shift=0 but not calibrated."""
    x = rng.normal(mu, sd, n)
    y = (rng.uniform(size=n) < _sigmoid(2.0 * (x - shift))).astype(int)
    return _sigmoid(3.0 * x + 0.3), y


def _multiclass(rng, n):
    """Calibrated scores, labels drawn from them. (One-vs-rest calibration cannot undo a distortion
    that mixes the classes, such as a softmax temperature; see docs/estimation.md.)"""
    logits = rng.normal(size=(n, 3)) * 1.5
    truth = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(truth, axis=1)[:, :2]).sum(1)
    return truth, y


def _realized(task, y, pred, s, classes):
    r = evaluate(task, y, pred, y_score=s, classes=classes, bands=False)
    avg = r.class_report[classes[1]] if task == "binary" else r.class_report.macro
    return {"accuracy": r["accuracy"].value, "roc_auc": r["roc_auc"].value, "f1": avg.f1,
            "precision": avg.precision, "recall": avg.recall}, r.confusion_matrix.array()


@pytest.fixture(scope="module")
def binary_cbpe():
    s, y = _binary(np.random.default_rng(1), 5000)
    return CBPE(n_sim=300).fit(s, y)


def test_binary_realized_inside_bands_at_most_chunks(binary_cbpe):
    assert binary_cbpe.calibrated
    rng = np.random.default_rng(2)
    inside = dict.fromkeys(["accuracy", "roc_auc", "f1", "precision", "recall", "cm"], 0)
    for _ in range(CHUNKS):
        s, y = _binary(rng, 500)
        est = binary_cbpe.estimate(s)
        real, cm = _realized("binary", y, (s >= 0.5).astype(int), s, [0, 1])
        for name, value in real.items():
            inside[name] += est[name].lower <= value <= est[name].upper
        lo, hi = np.array(est.confusion_matrix.lower), np.array(est.confusion_matrix.upper)
        inside["cm"] += bool(((lo <= cm) & (cm <= hi)).mean() >= 0.75)
    assert min(inside.values()) >= MIN_INSIDE, inside


def test_multiclass_realized_inside_bands_at_most_chunks():
    rng = np.random.default_rng(3)
    cbpe = CBPE(n_sim=300).fit(*_multiclass(rng, 6000))
    inside = dict.fromkeys(["accuracy", "roc_auc", "f1", "precision", "recall"], 0)
    for _ in range(CHUNKS):
        s, y = _multiclass(rng, 600)
        est = cbpe.estimate(s)
        assert est.task == "multiclass"
        real, _ = _realized("multiclass", y, s.argmax(1), s, [0, 1, 2])
        for name, value in real.items():
            inside[name] += est[name].lower <= value <= est[name].upper
    assert min(inside.values()) >= MIN_INSIDE, inside


@pytest.mark.parametrize("gen, n", [(_binary, 150), (_binary, 1000), (_multiclass, 600)],
                         ids=["binary-150", "binary-1000", "multiclass-600"])
def test_analytic_bands_match_simulated_widths(gen, n):
    rng = np.random.default_rng(8)
    ref = gen(rng, 5000)
    analytic = CBPE().fit(*ref)
    simulated = CBPE(bands="simulation", n_sim=2000, seed=1).fit(*ref)
    s, _ = gen(rng, n)
    a, b = analytic.estimate(s), simulated.estimate(s)
    assert (a.band_method, a.n_sim, b.band_method, b.n_sim) == ("analytic", 0, "simulation", 2000)
    for name in ("accuracy", "roc_auc", "f1", "precision", "recall"):
        assert (a[name].method, b[name].method) == ("normal", "simulation")
        assert a[name].width == pytest.approx(b[name].width, rel=0.25), name
        assert abs(a[name].value - b[name].value) == 0.0
    lo_a, lo_b = np.array(a.confusion_matrix.lower), np.array(b.confusion_matrix.lower)
    hi_a, hi_b = np.array(a.confusion_matrix.upper), np.array(b.confusion_matrix.upper)
    assert (hi_a - lo_a) == pytest.approx(hi_b - lo_b, rel=0.25, abs=2.0)


def test_simulation_bands_cover_too(binary_cbpe):
    sim = CBPE(bands="simulation", n_sim=300).fit(*_binary(np.random.default_rng(1), 5000))
    rng = np.random.default_rng(2)
    inside = 0
    for _ in range(CHUNKS):
        s, y = _binary(rng, 500)
        real, _ = _realized("binary", y, (s >= 0.5).astype(int), s, [0, 1])
        inside += sim.estimate(s)["accuracy"].lower <= real["accuracy"] <= sim.estimate(s)["accuracy"].upper
    assert inside >= MIN_INSIDE


def test_covariate_shift_is_tracked(binary_cbpe):
    # Rows move towards the decision boundary (P(x) changes, P(y|x) does not): accuracy drops.
    rng = np.random.default_rng(4)
    ref = binary_cbpe.estimate(*_binary(rng, 3000)[:1])
    s, y = _binary(rng, 3000, sd=0.4)
    est = binary_cbpe.estimate(s)
    real, _ = _realized("binary", y, (s >= 0.5).astype(int), s, [0, 1])
    assert ref["accuracy"].value - real["accuracy"] > 0.1  # the drop is real
    for name in ("accuracy", "roc_auc", "f1"):
        assert est[name].lower <= real[name] <= est[name].upper, (name, est[name], real[name])


def test_concept_drift_is_the_blind_spot(binary_cbpe):
    # Same inputs, same scores, but P(y|x) moved: the realized accuracy falls and CBPE cannot see it.
    rng = np.random.default_rng(5)
    s_ref, _ = _binary(rng, 3000)
    s, y = _binary(rng, 3000, shift=1.0)
    before, after = binary_cbpe.estimate(s_ref), binary_cbpe.estimate(s)
    real, _ = _realized("binary", y, (s >= 0.5).astype(int), s, [0, 1])
    assert abs(after["accuracy"].value - before["accuracy"].value) < 0.02
    assert real["accuracy"] < after["accuracy"].lower - 0.05


def test_point_estimates_match_hand_values():
    # Scores used as probabilities: E[accuracy] is the mean probability of the predicted class.
    s = np.array([0.9, 0.2] * 6)
    cbpe = CBPE(calibration="none").fit(s, [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0])
    assert not cbpe.calibrated
    est = cbpe.estimate([0.9, 0.2])
    assert est["accuracy"].value == pytest.approx(0.85)
    # Expected ROC curve: P = 1.1, N = 0.9; the row at 0.9 counts 0.9 positives above the 0.8
    # negatives of the row at 0.2 and half its own 0.1 negatives; the row at 0.2 counts 0.2
    # positives against half its own 0.8 negatives.
    assert est["roc_auc"].value == pytest.approx((0.9 * (0.8 + 0.05) + 0.2 * 0.4) / (1.1 * 0.9))
    # Expected counts (rows true, columns predicted): TN 0.8, FP 0.1, FN 0.2, TP 0.9.
    assert est.confusion_matrix.array() == pytest.approx(np.array([[0.8, 0.1], [0.2, 0.9]]))
    assert est["precision"].value == pytest.approx(0.9)
    assert est["recall"].value == pytest.approx(0.9 / 1.1)
    assert est["f1"].value == pytest.approx(1.8 / 2.1)


def test_calibration_modes_and_auto_check():
    rng = np.random.default_rng(6)
    p = rng.uniform(size=4000)
    y = (rng.uniform(size=4000) < p).astype(int)
    assert not CBPE().fit(p, y).calibrated  # already calibrated: cross-fitted isotonic is worse
    assert CBPE().fit(p**3, y).calibrated  # distorted scores: isotonic helps
    assert CBPE().fit(np.clip(p + 0.05, 0, 1), y).calibrated  # even a small offset
    assert CBPE(calibration="isotonic").fit(p, y).calibrated
    assert CBPE(calibration="none").fit(p**3, y).calibrated is False
    # Calibrating calibrated scores costs little: the estimates agree within a fraction of a band.
    a, b = CBPE(calibration="none").fit(p, y), CBPE(calibration="isotonic").fit(p, y)
    ea, eb = a.estimate(p[:1000]), b.estimate(p[:1000])
    for name in ("accuracy", "roc_auc", "f1"):
        assert abs(ea[name].value - eb[name].value) < 0.25 * ea[name].width, name


def test_labels_strings_predictions_and_determinism(binary_cbpe):
    rng = np.random.default_rng(7)
    s, y = _binary(rng, 2000)
    names = np.where(y == 1, "yes", "no")
    cbpe = CBPE(n_sim=100, seed=3).fit(s, names)
    est = cbpe.estimate(s[:300], np.where(s[:300] >= 0.5, "yes", "no"))
    assert est.classes == ("no", "yes")
    assert est.to_dict() == cbpe.estimate(s[:300]).to_dict()
    json.dumps(est.to_dict())
    assert "CBPE(" in repr(cbpe)
    cm = est.confusion_matrix.array()
    assert cm.sum() == pytest.approx(300)


@pytest.mark.parametrize("kwargs, name", [
    ({"calibration": "platt"}, "calibration"),
    ({"n_sim": 5}, "n_sim"),
    ({"bands": "bootstrap"}, "bands"),
    ({"threshold": "high"}, "threshold"),
    ({"level": 1.5}, "level"),
], ids=["calibration", "n_sim", "bands", "threshold", "level"])
def test_parameter_errors_name_the_parameter(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        CBPE(**kwargs)


def test_data_errors_name_the_input(binary_cbpe):
    with pytest.raises(DataError, match="not fitted"):
        CBPE().estimate([0.5])
    with pytest.raises(DataError, match="reference_scores"):
        CBPE().fit([0.1, 0.9], [0, 1])
    with pytest.raises(DataError, match="reference_labels"):
        CBPE(classes=[0, 1, 2]).fit(np.full((20, 3), 1 / 3), [0, 1] * 10)
    with pytest.raises(ParameterError, match="calibration"):
        CBPE(calibration="none").fit(np.linspace(-2, 2, 20), [0, 1] * 10)
    with pytest.raises(DataError, match="scores"):
        binary_cbpe.estimate(np.ones((4, 3)))
    with pytest.raises(DataError, match="scores must be finite"):
        binary_cbpe.estimate([0.5, np.nan])
    with pytest.raises(DataError, match="predictions has label"):
        binary_cbpe.estimate([0.5, 0.6], predictions=[0, 7])
    with pytest.raises(DataError, match="predictions must be 1-D"):
        binary_cbpe.estimate([0.5, 0.6], predictions=[0])


def test_multiclass_calibration_is_decided_per_class():
    """Labels drawn from calibrated 3-class probabilities; then class 2's score column is
    distorted (squared) and the rows left unnormalised: only that column needs a map."""
    from driftline.estimation._calibration import Calibrator

    rng = np.random.default_rng(4)
    p = rng.dirichlet([1, 1, 1], size=6_000)
    y = np.array([rng.choice(3, p=row) for row in p])
    raw = p.copy()
    raw[:, 2] = p[:, 2] ** 2
    cal = Calibrator("auto", seed=0).fit(raw, y)
    assert cal.columns == [False, False, True] and cal.calibrated
    fixed = cal.transform(raw)
    assert np.allclose(fixed.sum(axis=1), 1.0)
    untouched = Calibrator("auto", seed=0).fit(p, y)
    assert untouched.columns == [False, False, False] and not untouched.calibrated
