"""The recommended action for each drift type (the product's action table)."""

from __future__ import annotations

__all__ = ["ACTIONS", "DRIFT_TYPES", "action_for"]

DRIFT_TYPES = ("feature", "label", "prediction", "concept")

ACTIONS: dict[str, tuple[str, ...]] = {
    "feature": ("investigate feature generation", "retrain on new data"),
    "label": ("investigate label generation", "retrain"),
    "prediction": ("investigate training", "assess business impact"),
    "concept": ("feature engineering", "an alternative approach", "retrain or tune"),
}


def action_for(drift_type: str) -> str:
    """The recommended action for a drift type, as one sentence fragment.

    Examples
    --------
    >>> action_for("feature")
    'investigate feature generation; retrain on new data'
    """
    return "; ".join(ACTIONS[drift_type])
