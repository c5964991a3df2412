"""Synthetic data sets with known drift, for the demo, the tests and the benchmarks.

Examples
--------
>>> from driftline.datasets import make_drift_frames
>>> reference, current = make_drift_frames(1_000, 500, seed=1)
>>> len(reference), len(current)
(1000, 500)
"""

from driftline.datasets._credit import make_credit_frames
from driftline.datasets._history import simulate_history
from driftline.datasets._loans import PHASES, loan_applications
from driftline.datasets._streams_agrawal import Agrawal
from driftline.datasets._streams_base import DriftPoint, Stream
from driftline.datasets._streams_bernoulli import BernoulliErrors
from driftline.datasets._streams_drifting import Drifting, drifting
from driftline.datasets._streams_friedman import FriedmanDrift
from driftline.datasets._streams_hyperplane import Hyperplane
from driftline.datasets._streams_rbf import RandomRBF
from driftline.datasets._streams_sea import SEA
from driftline.datasets._streams_stagger import STAGGER
from driftline.datasets._synthetic import make_drift_frames

__all__ = [
    "PHASES",
    "SEA",
    "STAGGER",
    "Agrawal",
    "BernoulliErrors",
    "DriftPoint",
    "Drifting",
    "FriedmanDrift",
    "Hyperplane",
    "RandomRBF",
    "Stream",
    "drifting",
    "loan_applications",
    "make_credit_frames",
    "make_drift_frames",
    "simulate_history",
]
