"""Models that adapt in real time: an incremental model watched by a streaming drift detector.

:class:`DriftAdaptive` wraps an incremental model (river's ``learn_one``/``predict_one`` or
scikit-learn's ``partial_fit``/``predict``), feeds the stream of its prequential errors to a
detector from :mod:`driftline.streaming`, grows a background model while the detector warns and
swaps it in when the detector signals drift. Unlike river's ``DriftRetrainingClassifier`` it
also handles regressors (river#1185), through a bounded loss.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming import HDDM_A, PageHinkley

__all__ = ["DriftAdaptive", "ModelSwap"]

TASKS = ("classification", "regression")
# The regression loss is min(1, |residual| / (_SCALE_FACTOR * scale)); see DriftAdaptive's Notes.
_SCALE_FACTOR = 3.0
_MIN_REGRESSION_GRACE = 20


class Detector(Protocol):
    """What DriftAdaptive needs of a detector: the streaming protocol of STYLE §4
    (``warning_detected`` is optional and read as False when absent)."""

    @property
    def drift_detected(self) -> bool: ...  # pragma: no cover

    def update(self, x: float) -> None: ...  # pragma: no cover

    def reset(self) -> None: ...  # pragma: no cover


@dataclass(frozen=True)
class ModelSwap:
    """One replacement of the model in use.

    Parameters
    ----------
    index : 0-based position, in the rows learned so far, of the row whose error made the
        detector signal drift. The new model learns this row and all later ones.
    reason : what happened, in words.
    warning_index : the row at which the warning that started the background model began, or
        ``None`` when no warning came first and a fresh model took over.
    background_rows : rows the new model had learned before taking over.

    Examples
    --------
    >>> ModelSwap(2047, "HDDM_A signalled drift", 2013, 34).to_dict()["background_rows"]
    34
    """

    index: int
    reason: str
    warning_index: int | None
    background_rows: int

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return asdict(self)


class _Slot:
    """A model and what the wrapper tracks about it."""

    def __init__(self, model: Any, fitted: bool, window: int) -> None:
        self.model = model
        self.fitted = fitted  # can it predict (a scikit-learn model cannot before partial_fit)
        self.seen = 0  # rows learned under the wrapper
        self.residuals: deque[float] = deque(maxlen=window)  # regression: its recent |residuals|
        self.scale: float | None = None  # regression: the loss scale, fixed once calibrated


class DriftAdaptive:
    """An incremental model that replaces itself when a detector finds concept drift.

    Each labelled row is first predicted by the model in use, then learned (prequential,
    test-then-train), and its loss goes to ``detector``. A small state machine acts on the
    detector:

    * **grace**: a new model (at the start and after every swap) feeds the detector nothing
      until it has learned ``grace_period`` rows, so its learning curve is not taken for drift;
    * **stable**: on a warning, a background model (a fresh model) starts learning the rows from
      that one on;
    * **warning**: on drift, the background model replaces the model in use (a fresh one does
      when no warning came first), the detector is reset and a grace period begins; if the
      warning clears without a drift, the background model is dropped (a false alarm, as in
      Gama et al.).

    Parameters
    ----------
    model : the first model, river-style (``learn_one``, ``predict_one``) or scikit-learn-style
        (``partial_fit``, ``predict``). It is used as it is, not copied.
    detector : a detector with ``update``, ``drift_detected``, ``reset`` and optionally
        ``warning_detected``, such as those of :mod:`driftline.streaming`; it is reset now.
        ``None`` gives ``HDDM_A(0.0001, 0.001)`` for classification and
        ``PageHinkley(mode="up")`` for regression (see Notes). Use a one-sided detector: a
        two-sided one (ADWIN, KSWIN, ``PageHinkley()``) also fires when a new model's loss
        falls, and swaps out a model that is getting better.
    task : ``"classification"``, ``"regression"`` or ``None`` to infer it (scikit-learn's
        ``is_classifier``/``is_regressor``, river's ``base.Classifier``/``base.Regressor``).
    grace_period : rows a new model learns before its losses reach the detector; at least 20
        for regression, whose loss scale comes from the second half of them.
    factory : makes each fresh model (background or replacement), called with no argument;
        ``None`` clones ``model`` (river's ``clone()``, ``sklearn.base.clone``).
    classes : every class label, which scikit-learn classifiers need on their first
        ``partial_fit``; taken from ``model.classes_`` when the model is already fitted.

    Notes
    -----
    Classification feeds the detector the error bit :math:`e_t = 1[\\hat y_t \\ne y_t]`.
    Regression feeds the bounded loss

    .. math:: e_t = \\min\\left(1, \\frac{|y_t - \\hat y_t|}{3 s}\\right) \\in [0, 1],

    which any detector of reals in [0, 1] accepts. :math:`s` is the median absolute residual of
    the model in use over the last ``grace_period // 2`` rows it predicted before its grace
    period ended (a background model's own residuals count), and it stays fixed until the next
    swap. A fixed scale lets a model that keeps improving only lower the loss, which a
    one-sided detector ignores; a scale that followed the residuals would lag behind a learning
    model and, as it caught up, raise the loss with no drift, and it would also absorb part of
    a real drift. Scaling keeps one set of detector parameters valid whatever the units of the
    target. For Gaussian residuals the stationary loss averages 0.39; residuals 1.3 times
    larger lift it by 0.09, twice as large by 0.24.

    The default detectors are measured in docs/adaptive.md: DDM and HDDM_A at river's level
    fire on up to 69 % and 13 % of stationary error-bit streams; on the milder shifts of the
    regression loss the Hoeffding bounds of HDDM_A are slow, and Page-Hinkley is not. It has no
    warning zone, so in regression a fresh model takes over.

    ``learn_many(X, y)`` on a river model is a loop of ``learn_one``. On a scikit-learn model it
    predicts the rows in one call and trains in segments split where the state changes; after a
    swap the rest of the rows are predicted by the new model. ``learn_one`` on a scikit-learn
    model is a one-row ``partial_fit`` (correct, but slow).

    Examples
    --------
    >>> from river import naive_bayes
    >>> from driftline.datasets import SEA, drifting
    >>> stream = drifting(SEA(7.0, seed=1), SEA(13.0, seed=2), position=2_000)
    >>> X, y = stream.take(4_000)  # the label is x0 + x1 > 7, then x0 + x1 > 13 from row 2,000
    >>> model = DriftAdaptive(naive_bayes.GaussianNB())
    >>> model.learn_many(X, y)
    >>> swap, = model.swaps
    >>> swap.index, swap.warning_index, swap.background_rows
    (2034, 2027, 7)
    >>> model.state, model.predict_one({"x0": 9.0, "x1": 9.0, "x2": 0.0})  # 18 > 13
    ('stable', 1)

    References
    ----------
    Gama, J., Medas, P., Castillo, G. and Rodrigues, P. (2004). Learning with drift detection.
    SBIA 2004, LNCS 3171, 286-295.
    """

    def __init__(self, model: Any, detector: Detector | None = None, *, task: str | None = None,
                 grace_period: int = 200, factory: Callable[[], Any] | None = None,
                 classes: Sequence[Any] | None = None) -> None:
        self._river = _kind(model, "model") == "river"
        self.task = _check_task(task, model, self._river)
        self.grace_period = _check_grace(grace_period, self.task)
        self.detector = _check_detector(detector, self.task)
        if factory is not None and not callable(factory):
            raise ParameterError.invalid("factory", factory, "a callable that returns a fresh model, or None")
        self._factory = factory
        self._template = model
        self._classes = self._check_classes(model, classes)
        self._window = max(1, self.grace_period // 2) if self.task == "regression" else 0
        self.detector.reset()
        self._current = _Slot(model, self._river or _is_fitted(model), self._window)
        self._background: _Slot | None = None
        self._warning_at: int | None = None
        self._rows = 0
        self._swaps: list[ModelSwap] = []
        self._warnings = 0

    def __repr__(self) -> str:
        return (f"DriftAdaptive(model={type(self.model).__name__}, detector={self.detector!r}, "
                f"task={self.task!r}, grace_period={self.grace_period})")

    # -- what it has done ------------------------------------------------------------------

    @property
    def model(self) -> Any:
        """The model in use now."""
        return self._current.model

    @property
    def state(self) -> str:
        """``"grace"``, ``"stable"`` or ``"warning"`` (a background model is learning)."""
        if self._background is not None:
            return "warning"
        return "grace" if self._in_grace(self._current, self._current.seen) else "stable"

    @property
    def swaps(self) -> tuple[ModelSwap, ...]:
        """Every replacement of the model, in order."""
        return tuple(self._swaps)

    @property
    def n_warnings(self) -> int:
        """How many warning periods began (each one started a background model)."""
        return self._warnings

    @property
    def n_rows(self) -> int:
        """How many rows were learned."""
        return self._rows

    # -- learning and predicting -----------------------------------------------------------

    def learn_one(self, x: dict, y: Any) -> None:
        """Predict the row (a dict of features), feed its loss to the detector, act on the
        detector, then learn the row."""
        if self._river:
            self._learn_batch([x], [y])
        else:
            self._learn_batch(_frame(self.model, [x]), np.asarray([y]))

    def learn_many(self, X: Any, y: Any) -> None:
        """:meth:`learn_one` for each row of ``X`` (a DataFrame or 2-D array) in order; see
        Notes for scikit-learn models."""
        y = np.asarray(y)
        if y.ndim != 1 or len(X) != len(y):
            raise ParameterError.invalid("y", f"{y.size} labels in shape {y.shape}",
                                         f"a 1-D array with one label per row of X ({len(X)} rows)")
        if not self._river:
            self._learn_batch(X, y)
            return
        for x, target in zip(_records(X), y.tolist(), strict=True):
            self._learn_batch([x], [target])

    def predict_one(self, x: dict) -> Any:
        """The prediction of the model in use for one row, or ``None`` before it can predict."""
        if self._river:
            return self.model.predict_one(x)
        return self._predict(self._current, _frame(self.model, [x]), 0, 1)[0]

    def predict_many(self, X: Any) -> np.ndarray:
        """The predictions of the model in use for the rows of ``X`` (DataFrame or 2-D array)."""
        if self._river:
            return np.asarray([self.model.predict_one(x) for x in _records(X)])
        return np.asarray(self._predict(self._current, X, 0, len(X)))

    # -- the state machine -----------------------------------------------------------------

    def _learn_batch(self, X: Any, y: Any) -> None:
        start, n, first = 0, len(y), True
        while start < n:
            # A run ends only where the state changed; the next one begins at that row, whose
            # loss the detector has had.
            start, first = self._run(X, y, start, skip_first=not first), False
        self._rows += n

    def _run(self, X: Any, y: Any, start: int, skip_first: bool) -> int:
        """Rows from ``start`` on, until the state changes; returns where the next run starts."""
        cur, bg, n = self._current, self._background, len(y)
        preds = self._predict(cur, X, start, n)
        bg_preds = self._predict(bg, X, start, n) if bg is not None and self._window else None
        for j in range(start + skip_first, n):
            if bg is not None and bg_preds is not None:
                _record(bg, bg_preds[j - start], y[j])
            signal = self._signal(cur, cur.seen + j - start, preds[j - start], y[j])
            if signal is not None and _changes(signal, bg is not None):
                self._fit(X, y, start, j)
                self._apply(signal, self._rows + j)
                return j
        self._fit(X, y, start, n)
        return n

    def _signal(self, slot: _Slot, seen: int, prediction: Any, target: Any) -> str | None:
        """Feed one loss to the detector: ``None`` in grace, else drift, warning or stable."""
        if self._in_grace(slot, seen) or prediction is None:
            if self._window:
                _record(slot, prediction, target)
            return None
        if self._window:
            loss = self._loss(slot, float(target) - float(prediction))
        else:
            loss = float(prediction != target)
        self.detector.update(loss)
        if self.detector.drift_detected:
            return "drift"
        return "warning" if getattr(self.detector, "warning_detected", False) else "stable"

    def _loss(self, slot: _Slot, residual: float) -> float:
        """The bounded regression loss, on a scale set when the model's grace period ends."""
        if slot.scale is None:
            slot.scale = _scale(slot.residuals)
        return min(1.0, abs(residual) / (_SCALE_FACTOR * slot.scale))

    def _in_grace(self, slot: _Slot, seen: int) -> bool:
        if seen < self.grace_period:
            return True
        # Regression also waits for the residuals that set the loss scale.
        return slot.scale is None and len(slot.residuals) < self._window

    def _apply(self, signal: str, index: int) -> None:
        if signal == "warning":
            self._background = self._fresh()
            self._warning_at = index
            self._warnings += 1
        elif signal == "stable":
            self._background, self._warning_at = None, None
        else:
            self._swap(index)

    def _swap(self, index: int) -> None:
        new, name = self._background, type(self.detector).__name__
        if new is None:
            new = self._fresh()
            reason = f"{name} signalled drift with no warning before it; a fresh model took over"
        else:
            reason = (f"{name} signalled drift; the background model started at the warning of "
                      f"row {self._warning_at} took over")
        self._swaps.append(ModelSwap(index, reason, self._warning_at, new.seen))
        self._current, self._background, self._warning_at = new, None, None
        self.detector.reset()

    # -- the two model families -------------------------------------------------------------

    def _fresh(self) -> _Slot:
        if self._factory is not None:
            model = self._factory()
            if (_kind(model, "factory()") == "river") != self._river:
                raise ParameterError.invalid("factory()", type(model).__name__,
                                             f"a model of the same family as {type(self._template).__name__}")
        elif self._river:
            model = self._template.clone()
        else:
            from sklearn.base import clone  # only scikit-learn models get here

            model = clone(self._template)
        return _Slot(model, self._river, self._window)

    def _predict(self, slot: _Slot, X: Any, start: int, stop: int) -> list[Any]:
        if self._river:
            return [slot.model.predict_one(x) for x in X[start:stop]]
        if not slot.fitted:
            return [None] * (stop - start)
        return list(slot.model.predict(_slice(X, start, stop)))

    def _fit(self, X: Any, y: Any, start: int, stop: int) -> None:
        """The model in use and the background model learn rows ``start:stop``."""
        if stop <= start:
            return
        for slot in (self._current, self._background):
            if slot is None:
                continue
            if self._river:
                for x, target in zip(X[start:stop], y[start:stop], strict=True):
                    slot.model.learn_one(x, target)
            elif self._classes is not None:
                slot.model.partial_fit(_slice(X, start, stop), y[start:stop], classes=self._classes)
            else:
                slot.model.partial_fit(_slice(X, start, stop), y[start:stop])
            slot.fitted = True
            slot.seen += stop - start

    def _check_classes(self, model: Any, classes: Sequence[Any] | None) -> np.ndarray | None:
        if self._river or self.task == "regression":
            return None
        if classes is None:
            known = getattr(model, "classes_", None)
            if known is None:
                raise ParameterError.invalid(
                    "classes", None, "every class label, for scikit-learn's first partial_fit",
                    "Pass classes=[...] (for example classes=[0, 1]).")
            return np.asarray(known)
        if isinstance(classes, str) or len(classes) < 2:
            raise ParameterError.invalid("classes", classes, "a sequence of at least two class labels")
        return np.asarray(classes)


def _kind(model: Any, name: str) -> str:
    if callable(getattr(model, "learn_one", None)) and callable(getattr(model, "predict_one", None)):
        return "river"
    if callable(getattr(model, "partial_fit", None)) and callable(getattr(model, "predict", None)):
        return "sklearn"
    raise ParameterError.invalid(
        name, type(model).__name__, "an incremental model with learn_one and predict_one (river) or "
        "partial_fit and predict (scikit-learn)",
        "A batch-only model cannot adapt row by row; retrain it with driftline.retrain.retrain.")


def _check_task(task: str | None, model: Any, river: bool) -> str:
    if task is not None:
        if task not in TASKS:
            raise ParameterError.choice("task", task, TASKS)
        return task
    if river:
        from river import base  # only river models get here

        found = ("classification" if isinstance(model, base.Classifier)
                 else "regression" if isinstance(model, base.Regressor) else None)
    else:
        from sklearn.base import is_classifier, is_regressor

        found = ("classification" if is_classifier(model)
                 else "regression" if is_regressor(model) else None)
    if found is None:
        raise ParameterError.invalid("task", None, "'classification' or 'regression'",
                                     f"It cannot be inferred from {type(model).__name__}; pass task=.")
    return found


def _check_grace(grace_period: Any, task: str) -> int:
    low = _MIN_REGRESSION_GRACE if task == "regression" else 0
    if isinstance(grace_period, bool) or not isinstance(grace_period, (int, np.integer)) \
            or grace_period < low:
        fix = "Regression takes its loss scale from the grace period." if low else ""
        raise ParameterError.invalid("grace_period", grace_period, f"an integer >= {low} for {task}", fix)
    return int(grace_period)


def _check_detector(detector: Any, task: str) -> Any:
    if detector is None:  # the choices are measured in docs/adaptive.md
        return HDDM_A(0.0001, 0.001) if task == "classification" else PageHinkley(mode="up")
    if not (callable(getattr(detector, "update", None)) and callable(getattr(detector, "reset", None))
            and hasattr(detector, "drift_detected")):
        raise ParameterError.invalid(
            "detector", detector, "a streaming detector with update(x), drift_detected and reset()",
            "For example driftline.streaming.HDDM_A() or DDM(); they fire where river's detectors of "
            "the same name do, and river's have no public reset().")
    return detector


def _changes(signal: str, background: bool) -> bool:
    """Whether a detector signal moves the state machine."""
    return signal == "drift" or (signal == "warning" and not background) or (
        signal == "stable" and background)


def _record(slot: _Slot, prediction: Any, target: Any) -> None:
    if prediction is not None and slot.scale is None:
        slot.residuals.append(abs(float(target) - float(prediction)))


def _scale(residuals: deque[float]) -> float:
    """The median absolute residual; the mean if that is 0; the smallest normal float if both
    are (a perfect model: any error then counts fully)."""
    r = np.asarray(residuals, dtype=float)
    return float(np.median(r)) or float(r.mean()) or float(np.finfo(float).tiny)


def _is_fitted(model: Any) -> bool:
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except Exception:  # NotFittedError, or a model check_is_fitted cannot judge
        return False
    return True


def _frame(model: Any, rows: list[dict]) -> Any:
    """Dict rows for a scikit-learn model: a DataFrame, or an array if it was fitted on one."""
    if hasattr(model, "n_features_in_") and not hasattr(model, "feature_names_in_"):
        return np.asarray([list(r.values()) for r in rows], dtype=float)
    import pandas as pd

    names = getattr(model, "feature_names_in_", None)
    return pd.DataFrame(rows, columns=list(rows[0]) if names is None else list(names))


def _slice(X: Any, start: int, stop: int) -> Any:
    return X.iloc[start:stop] if hasattr(X, "iloc") else np.asarray(X)[start:stop]


def _records(X: Any) -> list[dict]:
    if hasattr(X, "to_dict"):
        return X.to_dict("records")
    return [dict(enumerate(row)) for row in np.asarray(X).tolist()]
