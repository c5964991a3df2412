"""BBSE label-shift estimation, RLLS, the label-shift test and the corrections."""

from __future__ import annotations

import json
import math
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from driftline.errors import DataError, ParameterError
from driftline.estimation._bbse import (
    LabelShiftEstimator,
    LabelShiftResult,
    Regularization,
    correct_probabilities,
    label_shift_test,
    sample_weights,
)

linear_model = pytest.importorskip("sklearn.linear_model")

SOURCE_PRIOR = np.array([0.5, 0.3, 0.2])


class Problem:
    """Gaussian classes on a circle in 2-D, with a logistic regression fitted on a source sample."""

    def __init__(self, k: int, radius: float, prior: np.ndarray | None = None) -> None:
        angles = 2 * np.pi * np.arange(k) / k
        self.k = k
        self.means = radius * np.column_stack((np.cos(angles), np.sin(angles)))
        self.prior = np.full(k, 1 / k) if prior is None else prior
        x, y = self.sample(np.random.default_rng(12345), self.prior, 5000)
        self.model = linear_model.LogisticRegression().fit(x, y)

    def sample(self, rng: np.random.Generator, prior: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.choice(self.k, size=n, p=prior)
        return self.means[y] + rng.normal(size=(n, 2)), y

    def predictions(self, x: np.ndarray, mode: str) -> np.ndarray:
        return self.model.predict(x) if mode == "hard" else self.model.predict_proba(x)


@pytest.fixture(scope="module")
def easy() -> Problem:
    """Three classes, about 85 % accuracy, a well-conditioned confusion matrix."""
    return Problem(3, 1.5, SOURCE_PRIOR)


@pytest.fixture(scope="module")
def hard() -> Problem:
    """Five overlapping classes, about 40 % accuracy: condition number about 40."""
    return Problem(5, 0.8)


def _error(result: LabelShiftResult, true_w: np.ndarray, unregularized: bool = False) -> float:
    w = result.weights_unregularized if unregularized else result.weights
    return float(np.sum((np.asarray(w) - true_w) ** 2))


# -- consistency: the error falls like 1/n ---------------------------------------------------------


@pytest.mark.parametrize("mode", ["hard", "soft"])
@pytest.mark.parametrize("alpha", [0.1, 1.0, 10.0], ids=["dirichlet-0.1", "dirichlet-1", "dirichlet-10"])
def test_weight_error_falls_like_one_over_n(easy: Problem, mode: str, alpha: float) -> None:
    sizes = (500, 2000, 8000)
    errors: dict[int, list[float]] = {n: [] for n in sizes}
    for seed in range(40):
        target_prior = np.random.default_rng([seed, int(10 * alpha)]).dirichlet(np.full(3, alpha))
        true_w = target_prior / SOURCE_PRIOR
        for n in sizes:
            rng = np.random.default_rng([seed, int(10 * alpha), n])
            xs, ys = easy.sample(rng, SOURCE_PRIOR, n)
            xt, _ = easy.sample(rng, target_prior, n)
            est = LabelShiftEstimator("none").fit(ys, easy.predictions(xs, mode))
            errors[n].append(_error(est.estimate(easy.predictions(xt, mode)), true_w))
    mean = np.array([np.mean(errors[n]) for n in sizes])
    slope = np.polyfit(np.log(sizes), np.log(mean), 1)[0]
    assert -1.5 < slope < -0.6, (slope, mean)
    assert mean[-1] < 0.02


def test_rlls_default_delta_keeps_the_rate(easy: Problem) -> None:
    # the default ridge shrinks like 1/n, so it does not stop the estimate converging
    target_prior = np.array([0.05, 0.15, 0.8])
    true_w = target_prior / SOURCE_PRIOR
    mean = []
    for n in (500, 8000):
        errs = []
        for seed in range(30):
            rng = np.random.default_rng([seed, n])
            xs, ys = easy.sample(rng, SOURCE_PRIOR, n)
            xt, _ = easy.sample(rng, target_prior, n)
            est = LabelShiftEstimator().fit(ys, easy.predictions(xs, "soft"))
            errs.append(_error(est.estimate(easy.predictions(xt, "soft")), true_w))
        mean.append(np.mean(errs))
    assert mean[1] < mean[0] / 8


# -- the joint, not the conditional, confusion matrix ------------------------------------------------


@pytest.mark.parametrize("mode", ["hard", "soft"])
def test_joint_matrix_gives_weights_conditional_gives_prior(easy: Problem, mode: str) -> None:
    rng = np.random.default_rng(3)
    target_prior = np.array([0.1, 0.2, 0.7])
    xs, ys = easy.sample(rng, SOURCE_PRIOR, 20_000)
    xt, _ = easy.sample(rng, target_prior, 20_000)
    est = LabelShiftEstimator("none").fit(ys, easy.predictions(xs, mode))
    r = est.estimate(easy.predictions(xt, mode))
    mu = np.asarray(r.target_prediction_marginal)
    joint = est.joint_confusion_
    conditional = joint / est.source_prior_  # P(ŷ = i | y = j): columns sum to one
    np.testing.assert_allclose(conditional.sum(axis=0), 1.0)
    from_joint = np.linalg.solve(joint, mu)
    from_conditional = np.linalg.solve(conditional, mu)
    np.testing.assert_allclose(from_joint, r.weights, rtol=1e-10)
    np.testing.assert_allclose(from_conditional, r.target_prior, rtol=1e-10)  # the prior...
    np.testing.assert_allclose(from_conditional, target_prior, atol=0.03)
    true_w = target_prior / SOURCE_PRIOR
    np.testing.assert_allclose(from_joint, true_w, atol=0.15)
    assert np.max(np.abs(from_conditional - true_w)) > 1.0  # ...and not the weights


def test_unregularised_target_prior_sums_to_one(easy: Problem) -> None:
    rng = np.random.default_rng(4)
    xs, ys = easy.sample(rng, SOURCE_PRIOR, 300)
    xt, _ = easy.sample(rng, np.array([0.2, 0.2, 0.6]), 300)
    r = LabelShiftEstimator("none").fit(ys, easy.predictions(xs, "soft")).estimate(
        easy.predictions(xt, "soft"))
    # 1ᵀC = source prior, so source_prior · C⁻¹μ = 1ᵀμ = 1 exactly
    assert math.isclose(float(np.dot(r.weights, r.source_prior)), 1.0, rel_tol=1e-12)


# -- regularisation ----------------------------------------------------------------------------------


def test_rlls_nonnegative_and_better_under_strong_shift_at_small_n(hard: Problem) -> None:
    n = 200
    regs: tuple[Regularization, ...] = ("none", "clip", "rlls")
    errs: dict[str, list[float]] = {reg: [] for reg in regs}
    negative = 0
    for seed in range(40):
        rng = np.random.default_rng([seed, 7])
        target_prior = rng.dirichlet(np.full(5, 0.1))
        true_w = target_prior / hard.prior
        xs, ys = hard.sample(rng, hard.prior, n)
        xt, _ = hard.sample(rng, target_prior, n)
        ps, pt = hard.predictions(xs, "soft"), hard.predictions(xt, "soft")
        for reg in regs:
            r = LabelShiftEstimator(reg).fit(ys, ps, classes=np.arange(5)).estimate(pt)
            errs[reg].append(_error(r, true_w))
            if reg == "none":
                assert bool(r.warnings) == (r.n_clipped > 0)
            else:
                assert min(r.weights) >= 0.0
                assert r.adjustment >= 0.0
                if r.n_clipped:
                    assert r.adjustment > 0
        negative += r.n_clipped > 0
    assert negative > 10  # the unregularised weights do go negative here
    mean = {reg: float(np.mean(v)) for reg, v in errs.items()}
    assert mean["rlls"] <= mean["none"], mean
    assert mean["clip"] <= mean["none"], mean


def test_rlls_equals_ridge_closed_form_when_no_weight_is_zero(easy: Problem) -> None:
    rng = np.random.default_rng(5)
    xs, ys = easy.sample(rng, SOURCE_PRIOR, 1000)
    xt, _ = easy.sample(rng, np.array([0.3, 0.3, 0.4]), 1000)
    est = LabelShiftEstimator("rlls", delta=0.01).fit(ys, easy.predictions(xs, "hard"))
    r = est.estimate(easy.predictions(xt, "hard"))
    c, mu = est.joint_confusion_, np.asarray(r.target_prediction_marginal)
    theta = np.linalg.solve(c.T @ c + 0.01 * np.eye(3), c.T @ (mu - c.sum(axis=1)))
    np.testing.assert_allclose(r.weights, 1 + theta, atol=1e-9)
    assert r.delta == 0.01
    # a very strong ridge pulls every weight to one: no shift
    strong = LabelShiftEstimator("rlls", delta=1e6).fit(ys, easy.predictions(xs, "hard"))
    np.testing.assert_allclose(strong.estimate(easy.predictions(xt, "hard")).weights, 1.0, atol=1e-4)


def test_default_delta_is_sample_size_aware(easy: Problem) -> None:
    rng = np.random.default_rng(6)
    xs, ys = easy.sample(rng, SOURCE_PRIOR, 400)
    xt, _ = easy.sample(rng, SOURCE_PRIOR, 100)
    r = LabelShiftEstimator().fit(ys, easy.predictions(xs, "hard")).estimate(easy.predictions(xt, "hard"))
    assert r.delta == pytest.approx((1 / 400 + 1 / 100) / 9)
    assert LabelShiftEstimator("clip").fit(ys, easy.predictions(xs, "hard")).estimate(
        easy.predictions(xt, "hard")).delta is None


# -- corrections -----------------------------------------------------------------------------------


def _log_loss(probas: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probas[np.arange(y.size), y], 1e-15, None))))


