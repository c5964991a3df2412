"""What a policy reads: the monitor's window summaries and the model's state, as plain values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from driftline.errors import ParameterError
from driftline.policy._clock import utc

__all__ = ["ConceptDrift", "PolicyContext", "WindowSummary"]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class WindowSummary:
    """What the monitor reports for one window of the prediction log.

    Parameters
    ----------
    end : when the window closed (timezone-aware).
    n_rows : rows in the window.
    dataset_drift : the window's dataset-level drift verdict; ``None`` when the window was too
        small to judge (such windows do not count towards drift persistence).
    drift_share : share of compared features that drifted, or ``None``.
    drifted_features : the names of the drifted features.
    performance : realized metrics on the window's labelled rows, e.g. ``{"roc_auc": 0.81}``.
    label_coverage : share of the window's rows whose label has arrived, in [0, 1].
    quality_ok : whether the data-quality checks passed.
    quality_problems : one short sentence per failed check.
    n_features : how many features were compared (for reasons such as "7/20 features").
    multivariate_drift : the whole-row methods that flagged the window (``monitoring.multivariate``:
        ``pca_reconstruction``, ``mmd``, ``domain_classifier``).
    estimated_performance : metrics estimated without labels (CBPE, DLE), e.g.
        ``{"roc_auc": 0.78}``; see ``OnPerformanceDegradation(estimated=True)``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> w = WindowSummary(datetime(2024, 1, 1, tzinfo=timezone.utc), 500, dataset_drift=True,
    ...                   drift_share=0.35, drifted_features=("income", "age"), n_features=20)
    >>> w.to_dict()["end"], w.judged
    ('2024-01-01T00:00:00+00:00', True)
    """

    end: datetime
    n_rows: int
    dataset_drift: bool | None = None
    drift_share: float | None = None
    drifted_features: tuple[str, ...] = ()
    performance: Mapping[str, float] = field(default_factory=dict)
    label_coverage: float = 0.0
    quality_ok: bool = True
    quality_problems: tuple[str, ...] = ()
    n_features: int | None = None
    estimated_performance: Mapping[str, float] = field(default_factory=dict)
    multivariate_drift: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "multivariate_drift", tuple(self.multivariate_drift))
        object.__setattr__(self, "end", utc(self.end, "end"))
        object.__setattr__(self, "estimated_performance",
                           {k: float(v) for k, v in self.estimated_performance.items()})
        object.__setattr__(self, "drifted_features", tuple(self.drifted_features))
        object.__setattr__(self, "quality_problems", tuple(self.quality_problems))
        object.__setattr__(self, "performance", {k: float(v) for k, v in self.performance.items()})
        if not 0.0 <= self.label_coverage <= 1.0:
            raise ParameterError.invalid("label_coverage", self.label_coverage, "a share in [0, 1]")
        if self.drift_share is not None and not 0.0 <= self.drift_share <= 1.0:
            raise ParameterError.invalid("drift_share", self.drift_share, "a share in [0, 1] or None")

    @property
    def judged(self) -> bool:
        """Whether the window was large enough for a drift verdict."""
        return self.dataset_drift is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"end": _iso(self.end), "n_rows": self.n_rows, "dataset_drift": self.dataset_drift,
                "drift_share": self.drift_share, "drifted_features": list(self.drifted_features),
                "performance": dict(self.performance), "label_coverage": self.label_coverage,
                "quality_ok": self.quality_ok, "quality_problems": list(self.quality_problems),
                "n_features": self.n_features,
                "estimated_performance": dict(self.estimated_performance),
                "multivariate_drift": list(self.multivariate_drift)}


@dataclass(frozen=True)
class ConceptDrift:
    """A concept drift that a streaming detector found in the stream of labelled errors.

    Parameters
    ----------
    at : when the label that set it off arrived (timezone-aware).
    detector : the detector's name, e.g. ``"ADWIN"``.
    index : the position of that label in the version's stream of labelled errors (from 0).
    error_before : mean error over the stream before the change (since the previous drift).
    error_after : mean error over the most recent labels, after the change.
    version : the model version whose errors were watched.
    error : what the error is: ``"error_rate"`` (a wrong class counts 1) or ``"mae"`` (the
        absolute error of a regressor).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = ConceptDrift(datetime(2024, 1, 1, tzinfo=timezone.utc), "ADWIN", 1520, 0.12, 0.31, 3)
    >>> d.worse, d.describe()
    (True, 'ADWIN concept drift at label 1,520: error 0.12 -> 0.31')
    """

    at: datetime
    detector: str
    index: int
    error_before: float | None = None
    error_after: float | None = None
    version: int | None = None
    error: str = "error_rate"

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", utc(self.at, "at"))

    def metric(self, name: str) -> float | None:
        """The metric ``name`` after the change, where the error gives it (``error_rate``,
        ``accuracy`` = 1 - error rate, ``mae``), else ``None``."""
        if self.error_after is None:
            return None
        if name == self.error or (self.error == "mae" and name == "mean_absolute_error"):
            return self.error_after
        if name == "accuracy" and self.error == "error_rate":
            return 1.0 - self.error_after
        return None

    @property
    def worse(self) -> bool:
        """Whether the error rose (``True`` when the detector could not say)."""
        if self.error_before is None or self.error_after is None:
            return True
        return self.error_after > self.error_before

    def describe(self) -> str:
        """One phrase for reasons and the audit trail."""
        text = f"{self.detector} concept drift at label {self.index:,}"
        if self.error_before is not None and self.error_after is not None:
            text += f": error {self.error_before:.3g} -> {self.error_after:.3g}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"at": _iso(self.at), "detector": self.detector, "index": self.index,
                "error_before": self.error_before, "error_after": self.error_after,
                "version": self.version, "error": self.error}


@dataclass(frozen=True)
class PolicyContext:
    """Everything a policy decides on, gathered by the caller (the worker, a test, the demo).

    Parameters
    ----------
    now : the decision time (from a :class:`~driftline.policy.Clock`).
    model : the model's name.
    windows : the monitor's window summaries for the champion, oldest first.
    champion_version, champion_promoted_at : the serving version and when it was promoted.
    baseline : the champion's validation metrics, e.g. ``{"roc_auc": 0.84}``.
    labelled_rows_since_training : labelled rows logged since the last training.
    last_training_at : when the last training finished.
    last_retrain_decision_at : when a policy last decided to retrain.
    retrain_running : whether a retrain of this model is in progress.
    demand : the reason of a pending on-demand request (e.g. from the API), or ``None``.
    concept_drifts : the concept drifts found in the champion's labelled errors, oldest first.

    Notes
    -----
    Window-based triggers only count windows that end after :attr:`evidence_since`, the later
    of ``last_training_at`` and ``last_retrain_decision_at``: evidence that already led to a
    retrain is not used twice.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ctx = PolicyContext(now=datetime(2024, 3, 1, tzinfo=timezone.utc), model="credit",
    ...                     last_training_at=datetime(2024, 2, 1, tzinfo=timezone.utc))
    >>> ctx.evidence_since.isoformat(), ctx.to_dict()["model"]
    ('2024-02-01T00:00:00+00:00', 'credit')
    """

    now: datetime
    model: str
    windows: Sequence[WindowSummary] = ()
    champion_version: int | None = None
    champion_promoted_at: datetime | None = None
    baseline: Mapping[str, float] = field(default_factory=dict)
    labelled_rows_since_training: int = 0
    last_training_at: datetime | None = None
    last_retrain_decision_at: datetime | None = None
    retrain_running: bool = False
    demand: str | None = None
    concept_drifts: Sequence[ConceptDrift] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "now", utc(self.now, "now"))
        for name in ("champion_promoted_at", "last_training_at", "last_retrain_decision_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, utc(value, name))
        object.__setattr__(self, "windows", tuple(self.windows))
        object.__setattr__(self, "concept_drifts", tuple(self.concept_drifts))
        object.__setattr__(self, "baseline", {k: float(v) for k, v in self.baseline.items()})
        if self.labelled_rows_since_training < 0:
            raise ParameterError.invalid("labelled_rows_since_training",
                                         self.labelled_rows_since_training, "a count >= 0")

    @property
    def evidence_since(self) -> datetime | None:
        """The later of the last training and the last retrain decision, or ``None``."""
        times = [t for t in (self.last_training_at, self.last_retrain_decision_at) if t is not None]
        return max(times) if times else None

    def fresh_windows(self) -> tuple[WindowSummary, ...]:
        """The windows that end after :attr:`evidence_since`, oldest first."""
        since = self.evidence_since
        return tuple(w for w in self.windows if since is None or w.end > since)

    def fresh_concept_drifts(self) -> tuple[ConceptDrift, ...]:
        """The concept drifts after :attr:`evidence_since`, oldest first."""
        since = self.evidence_since
        return tuple(d for d in self.concept_drifts if since is None or d.at > since)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"now": _iso(self.now), "model": self.model,
                "windows": [w.to_dict() for w in self.windows],
                "champion_version": self.champion_version,
                "champion_promoted_at": _iso(self.champion_promoted_at),
                "baseline": dict(self.baseline),
                "labelled_rows_since_training": self.labelled_rows_since_training,
                "last_training_at": _iso(self.last_training_at),
                "last_retrain_decision_at": _iso(self.last_retrain_decision_at),
                "retrain_running": self.retrain_running, "demand": self.demand,
                "concept_drifts": [d.to_dict() for d in self.concept_drifts]}
