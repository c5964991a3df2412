"""Loan applications (the demo's data set), with each kind of shift on its own switch.

The base world: income, age, debt ratio, region, purpose and a mortgage flag, with a mild daily
seasonality in incomes, and default driven by income, debt and age. The shifts:

- ``covariate``: P(X) moves (higher incomes, older applicants, another regional mix); the
  link between X and default is unchanged;
- ``prior``: P(y) moves (defaults are twice as common); P(X | y) is unchanged (label shift);
- ``concept``: P(y | X) changes (debt stops predicting default, incomes predict it the
  other way round), so a model fit on the base world ranks applicants badly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PHASES", "loan_applications"]

REGIONS = ["north", "south", "east", "west", "centre"]
PURPOSES = ["car", "home", "education", "business", "travel", "other"]
# (key, title, what shifts)
PHASES = (("stable", "Stable traffic", "nothing"),
          ("covariate", "Covariate drift", "P(X): incomes, ages and regions move"),
          ("prior", "Label (prior) shift", "P(y): defaults become twice as common"),
          ("concept", "Concept drift", "P(y|X): what predicts default changes"),
          ("new_data", "New labelled data arrives", "the new world, with every label"))
_KINDS = ("base", "covariate", "prior", "concept")


def _features(n: int, rng: np.random.Generator, shifted: bool, hour: float) -> dict[str, np.ndarray]:
    season = 0.04 * np.sin(2 * np.pi * (hour + rng.uniform(0, 1, n)) / 24)  # daily cycle
    income = rng.lognormal(10.4 + (0.3 if shifted else 0.0) + season, 0.45, n)
    age = np.clip(rng.normal(41 + (6 if shifted else 0), 11, n), 18, 90).round()
    debt = rng.beta(2, 5, n)
    p_region = [0.15, 0.2, 0.2, 0.15, 0.3] if shifted else [0.3, 0.25, 0.2, 0.15, 0.1]
    return {"income": income.round(2), "age": age, "debt_ratio": debt.round(4),
            "region": rng.choice(REGIONS, n, p=p_region),
            "purpose": rng.choice(PURPOSES, n, p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.1]),
            "has_mortgage": (rng.random(n) < 0.35).astype(int)}


def _logit(x: dict[str, np.ndarray], concept: bool) -> np.ndarray:
    li = np.log(x["income"]) - 10.4
    if concept:  # the new world: high incomes default more, debt no longer matters
        return -1.4 + 2.0 * li + 0.02 * (x["age"] - 41)
    return -1.4 - 1.6 * li + 4.0 * (x["debt_ratio"] - 0.28) - 0.015 * (x["age"] - 41)


def loan_applications(n: int, kind: str = "base", *, seed: int = 0, hour: float = 0.0
                      ) -> pd.DataFrame:
    """``n`` applications of one world (``base``, ``covariate``, ``prior`` or ``concept``)
    with the ``default`` label.

    Examples
    --------
    >>> base = loan_applications(4_000, seed=1)
    >>> prior = loan_applications(4_000, "prior", seed=1)
    >>> bool(base["default"].mean() < prior["default"].mean())
    True
    >>> list(base.columns)
    ['income', 'age', 'debt_ratio', 'region', 'purpose', 'has_mortgage', 'default']
    """
    import pandas as pd

    from driftline.errors import ParameterError

    if kind not in _KINDS:
        raise ParameterError.choice("kind", kind, _KINDS)
    rng = np.random.default_rng(seed)
    if kind == "prior":  # P(X|y) kept: draw from the base world, resample to a new prior
        pool = loan_applications(6 * n, "base", seed=seed + 1, hour=hour)
        pos, neg = pool[pool["default"] == 1], pool[pool["default"] == 0]
        k = min(len(pos), round(2.0 * pos.shape[0] / len(pool) * n))
        part = pd.concat([pos.sample(k, random_state=seed), neg.sample(n - k, random_state=seed)])
        return part.sample(frac=1.0, random_state=seed + 2).reset_index(drop=True)
    x = _features(n, rng, kind == "covariate", hour)
    p = 1 / (1 + np.exp(-_logit(x, kind == "concept")))
    frame = pd.DataFrame(x)
    frame["default"] = (rng.random(n) < p).astype(int)
    return frame
