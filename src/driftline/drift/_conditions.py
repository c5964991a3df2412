"""Pass/fail conditions that a :class:`~driftline.drift.Suite` checks on a drift report.

Each condition is a small frozen dataclass that follows the :class:`Condition` protocol and
is registered under the key users write in YAML (``drift_share``, ``missing_share``, ...).
A condition reads a :class:`~driftline.drift.DriftReport` (and, for performance, a mapping of
metric values) and returns a :class:`ConditionResult`: its value, its limit and a verdict,
``"pass"``, ``"fail"`` or ``"error"`` when it cannot be judged (a column absent from the
report, a metric nobody computed). Evaluating never raises on such gaps.

Shares are compared with ``<=``: a value equal to its limit passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from driftline.drift._report import ColumnDrift, DriftReport, _clean
from driftline.errors import ParameterError

__all__ = [
    "VERDICTS",
    "Condition",
    "ConditionResult",
    "MaxDriftShare",
    "MaxMissingShare",
    "MaxOutOfRangeShare",
    "MaxUnseenCategories",
    "NoColumnDrift",
]

VERDICTS = ("pass", "fail", "error")
ALL_COLUMNS = "*"


@dataclass(frozen=True)
class ConditionResult:
    """The verdict of one condition: its value, its limit and a message in words.

    Examples
    --------
    >>> r = ConditionResult("drift_share", "fail", value=0.4, limit=0.25, message="40% > 25%")
    >>> r.passed, r.to_dict()["verdict"]
    (False, 'fail')
    """

    name: str
    verdict: str
    value: float | None = None
    limit: float | None = None
    message: str = ""
    column: str | None = None

    @property
    def passed(self) -> bool:
        """Whether the verdict is ``"pass"``."""
        return self.verdict == "pass"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"name": self.name, "column": self.column, "verdict": self.verdict,
                "value": _clean(self.value), "limit": _clean(self.limit),
                "message": self.message}


@runtime_checkable
class Condition(Protocol):
    """What a suite needs from a condition; write your own by following it.

    ``name`` labels the condition in results; ``evaluate`` must not raise for data it
    cannot judge, and returns an ``"error"`` verdict instead.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class RowsAtLeast:
    ...     n: int
    ...     name: str = "rows_at_least"
    ...     def evaluate(self, report, metrics=None):
    ...         ok = report.n_current >= self.n
    ...         return ConditionResult(self.name, "pass" if ok else "fail",
    ...                                report.n_current, self.n)
    >>> isinstance(RowsAtLeast(100), Condition)
    True
    """

    @property
    def name(self) -> str:
        """A short label such as ``missing_share[age]``."""
        ...

    def evaluate(self, report: DriftReport,
                 metrics: Mapping[str, float] | None = None) -> ConditionResult:
        """Judge ``report`` (and ``metrics``, for performance conditions)."""
        ...


def _number(value: object) -> float | None:
    """``value`` as a float when it is a real number (not a bool, not NaN), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) else float(value)


def _check_share(name: str, value: object) -> float:
    x = _number(value)
    if x is None or not 0.0 <= x <= 1.0:
        raise ParameterError.invalid(name, value, "a number in [0, 1]")
    return x


def _check_number(name: str, value: object, *, minimum: float | None = None) -> float:
    x = _number(value)
    if x is None or (minimum is not None and x < minimum):
        allowed = "a number" if minimum is None else f"a number >= {minimum:g}"
        raise ParameterError.invalid(name, value, allowed)
    return x