def test_corrected_probabilities_improve_accuracy_and_log_loss(easy: Problem) -> None:
    rng = np.random.default_rng(8)
    xs, ys = easy.sample(rng, SOURCE_PRIOR, 3000)
    xt, yt = easy.sample(rng, np.array([0.1, 0.15, 0.75]), 3000)
    est = LabelShiftEstimator().fit(ys, easy.predictions(xs, "soft"))
    p = easy.predictions(xt, "soft")
    corrected = correct_probabilities(p, est.estimate(p))
    np.testing.assert_allclose(corrected.sum(axis=1), 1.0)
    acc_before, acc_after = np.mean(p.argmax(1) == yt), np.mean(corrected.argmax(1) == yt)
    assert acc_after > acc_before + 0.02, (acc_before, acc_after)
    assert _log_loss(corrected, yt) < _log_loss(p, yt) - 0.05


def test_reweighted_retraining_improves_target_log_loss(easy: Problem) -> None:
    rng = np.random.default_rng(9)
    target_prior = np.array([0.1, 0.15, 0.75])
    x_train, y_train = easy.sample(rng, SOURCE_PRIOR, 3000)
    xs, ys = easy.sample(rng, SOURCE_PRIOR, 3000)
    xt, yt = easy.sample(rng, target_prior, 3000)
    r = LabelShiftEstimator().fit(ys, easy.predictions(xs, "soft")).estimate(easy.predictions(xt, "soft"))
    sw = sample_weights(y_train, r)
    np.testing.assert_allclose(sw, np.asarray(r.weights)[y_train])
    plain = linear_model.LogisticRegression().fit(x_train, y_train)
    weighted = linear_model.LogisticRegression().fit(x_train, y_train, sample_weight=sw)
    assert _log_loss(weighted.predict_proba(xt), yt) < _log_loss(plain.predict_proba(xt), yt) - 0.05


