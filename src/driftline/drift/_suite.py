"""Test suites: pass/fail conditions declared once, in Python or YAML, checked on any report.

A :class:`Suite` holds conditions (see :mod:`driftline.drift._conditions`) and the settings
for :func:`driftline.compare`. :meth:`Suite.run` judges an existing report;
:meth:`Suite.check` compares two tables first. The outcome is a :class:`SuiteResult`.

The YAML format (``version: 1``) is described in ``docs/suites.md``::

    version: 1
    compare: {target: label, alpha: 0.05}
    conditions:
      - drift_share: {max: 0.25}
      - missing_share: {column: "*", max: 0.05}
      - performance: {accuracy: 0.9}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any

from driftline.drift._conditions import (
    Condition,
    ConditionResult,
    MaxDriftShare,
    MaxMissingShare,
    MaxOutOfRangeShare,
    MaxUnseenCategories,
    NoColumnDrift,
)
from driftline.drift._metric_condition import MetricThreshold
from driftline.drift._report import DriftReport
from driftline.errors import MissingDependencyError, ParameterError
from driftline.stats import CORRECTIONS

#: ``progress(done, total, column)``, called by :func:`driftline.compare` after each column.
Progress = Callable[[int, int, str], None]

__all__ = ["CONDITIONS", "SUITE_RESULT_SCHEMA", "SUITE_VERSION", "CompareSettings", "Suite",
           "SuiteResult"]

SUITE_VERSION = 1
SUITE_RESULT_SCHEMA = "driftline.suite_result/1"
_TOP_KEYS = ("version", "name", "description", "compare", "conditions")
#: Performance metrics where larger is better; a bare number in YAML is their minimum.
HIGHER_IS_BETTER = frozenset({
    "accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc",
    "average_precision", "r2", "specificity",
})
#: Metrics where smaller is better; a bare number in YAML is their maximum.
LOWER_IS_BETTER = frozenset({
    "mae", "mse", "rmse", "mape", "smape", "log_loss", "brier", "error_rate", "median_ae",
})


def _unknown_keys(where: str, given: Mapping[str, Any], allowed: Sequence[str]) -> None:
    extra = [k for k in given if k not in allowed]
    if extra:
        raise ParameterError(f"{where} has unknown key {extra[0]!r}; allowed keys: "
                             f"{', '.join(allowed)}.")


def _prefixed(where: str, build: Callable[[], Any]) -> Any:
    """Call ``build`` and prefix any ParameterError with the YAML location."""
    try:
        return build()
    except ParameterError as exc:
        raise ParameterError(f"{where}.{exc}") from None


def _mapping(where: str, value: object, example: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParameterError.invalid(where, value, f"a mapping such as {example}")
    return value


def _dataclass_factory(cls: type, example: str) -> Callable[[Any, str], tuple[Condition, ...]]:
    """Build a condition from a params mapping whose keys are the dataclass's fields."""
    names = [f.name for f in fields(cls)]
    required = [f.name for f in fields(cls)
                if f.default is MISSING and f.default_factory is MISSING]

    def factory(params: Any, where: str) -> tuple[Condition, ...]:
        params = _mapping(where, params, example)
        _unknown_keys(where, params, names)
        for name in required:
            if name not in params:
                raise ParameterError(f"{where}.{name} is required, as in {example}.")
        return (_prefixed(where, lambda: cls(**params)),)

    return factory


def _performance(params: Any, where: str) -> tuple[Condition, ...]:
    """``{metric: number | {min: x, max: y}}``: one condition per metric."""
    params = _mapping(where, params, "{accuracy: 0.9, rmse: {max: 3.0}}")
    if not params:
        raise ParameterError(f"{where} needs at least one metric, as in {{accuracy: 0.9}}.")
    out: list[Condition] = []
    for metric, spec in params.items():
        at = f"{where}.{metric}"
        if isinstance(spec, Mapping):
            _unknown_keys(at, spec, ("min", "max"))
            if not spec:
                raise ParameterError(f"{at} needs min, max or both, as in {{min: 0.9}}.")
            bounds = dict(spec)
        elif metric in HIGHER_IS_BETTER:
            bounds = {"min": spec}
        elif metric in LOWER_IS_BETTER:
            bounds = {"max": spec}
        else:
            raise ParameterError(
                f"{at}: a bare number is only allowed for known metrics (larger is better: "
                f"{', '.join(sorted(HIGHER_IS_BETTER))}; smaller is better: "
                f"{', '.join(sorted(LOWER_IS_BETTER))}); got {spec!r}. "
                f"Write {{min: {spec}}} or {{max: {spec}}}.")
        out.append(_prefixed(at, partial(MetricThreshold, str(metric), **bounds)))
    return tuple(out)


