"""Adapt a river (online learning) model to the :class:`Model` protocol."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["RiverModel"]


class RiverModel:
    """Wrap a river model so it predicts on tables and learns from them, row by row.

    ``learn(X, y)`` calls ``learn_one`` per row, so stateful retraining continues the same
    model; ``predict`` and ``predict_proba`` call ``predict_one`` / ``predict_proba_one``.
    ``classes_`` lists the labels seen while learning, sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> from river import linear_model
    >>> m = RiverModel(linear_model.LogisticRegression())
    >>> X = pd.DataFrame({"x": [0.0, 1.0] * 50}); y = pd.Series([False, True] * 50)
    >>> m.learn(X, y).predict(pd.DataFrame({"x": [0.0, 1.0]})).tolist()
    [False, True]
    >>> m.classes_.tolist(), m.predict_proba(pd.DataFrame({"x": [1.0]})).shape
    ([False, True], (1, 2))
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self._classes: set[Any] = set()

    @staticmethod
    def _rows(X: Any) -> list[dict[str, Any]]:
        if hasattr(X, "to_dict"):
            return list(X.to_dict(orient="records"))
        return [dict(r) for r in X]

    def learn(self, X: Any, y: Any) -> RiverModel:
        """Learn from the rows of ``X`` with labels ``y``, in order."""
        labels = list(y)
        for row, label in zip(self._rows(X), labels, strict=True):
            self.model.learn_one(row, label)
        if hasattr(self.model, "predict_proba_one"):
            self._classes.update(labels)
        return self

    @property
    def classes_(self) -> np.ndarray:
        """The labels seen while learning, sorted."""
        return np.array(sorted(self._classes))

    def predict(self, X: Any) -> np.ndarray:
        """One prediction per row."""
        return np.array([self.model.predict_one(r) for r in self._rows(X)])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities per row, columns ordered as :attr:`classes_`."""
        classes = self.classes_
        rows = [self.model.predict_proba_one(r) for r in self._rows(X)]
        out = np.array([[p.get(c, 0.0) for c in classes] for p in rows], dtype=np.float64)
        return out.reshape(len(rows), classes.size)