def test_correct_probabilities_edge_rows() -> None:
    out = correct_probabilities([[1.0, 0.0], [0.3, 0.7]], [0.0, 2.0])
    assert out.tolist() == [[1.0, 0.0], [0.0, 1.0]]  # a row with no mass left stays as it was


def test_soft_mode_follows_the_column_order_of_classes(easy: Problem) -> None:
    rng = np.random.default_rng(10)
    xs, ys = easy.sample(rng, SOURCE_PRIOR, 2000)
    xt, _ = easy.sample(rng, np.array([0.2, 0.2, 0.6]), 2000)
    names = np.array(["a", "b", "c"])
    base = LabelShiftEstimator().fit(names[ys], easy.predictions(xs, "soft")).estimate(
        easy.predictions(xt, "soft"))
    order = [2, 0, 1]
    swapped = LabelShiftEstimator().fit(
        names[ys], easy.predictions(xs, "soft")[:, order], classes=names[order]
    ).estimate(easy.predictions(xt, "soft")[:, order])
    assert swapped.classes == ("c", "a", "b")
    np.testing.assert_allclose(swapped.weights, np.asarray(base.weights)[order], atol=1e-6)
    assert sample_weights(["c", "a"], swapped).tolist() == [swapped.weights[0], swapped.weights[1]]


