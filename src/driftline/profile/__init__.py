"""Mergeable column profiles, and drift tests computed from them.

A profile summarises a table (or one partition of it) column by column, in a form that merges:
profiles of partitions, built anywhere (threads, processes, a Dask cluster), combine into the
profile of the whole table, and bytes written by :meth:`TableProfile.to_bytes` travel and store
without pickle. :func:`compare_profiles` then runs the exact path's comparison
(:func:`driftline.compare`) on two profiles, and every result states how far its statistic can
be from the exact one.

* numerical columns (:class:`NumericProfile`): exact counts, missing values, extremes, sum and
  sum of squared deviations; a KLL quantile sketch; a histogram on the reference's bins (the
  exact path's PSI, Jensen–Shannon and Hellinger bins) and a finer one on 1,000
  reference-quantile bins;
* categorical and binary columns (:class:`CategoricalProfile`): an exact frequency table up to
  ``max_categories`` labels, heavy hitters with a deterministic error bound beyond.

Build the reference's profile first, then profile windows and partitions against it
(:func:`profile_frame` with ``reference=``, or :class:`ProfileBuilder` batch by batch), so
that their histograms align and merge. The sketches come from Apache DataSketches
(``pip install 'driftline[profile]'``), imported on first use. :func:`profile_dask` profiles
Dask DataFrames and Parquet datasets partition by partition on a Dask cluster
(``pip install 'driftline[dask]'``; Dask too is imported on first use). See
``docs/profiles.md``.

Examples
--------
>>> import numpy as np
>>> from driftline.profile import TableProfile, compare_profiles, profile_frame
>>> rng = np.random.default_rng(0)
>>> ref = profile_frame({"x": rng.normal(size=5000), "c": rng.choice(["a", "b", "c"], 5000)})
>>> parts = [{"x": rng.normal(0.3, 1, size=2000), "c": rng.choice(["a", "b", "c"], 2000)}
...          for _ in range(4)]
>>> window = TableProfile.merge_all(profile_frame(p, reference=ref) for p in parts)
>>> report = compare_profiles(ref, window)
>>> report.drifted, report.drifted_columns
(True, ('x',))
"""

from driftline.profile._build import ProfileBuilder, profile_frame
from driftline.profile._categorical import DEFAULT_MAX_CATEGORIES, CategoricalProfile
from driftline.profile._compare import compare_profiles
from driftline.profile._dask import profile_dask
from driftline.profile._numeric import DEFAULT_GRID, DEFAULT_K, NumericProfile
from driftline.profile._result import PROFILE_REPORT_SCHEMA, ProfileReport, ProfileResult
from driftline.profile._table import PROFILE_SCHEMA, ColumnProfile, TableProfile

__all__ = [
    "DEFAULT_GRID",
    "DEFAULT_K",
    "DEFAULT_MAX_CATEGORIES",
    "PROFILE_REPORT_SCHEMA",
    "PROFILE_SCHEMA",
    "CategoricalProfile",
    "ColumnProfile",
    "NumericProfile",
    "ProfileBuilder",
    "ProfileReport",
    "ProfileResult",
    "TableProfile",
    "compare_profiles",
    "profile_dask",
    "profile_frame",
]
