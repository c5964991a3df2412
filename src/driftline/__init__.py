"""driftline: keep machine-learning models healthy after they ship.

Importing driftline is cheap and has no side effects: numpy, pandas and SciPy load only
when a name that needs them is first used (PEP 562 lazy attributes).

Examples
--------
>>> import numpy as np
>>> import driftline as dl
>>> rng = np.random.default_rng(0)
>>> ref = {"x": rng.normal(size=2_000)}
>>> cur = {"x": rng.normal(0.5, 1.0, size=2_000)}
>>> dl.compare(ref, cur).drifted
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

# name -> module that defines it; loaded on first attribute access.
_LAZY = {
    "compare": "driftline.drift",
    "ColumnDrift": "driftline.drift",
    "DriftReport": "driftline.drift",
    "Schema": "driftline.drift",
    "ColumnKind": "driftline.drift",
    "TestResult": "driftline.stats",
    "Suite": "driftline.drift",
    "SuiteResult": "driftline.drift",
    "register": "driftline.retrain",
    "log_predictions": "driftline.serving",
    "track": "driftline.integrations",
}
_SUBMODULES = ("stats", "drift", "errors", "datasets", "metrics")

__all__ = sorted([*_LAZY, *_SUBMODULES, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from driftline import datasets, drift, errors, metrics, stats
    from driftline.drift import (
        ColumnDrift,
        ColumnKind,
        DriftReport,
        Schema,
        Suite,
        SuiteResult,
        compare,
    )
    from driftline.integrations import track
    from driftline.retrain import register
    from driftline.serving import log_predictions
    from driftline.stats import TestResult


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"driftline.{name}")
    else:
        raise AttributeError(f"module 'driftline' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
