"""Two-sample tests and distances on numpy arrays: the statistical core.

Every method is a plain function ``method(reference, current, **params) -> TestResult`` and is
registered by name: :func:`available` lists the names and :func:`get` returns one.
The multivariate tests (:func:`mmd_multivariate`, :func:`mmd_linear`) compare whole rows and
give one verdict for all features, so they are not in that per-column registry.
For monitoring, :func:`fit` prepares a reference once (sorted values, bins, category counts) so
that each window costs work in proportion to its own size.

This package imports numpy only; SciPy submodules load inside the functions that use them.

Examples
--------
>>> import numpy as np
>>> from driftline import stats
>>> rng = np.random.default_rng(0)
>>> r = stats.ks(rng.normal(size=1000), rng.normal(0.5, 1, size=1000))
>>> r.method, r.drifted
('ks', True)
>>> stats.get("psi").has_p_value
False
"""

from driftline.stats._anderson import anderson_darling
from driftline.stats._bhattacharyya import bhattacharyya
from driftline.stats._binning import DEFAULT_BINS, DEFAULT_EPS
from driftline.stats._bws import bws
from driftline.stats._chi2 import chi_square
from driftline.stats._correction import CORRECTIONS, adjust_p_values
from driftline.stats._cramers_v import cramers_v
from driftline.stats._cvm import cramer_von_mises
from driftline.stats._energy import energy_distance
from driftline.stats._epps_singleton import epps_singleton
from driftline.stats._fisher import fisher_exact
from driftline.stats._gtest import g_test
from driftline.stats._hellinger import hellinger
from driftline.stats._hist_intersection import hist_intersection
from driftline.stats._jensen_shannon import jensen_shannon
from driftline.stats._kl import kl_divergence
from driftline.stats._ks import ks
from driftline.stats._kuiper import kuiper
from driftline.stats._linf import linf
from driftline.stats._mannwhitney import mann_whitney
from driftline.stats._mmd import mmd
from driftline.stats._mmd_multi import mmd_linear, mmd_multivariate
from driftline.stats._psi import psi
from driftline.stats._registry import MethodSpec, available, get
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, fit
from driftline.stats._tvd import total_variation
from driftline.stats._wasserstein import wasserstein, wasserstein_distance, wasserstein_normed
from driftline.stats._welch import welch_t
from driftline.stats._ztest import z_test

__all__ = [
    "CORRECTIONS",
    "DEFAULT_BINS",
    "DEFAULT_EPS",
    "MethodSpec",
    "Sample",
    "TestResult",
    "adjust_p_values",
    "anderson_darling",
    "available",
    "bhattacharyya",
    "bws",
    "chi_square",
    "cramer_von_mises",
    "cramers_v",
    "energy_distance",
    "epps_singleton",
    "fisher_exact",
    "fit",
    "g_test",
    "get",
    "hellinger",
    "hist_intersection",
    "jensen_shannon",
    "kl_divergence",
    "ks",
    "kuiper",
    "linf",
    "mann_whitney",
    "mmd",
    "mmd_linear",
    "mmd_multivariate",
    "psi",
    "total_variation",
    "wasserstein",
    "wasserstein_distance",
    "wasserstein_normed",
    "welch_t",
    "z_test",
]
