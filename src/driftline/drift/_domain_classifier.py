"""Domain classifier: a classifier two-sample test on whole rows.

A model learns to tell reference rows (label 0) from current rows (label 1). If it does better
than chance on rows it was not trained on, the two samples differ, and the features it leans on
say where.

Notes
-----
Inputs are a DataFrame, a mapping of column name to values, or a 2-D numeric array (columns
``x0, x1, …``). Numeric and boolean columns are used as numbers (NaN is kept: the default
model routes missing values natively). Other columns (strings, categories, objects) are
**ordinal-encoded** over the sorted union of both samples' levels, one column per feature, so
each permutation importance belongs to one input column. The default model treats these codes
as categorical (``categorical_features``) when a column has at most 250 levels, and as ordered
numbers above that.

The rows are split once, stratified by sample, into a training part and a held-out part
(``test_size``). The AUC is measured on the held-out part, where under H0 (both samples from
one distribution) the model's scores are independent of the sample label. The p-value is one
of:

* ``"permutation"`` (default): a one-sided permutation test of the held-out AUC. The labels of
  the held-out rows are shuffled ``n_permutations`` times; ``p = (b + 1) / (B + 1)`` where
  ``b`` counts shuffles with an AUC at least the observed one. It tests the number reported.
* ``"binomial"``: a one-sided binomial test of the held-out accuracy against the majority
  rate, as in Rabanser et al. (2019). It is valid but weaker, since it only sees which side of
  0.5 each score falls.

Permutation importances (:func:`sklearn.inspection.permutation_importance`, scored by ROC AUC)
are computed on the held-out part with ``n_repeats`` shuffles per column; ``n_repeats=0``
skips them.

References
----------
.. [1] Lopez-Paz, D. & Oquab, M. (2017). Revisiting classifier two-sample tests. ICLR.
.. [2] Rabanser, S., Günnemann, S. & Lipton, Z. C. (2019). Failing loudly: an empirical study
   of methods for detecting dataset shift. NeurIPS.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from driftline.errors import DataError, ParameterError, SmallSampleWarning, require
from driftline.stats._common import check_alpha
from driftline.stats._result import _clean

__all__ = ["DomainClassifierResult", "FeatureImportance", "domain_classifier"]

PValueMethod = Literal["permutation", "binomial"]
_P_VALUE_METHODS = ("permutation", "binomial")
_MIN_ROWS = 10
_MAX_REPEATS = 100
_MAX_CATEGORIES = 250


@dataclass(frozen=True)
class FeatureImportance:
    """How much the held-out AUC drops when one column is shuffled.

    Examples
    --------
    >>> FeatureImportance("age", 0.21, 0.02).to_dict()
    {'feature': 'age', 'importance': 0.21, 'std': 0.02}
    """

    feature: str
    importance: float
    std: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {k: _clean(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class DomainClassifierResult:
    """The outcome of :func:`domain_classifier`.

    Attributes
    ----------
    method : ``"domain_classifier"``.
    statistic : the held-out AUC (the same as ``auc``).
    auc : held-out ROC AUC of telling current rows from reference rows; 0.5 is chance.
    p_value : one-sided p-value of the chosen ``p_value_method``.
    p_value_method : ``"permutation"`` or ``"binomial"``.
    alpha : the significance level of the verdict.
    drifted : ``p_value <= alpha``; ``None`` when the samples were too small.
    accuracy, majority_rate : held-out accuracy and the share of the larger side in it.
    importances : per-column permutation importances, largest first (empty when skipped).
    model : the class name of the model used.
    n_reference, n_current : rows on each side; ``n_test`` rows held out.
    warnings : why the verdict is missing, in words.

    Examples
    --------
    >>> r = DomainClassifierResult("domain_classifier", 0.5, 0.5, 0.6, "permutation", 0.05,
    ...                            False, 0.5, 0.5, (), "M", 10, 10, 6)
    >>> r.to_dict()["importances"], r.drifted
    ([], False)
    """

    method: str
    statistic: float
    auc: float
    p_value: float | None
    p_value_method: str
    alpha: float
    drifted: bool | None
    accuracy: float
    majority_rate: float
    importances: tuple[FeatureImportance, ...]
    model: str
    n_reference: int
    n_current: int
    n_test: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; NaN becomes ``None``."""
        out = {k: _clean(getattr(self, k)) for k in self.__dataclass_fields__}
        out["importances"] = [imp.to_dict() for imp in self.importances]
        return out


