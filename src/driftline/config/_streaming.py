"""The streaming parts of ``monitoring``: the concept-drift detector that watches the labelled
errors as feedback arrives, and the outlier scorer that watches the traffic."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from driftline.config._section import Section

__all__ = ["CONCEPT_DETECTORS", "REAL_VALUED_DETECTORS", "ConceptDriftConfig", "OutlierConfig"]

#: The detectors of :mod:`driftline.streaming` that can watch a model's errors.
CONCEPT_DETECTORS = ("ADWIN", "CUSUM", "DDM", "EDDM", "FHDDM", "HDDM_A", "HDDM_W", "KSWIN",
                     "PageHinkley", "RDDM", "STEPD")
#: Those that take real values, so can watch a regressor's absolute errors (the others take
#: error bits or values in [0, 1]).
REAL_VALUED_DETECTORS = ("ADWIN", "CUSUM", "KSWIN", "PageHinkley")


class ConceptDriftConfig(Section):
    """``monitoring.concept_drift``: a streaming detector on the champion's labelled errors.

    Each turn, the worker reads the labels that arrived since its last turn, in arrival order,
    joins them to their predictions, and feeds the errors (1 for a wrong class, 0 for a right
    one; the absolute error of a regressor) to ``detector``. Its state is saved in the store,
    so a restarted worker continues the stream. The error after a drift is the mean over the
    latest ``recent`` labels (at most half of those since the previous drift).

    Examples
    --------
    >>> ConceptDriftConfig().detector, ConceptDriftConfig(detector="DDM").enabled
    ('ADWIN', True)
    >>> ConceptDriftConfig(detector="ADWYN")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ConceptDriftConfig
    ...detector must be one of ADWIN, CUSUM, DDM, ...; got 'ADWYN'...
    """

    enabled: bool = True
    detector: str = "ADWIN"
    params: dict[str, Any] = Field(default_factory=dict)
    recent: int = Field(200, ge=10, le=100_000)

    @field_validator("detector")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CONCEPT_DETECTORS:
            raise ValueError(f"detector must be one of {', '.join(CONCEPT_DETECTORS)}; got {v!r}")
        return v


class OutlierConfig(Section):
    """``monitoring.outliers``: the share of outliers in each window's traffic.

    A Half-Space Trees scorer learns the reference's numeric features; the score that
    ``quantile`` of held-out reference rows stay below is the outlier threshold, so about
    ``1 - quantile`` of the traffic is flagged while nothing changed. The share flagged in
    each window is a monitored value and the gauge ``driftline_outlier_share``.

    Examples
    --------
    >>> OutlierConfig().quantile, OutlierConfig(enabled=False).enabled
    (0.99, False)
    """

    enabled: bool = True
    quantile: float = Field(0.99, gt=0.5, lt=1.0)
    n_trees: int = Field(25, ge=1, le=500)
    height: int = Field(8, ge=1, le=20)
    seed: int = Field(0, ge=0)
