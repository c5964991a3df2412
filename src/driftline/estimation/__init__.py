"""Performance estimation without labels: what a model's metrics probably are before labels arrive.

:class:`CBPE` (confidence-based performance estimation) reads a classifier's scores: once
calibrated on the reference, each score is the probability that its row is of each class, so
the expected confusion matrix, accuracy, precision, recall, F1 and ROC AUC follow without
labels. :class:`DLE` (direct loss estimation) learns a regressor's absolute and squared errors
from the features and the prediction on the reference, and averages the predicted errors of a
chunk into MAE, MSE and RMSE. Both return a :class:`PerformanceEstimate` shaped like
:class:`driftline.metrics.MetricReport`: one :class:`driftline.metrics.MetricValue` per metric,
whose band is where the realized metric of the chunk should fall.

Both assume **no concept drift**: ``P(y | x)`` is the same as on the reference. They follow
covariate shift, and they cannot see a change of the relation between inputs and labels. See
``docs/estimation.md``.

:class:`LabelShiftEstimator` (BBSE, Lipton et al. 2018) estimates how the class priors moved
from a black-box classifier's predictions, with RLLS regularisation; :func:`correct_probabilities`
and :func:`sample_weights` correct for it, and :func:`label_shift_test` tests for it.

scikit-learn is imported only when a method is fitted (``pip install 'driftline[estimation]'``).

Examples
--------
>>> import numpy as np
>>> from driftline.estimation import CBPE
>>> rng = np.random.default_rng(0)
>>> scores = rng.uniform(size=4000)
>>> labels = (rng.uniform(size=4000) < scores).astype(int)
>>> cbpe = CBPE().fit(scores[:3000], labels[:3000])
>>> est = cbpe.estimate(scores[3000:])
>>> v = est["accuracy"]
>>> round(v.value, 2), v.lower < v.value < v.upper, v.method
(0.75, True, 'normal')
"""

from driftline.estimation._bbse import (
    LabelShiftEstimator,
    LabelShiftResult,
    correct_probabilities,
    label_shift_test,
    sample_weights,
)
from driftline.estimation._cbpe import CALIBRATIONS, CBPE, CBPE_METRICS
from driftline.estimation._dle import DLE, DLE_METRICS
from driftline.estimation._result import ESTIMATE_SCHEMA, EstimatedConfusionMatrix, PerformanceEstimate

__all__ = [
    "CALIBRATIONS",
    "CBPE",
    "CBPE_METRICS",
    "DLE",
    "DLE_METRICS",
    "ESTIMATE_SCHEMA",
    "EstimatedConfusionMatrix",
    "LabelShiftEstimator",
    "LabelShiftResult",
    "PerformanceEstimate",
    "correct_probabilities",
    "label_shift_test",
    "sample_weights",
]
