"""Dataframe-level drift: ``compare()``, the fitted ``Reference``, reports and data quality.

Examples
--------
>>> import numpy as np
>>> from driftline.drift import compare
>>> rng = np.random.default_rng(3)
>>> compare({"x": rng.normal(size=300)}, {"x": rng.normal(size=300)}).drift_share
0.0
"""

from driftline.drift._actions import ACTIONS, action_for
from driftline.drift._bbsd import BBSDResult, bbsd_hard, bbsd_soft
from driftline.drift._compare import compare
from driftline.drift._conditions import (
    Condition,
    ConditionResult,
    MaxDriftShare,
    MaxMissingShare,
    MaxOutOfRangeShare,
    MaxUnseenCategories,
    NoColumnDrift,
)
from driftline.drift._decision import DEFAULT_EFFECT_FLOORS
from driftline.drift._domain_classifier import (
    DomainClassifierResult,
    FeatureImportance,
    domain_classifier,
)
from driftline.drift._kinds import ColumnKind
from driftline.drift._metric_condition import MetricThreshold
from driftline.drift._pca_reconstruction import PCAReconstruction, PCAReconstructionResult
from driftline.drift._quality import QualityLimits
from driftline.drift._reference import Reference
from driftline.drift._report import (
    REPORT_SCHEMA,
    ColumnDrift,
    ColumnQuality,
    DecisionRule,
    Distribution,
    DriftReport,
    QualityCheck,
)
from driftline.drift._schema import Schema
from driftline.drift._suite import SUITE_RESULT_SCHEMA, CompareSettings, Suite, SuiteResult

__all__ = [
    "ACTIONS",
    "DEFAULT_EFFECT_FLOORS",
    "REPORT_SCHEMA",
    "SUITE_RESULT_SCHEMA",
    "BBSDResult",
    "ColumnDrift",
    "ColumnKind",
    "ColumnQuality",
    "CompareSettings",
    "Condition",
    "ConditionResult",
    "DecisionRule",
    "Distribution",
    "DomainClassifierResult",
    "DriftReport",
    "FeatureImportance",
    "MaxDriftShare",
    "MaxMissingShare",
    "MaxOutOfRangeShare",
    "MaxUnseenCategories",
    "MetricThreshold",
    "NoColumnDrift",
    "PCAReconstruction",
    "PCAReconstructionResult",
    "QualityCheck",
    "QualityLimits",
    "Reference",
    "Schema",
    "Suite",
    "SuiteResult",
    "action_for",
    "bbsd_hard",
    "bbsd_soft",
    "compare",
    "domain_classifier",
]
