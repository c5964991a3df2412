"""Model versions and the training contract.

Examples
--------
>>> from driftline.registry import Model
>>> class Constant:
...     def predict(self, X):
...         return [0] * len(X)
>>> isinstance(Constant(), Model)
True
"""

from driftline.registry._artifacts import ArtifactRecord, load_artifact, save_artifact
from driftline.registry._paths import safe_artifact_path, sha256_file
from driftline.registry._registry import ModelVersion, Registry
from driftline.registry._river import RiverModel
from driftline.registry._training import (
    Classifier,
    Model,
    TrainFunction,
    TrainingData,
    split_holdout,
)

__all__ = [
    "ArtifactRecord",
    "Classifier",
    "Model",
    "ModelVersion",
    "Registry",
    "RiverModel",
    "TrainFunction",
    "TrainingData",
    "load_artifact",
    "safe_artifact_path",
    "save_artifact",
    "sha256_file",
    "split_holdout",
]
