"""Validation at the boundary: targets, predictions, labels and scores become checked arrays.

Every metric reads a :class:`Prepared` value: regression targets as floats, class labels as
integer codes into an explicit ``classes`` order, and scores as an ``(n, k)`` float matrix whose
columns follow ``classes``. Errors name the argument, what is allowed and what was received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from driftline.errors import DataError, ParameterError

__all__ = ["Prepared", "UndefinedMetricError", "check_level", "label_inputs", "regression_inputs",
           "resolve_classes", "score_inputs", "z_value"]

Kind = Literal["regression", "label", "score"]


class UndefinedMetricError(DataError):
    """The metric is not defined on these rows (one class only, fewer than two rows, ...).

    :func:`driftline.metrics.evaluate` leaves such a metric out and records this message as the
    reason.
    """


@dataclass(frozen=True, eq=False)
class Prepared:
    """Checked inputs of one metric computation.

    Attributes
    ----------
    kind : ``"regression"`` (``y``, ``pred`` floats), ``"label"`` (``y``, ``pred`` integer codes
        into ``classes``) or ``"score"`` (``y`` codes, ``pred`` an ``(n, k)`` float matrix).
    y, pred : the arrays described above.
    classes : the label order; ``()`` for regression.

    Examples
    --------
    >>> p = label_inputs(["b", "a", "b"], ["b", "b", "b"])
    >>> p.classes, p.y.tolist(), p.pred.tolist(), p.n
    (('a', 'b'), [1, 0, 1], [1, 1, 1], 3)
    """

    kind: Kind
    y: np.ndarray
    pred: np.ndarray
    classes: tuple[Any, ...] = ()

    @property
    def n(self) -> int:
        """The number of rows."""
        return int(self.y.shape[0])


def regression_inputs(y_true: Any, y_pred: Any, *, name: str = "y_pred") -> Prepared:
    """Check numeric targets and predictions: 1-D, same length, non-empty, finite.

    Examples
    --------
    >>> regression_inputs([1, 2], [1.5, 2.5]).pred.tolist()
    [1.5, 2.5]
    >>> regression_inputs([1.0, float("nan")], [1.0, 2.0])
    Traceback (most recent call last):
    ...
    driftline.errors.DataError: y_true must be finite; got 1 NaN or infinite value(s)....
    """
    y = _floats(y_true, "y_true")
    p = _floats(y_pred, name)
    _same_length(y, "y_true", p, name)
    return Prepared("regression", y, p)


def label_inputs(y_true: Any, y_pred: Any, classes: Sequence[Any] | None = None,
                 *, name: str = "y_pred", extra: Sequence[tuple[Any, str]] = ()) -> Prepared:
    """Check class labels and encode them as codes into ``classes``.

    ``classes`` defaults to the sorted union of the labels seen (in ``y_true``, ``y_pred`` and
    any ``extra`` label arrays, which are checked too). A label outside explicit ``classes`` is
    refused.

    Examples
    --------
    >>> label_inputs([0, 1, 1], [1, 1, 0], classes=[1, 0]).y.tolist()
    [1, 0, 0]
    >>> label_inputs([0, 1], ["a", "b"])
    Traceback (most recent call last):
    ...
    driftline.errors.DataError: y_pred has string labels but y_true has numeric labels; ...
    """
    y = _labels(y_true, "y_true")
    p = _labels(y_pred, name)
    others = [_labels(a, other) for a, other in extra]
    for arr, arr_name in zip([p, *others], [name, *(other for _, other in extra)], strict=True):
        _same_length(y, "y_true", arr, arr_name)
        _same_kind(y, "y_true", arr, arr_name)
    cls = resolve_classes(classes, y, p, *others)
    return Prepared("label", _encode(y, cls, "y_true"), _encode(p, cls, name), _tuple(cls))


def score_inputs(y_true: Any, y_score: Any, classes: Sequence[Any] | None = None,
                 *, name: str = "y_score") -> Prepared:
    """Check labels and class scores; a 1-D score is P(``classes[1]``) of a binary task.

    ``classes`` defaults to the sorted labels of ``y_true``; they must then number as many as the
    score columns (two for a 1-D score), or the call is refused with the fix.

    Examples
    --------
    >>> p = score_inputs(["no", "yes", "yes"], [0.2, 0.9, 0.6])
    >>> p.classes, p.pred[:, 1].tolist()
    (('no', 'yes'), [0.2, 0.9, 0.6])
    """
    y = _labels(y_true, "y_true")
    s = _numbers(y_score, name)
    if s.ndim == 1:
        s = np.column_stack([1.0 - s, s])
    elif s.ndim != 2 or s.shape[1] < 2:
        raise DataError(f"{name} must be a 1-D array of P(positive) or an (n, k) array with k >= 2 "
                        f"columns, one per class; got shape {s.shape}.")
    _finite(s, name)
    _same_length(y, "y_true", s, name)
    k = s.shape[1]
    if classes is None:
        cls = resolve_classes(None, y)
        if cls.size != k:
            raise DataError(
                f"{name} has {k} columns but y_true has {cls.size} distinct label(s) "
                f"{_show(cls)}; pass classes=[...] with one label per column, in column order.")
    else:
        cls = resolve_classes(classes, y)
        if cls.size != k:
            raise ParameterError.invalid("classes", _tuple(cls), f"{k} labels, one per column of {name}")
    return Prepared("score", _encode(y, cls, "y_true"), s, _tuple(cls))


def resolve_classes(classes: Sequence[Any] | None, *labels: np.ndarray) -> np.ndarray:
    """The label order: ``classes`` as given (checked: unique, same kind as the labels), or the
    sorted union of ``labels``.

    Examples
    --------
    >>> resolve_classes(None, np.array([3, 1]), np.array([2])).tolist()
    [1, 2, 3]
    >>> resolve_classes(["a", "a"], np.array(["a"]))
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: classes must be a sequence of distinct labels; got ('a', 'a').
    """
    if classes is None:
        return np.unique(np.concatenate(labels)) if len(labels) > 1 else np.unique(labels[0])
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (Sequence, np.ndarray)):
        raise ParameterError.invalid("classes", classes, "a sequence of labels, such as [0, 1]")
    cls = _labels(list(classes), "classes")
    if np.unique(cls).size != cls.size:
        raise ParameterError.invalid("classes", _tuple(cls), "a sequence of distinct labels")
    return cls


def check_level(level: float) -> float:
    """Validate a confidence level.

    Examples
    --------
    >>> check_level(0.9)
    0.9
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ParameterError.invalid("level", level, "a float in (0, 1)", "For example level=0.95.")
    return float(level)


