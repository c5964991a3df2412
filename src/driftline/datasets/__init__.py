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
from driftline.datasets._synthetic import make_drift_frames

__all__ = ["PHASES", "loan_applications", "make_credit_frames", "make_drift_frames", "simulate_history"]
