"""The results of :func:`driftline.compare`: per-column drift, data quality and the report.

Results are frozen dataclasses that never render themselves: ``to_dict()`` gives a versioned,
JSON-ready structure (schema ``driftline.drift_report/1``) that the HTML renderer, the CLI and
later the UI read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = [
    "REPORT_SCHEMA",
    "ColumnDrift",
    "ColumnQuality",
    "DecisionRule",
    "Distribution",
    "DriftReport",
    "MultivariateDrift",
    "QualityCheck",
]

REPORT_SCHEMA = "driftline.drift_report/1"


def _version() -> str:
    from driftline import __version__

    return __version__


def _clean(v: Any) -> Any:
    """JSON-ready: NaN → None, ±inf → strings, tuples → lists, nested results → dicts."""
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, Mapping):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return [_clean(x) for x in v]
    if hasattr(v, "item") and callable(v.item):  # numpy scalar
        return _clean(v.item())
    return v


def _as_dict(obj: Any) -> dict[str, Any]:
    return {f.name: _clean(getattr(obj, f.name)) for f in fields(obj)}


@dataclass(frozen=True)
class Distribution:
    """Aggregated distributions of one column on both sides, for display (never raw rows).

    ``kind`` is ``"histogram"`` (``edges`` has one more entry than the counts; the first and
    last bins also hold values beyond the plotted range) or ``"frequencies"`` (``labels``
    aligned with the counts; the most frequent labels, with the rest summed in ``"(other)"``).

    Examples
    --------
    >>> d = Distribution("frequencies", labels=("a", "b"), reference=(3, 1), current=(1, 3))
    >>> d.to_dict()["current"]
    [1, 3]
    """

    kind: str
    reference: tuple[int, ...]
    current: tuple[int, ...]
    edges: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return _as_dict(self)


@dataclass(frozen=True)
class ColumnDrift:
    """The drift verdict for one column, with the evidence behind it.

    It carries every field of :class:`driftline.stats.TestResult`, plus the column, its
    kind and role, the drift type and recommended action, and display aggregates.

    Attributes
    ----------
    column, kind : the column and its kind (numerical, categorical, binary, text, datetime).
    role : ``feature``, ``target``, ``prediction``, ``prediction_score`` or ``concept``.
    drift_type : ``feature``, ``label``, ``prediction`` or ``concept``.
    method ... n_current : as in TestResult; ``effect_size`` is the effect measure the
        decision rule floors (for example the normed Wasserstein distance for numbers).
    action : the recommended action when the column drifted, else ``None``.
    tested : ``False`` when the column could not be tested (``reason`` says why).
    distribution : reference and current aggregates for reports.
    details : extra results (such as text descriptors), each a ColumnDrift.

    Examples
    --------
    >>> c = ColumnDrift(column="x", kind="numerical", method="ks", statistic=0.3, p_value=0.001,
    ...                 alpha=0.05, effect_size=0.4, effect_size_name="wasserstein_normed",
    ...                 effect_threshold=0.1, drifted=True, n_reference=100, n_current=100)
    >>> c.to_dict()["column"], c.severity > 0
    ('x', True)
    """

    column: str
    kind: str
    method: str
    statistic: float
    p_value: float | None
    alpha: float
    effect_size: float | None
    effect_size_name: str | None
    effect_threshold: float | None
    drifted: bool | None
    n_reference: int
    n_current: int
    p_value_adjusted: float | None = None
    correction: str | None = None
    n_missing_reference: int = 0
    n_missing_current: int = 0
    role: str = "feature"
    drift_type: str = "feature"
    action: str | None = None
    tested: bool = True
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    distribution: Distribution | None = None
    details: tuple[ColumnDrift, ...] = ()

    @property
    def severity(self) -> float:
        """A sort key: drifted columns first, then by effect size relative to its floor."""
        if not self.tested or self.effect_size is None or math.isnan(self.effect_size):
            return -1.0
        floor = self.effect_threshold or 1.0
        return (1.0 if self.drifted else 0.0) * 1e6 + self.effect_size / floor

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return _as_dict(self)


@dataclass(frozen=True)
class QualityCheck:
    """One data quality check on one column: its value, limit and status (ok/warn/fail).

    ``unit`` says how to read ``value`` and ``limit``: ``share`` (a fraction in [0, 1],
    higher is worse), ``flag`` (1.0 when the condition holds) or ``seconds``.

    Examples
    --------
    >>> QualityCheck("missing_share", 0.2, 0.05, "fail", "20.0% missing").status
    'fail'
    """

    check: str
    value: float | None
    limit: float | None
    status: str
    message: str
    unit: str = "share"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return _as_dict(self)


@dataclass(frozen=True)
class ColumnQuality:
    """The data quality checks of one column; ``status`` is the worst of them.

    Examples
    --------
    >>> q = ColumnQuality("x", "numerical", (QualityCheck("constant", 0.0, None, "ok", ""),))
    >>> q.status
    'ok'
    """

    column: str
    kind: str
    checks: tuple[QualityCheck, ...]

    @property
    def status(self) -> str:
        """The worst status among the checks: ``fail`` > ``warn`` > ``ok``."""
        order = {"ok": 0, "warn": 1, "fail": 2}
        return max((c.status for c in self.checks), key=order.__getitem__, default="ok")

    def check(self, name: str) -> QualityCheck | None:
        """The check called ``name``, if it ran."""
        return next((c for c in self.checks if c.check == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (with the overall status)."""
        return {"column": self.column, "kind": self.kind, "status": self.status,
                "checks": [c.to_dict() for c in self.checks]}


