"""Training and registering model versions (the continuous-learning loop grows here).

Examples
--------
>>> from driftline.retrain import holdout_metrics
>>> holdout_metrics("multiclass", ["a", "b"], ["a", "a"])
{'accuracy': 0.5}
"""

from driftline.retrain._adaptive import DriftAdaptive, ModelSwap
from driftline.retrain._loop import (
    RetrainOutcome,
    decide,
    policy_context,
    retrain,
    run_loop_once,
    window_summaries,
)
from driftline.retrain._register import (
    RegisterResult,
    holdout_metrics,
    input_types,
    open_registry,
    register,
)
from driftline.retrain._runner import TrainingError, TrainingRun, run_training
from driftline.retrain._search_space import CategoricalParam, FloatParam, IntParam, SearchSpace
from driftline.retrain._stateful import (
    TRAINING_MODES,
    continue_training,
    default_trainer,
    stateless_fit,
)
from driftline.retrain._tuners import (
    RandomSearchTuner,
    TrialResult,
    Tuner,
    TuningResult,
    available_tuners,
    make_tuner,
    register_tuner,
)
from driftline.retrain._tuning import tune_params

__all__ = [
    "TRAINING_MODES",
    "CategoricalParam",
    "DriftAdaptive",
    "FloatParam",
    "IntParam",
    "ModelSwap",
    "RandomSearchTuner",
    "RegisterResult",
    "RetrainOutcome",
    "SearchSpace",
    "TrainingError",
    "TrainingRun",
    "TrialResult",
    "Tuner",
    "TuningResult",
    "available_tuners",
    "continue_training",
    "decide",
    "default_trainer",
    "holdout_metrics",
    "input_types",
    "make_tuner",
    "open_registry",
    "policy_context",
    "register",
    "register_tuner",
    "retrain",
    "run_loop_once",
    "run_training",
    "stateless_fit",
    "tune_params",
    "window_summaries",
]
