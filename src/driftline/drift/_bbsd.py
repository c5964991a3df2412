"""Black-box shift detection (BBSD): test the model's outputs instead of its inputs.

A trained classifier is a dimension reduction that keeps what the task cares about. Rabanser
et al. (2019) found its outputs among the best representations for detecting shift:

* **BBSDs** (soft): a two-sample Kolmogorov–Smirnov test on each column of the predicted class
  probabilities, with a Bonferroni correction over the columns. The shift is flagged when any
  column's adjusted p-value is at most ``alpha``.
* **BBSDh** (hard): a χ² test of homogeneity on the predicted labels.

Notes
-----
Bonferroni multiplies each of the ``k`` p-values by ``k`` (capped at 1), so the family-wise
false-alarm rate stays at most ``alpha`` whatever the dependence between columns (the columns of
a probability matrix are dependent: they sum to 1). A 1-D input is read as the probability of
the positive class (one column, no correction). With two columns the second is one minus the
first and both give the same KS statistic; both are tested, which is conservative.

The reference should be a held-out sample the model did not train on: scores on training rows
are over-confident and would differ from any new data.

References
----------
.. [1] Lipton, Z. C., Wang, Y.-X. & Smola, A. (2018). Detecting and correcting for label shift
   with black box predictors. ICML.
.. [2] Rabanser, S., Günnemann, S. & Lipton, Z. C. (2019). Failing loudly: an empirical study
   of methods for detecting dataset shift. NeurIPS.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.errors import DataError, ParameterError
from driftline.stats._chi2 import chi_square
from driftline.stats._common import check_alpha
from driftline.stats._correction import adjust_p_values
from driftline.stats._ks import ks
from driftline.stats._result import TestResult, _clean

__all__ = ["BBSDResult", "bbsd_hard", "bbsd_soft"]


@dataclass(frozen=True)
class BBSDResult:
    """The outcome of :func:`bbsd_soft`: one KS test per class column and the overall verdict.

    Attributes
    ----------
    method : ``"bbsd_soft"``.
    statistic : the largest KS statistic over the columns.
    p_value : the smallest Bonferroni-adjusted p-value (the family's p-value).
    alpha : the family-wise significance level.
    drifted : any column's adjusted p-value is at most ``alpha``; ``None`` without a verdict.
    correction : ``"bonferroni"``.
    classes : the column names, in column order.
    tests : the per-column KS results, with ``p_value_adjusted`` and their own verdicts.
    n_reference, n_current : rows on each side.

    Examples
    --------
    >>> r = BBSDResult("bbsd_soft", 0.1, 0.4, 0.05, False, "bonferroni", ("0",), (), 50, 50)
    >>> r.to_dict()["tests"]
    []
    """

    method: str
    statistic: float
    p_value: float | None
    alpha: float
    drifted: bool | None
    correction: str
    classes: tuple[str, ...]
    tests: tuple[TestResult, ...]
    n_reference: int
    n_current: int

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; NaN becomes ``None``."""
        out = {k: _clean(getattr(self, k)) for k in self.__dataclass_fields__}
        out["tests"] = [t.to_dict() for t in self.tests]
        return out


def bbsd_soft(
    reference_probas: npt.ArrayLike,
    current_probas: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    classes: Sequence[Any] | None = None,
) -> BBSDResult:
    """BBSDs: KS on each predicted-probability column, Bonferroni over the columns.

    Parameters
    ----------
    reference_probas, current_probas : ``(n, k)`` predicted probabilities (``predict_proba``
        output), or 1-D scores of the positive class.
    alpha : family-wise significance level.
    classes : names of the ``k`` columns; default ``"0" … "k-1"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.dirichlet([2, 2, 2], size=400)
    >>> bbsd_soft(ref, rng.dirichlet([2, 2, 2], size=400)).drifted
    False
    >>> r = bbsd_soft(ref, rng.dirichlet([4, 2, 2], size=400), classes=["a", "b", "c"])
    >>> r.drifted, r.tests[0].drifted
    (True, True)
    """
    alpha = check_alpha(alpha)
    ref = _probas(reference_probas, "reference_probas")
    cur = _probas(current_probas, "current_probas")
    if ref.shape[1] != cur.shape[1]:
        raise DataError(f"reference_probas and current_probas must have the same number of "
                        f"columns (classes); got {ref.shape[1]} and {cur.shape[1]}.")
    names = _class_names(classes, ref.shape[1])
    raw = [ks(ref[:, j], cur[:, j], alpha=alpha) for j in range(ref.shape[1])]
    adjusted = adjust_p_values([math.nan if t.p_value is None else t.p_value for t in raw],
                               "bonferroni")
    tests = tuple(_adjusted(t, float(a), alpha) for t, a in zip(raw, adjusted, strict=True))
    finite = adjusted[np.isfinite(adjusted)]
    p = float(finite.min()) if finite.size else None
    return BBSDResult(
        method="bbsd_soft", statistic=max(t.statistic for t in tests), p_value=p, alpha=alpha,
        drifted=None if p is None else bool(p <= alpha), correction="bonferroni", classes=names,
        tests=tests, n_reference=ref.shape[0], n_current=cur.shape[0])


def bbsd_hard(
    reference_labels_pred: npt.ArrayLike,
    current_labels_pred: npt.ArrayLike,
    *,
    alpha: float = 0.05,
) -> TestResult:
    """BBSDh: a χ² test of homogeneity on the predicted labels.

    This is :func:`driftline.stats.chi_square` on the model's predicted labels (any label type;
    labels seen on one side only count as a zero on the other); the result's ``method`` is
    ``"chi_square"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.choice(["cat", "dog"], p=[0.5, 0.5], size=500)
    >>> bbsd_hard(ref, rng.choice(["cat", "dog"], p=[0.65, 0.35], size=500)).drifted
    True
    """
    alpha = check_alpha(alpha)
    for name, labels in (("reference_labels_pred", reference_labels_pred),
                         ("current_labels_pred", current_labels_pred)):
        if np.ndim(labels) != 1:
            raise DataError(f"{name} must be a 1-D array of predicted labels; got "
                            f"{np.ndim(labels)} dimensions. Pass predict(), not predict_proba().")
    return chi_square(reference_labels_pred, current_labels_pred, alpha=alpha)


def _probas(values: npt.ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf" or arr.ndim not in (1, 2):
        raise DataError(f"{name} must be a numeric (n, k) array of predicted probabilities or a "
                        f"1-D array of scores; got shape {arr.shape} and dtype {arr.dtype}.")
    return arr.astype(np.float64).reshape(arr.shape[0], -1)


def _class_names(classes: Sequence[Any] | None, k: int) -> tuple[str, ...]:
    if classes is None:
        return tuple(str(j) for j in range(k))
    names = tuple(str(c) for c in classes)
    if len(names) != k:
        raise ParameterError.invalid("classes", list(classes),
                                     f"a sequence of {k} names, one per probability column")
    return names


def _adjusted(test: TestResult, adjusted: float, alpha: float) -> TestResult:
    if math.isnan(adjusted):
        return dataclasses.replace(test, correction="bonferroni")
    return dataclasses.replace(test, p_value_adjusted=adjusted, correction="bonferroni",
                               drifted=adjusted <= alpha)
