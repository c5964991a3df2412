"""Confidence-based performance estimation (CBPE) of a classifier, without labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.estimation._calibration import Calibrator
from driftline.estimation._result import EstimatedConfusionMatrix, PerformanceEstimate
from driftline.metrics import MetricValue
from driftline.metrics._bands import percentile_band
from driftline.metrics._inputs import check_level, score_inputs, z_value

__all__ = ["BANDS", "CALIBRATIONS", "CBPE", "CBPE_METRICS"]

CALIBRATIONS = ("auto", "isotonic", "none")
CBPE_METRICS = ("roc_auc", "accuracy", "f1", "precision", "recall")
Calibration = Literal["auto", "isotonic", "none"]
BANDS = ("analytic", "simulation")
Bands = Literal["analytic", "simulation"]

# Simulate labels in batches of about this many cells, whatever the chunk size.
_CHUNK_CELLS = 1 << 20


class CBPE:
    """Estimate a classifier's ROC AUC, accuracy, F1, precision, recall and confusion matrix
    from its scores alone.

    Parameters
    ----------
    classes : the label order; a 1-D score is P(``classes[1]``). Default: the sorted labels of
        the reference.
    threshold : binary only: the label predicted is ``classes[1]`` when the raw score is
        ``>= threshold`` (used when :meth:`estimate` gets no ``predictions``). Multiclass
        predictions default to the highest-scoring class.
    calibration : ``"auto"`` (calibrate with isotonic regression when cross-fitting shows it
        lowers the Brier score on the reference), ``"isotonic"`` (always) or ``"none"`` (trust
        the scores).
    level : the bands' confidence level.
    bands : ``"analytic"`` (normal bands from the delta method, the default) or
        ``"simulation"`` (a parametric bootstrap of ``n_sim`` label sets); see Notes.
    n_sim : label sets simulated per chunk when ``bands="simulation"`` (an integer >= 10).
    seed : seeds the cross-fitting folds and the simulation.

    Notes
    -----
    Let ``p_i(c)`` be the calibrated probability that row ``i`` is of class ``c`` and ``d_i``
    its predicted class. If the probabilities are right, the expected confusion matrix is
    ``E[C_cd] = sum_i p_i(c) [d_i = d]``; accuracy is its trace over ``n``; precision, recall
    and F1 are ``TP/(TP+FP)``, ``TP/(TP+FN)`` and ``2TP/(2TP+FP+FN)`` of the expected counts
    (a ratio with a zero denominator is 0, as in :func:`driftline.metrics.classification_report`).
    Binary tasks report the positive class ``classes[1]``; multiclass tasks the macro average.
    ROC AUC uses the expected ROC curve: a row counts ``p_i`` as a positive and ``1 - p_i`` as
    a negative at its raw score, ``sum_i p_i (N_<(s_i) + N_=(s_i)/2) / (P N)``; multiclass is
    the one-vs-rest macro average.

    **Bands** say where the realized metric on this chunk should fall, at ``level``, when the
    assumptions hold: each row's label is an independent draw from ``p_i`` while the scores and
    predictions stay fixed. They cover the chunk's sampling error, not the error of the
    calibration fit (small for a reference of thousands of rows).

    ``bands="analytic"`` (``method == "normal"``): every metric is a smooth function of sums
    ``sum_i Y_ic w_ic`` of the one-hot labels (confusion-matrix cells; for ROC AUC the positives
    ``m_c = sum_i Y_ic`` and their rank sum ``U_c = sum_i Y_ic r_ic``, the Mann-Whitney form
    ``(U_c - m_c (m_c + 1) / 2) / (m_c (n - m_c))``). The delta method linearizes the metric
    around the expected sums into ``sum_i sum_c Y_ic w_ic``, whose variance is exact for
    independent rows with multinomial labels: ``sum_i [sum_c p_i(c) w_ic^2 - (sum_c p_i(c)
    w_ic)^2]``. The band is the estimate ``± z·sd``, clipped to [0, 1]; a confusion-matrix
    cell's is its expected count ``± z·sqrt(sum_i p_i(c) (1 - p_i(c)))`` over the rows
    predicted ``d``. Macro averages (multiclass) keep the classes' covariances. No band when
    the expected positives or negatives of a class are zero.

    ``bands="simulation"`` (``method == "simulation"``): a parametric bootstrap, ``n_sim`` label
    sets drawn from ``p_i``, each set's realized metrics computed, and the band the central
    ``level`` interval of them. Draws where a metric is undefined (a class absent) are left
    out; with fewer than half defined no band is given. About 100 times slower.

    **Assumptions.** (1) The calibrated scores are right: ``P(y = c | score) = p(c)``, which
    calibration on the reference makes true *there*. (2) No concept drift: ``P(y | x)`` is the
    same in production as in the reference. Covariate shift (``P(x)`` changes) is what CBPE
    handles. **Blind spot:** under concept drift the scores stay put while the labels move, so
    CBPE reports the reference performance while the realized performance drops. Pair it with
    realized metrics once labels arrive, and with drift tests.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> s = rng.uniform(size=3000)
    >>> y = (rng.uniform(size=3000) < s).astype(int)    # labels drawn from the scores
    >>> cbpe = CBPE(n_sim=200).fit(s[:2000], y[:2000])
    >>> est = cbpe.estimate(s[2000:])
    >>> v = est["accuracy"]
    >>> realized = float(np.mean((s[2000:] >= 0.5) == y[2000:]))
    >>> round(v.value, 2), round(realized, 2), v.lower <= realized <= v.upper
    (0.75, 0.75, True)
    >>> sorted(est.scalars())
    ['accuracy', 'f1', 'precision', 'recall', 'roc_auc']

    References
    ----------
    .. [1] NannyML. Confidence-based Performance Estimation (CBPE).
       https://nannyml.readthedocs.io/en/stable/how_it_works/performance_estimation.html
    .. [2] Zadrozny, B. & Elkan, C. (2002). Transforming classifier scores into accurate
       multiclass probability estimates. KDD.
    """

    def __init__(self, *, classes: Sequence[Any] | None = None, threshold: float = 0.5,
                 calibration: Calibration = "auto", level: float = 0.95, bands: Bands = "analytic",
                 n_sim: int = 500, seed: int | None = 0) -> None:
        if calibration not in CALIBRATIONS:
            raise ParameterError.choice("calibration", calibration, CALIBRATIONS)
        if bands not in BANDS:
            raise ParameterError.choice("bands", bands, BANDS)
        numeric = isinstance(threshold, (int, float)) and not isinstance(threshold, bool)
        if not numeric or not np.isfinite(threshold):
            raise ParameterError.invalid("threshold", threshold, "a finite number", "For example 0.5.")
        if isinstance(n_sim, bool) or not isinstance(n_sim, (int, np.integer)) or n_sim < 10:
            raise ParameterError.invalid("n_sim", n_sim, "an integer >= 10", "For example n_sim=500.")
        self.classes = classes
        self.threshold = float(threshold)
        self.calibration = calibration
        self.level = check_level(level)
        self.bands = bands
        self.n_sim = int(n_sim)
        self.seed = seed
        self._calibrator: Calibrator | None = None
        self.classes_: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return (f"CBPE(classes={self.classes!r}, threshold={self.threshold}, "
                f"calibration={self.calibration!r}, level={self.level}, bands={self.bands!r}, "
                f"n_sim={self.n_sim}, "
                f"seed={self.seed})")

    @property
    def calibrated(self) -> bool:
        """Whether :meth:`fit` chose to calibrate the scores (see ``calibration``)."""
        return self._fitted().calibrated

    def fit(self, reference_scores: Any, reference_labels: Any) -> CBPE:
        """Calibrate on the reference: the model's scores on held-out rows and their labels.

        Parameters
        ----------
        reference_scores : P(``classes[1]``) (1-D) or an ``(n, 2)`` array for binary; an
            ``(n, k)`` array with columns in ``classes`` order for multiclass.
        reference_labels : the true labels of those rows.

        Examples
        --------
        >>> cbpe = CBPE().fit([0.1, 0.8, 0.3, 0.9, 0.6, 0.2, 0.7, 0.4, 0.95, 0.05],
        ...                   ["no", "yes", "no", "yes", "yes", "no", "yes", "no", "yes", "no"])
        >>> cbpe.classes_, cbpe.calibrated
        (('no', 'yes'), False)
        """
        p = score_inputs(reference_labels, reference_scores, self.classes, name="reference_scores")
        if p.n < 2 * 5:
            raise DataError(f"reference_scores needs at least 10 rows to calibrate; got {p.n}.")
        counts = np.bincount(p.y, minlength=len(p.classes))
        if counts.min() == 0:
            absent = [p.classes[i] for i in np.flatnonzero(counts == 0).tolist()]
            raise DataError(f"reference_labels has no rows of class(es) {absent!r}; the reference "
                            "needs every class to calibrate. Pass classes=[...] with only the "
                            "model's classes, or a larger reference.")
        if self.calibration == "none" and (p.pred.min() < 0 or p.pred.max() > 1):
            raise ParameterError.invalid("calibration", "none", "'auto' or 'isotonic' for scores "
                                         "outside [0, 1]", "Scores must be probabilities to skip it.")
        self._calibrator = Calibrator(self.calibration, seed=self.seed).fit(p.pred, p.y)
        self.classes_ = p.classes
        return self

    def estimate(self, scores: Any, predictions: Any = None) -> PerformanceEstimate:
        """Estimate the metrics of one chunk from its scores (and predicted labels).

        Parameters
        ----------
        scores : the chunk's scores, shaped as in :meth:`fit`.
        predictions : the predicted labels; default: from the scores (see ``threshold``).

        Examples
        --------
        >>> rng = np.random.default_rng(1)
        >>> s = rng.dirichlet([1, 1, 1], size=1500)
        >>> y = np.array([rng.choice(3, p=row) for row in s])
        >>> est = CBPE(n_sim=100).fit(s[:1000], y[:1000]).estimate(s[1000:])
        >>> est.task, round(float(est.confusion_matrix.array().sum()), 6)
        ('multiclass', 500.0)
        """
        calibrator = self._fitted()
        s = self._scores(scores)
        pred = self._predictions(s, predictions)
        prob = calibrator.transform(s)
        values = _expected(s, prob, pred)
        n, k = s.shape
        if self.bands == "analytic":
            z = z_value(self.level)
            sds = _analytic_sd(s, prob, pred, values["cm"])
            metrics = tuple(_normal_band(name, values[name], sds[name], z, n, self.level)
                            for name in CBPE_METRICS)
            half = z * sds["cm"].ravel()
            flat = values["cm"].ravel()
            cap = np.tile(values["cm"].sum(axis=0), k)  # a cell holds at most its column's rows
            lows = np.maximum(flat - half, 0.0).tolist()
            highs = np.minimum(flat + half, cap).tolist()
        else:
            sims = _simulate(s, prob, pred, self.n_sim, self.seed)
            metrics = tuple(self._banded(name, values[name], sims[name], n) for name in CBPE_METRICS)
            cells = [percentile_band(sims["cm"][:, j], self.level) for j in range(k * k)]
            lows, highs = [c[0] for c in cells], [c[1] for c in cells]
        lower = _grid(lows, k) if None not in lows else None
        upper = _grid(highs, k) if None not in highs else None
        matrix = EstimatedConfusionMatrix(self.classes_, _grid(values["cm"].ravel().tolist(), k),
                                          lower, upper, self.level)
        note = ("scores calibrated with isotonic regression on the reference" if calibrator.calibrated
                else f"scores used as probabilities as they are (calibration={self.calibration!r})")
        n_sim = self.n_sim if self.bands == "simulation" else 0
        return PerformanceEstimate("cbpe", "binary" if k == 2 else "multiclass", n, self.classes_,
                                   metrics, matrix, (note,), self.level, self.bands, n_sim, self.seed)

    def _fitted(self) -> Calibrator:
        if self._calibrator is None:
            raise DataError("this CBPE is not fitted; call fit(reference_scores, reference_labels) first.")
        return self._calibrator

    def _scores(self, scores: Any) -> np.ndarray:
        k = len(self.classes_)
        s = np.asarray(scores, dtype=float)
        if s.ndim == 1 and k == 2:
            s = np.column_stack([1.0 - s, s])
        if s.ndim != 2 or s.shape[1] != k or s.shape[0] == 0:
            raise DataError(f"scores must be shaped like the reference's: (n, {k})"
                            f"{' or 1-D' if k == 2 else ''} with n >= 1; got shape {np.shape(scores)}.")
        if not np.isfinite(s).all():
            raise DataError("scores must be finite; drop or impute the NaN or infinite rows first.")
        return s

    def _predictions(self, s: np.ndarray, predictions: Any) -> np.ndarray:
        if predictions is None:
            if s.shape[1] == 2:
                return (s[:, 1] >= self.threshold).astype(np.intp)
            return np.argmax(s, axis=1).astype(np.intp)
        labels = np.asarray(predictions).tolist()
        if np.ndim(predictions) != 1 or len(labels) != s.shape[0]:
            raise DataError(f"predictions must be 1-D with one label per row of scores ({s.shape[0]}); "
                            f"got shape {np.shape(predictions)}.")
        index = {c: i for i, c in enumerate(self.classes_)}
        unknown = sorted({str(v) for v in labels if v not in index})
        if unknown:
            raise DataError(f"predictions has label(s) {unknown[:5]!r} that are not in classes "
                            f"{list(self.classes_)!r}; pass labels the model was fitted with.")
        return np.array([index[v] for v in labels], dtype=np.intp)

    def _banded(self, name: str, value: float, sims: np.ndarray, n: int) -> MetricValue:
        lo, hi = percentile_band(sims, self.level, (0.0, 1.0)) if n >= 2 else (None, None)
        return MetricValue(name, value, lo, hi, n, "simulation" if lo is not None else None, self.level)


def _normal_band(name: str, value: float, sd: float, z: float, n: int, level: float) -> MetricValue:
    if n < 2 or not (np.isfinite(value) and np.isfinite(sd)):
        return MetricValue(name, value, None, None, n, None, level)
    return MetricValue(name, value, max(0.0, value - z * sd), min(1.0, value + z * sd), n, "normal", level)


def _ratio_grads(cm: np.ndarray) -> dict[str, np.ndarray]:
    """d metric / d cell ``(k, k)`` of accuracy, precision, recall and F1 at the matrix ``cm``."""
    k = cm.shape[0]
    tp = np.diag(cm)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    eye = np.eye(k)
    inv_p, inv_r = _ratio(np.ones(k), predicted), _ratio(np.ones(k), support)
    den = predicted + support
    inv_d = _ratio(np.ones(k), den)
    # grads[c] is the (k, k) gradient of class c's metric; cell (a, b): true a, predicted b.
    diag = eye[:, :, None] * eye[:, None, :]  # [c, a, b] = [a == b == c]
    col = eye[:, None, :] * np.ones((1, k, 1))  # [c, a, b] = [b == c]
    row = eye[:, :, None] * np.ones((1, 1, k))  # [c, a, b] = [a == c]
    prec = diag * inv_p[:, None, None] - col * (tp * inv_p**2)[:, None, None]
    rec = diag * inv_r[:, None, None] - row * (tp * inv_r**2)[:, None, None]
    f1 = 2 * diag * inv_d[:, None, None] - 2 * (col + row) * (tp * inv_d**2)[:, None, None]
    out = {"accuracy": eye / cm.sum()}
    for name, g in (("precision", prec), ("recall", rec), ("f1", f1)):
        out[name] = g[1] if k == 2 else g.mean(axis=0)
    return out


def _linear_sd(prob: np.ndarray, w: np.ndarray) -> float:
    """The sd of ``sum_i sum_c Y_ic w_ic`` with independent rows, ``Y_i ~ Multinomial(1, prob_i)``."""
    pw = prob * w
    return float(np.sqrt(max(0.0, np.sum(pw * w) - np.sum(pw.sum(axis=1) ** 2))))


def _analytic_sd(s: np.ndarray, prob: np.ndarray, pred: np.ndarray, cm: np.ndarray) -> dict[str, Any]:
    """Delta-method sds of the realized metrics when the labels are drawn from ``prob``."""
    n, k = s.shape
    out: dict[str, Any] = {name: _linear_sd(prob, g[:, pred].T) for name, g in _ratio_grads(cm).items()}
    cols = [1] if k == 2 else list(range(k))
    w = np.zeros((n, k))
    defined = True
    for c in cols:
        r = _midranks(s[:, c])
        m = prob[:, c].sum()
        u = prob[:, c] @ r
        den = m * (n - m)
        if not den > 0:
            defined = False
            break
        # AUC = (U - m (m + 1) / 2) / (m (n - m)): its partial derivatives in U and m.
        d_u = 1.0 / den
        d_m = (-(m + 0.5) * den - (u - m * (m + 1) / 2.0) * (n - 2.0 * m)) / den**2
        w[:, c] = (d_u * r + d_m) / len(cols)
    out["roc_auc"] = _linear_sd(prob, w) if defined else float("nan")
    out["cm"] = np.sqrt((prob * (1.0 - prob)).T @ np.eye(k)[pred])  # [c, d]: rows predicted d
    return out


def _grid(values: Sequence[float | None], k: int) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v or 0.0) for v in values[i * k:(i + 1) * k]) for i in range(k))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _class_scores(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, precision, recall and F1 of confusion matrices ``(..., k, k)`` (rows: true);
    binary reports class 1, multiclass the macro average."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    predicted, support = cm.sum(axis=-2), cm.sum(axis=-1)
    out = {"accuracy": tp.sum(-1) / cm.sum(axis=(-2, -1)), "precision": _ratio(tp, predicted),
           "recall": _ratio(tp, support), "f1": _ratio(2 * tp, predicted + support)}
    k = cm.shape[-1]
    for name in ("precision", "recall", "f1"):
        out[name] = out[name][..., 1] if k == 2 else out[name].mean(-1)
    return out


def _expected_auc(score: np.ndarray, prob: np.ndarray) -> float:
    _, group = np.unique(score, return_inverse=True)
    pos = np.bincount(group, weights=prob)
    neg = np.bincount(group, weights=1.0 - prob)
    below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    return float(np.sum(pos * (below + neg / 2.0)) / total) if total > 0 else float("nan")


def _expected(s: np.ndarray, prob: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    k = s.shape[1]
    cm = prob.T @ np.eye(k)[pred]
    out: dict[str, Any] = {name: float(v) for name, v in _class_scores(cm).items()}
    cols = [1] if k == 2 else range(k)
    out["roc_auc"] = float(np.mean([_expected_auc(s[:, c], prob[:, c]) for c in cols]))
    out["cm"] = cm
    return out


def _midranks(x: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]


def _simulate(s: np.ndarray, prob: np.ndarray, pred: np.ndarray, n_sim: int,
              seed: int | None) -> dict[str, np.ndarray]:
    """Realized metrics of ``n_sim`` label sets drawn from ``prob``, the scores held fixed."""
    n, k = s.shape
    rng = np.random.default_rng(seed)
    onehot = np.eye(k)[pred]
    cols = [1] if k == 2 else list(range(k))
    ranks = {c: _midranks(s[:, c]) for c in cols}
    upper = np.cumsum(prob, axis=1)[:, :-1]
    batch = max(1, _CHUNK_CELLS // max(n, 1))
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, n_sim, batch):
        u = rng.uniform(size=(min(batch, n_sim - start), n))
        y = np.zeros(u.shape, dtype=np.intp)
        for c in range(k - 1):
            y += u >= upper[None, :, c]
        members = [(y == c).astype(float) for c in range(k)]
        cm = np.stack([m @ onehot for m in members], axis=1)
        part = _class_scores(cm)
        part["roc_auc"] = np.mean([_rank_auc(members[c], ranks[c]) for c in cols], axis=0)
        part["cm"] = cm.reshape(cm.shape[0], k * k)
        parts.append(part)
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _rank_auc(member: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The Mann–Whitney AUC of each row of 0/1 ``member`` against fixed score ``ranks``."""
    n1 = member.sum(axis=1)
    n0 = member.shape[1] - n1
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (member @ ranks - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    return np.where((n1 > 0) & (n0 > 0), auc, np.nan)
