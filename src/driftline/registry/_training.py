"""The training contract: what a training function receives and what it must return.

A project's training function has the signature::

    def train(data: TrainingData, *, previous: Model | None = None,
              params: Mapping[str, Any]) -> Model

``previous`` is the champion for stateful (incremental) retraining, ``None`` for stateless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from driftline.errors import DataError, ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Classifier", "Model", "TrainFunction", "TrainingData", "split_holdout"]


@runtime_checkable
class Model(Protocol):
    """What driftline needs from any model: ``predict`` on a table of features.

    Examples
    --------
    >>> class Mean:
    ...     def predict(self, X):
    ...         return [0.5] * len(X)
    >>> isinstance(Mean(), Model)
    True
    """

    def predict(self, X: Any) -> Any: ...


@runtime_checkable
class Classifier(Model, Protocol):
    """A classifier also gives class probabilities, columns ordered as ``classes_``.

    Examples
    --------
    >>> class Coin:
    ...     classes_ = [0, 1]
    ...     def predict(self, X):
    ...         return [1] * len(X)
    ...     def predict_proba(self, X):
    ...         return [[0.5, 0.5]] * len(X)
    >>> isinstance(Coin(), Classifier)
    True
    """

    classes_: Any

    def predict_proba(self, X: Any) -> Any: ...


class TrainFunction(Protocol):
    """The signature of a project's ``training.function``.

    Examples
    --------
    >>> def train(data, *, previous=None, params):
    ...     return previous  # a real function fits and returns a Model
    >>> train(None, params={}) is None
    True
    """

    def __call__(self, data: TrainingData, *, previous: Model | None = None,
                 params: Mapping[str, Any]) -> Model: ...


@dataclass(frozen=True)
class TrainingData:
    """The rows a model is trained on.

    Attributes
    ----------
    frame : the table (pandas DataFrame).
    target : the label column.
    features : the input columns, in order.
    sample_weight : optional weights, one per row.
    time_range : first and last timestamp covered, when a timestamp column is known.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    >>> data = TrainingData.from_frame(df, target="y")
    >>> data.features, data.X.shape, data.y.tolist()
    (('x',), (3, 1), [0, 1, 0])
    """

    frame: pd.DataFrame
    target: str
    features: tuple[str, ...]
    sample_weight: np.ndarray | None = None
    time_range: tuple[Any, Any] | None = None

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, target: str, features: Sequence[str] | None = None,
        sample_weight: str | np.ndarray | None = None, timestamp: str | None = None,
    ) -> TrainingData:
        """Build training data from a frame, checking that the named columns exist."""
        columns = [str(c) for c in frame.columns]
        if target not in columns:
            raise DataError(f"target column {target!r} is not in the training data; it has: "
                            f"{', '.join(columns[:10])}.")
        skip = {target, timestamp} | ({sample_weight} if isinstance(sample_weight, str) else set())
        feats = tuple(features) if features is not None else tuple(c for c in columns
                                                                   if c not in skip)
        missing = [f for f in feats if f not in columns]
        if missing:
            raise DataError(f"feature column {missing[0]!r} is not in the training data.")
        weight = frame[sample_weight].to_numpy(np.float64) if isinstance(sample_weight, str) \
            else (None if sample_weight is None else np.asarray(sample_weight, np.float64))
        if weight is not None and weight.shape != (len(frame),):
            raise ParameterError.invalid("sample_weight", weight.shape,
                                         f"one weight per row, shape ({len(frame)},)")
        span = None
        if timestamp is not None:
            ts = frame[timestamp]
            span = (ts.min(), ts.max())
        return cls(frame, target, feats, weight, span)

    @property
    def X(self) -> pd.DataFrame:
        """The feature columns."""
        return self.frame[list(self.features)]

    @property
    def y(self) -> pd.Series:
        """The target column."""
        return self.frame[self.target]

    def __len__(self) -> int:
        return len(self.frame)

    def take(self, rows: np.ndarray) -> TrainingData:
        """The rows at positions ``rows`` (weights follow)."""
        weight = None if self.sample_weight is None else self.sample_weight[rows]
        return replace(self, frame=self.frame.iloc[rows].reset_index(drop=True),
                       sample_weight=weight)


def split_holdout(data: TrainingData, fraction: float, *, seed: int = 0,
                  timestamp: str | None = None) -> tuple[TrainingData, TrainingData]:
    """Split off a holdout the model does not train on; scored, it becomes the reference.

    With a ``timestamp`` column the holdout is the latest ``fraction`` of rows (the model is
    judged on data later than it saw); otherwise a seeded random share.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": range(10), "y": [0, 1] * 5})
    >>> train, holdout = split_holdout(TrainingData.from_frame(df, target="y"), 0.2, seed=1)
    >>> len(train), len(holdout)
    (8, 2)
    """
    if not 0.0 < fraction < 1.0:
        raise ParameterError.invalid("fraction", fraction, "a float in (0, 1)")
    n = len(data)
    n_hold = round(fraction * n)
    if n_hold < 1 or n_hold >= n:
        raise DataError(f"a holdout of {fraction:g} of {n} rows leaves no rows on one side; "
                        "register with more data or change reference.holdout_fraction.")
    if timestamp is not None:
        order = np.argsort(data.frame[timestamp].to_numpy(), kind="stable")
    else:
        order = np.random.default_rng(seed).permutation(n)
    train, holdout = data.take(np.sort(order[: n - n_hold])), data.take(np.sort(order[n - n_hold:]))
    if timestamp is None:
        return train, holdout
    return _own_span(train, timestamp), _own_span(holdout, timestamp)


def _own_span(part: TrainingData, timestamp: str) -> TrainingData:
    # take() keeps the whole data's time range; each side of a split covers only its rows
    ts = part.frame[timestamp]
    return replace(part, time_range=(ts.min(), ts.max()))