#: YAML key -> builder of the conditions that key declares.
CONDITIONS: dict[str, Callable[[Any, str], tuple[Condition, ...]]] = {
    MaxDriftShare.key: _dataclass_factory(MaxDriftShare, "{max: 0.25}"),
    NoColumnDrift.key: _dataclass_factory(NoColumnDrift, "{column: income, max_effect: 0.2}"),
    MaxMissingShare.key: _dataclass_factory(MaxMissingShare, '{column: "*", max: 0.05}'),
    MaxOutOfRangeShare.key: _dataclass_factory(MaxOutOfRangeShare, "{column: age, max: 0.01}"),
    MaxUnseenCategories.key: _dataclass_factory(MaxUnseenCategories, "{column: city, max: 0}"),
    MetricThreshold.key: _performance,
}


@dataclass(frozen=True)
class CompareSettings:
    """The arguments a suite passes to :func:`driftline.compare` (the YAML ``compare:``).

    Examples
    --------
    >>> CompareSettings(target="y", alpha=0.01).as_kwargs()["alpha"]
    0.01
    """

    target: str | None = None
    prediction: str | None = None
    method: str | Mapping[str, str] = "auto"
    alpha: float = 0.05
    correction: str = "holm"
    columns: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("target", "prediction"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ParameterError.invalid(name, value, "a column name")
        self._check_method()
        alpha = self.alpha
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
            raise ParameterError.invalid("alpha", alpha, "a number in (0, 1)")
        if self.correction not in CORRECTIONS:
            raise ParameterError.choice("correction", self.correction, CORRECTIONS)
        if self.columns is not None:
            cols = self.columns
            if isinstance(cols, str) or not all(isinstance(c, str) for c in cols) or not cols:
                raise ParameterError.invalid("columns", cols, "a non-empty list of column names")
            object.__setattr__(self, "columns", tuple(cols))

    def _check_method(self) -> None:
        from driftline import stats

        allowed = ("auto", *stats.available())
        method = self.method
        if isinstance(method, Mapping):
            object.__setattr__(self, "method", dict(method))
            for key, name in method.items():
                if name not in allowed:
                    raise ParameterError.choice(f"method[{key!r}]", name, allowed)
        elif method not in allowed:
            raise ParameterError.choice("method", method, allowed)

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`driftline.compare`."""
        kwargs = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.columns is not None:
            kwargs["columns"] = list(self.columns)
        return kwargs

    def to_dict(self) -> dict[str, Any]:
        """The settings that differ from the defaults (the YAML form)."""
        default = CompareSettings()
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in self.as_kwargs().items() if v != getattr(default, k)}


@dataclass(frozen=True)
class SuiteResult:
    """The verdict of every condition of a suite; ``passed`` only when all of them passed.

    ``report`` is the drift report the suite judged (not compared, not serialised unless
    asked for).

    Examples
    --------
    >>> r = SuiteResult((ConditionResult("drift_share", "pass", 0.0, 0.25, "0 of 4"),))
    >>> r.passed, r.to_dict()["schema"]
    (True, 'driftline.suite_result/1')
    """

    results: tuple[ConditionResult, ...]
    name: str | None = None
    report: DriftReport | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        """Whether every condition passed (a failure or an error means ``False``)."""
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> tuple[ConditionResult, ...]:
        """The conditions with verdict ``"fail"``."""
        return tuple(r for r in self.results if r.verdict == "fail")

    @property
    def errors(self) -> tuple[ConditionResult, ...]:
        """The conditions that could not be judged (verdict ``"error"``)."""
        return tuple(r for r in self.results if r.verdict == "error")

    def __iter__(self) -> Iterator[ConditionResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def to_dict(self, *, include_report: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (schema ``driftline.suite_result/1``), with the report if asked."""
        out: dict[str, Any] = {
            "schema": SUITE_RESULT_SCHEMA, "name": self.name, "passed": self.passed,
            "n_conditions": len(self.results), "n_failed": len(self.failed),
            "n_errors": len(self.errors), "conditions": [r.to_dict() for r in self.results],
        }
        if include_report and self.report is not None:
            out["report"] = self.report.to_dict()
        return out

    def to_json(self, path: str | Path | None = None, *, indent: int | None = 2,
                include_report: bool = False) -> str:
        """The result as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(include_report=include_report), indent=indent,
                          allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def __repr__(self) -> str:
        return (f"SuiteResult(passed={self.passed}, conditions={len(self.results)}, "
                f"failed={len(self.failed)}, errors={len(self.errors)})")


def _parse_conditions(raw: object) -> tuple[Condition, ...]:
    if not isinstance(raw, list) or not raw:
        raise ParameterError.invalid("conditions", raw, "a non-empty list of conditions",
                                     "Example: conditions: [{drift_share: {max: 0.25}}]")
    out: list[Condition] = []
    for i, item in enumerate(raw):
        where = f"conditions[{i}]"
        if not isinstance(item, Mapping) or len(item) != 1:
            raise ParameterError.invalid(where, item, "a mapping with one condition key",
                                         "Example: - drift_share: {max: 0.25}")
        ((key, params),) = item.items()
        if key not in CONDITIONS:
            raise ParameterError(f"{where}: unknown condition {key!r}; allowed keys: "
                                 f"{', '.join(sorted(CONDITIONS))}.")
        out.extend(CONDITIONS[key](params, f"{where}.{key}"))
    return tuple(out)


@dataclass(frozen=True)
class Suite:
    """Conditions to check on a drift report, and the settings to compute one.

    Parameters
    ----------
    conditions : objects following :class:`~driftline.drift.Condition`, such as
        :class:`~driftline.drift.MaxDriftShare` or :class:`~driftline.drift.MaxMissingShare`.
    compare : the settings :meth:`check` passes to :func:`driftline.compare`.
    name, description : a label for results, and what the suite is for.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.drift._conditions import MaxDriftShare
    >>> from driftline.drift._metric_condition import MetricThreshold
    >>> suite = Suite([MaxDriftShare(0.25), MetricThreshold("accuracy", min=0.9)])
    >>> rng = np.random.default_rng(0)
    >>> data = {"a": rng.normal(size=300), "b": rng.normal(size=300)}
    >>> result = suite.check(data, data, metrics={"accuracy": 0.95})
    >>> result.passed, [r.verdict for r in result]
    (True, ['pass', 'pass'])
    >>> suite.run(result.report).errors[0].message
    "metric 'accuracy' is not available; pass it with run(report, metrics={'accuracy': ...})"
    """

    conditions: tuple[Condition, ...]
    compare: CompareSettings = field(default_factory=CompareSettings)
    name: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        conditions = tuple(self.conditions)
        if not conditions:
            raise ParameterError.invalid("conditions", self.conditions, "at least one condition")
        for c in conditions:
            if not isinstance(c, Condition):
                raise ParameterError.invalid("conditions", c, "Condition objects (with name "
                                             "and evaluate(report, metrics))")
        object.__setattr__(self, "conditions", conditions)
        if isinstance(self.compare, Mapping):
            object.__setattr__(self, "compare", CompareSettings(**self.compare))

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Suite:
        """Build a suite from its YAML structure (``version: 1``); see ``docs/suites.md``.

        Examples
        --------
        >>> suite = Suite.from_dict({"version": 1, "compare": {"alpha": 0.01},
        ...                          "conditions": [{"missing_share": {"max": 0.1}}]})
        >>> suite.conditions[0].name, suite.compare.alpha
        ('missing_share[*]', 0.01)
        """
        spec = _mapping("suite", spec, "{version: 1, conditions: [...]}")
        _unknown_keys("suite", spec, _TOP_KEYS)
        version = spec.get("version")
        if version != SUITE_VERSION or isinstance(version, bool):
            raise ParameterError.invalid("version", version, str(SUITE_VERSION),
                                         "Start the suite with 'version: 1'.")
        for key in ("name", "description"):
            if spec.get(key) is not None and not isinstance(spec[key], str):
                raise ParameterError.invalid(key, spec[key], "a string")
        settings = _mapping("compare", spec.get("compare"), "{target: label, alpha: 0.05}")
        _unknown_keys("compare", settings, [f.name for f in fields(CompareSettings)])
        compare = _prefixed("compare", lambda: CompareSettings(**settings))
        return cls(_parse_conditions(spec.get("conditions")), compare, spec.get("name"),
                   spec.get("description"))

    @classmethod
    def from_yaml(cls, path: str | Path) -> Suite:
        """Read a suite from a YAML file (needs the ``yaml`` extra: ``pyyaml``)."""
        try:
            import yaml
        except ImportError as exc:
            raise MissingDependencyError.for_extra("pyyaml", "yaml", "YAML suites") from exc
        text = Path(path).read_text(encoding="utf-8")
        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or "cannot be parsed"
            raise ParameterError(f"suite file {str(path)!r} is not valid YAML{where}: "
                                 f"{problem}.") from None
        if not isinstance(spec, Mapping):
            raise ParameterError(f"suite file {str(path)!r} must hold a mapping with "
                                 f"'version: 1' and 'conditions:'; got {type(spec).__name__}.")
        return cls.from_dict(spec)

    def to_dict(self) -> dict[str, Any]:
        """The YAML structure of the suite (built-in conditions round-trip)."""
        out: dict[str, Any] = {"version": SUITE_VERSION}
        out.update({k: v for k in ("name", "description") if (v := getattr(self, k))})
        if self.compare.to_dict():
            out["compare"] = self.compare.to_dict()
        out["conditions"] = [c.to_dict() if hasattr(c, "to_dict") else {"custom": c.name}
                             for c in self.conditions]
        return out

    def run(self, report: DriftReport,
            metrics: Mapping[str, float] | None = None) -> SuiteResult:
        """Judge every condition on ``report`` (and ``metrics`` for performance conditions)."""
        results = tuple(c.evaluate(report, metrics) for c in self.conditions)
        return SuiteResult(results, self.name, report)

    def check(self, reference: Any, current: Any, *, metrics: Mapping[str, float] | None = None,
              schema: Any = None, progress: Progress | None = None) -> SuiteResult:
        """Compare ``current`` with ``reference`` using the suite's settings, then :meth:`run`."""
        from driftline.drift._compare import compare

        report = compare(reference, current, schema=schema, progress=progress,
                         **self.compare.as_kwargs())
        return self.run(report, metrics)
