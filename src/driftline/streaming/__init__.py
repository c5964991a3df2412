"""Streaming detectors: concept-drift detectors on error streams and online detectors on
real values, each following one protocol (``update``, ``drift_detected``,
``warning_detected``, ``reset``, ``update_many``, JSON state), and streaming outlier scorers
on rows of features (``score_one``, ``learn_one``, ``score_learn_many``, JSON state). Pure
numpy; no I/O.

Detectors that river 0.26 also has take river's parameter names, defaults and input
convention (1 = error), and fire at the same indices (see docs/streaming.md).

Examples
--------
>>> import random
>>> from driftline.streaming import ADWIN
>>> rng = random.Random(12345)
>>> stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
>>> ADWIN().update_many(stream).tolist()
[1023]
"""

from driftline.streaming._adwin import ADWIN
from driftline.streaming._base import STATE_SCHEMA, DriftDetector
from driftline.streaming._cusum import CUSUM
from driftline.streaming._ddm import DDM
from driftline.streaming._eddm import EDDM
from driftline.streaming._fhddm import FHDDM
from driftline.streaming._half_space_trees import HalfSpaceTrees
from driftline.streaming._hddm_a import HDDM_A
from driftline.streaming._hddm_w import HDDM_W
from driftline.streaming._kswin import KSWIN
from driftline.streaming._loda import LODA
from driftline.streaming._online_cvm import OnlineCVM
from driftline.streaming._outlier_base import OUTLIER_STATE_SCHEMA, OutlierScorer
from driftline.streaming._page_hinkley import PageHinkley
from driftline.streaming._rddm import RDDM
from driftline.streaming._stepd import STEPD

__all__ = ["ADWIN", "CUSUM", "DDM", "EDDM", "FHDDM", "HDDM_A", "HDDM_W", "KSWIN", "LODA",
           "OUTLIER_STATE_SCHEMA", "RDDM", "STATE_SCHEMA", "STEPD", "DriftDetector", "HalfSpaceTrees",
           "OnlineCVM", "OutlierScorer", "PageHinkley"]