def domain_classifier(
    reference: Any,
    current: Any,
    *,
    model: Any = None,
    test_size: float = 0.3,
    n_repeats: int = 5,
    alpha: float = 0.05,
    p_value_method: PValueMethod = "permutation",
    n_permutations: int = 999,
    seed: int = 0,
) -> DomainClassifierResult:
    """Classifier two-sample test: can a model tell current rows from reference rows?

    Parameters
    ----------
    reference, current : DataFrames, mappings of column to values, or 2-D numeric arrays with
        the same columns.
    model : an unfitted scikit-learn classifier with ``predict_proba``; it is cloned. Default
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` seeded with ``seed``.
    test_size : share of rows held out for the AUC, the p-value and the importances.
    n_repeats : permutation-importance shuffles per column, 0 to 100; 0 skips importances.
    alpha : significance level of the verdict.
    p_value_method : ``"permutation"`` (of the held-out AUC) or ``"binomial"`` (held-out
        accuracy against the majority rate); see the module notes.
    n_permutations : label shuffles for ``"permutation"``.
    seed : seeds the split, the default model, the permutations and the importances.

    Notes
    -----
    Needs scikit-learn (``pip install 'driftline[estimation]'``). Cost: one model fit on
    ``(1 - test_size)`` of the rows, plus ``n_repeats × n_columns`` predictions on the
    held-out rows.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=(300, 3))
    >>> cur = rng.normal(size=(300, 3)); cur[:, 2] += 1.0
    >>> r = domain_classifier(ref, cur, n_repeats=2, seed=0)
    >>> r.drifted, r.auc > 0.6, r.importances[0].feature
    (True, True, 'x2')
    """
    alpha = check_alpha(alpha)
    _check_params(test_size, n_repeats, p_value_method, n_permutations)
    names, x_ref, x_cur, categorical = encode_tables(reference, current)
    sk_split = require("sklearn.model_selection", extra="estimation", feature="domain_classifier")
    x = np.vstack([x_ref, x_cur])
    y = np.r_[np.zeros(len(x_ref), dtype=np.int64), np.ones(len(x_cur), dtype=np.int64)]
    short = _too_small(len(x_ref), len(x_cur), test_size)
    if short:
        warnings.warn(short, SmallSampleWarning, stacklevel=2)
        return _no_verdict(short, alpha, p_value_method, model, len(x_ref), len(x_cur))
    x_tr, x_te, y_tr, y_te = sk_split.train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=seed)
    fitted = _model(model, categorical, seed).fit(x_tr, y_tr)
    score = fitted.predict_proba(x_te)[:, 1]
    auc, p_auc = _auc_permutation(y_te, score, n_permutations if p_value_method == "permutation"
                                  else 0, seed)
    accuracy = float(np.mean((score > 0.5) == (y_te == 1)))
    majority = max(float(y_te.mean()), 1.0 - float(y_te.mean()))
    p = p_auc if p_value_method == "permutation" else _binomial_p(accuracy, majority, len(y_te))
    return DomainClassifierResult(
        method="domain_classifier", statistic=auc, auc=auc, p_value=p,
        p_value_method=p_value_method, alpha=alpha, drifted=bool(p <= alpha),
        accuracy=accuracy, majority_rate=majority,
        importances=_importances(fitted, x_te, y_te, names, n_repeats, seed),
        model=type(fitted).__name__, n_reference=len(x_ref), n_current=len(x_cur),
        n_test=len(y_te))


def _check_params(test_size: float, n_repeats: int, p_value_method: str,
                  n_permutations: int) -> None:
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) \
            or not 0 < test_size < 1:
        raise ParameterError.invalid("test_size", test_size, "a float in (0, 1)",
                                     "0.3 holds out 30% of the rows.")
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) \
            or not 0 <= n_repeats <= _MAX_REPEATS:
        raise ParameterError.invalid("n_repeats", n_repeats,
                                     f"an integer from 0 to {_MAX_REPEATS}",
                                     "Use 0 to skip the permutation importances.")
    if p_value_method not in _P_VALUE_METHODS:
        raise ParameterError.choice("p_value_method", p_value_method, _P_VALUE_METHODS)
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, int) \
            or n_permutations < 1:
        raise ParameterError.invalid("n_permutations", n_permutations, "a positive integer")


def _too_small(n_ref: int, n_cur: int, test_size: float) -> str:
    held = min(math.floor(n_ref * test_size), math.floor(n_cur * test_size))
    if min(n_ref, n_cur) >= _MIN_ROWS and held >= 2:
        return ""
    return (f"domain_classifier: needs at least {_MIN_ROWS} rows on each side and 2 held-out "
            f"rows per side; got {n_ref} (reference) and {n_cur} (current) with "
            f"test_size={test_size}. No verdict is given.")


def _no_verdict(msg: str, alpha: float, p_value_method: str, model: Any, n_ref: int,
                n_cur: int) -> DomainClassifierResult:
    name = "HistGradientBoostingClassifier" if model is None else type(model).__name__
    return DomainClassifierResult(
        "domain_classifier", math.nan, math.nan, None, p_value_method, alpha, None, math.nan,
        math.nan, (), name, n_ref, n_cur, 0, (msg,))


def _model(model: Any, categorical: np.ndarray, seed: int) -> Any:
    if model is not None:
        if not hasattr(model, "predict_proba"):
            raise ParameterError.invalid("model", type(model).__name__,
                                         "a scikit-learn classifier with predict_proba")
        return require("sklearn.base", extra="estimation", feature="domain_classifier").clone(model)
    ensemble = require("sklearn.ensemble", extra="estimation", feature="domain_classifier")
    cats = categorical if categorical.any() else None
    return ensemble.HistGradientBoostingClassifier(random_state=seed, categorical_features=cats)