# -- the label-shift test --------------------------------------------------------------------------


def test_label_shift_test_false_positive_rate_near_alpha(easy: Problem) -> None:
    alpha, reps = 0.05, 200
    rejections = fn_rejections = 0
    for seed in range(reps):
        rng = np.random.default_rng([seed, 11])
        xs, ys = easy.sample(rng, SOURCE_PRIOR, 500)
        xt, _ = easy.sample(rng, SOURCE_PRIOR, 500)
        ps, pt = easy.predictions(xs, "hard"), easy.predictions(xt, "hard")
        r = LabelShiftEstimator().fit(ys, ps).test(pt, alpha=alpha)
        rejections += bool(r.drifted)
        fn_rejections += bool(label_shift_test(ps, pt, alpha=alpha).drifted)
    bound = alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps)
    assert rejections / reps <= bound
    assert fn_rejections / reps <= bound


def test_label_shift_test_has_power(easy: Problem) -> None:
    hits = 0
    for seed in range(50):
        rng = np.random.default_rng([seed, 12])
        xs, ys = easy.sample(rng, SOURCE_PRIOR, 500)
        xt, _ = easy.sample(rng, np.array([0.3, 0.3, 0.4]), 500)
        r = LabelShiftEstimator().fit(ys, easy.predictions(xs, "soft")).test(easy.predictions(xt, "soft"))
        assert r.method == "label_shift_chi_square"
        assert (r.n_reference, r.n_current) == (500, 500)
        hits += bool(r.drifted)
    assert hits >= 45


def test_label_shift_test_small_sample_gives_no_verdict() -> None:
    from driftline.errors import SmallSampleWarning

    with pytest.warns(SmallSampleWarning):
        r = label_shift_test([0, 1, 1], [1, 0, 0])
    assert r.drifted is None


# -- the result and the errors ---------------------------------------------------------------------


def test_result_is_frozen_and_json_ready(easy: Problem) -> None:
    rng = np.random.default_rng(13)
    xs, ys = easy.sample(rng, SOURCE_PRIOR, 500)
    est = LabelShiftEstimator()
    r = est.fit(ys, easy.predictions(xs, "hard")).estimate(easy.predictions(xs, "hard"))
    d = json.loads(json.dumps(r.to_dict()))
    assert d["classes"] == [0, 1, 2] and d["mode"] == "hard" and d["regularization"] == "rlls"
    assert len(d["weights"]) == 3 and d["n_source"] == d["n_target"] == 500
    np.testing.assert_allclose(r.weights, 1.0, atol=1e-3)  # the same sample: no shift
    with pytest.raises(FrozenInstanceError):
        r.n_source = 1  # type: ignore[misc]
    assert repr(est) == "LabelShiftEstimator(regularization='rlls', delta=None)"