def _check_column(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ParameterError.invalid("column", value, f"a column name or {ALL_COLUMNS!r}")
    return value


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _verdict(value: float, limit: float) -> str:
    return "pass" if value <= limit else "fail"


@dataclass(frozen=True)
class MaxDriftShare:
    """The share of tested columns that drifted is at most ``max``.

    Examples
    --------
    >>> from driftline.drift._report import DriftReport, DecisionRule
    >>> empty = DriftReport({}, {}, DecisionRule(), 0, 0)
    >>> MaxDriftShare(0.25).evaluate(empty).verdict   # nothing was tested
    'error'
    """

    max: float
    key: ClassVar[str] = "drift_share"

    def __post_init__(self) -> None:
        _check_share("max", self.max)

    @property
    def name(self) -> str:
        """The label in results."""
        return self.key

    def evaluate(self, report: DriftReport,
                 metrics: Mapping[str, float] | None = None) -> ConditionResult:
        """Compare ``report.drift_share`` with the limit."""
        n = len(report.tested)
        if n == 0:
            return ConditionResult(self.name, "error", None, self.max,
                                   "no column got a drift verdict, so there is no share to judge")
        share, verdict = report.drift_share, _verdict(report.drift_share, self.max)
        sign = "<=" if verdict == "pass" else ">"
        msg = (f"{report.n_drifted} of {n} columns drifted ({_pct(share)} {sign} "
               f"{_pct(self.max)})")
        return ConditionResult(self.name, verdict, share, self.max, msg)

    def to_dict(self) -> dict[str, Any]:
        """The YAML form: ``{key: params}``."""
        return {self.key: {"max": self.max}}


def _drift_problem(col: ColumnDrift, max_effect: float | None) -> str | None:
    """Why ``col`` breaks the condition, or ``None`` when it does not."""
    if max_effect is None:
        if not col.drifted:
            return None
        p = col.p_value_adjusted if col.p_value_adjusted is not None else col.p_value
        p_text = "" if p is None else f", p={p:.3g}"
        eff = "" if col.effect_size is None else f", effect {col.effect_size:.3g}"
        return f"{col.column} drifted ({col.method}{p_text}{eff})"
    if col.effect_size is not None and col.effect_size > max_effect:
        return f"{col.column}: effect {col.effect_size:.3g} > {max_effect:g}"
    return None


@dataclass(frozen=True)
class NoColumnDrift:
    """A column (or every column, ``"*"``) did not drift.

    Without ``max_effect`` the column's drift verdict must be false; the value is the number
    of drifted columns and the limit 0. With ``max_effect`` only the effect size is judged
    (``effect_size <= max_effect``), whatever the test said; the value is the largest effect.

    Examples
    --------
    >>> NoColumnDrift("income", max_effect=0.2).name
    'column_drift[income]'
    """

    column: str = ALL_COLUMNS
    max_effect: float | None = None
    key: ClassVar[str] = "column_drift"

    def __post_init__(self) -> None:
        _check_column(self.column)
        if self.max_effect is not None:
            _check_number("max_effect", self.max_effect, minimum=0.0)

    @property
    def name(self) -> str:
        """The label in results."""
        return f"{self.key}[{self.column}]"

    def evaluate(self, report: DriftReport,
                 metrics: Mapping[str, float] | None = None) -> ConditionResult:
        """Judge the drift verdict or the effect size of the column(s)."""
        cols, error = _drift_columns(report, self.column)
        if error:
            return ConditionResult(self.name, "error", None, self.max_effect, error, self.column)
        problems = [p for c in cols if (p := _drift_problem(c, self.max_effect))]
        if self.max_effect is None:
            value, limit = float(len(problems)), 0.0
        else:
            effects = [c.effect_size for c in cols if c.effect_size is not None]
            if not effects:
                return ConditionResult(self.name, "error", None, self.max_effect,
                                       "no effect size was measured", self.column)
            value, limit = max(effects), self.max_effect
        verdict = "fail" if problems else "pass"
        if problems:
            msg = _listing(problems, sep="; ")
        elif self.max_effect is None:
            msg = f"no drift in {_describe(cols)}"
        else:
            msg = f"effect at most {value:.3g} <= {self.max_effect:g} in {_describe(cols)}"
        return ConditionResult(self.name, verdict, value, limit, msg, self.column)

    def to_dict(self) -> dict[str, Any]:
        """The YAML form: ``{key: params}``."""
        params: dict[str, Any] = {"column": self.column}
        if self.max_effect is not None:
            params["max_effect"] = self.max_effect
        return {self.key: params}


def _listing(items: list[str], *, sep: str = ", ", limit: int = 5) -> str:
    """At most ``limit`` items, then how many more."""
    more = f"{sep}and {len(items) - limit} more" if len(items) > limit else ""
    return sep.join(items[:limit]) + more


def _describe(cols: list[ColumnDrift]) -> str:
    return cols[0].column if len(cols) == 1 else f"{len(cols)} columns"


def _drift_columns(report: DriftReport, column: str) -> tuple[list[ColumnDrift], str]:
    """The tested columns a drift condition judges, or an error message."""
    if column == ALL_COLUMNS:
        cols = list(report.tested)
        return cols, "" if cols else "no column got a drift verdict"
    col = report.columns.get(column)
    if col is None:
        known = _listing(list(report.columns)) or "none"
        return [], f"column {column!r} is not in the report (columns: {known})"
    if not col.tested or col.drifted is None:
        return [], f"column {column!r} got no drift verdict: {col.reason or 'not tested'}"
    return [col], ""


@dataclass(frozen=True)
class _QualityShare:
    """Shared logic: one quality check's value on a column (or the worst column) is at most max."""

    column: str
    max: float
    key: ClassVar[str] = ""
    check: ClassVar[str] = ""

    def __post_init__(self) -> None:
        _check_column(self.column)
        _check_share("max", self.max)

    @property
    def name(self) -> str:
        """The label in results."""
        return f"{self.key}[{self.column}]"

    def _values(self, report: DriftReport) -> tuple[dict[str, float], str]:
        if self.column != ALL_COLUMNS:
            quality = report.quality.get(self.column)
            if quality is None:
                known = _listing(list(report.quality)) or "none"
                return {}, f"column {self.column!r} is not in the report (columns: {known})"
            found = quality.check(self.check)
            if found is None:
                return {}, (f"the {self.check} check does not run on column {self.column!r} "
                            f"({quality.kind})")
            value = _number(found.value)
            if value is None:
                return {}, f"{self.check} of {self.column!r} has no value: {found.message}"
            return {self.column: value}, ""
        values = {}
        for name, quality in report.quality.items():
            found = quality.check(self.check)
            value = None if found is None else _number(found.value)
            if value is not None:
                values[name] = value
        return values, ""

    def evaluate(self, report: DriftReport,
                 metrics: Mapping[str, float] | None = None) -> ConditionResult:
        """Compare the check's value (the worst column's, for ``"*"``) with the limit."""
        values, error = self._values(report)
        if error:
            return ConditionResult(self.name, "error", None, self.max, error, self.column)
        if not values:
            return ConditionResult(self.name, "pass", None, self.max,
                                   f"no column has a {self.check} check", self.column)
        worst = max(values, key=values.__getitem__)
        value = values[worst]
        over = sorted(c for c, v in values.items() if v > self.max)
        if over:
            msg = f"{self.check} above {_pct(self.max)} in {_listing(over)} (worst {worst}: "
            msg += f"{_pct(value)})"
        else:
            msg = f"{self.check} at most {_pct(value)} ({worst}) <= {_pct(self.max)}"
        return ConditionResult(self.name, _verdict(value, self.max), value, self.max, msg,
                               self.column)

    def to_dict(self) -> dict[str, Any]:
        """The YAML form: ``{key: params}``."""
        return {self.key: {"column": self.column, "max": self.max}}


@dataclass(frozen=True)
class MaxMissingShare(_QualityShare):
    """The share of missing values in the current data is at most ``max``.

    ``column="*"`` judges every column, and the value is the worst column's share.

    Examples
    --------
    >>> MaxMissingShare("*", 0.05).name
    'missing_share[*]'
    """

    column: str = ALL_COLUMNS
    max: float = 0.0
    key: ClassVar[str] = "missing_share"
    check: ClassVar[str] = "missing_share"


@dataclass(frozen=True)
class MaxOutOfRangeShare(_QualityShare):
    """The share of current values outside the reference range is at most ``max``.

    Examples
    --------
    >>> MaxOutOfRangeShare("age", 0.01).to_dict()
    {'out_of_range_share': {'column': 'age', 'max': 0.01}}
    """

    column: str = ALL_COLUMNS
    max: float = 0.0
    key: ClassVar[str] = "out_of_range_share"
    check: ClassVar[str] = "out_of_range_share"


@dataclass(frozen=True)
class MaxUnseenCategories(_QualityShare):
    """The share of current rows whose category the reference never saw is at most ``max``.

    Examples
    --------
    >>> MaxUnseenCategories("city").max
    0.0
    """

    column: str = ALL_COLUMNS
    max: float = 0.0
    key: ClassVar[str] = "unseen_categories"
    check: ClassVar[str] = "unseen_categories"