@dataclass(frozen=True)
class DecisionRule:
    """The settings the verdicts used (see :mod:`driftline.drift._decision`).

    Examples
    --------
    >>> DecisionRule(effect_floors={"numerical": 0.1}).to_dict()["correction"]
    'holm'
    """

    method: str = "auto"
    alpha: float = 0.05
    correction: str = "holm"
    effect_floors: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return _as_dict(self)


@dataclass(frozen=True)
class MultivariateDrift:
    """One whole-row (dataset-level) test of the numeric features, from ``compare(multivariate=…)``.

    Attributes
    ----------
    method : ``pca_reconstruction``, ``mmd``, ``domain_classifier``, ``bbsd_soft`` or
        ``bbsd_hard``.
    statistic : the reconstruction error, MMD², held-out AUC, largest KS statistic or χ².
    p_value : ``None`` for ``pca_reconstruction``, which has a band instead.
    drifted : the method's own verdict; ``None`` when it could not run (``reason`` says why).
    columns : the columns the method read.
    lower_threshold, upper_threshold : the band of ``pca_reconstruction``.
    top_features : the columns that best separate the samples (``domain_classifier``).

    Examples
    --------
    >>> m = MultivariateDrift("mmd", 0.02, 0.005, True, ("a", "b"), 500, 500, alpha=0.05)
    >>> m.to_dict()["columns"], m.drifted
    (['a', 'b'], True)
    """

    method: str
    statistic: float
    p_value: float | None
    drifted: bool | None
    columns: tuple[str, ...]
    n_reference: int
    n_current: int
    alpha: float | None = None
    lower_threshold: float | None = None
    upper_threshold: float | None = None
    top_features: tuple[str, ...] = ()
    reason: str | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return _as_dict(self)


