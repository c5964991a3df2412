"""A small credit-scoring data set with a model score, for the demo, docs and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["make_credit_frames"]

_REGIONS = np.array(["north", "south", "east", "west", "centre"], dtype=object)
_PURPOSE = np.array(["car", "home", "education", "business", "travel", "other"], dtype=object)


def _frame(n: int, rng: np.random.Generator, drift: bool) -> pd.DataFrame:
    import pandas as pd

    income = rng.lognormal(10.4 + (0.25 if drift else 0.0), 0.45, n)
    age = np.clip(rng.normal(41 + (4 if drift else 0), 11, n), 18, 90).round()
    debt_ratio = rng.beta(2, 5, n)
    p_region = [0.3, 0.25, 0.2, 0.15, 0.1] if not drift else [0.15, 0.25, 0.2, 0.15, 0.25]
    region = rng.choice(_REGIONS, n, p=p_region)
    purpose = rng.choice(_PURPOSE, n, p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.1])
    has_mortgage = rng.random(n) < 0.35
    logit = -1.5 - 1.2 * (np.log(income) - 10.4) + 3.0 * (debt_ratio - 0.28) - 0.01 * (age - 41)
    if drift:  # the relationship changes too (concept drift): debt matters more, and the
        logit += 1.5 * (debt_ratio - 0.28) + 0.9  # default rate rises (label drift)
    default = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    # The model was fit before the drift: its score follows the old relationship.
    score_logit = -1.5 - 1.2 * (np.log(income) - 10.4) + 3.0 * (debt_ratio - 0.28)
    score = 1 / (1 + np.exp(-(score_logit + rng.normal(0, 0.3, n))))
    return pd.DataFrame({
        "income": income.round(2), "age": age, "debt_ratio": debt_ratio.round(4),
        "region": pd.Categorical(region, categories=list(_REGIONS)),
        "purpose": pd.Categorical(purpose, categories=list(_PURPOSE)),
        "has_mortgage": has_mortgage, "default": default, "score": score.round(5),
    })


def make_credit_frames(
    n_reference: int = 20_000, n_current: int | None = None, *, drift: bool = True, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference and a current credit table with target ``default`` and model ``score``.

    With ``drift=True`` the current table has higher incomes and older applicants (feature
    drift), a different regional mix, and a changed link between debt and default (concept
    drift), which also moves the default rate (label drift).

    Examples
    --------
    >>> ref, cur = make_credit_frames(1_000, seed=1)
    >>> list(ref.columns)
    ['income', 'age', 'debt_ratio', 'region', 'purpose', 'has_mortgage', 'default', 'score']
    >>> bool(cur["income"].median() > ref["income"].median())
    True
    """
    rng = np.random.default_rng(seed)
    n_current = n_reference if n_current is None else n_current
    return _frame(n_reference, rng, drift=False), _frame(n_current, rng, drift=drift)