def test_singular_confusion_matrix_is_flagged() -> None:
    y = np.array([0, 1, 2] * 20)
    pred = np.array([0, 1, 1] * 20)  # class 2 is never predicted
    r = LabelShiftEstimator().fit(y, pred).estimate(np.array([0, 1] * 30))
    assert not math.isfinite(r.condition_number) or r.condition_number > 1e12
    assert "singular" in r.warnings[0]
    assert min(r.weights) >= 0
    assert json.dumps(r.to_dict())


def _fitted_hard() -> LabelShiftEstimator:
    return LabelShiftEstimator().fit(np.array([0, 1, 2] * 10), np.array([0, 1, 2] * 10))


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: LabelShiftEstimator("ridge"), ParameterError, ["regularization", "'rlls'", "'ridge'"]),  # type: ignore[arg-type]
        (lambda: LabelShiftEstimator(delta=-1.0), ParameterError, ["delta", ">= 0", "-1.0"]),
        (lambda: LabelShiftEstimator(delta=True), ParameterError, ["delta", "True"]),
        (lambda: LabelShiftEstimator().estimate([0, 1]), DataError, ["not fitted", "fit("]),
        (lambda: LabelShiftEstimator().fit([0, 1, 2], [0, 1]), DataError, ["y_true", "(3,)", "(2,)"]),
        (lambda: LabelShiftEstimator().fit([0, 0, 1], [0, 2, 1]), DataError, ["y_true", "[2]"]),
        (lambda: LabelShiftEstimator().fit([0, 1], [[0.5, 0.6], [1.0, 0.0]]), DataError,
         ["predictions", "sum to 1"]),
        (lambda: LabelShiftEstimator().fit([0, 1, 2], [[0.5, 0.5]] * 3), DataError, ["classes=", "columns"]),
        (lambda: LabelShiftEstimator().fit([0, 1], [[0.5, 0.5]] * 2, classes=[0, 1, 2]), ParameterError,
         ["classes", "2 labels"]),
        (lambda: LabelShiftEstimator().fit([0, 1], [0, 1], classes=[0, 0]), ParameterError,
         ["classes", "distinct"]),
        (lambda: _fitted_hard().estimate([[1.0, 0.0, 0.0]]), DataError, ["predictions", "1-D", "(1, 3)"]),
        (lambda: _fitted_hard().estimate([0, 7]), DataError, ["predictions", "[0, 1, 2]", "[7]"]),
        (lambda: _fitted_hard().fit(["a", "b"], [1, 2]), DataError, ["y_true", "predictions", "same type"]),
        (lambda: sample_weights([0, 1], [1.0, -1.0]), ParameterError, ["weights", "non-negative"]),
        (lambda: sample_weights([0, 1], [1.0, 2.0], classes=["a"]), ParameterError, ["classes", "2 labels"]),
        (lambda: sample_weights([0, 5], [1.0, 2.0]), DataError, ["y", "[5]"]),
        (lambda: correct_probabilities([[0.5, 0.5]], [1.0, 2.0, 3.0]), DataError, ["probas", "(n, 3)"]),
        (lambda: label_shift_test([0, 1], [[0.5, 0.5]]), DataError, ["reference", "current", "(1, 2)"]),
        (lambda: _fitted_hard().test([0, 1], alpha=2.0), ParameterError, ["alpha", "(0, 1)", "2.0"]),
    ],
    ids=["bad-regularization", "negative-delta", "bool-delta", "not-fitted", "length-mismatch",
         "class-missing-in-source", "rows-not-probabilities", "classes-needed", "classes-vs-columns",
         "duplicate-classes", "mode-mismatch", "unknown-target-label", "mixed-label-types",
         "negative-weights", "weights-vs-classes", "unknown-label-in-y", "probas-columns",
         "test-kinds-differ", "test-alpha"],
)
def test_errors_name_the_parameter(call, error, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
