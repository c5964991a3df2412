"""Multiple-testing corrections across columns: Holm (default), Bonferroni, Benjamini–Hochberg.

Notes
-----
Holm's step-down method controls the family-wise error rate (the chance of *any* false
alarm across the columns) at ``alpha`` under any dependence between columns, and is uniformly
more powerful than Bonferroni. Benjamini–Hochberg controls the false discovery rate instead
(the expected share of false alarms among the flagged columns) and assumes independent or
positively dependent tests.

References
----------
.. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
   Scandinavian Journal of Statistics, 6(2), 65–70.
.. [2] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate.
   JRSS B, 57(1), 289–300.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from driftline.errors import ParameterError

__all__ = ["CORRECTIONS", "adjust_p_values"]

CORRECTIONS = ("holm", "bonferroni", "bh", "none")


def adjust_p_values(p_values: npt.ArrayLike, method: str = "holm") -> np.ndarray:
    """Adjusted p-values: compare each with ``alpha`` to control the family's error rate.

    NaN entries (columns without a p-value) are ignored and stay NaN; the family size is
    the number of finite p-values.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_p_values([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in CORRECTIONS:
        raise ParameterError.choice("correction", method, CORRECTIONS)
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    if method == "none":
        adj = q.copy()
    elif method == "bonferroni":
        adj = np.minimum(q * m, 1.0)
    elif method == "holm":
        order = np.argsort(q, kind="stable")
        stepped = np.maximum.accumulate(q[order] * (m - np.arange(m)))
        adj = np.empty(m)
        adj[order] = np.minimum(stepped, 1.0)
    else:  # Benjamini–Hochberg step-up
        order = np.argsort(q, kind="stable")[::-1]
        ranks = m - np.arange(m)
        stepped = np.minimum.accumulate(q[order] * m / ranks)
        adj = np.empty(m)
        adj[order] = np.minimum(stepped, 1.0)
    out[ok] = adj
    return out
