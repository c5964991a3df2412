"""Concept drift, seen through the model's errors.

When both the target and the prediction are given, driftline adds a derived column,
``concept:residual``, and tests it like any other column:

* numeric target and numeric prediction (regression, or a probability score for a 0/1
  target): the residual ``target - prediction``;
* label target and label prediction (classification): the error indicator
  ``target != prediction``.

The relation between inputs and target is what a model learned. If it changes (concept drift),
the model's errors change even when the inputs look the same. Under a pure covariate shift a
well-specified model keeps its residual distribution, so a drifted residual points at the
concept, and its recommended action is the concept one (feature engineering, an alternative
approach, retrain or tune). It is a proxy: a misspecified model can also show changed
residuals under covariate shift, which the feature-drift findings beside it will reveal.
"""

from __future__ import annotations

import numpy as np

from driftline.drift._frames import Column
from driftline.drift._kinds import ColumnKind

__all__ = ["RESIDUAL", "residual_column"]

RESIDUAL = "concept:residual"


def residual_column(target: Column, prediction: Column) -> tuple[Column, ColumnKind] | None:
    """The derived residual column and its kind, or ``None`` when the types don't pair.

    Examples
    --------
    >>> import pandas as pd
    >>> from driftline.drift._frames import column_of
    >>> col, kind = residual_column(column_of("y", pd.Series([1, 0])),
    ...                             column_of("p", pd.Series([0.75, 0.25])))
    >>> col.values.tolist(), kind.value
    ([0.25, -0.25], 'numerical')
    """
    numeric = ("numeric", "bool")
    if target.family in numeric and prediction.family in numeric:
        assert target.values is not None and prediction.values is not None
        values = target.values - prediction.values
        return Column(RESIDUAL, "numeric", "float64", values.size, values=values), \
            ColumnKind.NUMERICAL
    if target.family == "string" and prediction.family == "string":
        assert target.codes is not None and target.labels is not None
        assert prediction.codes is not None and prediction.labels is not None
        t = np.where(target.codes >= 0, target.labels[np.maximum(target.codes, 0)], None)
        p = np.where(prediction.codes >= 0, prediction.labels[np.maximum(prediction.codes, 0)],
                     None)
        missing = (target.codes < 0) | (prediction.codes < 0)
        errors = np.where(missing, np.nan, (t != p).astype(np.float64))
        return Column(RESIDUAL, "numeric", "float64", errors.size, values=errors), \
            ColumnKind.BINARY
    return None
