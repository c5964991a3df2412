"""Label shift: black-box shift estimation (BBSE), RLLS regularisation, a test and the corrections.

Under label shift the class prior changes, :math:`p_t(y) \\ne p_s(y)`, while the class-conditional
inputs stay put, :math:`p_t(x \\mid y) = p_s(x \\mid y)`. A fixed classifier's predictions then let
us estimate the importance weights :math:`w_j = p_t(y=j) / p_s(y=j)` without target labels, test
whether the prior moved, and correct a model for it: re-weighted retraining through per-row sample
weights, and prior-corrected probabilities for the model being served.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.stats import Sample, TestResult, chi_square

__all__ = ["LabelShiftEstimator", "LabelShiftResult", "correct_probabilities", "label_shift_test",
           "sample_weights"]

Regularization = Literal["rlls", "clip", "none"]
_REGULARIZATIONS = ("rlls", "clip", "none")
_ROW_SUM_TOL = 1e-6


@dataclass(frozen=True)
class LabelShiftResult:
    """Estimated importance weights and target prior, one entry per class.

    Attributes
    ----------
    classes : the class labels, in the order of every per-class tuple below.
    weights : the importance weights :math:`\\hat w_j = \\hat p_t(j) / \\hat p_s(j)` after
        regularisation; multiply a source row of class ``j`` by ``weights[j]``.
    weights_unregularized : :math:`\\hat C^{-1} \\hat\\mu` before clipping or regularisation; it can
        be negative or huge when :math:`\\hat C` is badly conditioned.
    target_prior : :math:`\\hat w \\odot \\hat p_s`, renormalised to sum to one (the unregularised
        product already sums to one exactly; clipping and the ridge move it slightly).
    source_prior : class shares in the held-out source labels.
    source_prediction_marginal, target_prediction_marginal : mean predicted label (hard) or mean
        predicted probability (soft) per class, on each side.
    condition_number : 2-norm condition number of the joint confusion matrix :math:`\\hat C`.
    regularization : ``"rlls"``, ``"clip"`` or ``"none"``.
    delta : the RLLS ridge strength used; ``None`` unless ``regularization="rlls"``.
    adjustment : :math:`\\lVert \\hat w - \\hat w_{\\text{unregularized}} \\rVert_2`, how much the
        regularisation moved the weights.
    n_clipped : how many unregularised weights were negative.
    mode : ``"hard"`` (predicted labels) or ``"soft"`` (predicted probabilities).
    n_source, n_target : rows on each side.
    warnings : notes on the reliability of the estimate, in words.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2_000)
    >>> pred = np.where(rng.random(2_000) < 0.9, y, 1 - y)    # a classifier right 90% of the time
    >>> est = LabelShiftEstimator().fit(y, pred)
    >>> y_t = (rng.random(2_000) < 0.7).astype(int)           # the target: 70% of class 1
    >>> pred_t = np.where(rng.random(2_000) < 0.9, y_t, 1 - y_t)
    >>> result = est.estimate(pred_t)
    >>> [round(p, 1) for p in result.target_prior], result.to_dict()["mode"]
    ([0.3, 0.7], 'hard')
    """

    classes: tuple[Any, ...]
    weights: tuple[float, ...]
    weights_unregularized: tuple[float, ...]
    target_prior: tuple[float, ...]
    source_prior: tuple[float, ...]
    source_prediction_marginal: tuple[float, ...]
    target_prediction_marginal: tuple[float, ...]
    condition_number: float
    regularization: str
    delta: float | None
    adjustment: float
    n_clipped: int
    mode: str
    n_source: int
    n_target: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; tuples become lists and an infinite condition number ``"inf"``."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, float) and not math.isfinite(value):
                value = None if math.isnan(value) else "inf"
            out[key] = value
        return out


class LabelShiftEstimator:
    """Black-box shift estimation (BBSE) of label-shift importance weights.

    ``fit`` on a held-out *source* sample (labels and the model's predictions, never the model's
    training rows), then ``estimate`` the weights from the model's predictions on an unlabelled
    *target* sample, and ``test`` whether the prediction marginal moved.

    Parameters
    ----------
    regularization : ``"rlls"`` (default) solves the ridge-regularised, non-negative problem of
        Azizzadenesheli et al.; ``"clip"`` sets negative BBSE weights to zero; ``"none"`` returns
        :math:`\\hat C^{-1}\\hat\\mu` as is.
    delta : RLLS ridge strength :math:`\\Delta \\ge 0`. ``None`` (default) uses
        :math:`(1/n_s + 1/n_t) / k^2`: the squared sampling error of :math:`\\hat C w - \\hat\\mu` is
        of order :math:`1/n_s + 1/n_t`, and :math:`k^2` puts the penalty on the scale of the joint
        matrix, whose entries are of order :math:`1/k`. Larger values pull the weights harder
        towards one (no shift).

    Notes
    -----
    Hard mode (1-D predicted labels) uses the **joint** confusion matrix
    :math:`C_{ij} = P_s(\\hat y = i, y = j)`; soft mode (an ``(n, k)`` array of probabilities)
    uses :math:`C_{ij} = E_s[\\hat p_i(x)\\, 1\\{y = j\\}]`. With :math:`\\mu_i` the target's mean
    predicted label or probability, label shift gives :math:`\\mu = C w`, so
    :math:`\\hat w = \\hat C^{-1} \\hat\\mu`. The *conditional* matrix
    :math:`P_s(\\hat y = i \\mid y = j) = C_{ij} / p_s(j)` would instead return the target prior
    :math:`w \\odot p_s`, not the weights. The error :math:`\\lVert \\hat w - w \\rVert^2` is
    :math:`O(1/n)` when :math:`C` is invertible, with a constant growing with its condition number.

    RLLS writes :math:`w = 1 + \\theta` and :math:`b = \\hat\\mu - \\hat C 1`, and shrinks
    :math:`\\theta` towards zero (no shift). This implementation uses the squared-norm form
    :math:`\\min_{w \\ge 0} \\lVert \\hat C w - \\hat\\mu \\rVert_2^2 + \\Delta \\lVert w - 1
    \\rVert_2^2`, solved exactly by non-negative least squares on the stacked system
    :math:`[\\hat C; \\sqrt\\Delta I]\\, w \\approx [\\hat\\mu; \\sqrt\\Delta 1]`. The paper
    penalises the unsquared norms and does not constrain the sign; the squared form keeps a
    closed, convex problem, and the sign constraint is what makes the weights usable.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> def noisy(y):  # a classifier that is right 80 % of the time
    ...     wrong = rng.random(y.size) < 0.2
    ...     return np.where(wrong, rng.integers(0, 3, y.size), y)
    >>> y_src = rng.choice(3, size=20_000, p=[0.5, 0.3, 0.2])
    >>> y_tgt = rng.choice(3, size=20_000, p=[0.2, 0.3, 0.5])
    >>> est = LabelShiftEstimator().fit(y_src, noisy(y_src))
    >>> r = est.estimate(noisy(y_tgt))
    >>> np.round(r.weights, 1).tolist()          # true weights: 0.4, 1.0, 2.5
    [0.4, 1.0, 2.5]
    >>> np.round(r.target_prior, 2).tolist()
    [0.2, 0.3, 0.5]
    >>> est.test(noisy(y_tgt)).drifted
    True

    References
    ----------
    .. [1] Lipton, Z., Wang, Y.-X. and Smola, A. (2018). Detecting and correcting for label shift
       with black box predictors. ICML.
    .. [2] Azizzadenesheli, K., Liu, A., Yang, F. and Anandkumar, A. (2019). Regularized learning
       for domain adaptation under label shifts. ICLR.
    """

    def __init__(self, regularization: Regularization = "rlls", delta: float | None = None) -> None:
        if regularization not in _REGULARIZATIONS:
            raise ParameterError.choice("regularization", regularization, _REGULARIZATIONS)
        if delta is not None and (isinstance(delta, bool) or not isinstance(delta, (int, float))
                                  or not 0 <= delta < math.inf):
            raise ParameterError.invalid("delta", delta, "a finite float >= 0 or None (sample-size aware)")
        self.regularization = regularization
        self.delta = None if delta is None else float(delta)

    def __repr__(self) -> str:
        return f"LabelShiftEstimator(regularization={self.regularization!r}, delta={self.delta!r})"

    def fit(self, y_true: Any, predictions: Any, *, classes: Any = None) -> LabelShiftEstimator:
        """Learn the joint confusion matrix from a held-out, labelled source sample.

        Parameters
        ----------
        y_true : the source labels, shape ``(n,)``.
        predictions : the model's predicted labels, shape ``(n,)`` (hard mode), or its predicted
            probabilities, shape ``(n, k)`` (soft mode).
        classes : the class labels; in soft mode, in the column order of the probabilities (a
            scikit-learn model's ``classes_``). Defaults to the sorted labels seen.
        """
        y = np.asarray(y_true)
        pred = np.asarray(predictions)
        if y.ndim != 1 or y.size == 0 or pred.ndim not in (1, 2) or pred.shape[0] != y.size:
            raise DataError(f"y_true must be 1-D and predictions (n,) or (n, k) with the same n; got "
                            f"shapes {y.shape} and {pred.shape}.")
        self.mode_ = "hard" if pred.ndim == 1 else "soft"
        self.classes_ = _classes(classes, y, pred)
        k = self.classes_.size
        y_idx = _encode(y, self.classes_, "y_true")
        onehot_y = np.eye(k)[y_idx]
        scores = self._scores(pred, "predictions")
        self.source_prior_ = onehot_y.mean(axis=0)
        missing = self.classes_[self.source_prior_ == 0]
        if missing.size:
            raise DataError(f"y_true has no rows of class(es) {missing.tolist()}; their weights cannot be "
                            "estimated. Use a larger held-out source sample, or drop those classes.")
        self.joint_confusion_ = scores.T @ onehot_y / y.size
        self.source_prediction_marginal_ = scores.mean(axis=0)
        self.source_prediction_counts_ = np.bincount(scores.argmax(axis=1), minlength=k)
        self.n_source_ = int(y.size)
        return self

    def estimate(self, predictions: Any) -> LabelShiftResult:
        """Estimate the weights from the model's predictions on an unlabelled target sample.

        ``predictions`` must be of the kind ``fit`` saw: predicted labels or probabilities.
        """
        scores = self._target_scores(predictions)
        mu = scores.mean(axis=0)
        c = self.joint_confusion_
        cond = float(np.linalg.cond(c))
        notes: list[str] = []
        if not np.isfinite(cond) or cond > 1e12:
            notes.append(f"the confusion matrix is singular (condition number {cond:.3g}): some class is "
                         "never predicted or two classes are indistinguishable; unregularised weights "
                         "are a least-squares solution.")
        raw = np.linalg.lstsq(c, mu, rcond=None)[0]
        delta = None
        if self.regularization == "rlls":
            delta = self.delta if self.delta is not None else _default_delta(
                self.n_source_, scores.shape[0], self.classes_.size)
            w = _rlls(c, mu, delta)
        elif self.regularization == "clip":
            w = np.maximum(raw, 0.0)
        else:
            w = raw
            if (raw < 0).any():
                notes.append(f"{int(np.count_nonzero(raw < 0))} weight(s) came out negative; use "
                             "regularization='rlls' (or 'clip') before using them as sample weights.")
        prior = w * self.source_prior_
        total = prior.sum()
        prior = prior / total if total > 0 else self.source_prior_.copy()
        return LabelShiftResult(
            classes=tuple(self.classes_.tolist()), weights=_floats(w), weights_unregularized=_floats(raw),
            target_prior=_floats(prior), source_prior=_floats(self.source_prior_),
            source_prediction_marginal=_floats(self.source_prediction_marginal_),
            target_prediction_marginal=_floats(mu), condition_number=cond,
            regularization=self.regularization, delta=delta, adjustment=float(np.linalg.norm(w - raw)),
            n_clipped=int(np.count_nonzero(raw < 0)), mode=self.mode_, n_source=self.n_source_,
            n_target=int(scores.shape[0]), warnings=tuple(notes),
        )

    def test(self, predictions: Any, *, alpha: float = 0.05) -> TestResult:
        """Test for label shift: the target's predicted labels against the source's.

        Chi-square test of homogeneity on the predicted-label counts (the BBSD test of Lipton et
        al.; probabilities are reduced to their arg-max). Under label shift the prediction marginal
        moves as :math:`\\mu = C w`, so an invertible :math:`C` makes any prior change detectable.
        The result's method is ``"label_shift_chi_square"``.
        """
        scores = self._target_scores(predictions)
        k = self.classes_.size
        target_counts = np.bincount(scores.argmax(axis=1), minlength=k)
        ref = Sample.from_counts(np.arange(k), self.source_prediction_counts_)
        cur = Sample.from_counts(np.arange(k), target_counts)
        return _renamed(chi_square(ref, cur, alpha=alpha))

    def _target_scores(self, predictions: Any) -> np.ndarray:
        if not hasattr(self, "joint_confusion_"):
            raise DataError("this LabelShiftEstimator is not fitted yet; "
                            "call fit(y_true, predictions) first.")
        pred = np.asarray(predictions)
        if (pred.ndim == 1) != (self.mode_ == "hard") or pred.ndim not in (1, 2) or pred.shape[0] == 0:
            want = "1-D predicted labels" if self.mode_ == "hard" else "an (n, k) array of probabilities"
            raise DataError(f"predictions must be {want}, as in fit; got an array of shape {pred.shape}.")
        return self._scores(pred, "predictions")

    def _scores(self, pred: np.ndarray, name: str) -> np.ndarray:
        """One row per sample: one-hot predicted labels (hard) or the validated probabilities (soft)."""
        k = self.classes_.size
        if pred.ndim == 1:
            return np.eye(k)[_encode(pred, self.classes_, name)]
        return _check_probas(pred, k, name)


def label_shift_test(reference: Any, current: Any, *, alpha: float = 0.05) -> TestResult:
    """Test for label shift from a model's predictions on a source and a target sample.

    Chi-square test of homogeneity of the predicted labels (BBSD, Lipton et al. 2018).
    ``reference`` and ``current`` are both 1-D predicted labels, or both ``(n, k)`` probability
    arrays with the same columns (reduced to their arg-max). No true labels are needed. The
    method is ``"label_shift_chi_square"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> source = rng.choice(3, size=2000, p=[0.6, 0.3, 0.1])
    >>> label_shift_test(source, rng.choice(3, size=2000, p=[0.3, 0.3, 0.4])).drifted
    True
    """
    ref, cur = np.asarray(reference), np.asarray(current)
    if ref.ndim != cur.ndim or ref.ndim not in (1, 2) or (ref.ndim == 2 and ref.shape[1] != cur.shape[1]):
        raise DataError(f"reference and current must both be 1-D predicted labels or both (n, k) "
                        f"probabilities; got shapes {ref.shape} and {cur.shape}.")
    if ref.ndim == 2:
        k = ref.shape[1]
        ref = _check_probas(ref, k, "reference").argmax(axis=1)
        cur = _check_probas(cur, k, "current").argmax(axis=1)
    return _renamed(chi_square(ref, cur, alpha=alpha))


def sample_weights(y: Any, weights: LabelShiftResult | Any, *, classes: Any = None) -> np.ndarray:
    """Per-row weights for re-weighted retraining on source rows: ``weights[class of y_i]``.

    Pass the array as ``sample_weight`` to the training function, so the source loss estimates
    the target loss. ``weights`` is a :class:`LabelShiftResult` or a per-class array; with an
    array, ``classes`` gives its labels (default ``0 … k-1``).

    Examples
    --------
    >>> sample_weights(["a", "b", "b"], [0.5, 2.0], classes=["a", "b"]).tolist()
    [0.5, 2.0, 2.0]
    """
    w, labels = _weights_and_classes(weights, classes)
    return w[_encode(np.asarray(y), labels, "y")]


def correct_probabilities(probas: Any, weights: LabelShiftResult | Any) -> np.ndarray:
    """Prior-corrected probabilities :math:`p'(y \\mid x) \\propto w_y\\, p(y \\mid x)`, renormalised.

    The Bayes-rule correction of a calibrated source model for the target prior (Saerens et al.,
    2002). Columns follow the weights' classes. A row whose corrected mass is zero (every class
    it supports has weight zero) is returned unchanged.

    Examples
    --------
    >>> correct_probabilities([[0.5, 0.5], [0.9, 0.1]], [1.0, 3.0]).round(3).tolist()
    [[0.25, 0.75], [0.75, 0.25]]

    References
    ----------
    .. [1] Saerens, M., Latinne, P. and Decaestecker, C. (2002). Adjusting the outputs of a
       classifier to new a priori probabilities: a simple procedure. Neural Computation, 14(1).
    """
    w, _ = _weights_and_classes(weights, None)
    p = _check_probas(np.asarray(probas), w.size, "probas")
    scaled = p * w
    total = scaled.sum(axis=1, keepdims=True)
    ok = total[:, 0] > 0
    out = p.copy()
    out[ok] = scaled[ok] / total[ok]
    return out


def _default_delta(n_source: int, n_target: int, k: int) -> float:
    """``(1/n_s + 1/n_t) / k**2``: the noise of ``C w - mu`` on the scale of ``C`` (entries ~ 1/k)."""
    return (1.0 / n_source + 1.0 / n_target) / k**2


def _rlls(c: np.ndarray, mu: np.ndarray, delta: float) -> np.ndarray:
    """``argmin_{w >= 0} ||C w - mu||^2 + delta ||w - 1||^2`` by NNLS on the stacked system."""
    from scipy.optimize import nnls

    k = c.shape[0]
    root = math.sqrt(delta)
    a = np.vstack((c, root * np.eye(k)))
    b = np.concatenate((mu, np.full(k, root)))
    return np.asarray(nnls(a, b)[0], dtype=np.float64)


def _classes(classes: Any, y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    if pred.ndim == 1 and (y.dtype.kind in "USO") != (pred.dtype.kind in "USO"):
        raise DataError(f"y_true and predictions must hold labels of the same type; got {y.dtype} and "
                        f"{pred.dtype}. Convert one to the other's labels.")
    if classes is None:
        seen = np.unique(y) if pred.ndim == 2 else np.unique(np.concatenate((y, pred)))
        if pred.ndim == 2 and seen.size != pred.shape[1]:
            raise DataError(f"y_true has {seen.size} distinct labels but predictions has {pred.shape[1]} "
                            "columns; pass classes= in the column order (a scikit-learn model's classes_).")
        return seen
    labels = np.asarray(classes)
    if labels.ndim != 1 or labels.size < 2 or np.unique(labels).size != labels.size:
        raise ParameterError.invalid("classes", classes, "a 1-D sequence of at least two distinct labels")
    if pred.ndim == 2 and labels.size != pred.shape[1]:
        raise ParameterError.invalid("classes", classes,
                                     f"{pred.shape[1]} labels, one per predictions column")
    return labels


def _encode(values: np.ndarray, classes: np.ndarray, name: str) -> np.ndarray:
    """Positions of ``values`` in ``classes`` (any order); unknown labels are a DataError."""
    order = np.argsort(classes, kind="stable")
    ranked = classes[order]
    try:
        pos = np.clip(np.searchsorted(ranked, values), 0, ranked.size - 1)
        known = ranked[pos] == values
    except TypeError as exc:
        raise DataError(f"{name} has labels that cannot be compared with the classes "
                        f"{classes.tolist()}.") from exc
    if values.ndim != 1 or not np.all(known):
        unknown = np.unique(values[~known]).tolist()[:5] if values.ndim == 1 else values.shape
        raise DataError(f"{name} must hold labels among the classes {classes.tolist()}; got {unknown}.")
    return np.asarray(order[pos])


def _check_probas(p: np.ndarray, k: int, name: str) -> np.ndarray:
    if p.ndim != 2 or p.shape[1] != k or p.shape[0] == 0:
        raise DataError(f"{name} must be an (n, {k}) array of probabilities; got shape {p.shape}.")
    p = p.astype(np.float64, copy=False)
    if not np.all(np.isfinite(p)) or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=_ROW_SUM_TOL):
        raise DataError(f"{name} must hold finite, non-negative probabilities whose rows sum to 1; "
                        "pass predict_proba output, not decision scores.")
    return p


def _weights_and_classes(weights: LabelShiftResult | Any, classes: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(weights, LabelShiftResult):
        return np.asarray(weights.weights, dtype=np.float64), np.asarray(weights.classes)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size < 2 or not np.all(np.isfinite(w)) or (w < 0).any():
        raise ParameterError.invalid("weights", weights, "a LabelShiftResult or a 1-D array of k >= 2 "
                                     "finite, non-negative per-class weights")
    labels = np.arange(w.size) if classes is None else np.asarray(classes)
    if labels.shape != w.shape:
        raise ParameterError.invalid("classes", classes, f"{w.size} labels, one per weight")
    return w, labels


def _renamed(result: TestResult) -> TestResult:
    return replace(result, method="label_shift_chi_square")


def _floats(x: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in x)