@dataclass(frozen=True)
class DriftReport:
    """The result of comparing a current table with a reference.

    Attributes
    ----------
    drifted : the dataset-level verdict: at least one tested column passed both the corrected
        test and its effect floor.
    drift_share : share of tested columns that drifted (information, not the verdict).
    columns : every compared column (features, target, predictions) by name.
    quality : data quality per column.
    rule : the decision settings.
    n_reference, n_current : rows on each side.
    multivariate : the whole-row tests asked for with ``compare(multivariate=…)``, by method
        (empty by default). They are information: they do not change ``drifted``.

    Examples
    --------
    >>> import numpy as np, driftline as dl
    >>> rng = np.random.default_rng(1)
    >>> rep = dl.compare({"a": rng.normal(size=500)}, {"a": rng.normal(size=500)})
    >>> rep.drifted, rep.to_dict()["schema"]
    (False, 'driftline.drift_report/1')
    """

    columns: Mapping[str, ColumnDrift]
    quality: Mapping[str, ColumnQuality]
    rule: DecisionRule
    n_reference: int
    n_current: int
    warnings: tuple[str, ...] = ()
    multivariate: Mapping[str, MultivariateDrift] = field(default_factory=dict)

    @property
    def tested(self) -> tuple[ColumnDrift, ...]:
        """The columns that got a verdict."""
        return tuple(c for c in self.columns.values() if c.tested and c.drifted is not None)

    @property
    def drifted(self) -> bool:
        """Dataset-level verdict: any tested column drifted."""
        return any(c.drifted for c in self.tested)

    @property
    def n_drifted(self) -> int:
        """Number of drifted columns."""
        return sum(bool(c.drifted) for c in self.tested)

    @property
    def drift_share(self) -> float:
        """Share of tested columns that drifted (0.0 when none was tested)."""
        tested = self.tested
        return self.n_drifted / len(tested) if tested else 0.0

    def _by_role(self, *roles: str) -> tuple[ColumnDrift, ...]:
        return tuple(c for c in self.columns.values() if c.role in roles)

    @property
    def features(self) -> tuple[ColumnDrift, ...]:
        """Feature columns (data drift)."""
        return self._by_role("feature")

    @property
    def target_drift(self) -> ColumnDrift | None:
        """Label (target) drift, when a target was given."""
        found = self._by_role("target")
        return found[0] if found else None

    @property
    def prediction_drift(self) -> tuple[ColumnDrift, ...]:
        """Prediction drift: the prediction column and any class-score columns."""
        return self._by_role("prediction", "prediction_score")

    @property
    def concept_drift(self) -> ColumnDrift | None:
        """Concept drift: the model's residuals or error rate, when target and prediction
        were both given (see :mod:`driftline.drift._concept`)."""
        found = self._by_role("concept")
        return found[0] if found else None

    def sorted_columns(self) -> list[ColumnDrift]:
        """Columns by severity: drifted first, then by effect relative to the floor."""
        return sorted(self.columns.values(), key=lambda c: c.severity, reverse=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict following the versioned schema ``driftline.drift_report/1``.

        The ``multivariate`` key is present only when whole-row tests ran.
        """
        target = self.target_drift
        out = {
            "schema": REPORT_SCHEMA,
            "driftline_version": _version(),
            "drifted": self.drifted,
            "drift_share": self.drift_share,
            "n_drifted": self.n_drifted,
            "n_tested": len(self.tested),
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "rule": self.rule.to_dict(),
            "columns": {name: c.to_dict() for name, c in self.columns.items()},
            "target_drift": None if target is None else target.column,
            "prediction_drift": [c.column for c in self.prediction_drift],
            "concept_drift": None if self.concept_drift is None else self.concept_drift.column,
            "quality": {name: q.to_dict() for name, q in self.quality.items()},
            "warnings": list(self.warnings),
        }
        if self.multivariate:
            out["multivariate"] = {name: m.to_dict() for name, m in self.multivariate.items()}
        return out

    def to_json(self, path: str | Path | None = None, *, indent: int | None = 2) -> str:
        """The report as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def save_html(self, path: str | Path) -> Path:
        """Write a self-contained HTML report (aggregates only; works without JavaScript)."""
        from driftline.drift._html import render_html

        out = Path(path)
        out.write_text(render_html(self.to_dict()), encoding="utf-8")
        return out

    def _repr_html_(self) -> str:
        from driftline.drift._html import render_html

        return render_html(self.to_dict(), fragment=True)

    def __repr__(self) -> str:
        return (f"DriftReport(drifted={self.drifted}, drifted_columns={self.n_drifted}/"
                f"{len(self.tested)}, n_reference={self.n_reference}, n_current={self.n_current})")
