"""Training and registering model versions (the continuous-learning loop grows here).

Examples
--------
>>> from driftline.retrain import holdout_metrics
>>> holdout_metrics("multiclass", ["a", "b"], ["a", "a"])
{'accuracy': 0.5}
"""

from driftline.retrain._register import (
    RegisterResult,
    holdout_metrics,
    input_types,
    open_registry,
    register,
)

__all__ = ["RegisterResult", "holdout_metrics", "input_types", "open_registry", "register"]