def _numbers(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    strings = arr.dtype.kind in "US" or (
        arr.dtype.kind == "O" and any(isinstance(v, (str, bytes)) for v in arr.ravel().tolist()))
    if strings:
        raise DataError(f"{name} must hold numbers; got strings. Convert them to numbers first.")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name} must hold numbers; could not read it as floats ({exc}).") from None
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{name} must hold numbers; got dtype {arr.dtype}.")
    return arr.astype(float, copy=False)


def _floats(values: Any, name: str) -> np.ndarray:
    arr = _numbers(values, name)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D (one value per row); got shape {arr.shape}.")
    _finite(arr, name)
    return arr


def _labels(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D (one label per row); got shape {arr.shape}.")
    if arr.size == 0:
        raise DataError(f"{name} is empty; at least one row is needed.")
    if arr.dtype.kind == "O":
        arr = _from_objects(arr, name)
    if arr.dtype.kind not in "biufUS":
        raise DataError(f"{name} must hold numbers or strings as labels; got dtype {arr.dtype}.")
    if arr.dtype.kind == "f":
        _finite(arr, name)
    return arr


def _from_objects(arr: np.ndarray, name: str) -> np.ndarray:
    items = arr.tolist()
    if all(isinstance(v, str) for v in items):
        return np.asarray(items, dtype=str)
    if all(isinstance(v, (int, float, np.number)) for v in items):
        return np.asarray(items)
    bad = next(v for v in items if not isinstance(v, (str, int, float, np.number)))
    raise DataError(f"{name} must hold labels of one kind, all numbers or all strings; "
                    f"found {bad!r} ({type(bad).__name__}).")


def _kind(arr: np.ndarray) -> str:
    return "string" if arr.dtype.kind in "US" else "numeric"


def _same_kind(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    if _kind(a) != _kind(b):
        raise DataError(f"{b_name} has {_kind(b)} labels but {a_name} has {_kind(a)} labels; "
                        "use the same label type for both, such as strings everywhere.")


def _encode(values: np.ndarray, classes: np.ndarray, name: str) -> np.ndarray:
    _same_kind(classes, "classes", values, name)
    sorter = np.argsort(classes, kind="stable")
    ordered = classes[sorter]
    pos = np.minimum(np.searchsorted(ordered, values), ordered.size - 1)
    known = ordered[pos] == values
    if not known.all():
        unknown = np.unique(values[~known])
        raise DataError(f"{name} has label(s) {_show(unknown)} that are not in classes "
                        f"{_show(classes)}; add them to classes or remove those rows.")
    return sorter[pos].astype(np.intp)


def _finite(arr: np.ndarray, name: str) -> None:
    if arr.size == 0:
        raise DataError(f"{name} is empty; at least one row is needed.")
    bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
    if bad:
        raise DataError(f"{name} must be finite; got {bad} NaN or infinite value(s). "
                        "Drop or impute those rows first.")


def _same_length(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    if a.shape[0] != b.shape[0]:
        raise DataError(f"{a_name} and {b_name} must have one entry per row, the same length; "
                        f"got {a.shape[0]} and {b.shape[0]}.")


def _tuple(arr: np.ndarray) -> tuple[Any, ...]:
    return tuple(arr.tolist())


def _show(arr: np.ndarray, limit: int = 5) -> str:
    items = arr.tolist()
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return f"{items[:limit]!r}{more}"


def z_value(level: float) -> float:
    """The two-sided standard-normal quantile for ``level``.

    Examples
    --------
    >>> round(z_value(0.95), 4)
    1.96
    """
    from statistics import NormalDist

    return float(NormalDist().inv_cdf(0.5 + level / 2.0))