def _auc_permutation(y: np.ndarray, score: np.ndarray, n_permutations: int,
                     seed: int) -> tuple[float, float]:
    """The held-out AUC (Mann–Whitney, ties count one half) and its one-sided permutation p."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    n1 = int(y.sum())
    n0 = y.size - n1

    def auc_of(labels: np.ndarray) -> np.ndarray:
        return (labels @ ranks - n1 * (n1 + 1) / 2) / (n0 * n1)

    observed = float(auc_of(y.astype(np.float64)))
    if n_permutations == 0:
        return observed, math.nan
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(y.astype(np.float64), (n_permutations, 1)), axis=1)
    b = int(np.sum(auc_of(shuffled) >= observed - 1e-12))
    return observed, (b + 1) / (n_permutations + 1)


def _binomial_p(accuracy: float, majority: float, n: int) -> float:
    from scipy.stats import binomtest

    k = round(accuracy * n)
    return float(binomtest(k, n, majority, alternative="greater").pvalue)


def _importances(fitted: Any, x: np.ndarray, y: np.ndarray, names: list[str], n_repeats: int,
                 seed: int) -> tuple[FeatureImportance, ...]:
    if n_repeats == 0:
        return ()
    inspection = require("sklearn.inspection", extra="estimation", feature="domain_classifier")
    res = inspection.permutation_importance(fitted, x, y, scoring="roc_auc", n_repeats=n_repeats,
                                            random_state=seed, n_jobs=1)
    order = np.argsort(-res.importances_mean, kind="stable")
    return tuple(FeatureImportance(names[j], float(res.importances_mean[j]),
                                   float(res.importances_std[j])) for j in order)


def encode_tables(reference: Any, current: Any) -> tuple[list[str], np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """Column names, both samples as float matrices, and which columns are ordinal codes.

    Examples
    --------
    >>> names, r, c, cat = encode_tables({"a": [1.0, 2.0], "b": ["u", "v"]},
    ...                                  {"a": [3.0], "b": ["w"]})
    >>> names, r.tolist(), c.tolist(), cat.tolist()
    (['a', 'b'], [[1.0, 0.0], [2.0, 1.0]], [[3.0, 2.0]], [False, True])
    """
    ref_cols, cur_cols = _columns(reference, "reference"), _columns(current, "current")
    if list(ref_cols) != list(cur_cols):
        raise DataError(f"reference and current must have the same columns in the same order; "
                        f"got {list(ref_cols)} and {list(cur_cols)}.")
    if not ref_cols:
        raise DataError("reference and current have no columns; pass at least one feature.")
    encoded = [_encode(name, ref_cols[name], cur_cols[name]) for name in ref_cols]
    x_ref = np.column_stack([e[0] for e in encoded])
    x_cur = np.column_stack([e[1] for e in encoded])
    return list(ref_cols), x_ref, x_cur, np.array([e[2] for e in encoded], dtype=bool)


def _columns(data: Any, name: str) -> dict[str, np.ndarray]:
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):  # a DataFrame
        return {str(c): np.asarray(data[c]) for c in data.columns}
    if isinstance(data, Mapping):
        return {str(k): np.asarray(v) for k, v in data.items()}
    arr = np.asarray(data)
    if arr.ndim != 2 or arr.dtype.kind not in "biuf":
        raise DataError(f"{name} must be a DataFrame, a mapping of columns, or a 2-D numeric "
                        f"array; got an array of shape {arr.shape} and dtype {arr.dtype}. "
                        f"Pass a DataFrame to use non-numeric columns.")
    return {f"x{j}": arr[:, j] for j in range(arr.shape[1])}


def _encode(name: str, ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    if ref.ndim != 1 or cur.ndim != 1:
        raise DataError(f"column {name!r} must be one-dimensional; got shapes {ref.shape} and "
                        f"{cur.shape}.")
    if ref.dtype.kind in "biuf" and cur.dtype.kind in "biuf":
        return ref.astype(np.float64), cur.astype(np.float64), False
    if "M" in (ref.dtype.kind, cur.dtype.kind) or "m" in (ref.dtype.kind, cur.dtype.kind):
        raise DataError(f"column {name!r} holds dates or durations; convert it to numbers "
                        f"(for example seconds since a fixed time) before comparing.")
    r, c = [_labels(ref), _labels(cur)]
    levels = sorted({v for v in (*r, *c) if v is not None})
    code = {v: float(i) for i, v in enumerate(levels)}
    as_codes = lambda vs: np.array([math.nan if v is None else code[v] for v in vs])  # noqa: E731
    return as_codes(r), as_codes(c), len(levels) <= _MAX_CATEGORIES


def _labels(values: np.ndarray) -> list[str | None]:
    return [None if _missing(v) else str(v) for v in values.tolist()]


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN, NaT
    except TypeError:  # pandas.NA refuses a truth value
        return True
