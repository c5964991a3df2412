"""The Prometheus alerting rules of driftline, with their thresholds as parameters.

Request counters are summed over the replicas (``sum by``). Gauges and counters that every
replica reads from the store (drift, performance, the retraining loop) are combined with
``max by``, so that N replicas do not count the same retrain N times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from driftline.errors import ParameterError
from driftline.integrations._files import check_duration, check_job, percent

__all__ = ["ALERTS", "RUNBOOK_BASE", "AlertThresholds", "alert_rules"]

#: Where the runbook links point (append ``#<alert name in lower case>``).
RUNBOOK_BASE = "docs/dashboards.md"
_LATENCY_ENDPOINTS = "predict|infer"


@dataclass(frozen=True)
class AlertThresholds:
    """The thresholds of the alerts, and their ``for:`` durations.

    Parameters
    ----------
    error_ratio
        DriftlineHighErrorRatio: the share of 5xx responses of a model, in (0, 1).
    latency_p99
        DriftlineHighLatency: the p99 of ``/predict`` and ``/infer``, in seconds (> 0).
    drop_ratio
        DriftlinePredictionLogDrops: the share of predictions not stored in the log, in [0, 1).
    performance_drop
        DriftlinePerformanceDegraded: how much worse than the holdout baseline the realized
        metric may be, relative to the baseline's size, in [0, 1).
    outlier_share
        DriftlineOutliers: the share of a window's rows flagged as outliers, in (0, 1) (about
        0.01 is expected while traffic looks like the reference).
    missed_runs
        DriftlineRetrainOverdue: scheduled retrains that may be missed before the alert fires
        (it fires after ``missed_runs + 1`` expected intervals without a finished retrain).
    durations
        ``for:`` of an alert by name, overriding :data:`ALERTS`' defaults.

    Examples
    --------
    >>> AlertThresholds(error_ratio=0.1, durations={"DriftlineTargetDown": "1m"}).for_("DriftlineTargetDown")
    '1m'
    >>> AlertThresholds(error_ratio=5)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: error_ratio must be a number in (0, 1); got 5.
    """

    error_ratio: float = 0.05
    latency_p99: float = 0.5
    drop_ratio: float = 0.001
    performance_drop: float = 0.05
    outlier_share: float = 0.05
    missed_runs: int = 2
    durations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _in_range("error_ratio", self.error_ratio, 0, 1, "a number in (0, 1)", low_open=True)
        _in_range("latency_p99", self.latency_p99, 0, float("inf"), "a number of seconds > 0",
                  low_open=True)
        _in_range("drop_ratio", self.drop_ratio, 0, 1, "a number in [0, 1)")
        _in_range("performance_drop", self.performance_drop, 0, 1, "a number in [0, 1)")
        _in_range("outlier_share", self.outlier_share, 0, 1, "a number in (0, 1)", low_open=True)
        if not isinstance(self.missed_runs, int) or isinstance(self.missed_runs, bool) \
                or self.missed_runs < 0:
            raise ParameterError.invalid("missed_runs", self.missed_runs, "an integer >= 0")
        object.__setattr__(self, "durations", dict(self.durations))  # a copy the caller can't change
        for name, duration in self.durations.items():
            if name not in ALERTS:
                raise ParameterError.choice("durations", name, ALERTS)
            check_duration(f"durations[{name!r}]", duration)

    def for_(self, alert: str) -> str:
        """The ``for:`` duration of ``alert``."""
        return self.durations.get(alert, _ALERTS[alert].default_for)


def _in_range(name: str, value: object, low: float, high: float, allowed: str, *,
              low_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
        (low < value if low_open else low <= value) and value < high)
    if not ok:
        raise ParameterError.invalid(name, value, allowed)


def _ratio(part: str, whole: str, threshold: float) -> str:
    """The share ``part / whole`` of two counters' rates over 5m, by model, above ``threshold``."""
    return (f"sum by (model) (rate({part}[5m]))\n  /\n"
            f"sum by (model) (rate({whole}[5m]))\n  > {threshold:g}")


def _error_ratio(t: AlertThresholds, job: str) -> str:
    return _ratio('driftline_requests_total{code="5xx"}', "driftline_requests_total", t.error_ratio)


def _latency(t: AlertThresholds, job: str) -> str:
    return ("histogram_quantile(0.99, sum by (le, model, endpoint) (rate("
            f'driftline_request_duration_seconds_bucket{{endpoint=~"{_LATENCY_ENDPOINTS}"}}[5m])))'
            f"\n  > {t.latency_p99:g}")


def _drops(t: AlertThresholds, job: str) -> str:
    return _ratio("driftline_prediction_log_dropped_total", "driftline_predictions_total",
                  t.drop_ratio)


def _drift(t: AlertThresholds, job: str) -> str:
    return ("max by (model) (driftline_dataset_drift_share)\n"
            "  and on (model)\n(max by (model) (driftline_dataset_drift) == 1)")


def _performance(t: AlertThresholds, job: str) -> str:
    """Realized worse than baseline -/+ drop * |baseline|, by the metric's direction (the
    join on the metric label keeps each baseline with its own metric)."""
    from driftline.policy import LOWER_IS_BETTER

    lower = "|".join(sorted(LOWER_IS_BETTER))
    by = "model, version, metric"
    base = f"max by ({by}) (driftline_model_performance_baseline)"
    parts = []
    for op, cmp, sign in (("!~", "<", "-"), ("=~", ">", "+")):
        realized = (f'max by ({by}) (driftline_model_performance{{source="realized", '
                    f'metric{op}"{lower}"}})')
        parts.append(f"(\n  {realized}\n    {cmp} on ({by})\n"
                     f"  ({base} {sign} {t.performance_drop:g} * abs({base}))\n)")
    return "\n  or\n".join(parts)


def _outliers(t: AlertThresholds, job: str) -> str:
    return f"max by (model) (driftline_outlier_share)\n  > {t.outlier_share:g}"


def _multivariate(t: AlertThresholds, job: str) -> str:
    return "count by (model) (\n  max by (model, method) (driftline_multivariate_drift) == 1\n)\n  > 0"


def _label_shift(t: AlertThresholds, job: str) -> str:
    return "max by (model) (driftline_label_shift)\n  == 1"


def _concept(t: AlertThresholds, job: str) -> str:
    # the counter exists at 0 from the watcher's first turn, so increase() sees the first drift
    return ("sum by (model) (max by (model, detector) (\n"
            "  increase(driftline_concept_drifts_total[1h])\n))\n  > 0")


def _failing(t: AlertThresholds, job: str) -> str:
    failed = 'driftline_retrain_runs_total{outcome="failed"}'
    # A model's first failure creates its series at 1, which increase() cannot see: a series
    # that did not exist an hour ago counts with its value. It comes first because "or" keeps
    # the left side where both have the series.
    return (f"sum by (model) (max by (model, mode) (\n  ({failed} unless {failed} offset 1h)\n"
            f"    or\n  increase({failed}[1h])\n))\n  > 0")


def _overdue(t: AlertThresholds, job: str) -> str:
    return ("time() - max by (model) (driftline_retrain_last_success_timestamp_seconds)\n"
            f"  > on (model)\n{t.missed_runs + 1} * "
            "max by (model) (driftline_retrain_expected_interval_seconds)")


def _down(t: AlertThresholds, job: str) -> str:
    return f'up{{job="{job}"}} == 0'


@dataclass(frozen=True)
class _Alert:
    """One alert: its severity, default ``for:``, expression, and the summary and description
    (Prometheus templates; ``<name>`` is replaced by a threshold first)."""

    severity: str
    default_for: str
    expr: Callable[[AlertThresholds, str], str]
    summary: str
    description: str


_ALERTS: dict[str, _Alert] = {
    "DriftlineHighErrorRatio": _Alert(
        "critical", "5m", _error_ratio, "High 5xx error ratio on {{ $labels.model }}",
        '{{ $value | humanizePercentage }} of the requests to model "{{ $labels.model }}" '
        "failed with a 5xx status over the last 5m (threshold <error_ratio>)."),
    "DriftlineHighLatency": _Alert(
        "warning", "10m", _latency,
        "p99 latency of {{ $labels.model }} {{ $labels.endpoint }} above <latency_p99>",
        "The 99th percentile of {{ $labels.endpoint }} requests to model "
        '"{{ $labels.model }}" was {{ $value | humanizeDuration }} over the last 5m '
        "(SLO <latency_p99>)."),
    "DriftlinePredictionLogDrops": _Alert(
        "warning", "5m", _drops, "Predictions of {{ $labels.model }} are not reaching the log",
        '{{ $value | humanizePercentage }} of the predictions of model "{{ $labels.model }}" '
        "were served but not stored in the prediction log over the last 5m (threshold "
        "<drop_ratio>); monitoring and retraining miss them."),
    "DriftlineDatasetDrift": _Alert(
        "warning", "15m", _drift, "Data drift on {{ $labels.model }}",
        'The latest monitored window of model "{{ $labels.model }}" drifted: '
        "{{ $value | humanizePercentage }} of its monitored features changed."),
    "DriftlinePerformanceDegraded": _Alert(
        "critical", "15m", _performance,
        "{{ $labels.metric }} of {{ $labels.model }} v{{ $labels.version }} is worse than its "
        "baseline",
        'Realized {{ $labels.metric }} of model "{{ $labels.model }}" version '
        '{{ $labels.version }} is {{ printf "%.4g" $value }}, more than <performance_drop> '
        "worse than its holdout baseline."),
    "DriftlineOutliers": _Alert(
        "warning", "15m", _outliers, "Outliers in the traffic of {{ $labels.model }}",
        '{{ $value | humanizePercentage }} of the latest monitored window of model '
        '"{{ $labels.model }}" are outliers against its reference (threshold <outlier_share>; '
        "about 1% while nothing changed)."),
    "DriftlineMultivariateDrift": _Alert(
        "warning", "15m", _multivariate, "Whole-row drift on {{ $labels.model }}",
        '{{ $value }} whole-row method(s) flagged the latest monitored windows of model '
        '"{{ $labels.model }}": the rows as a whole (or, for BBSD, the model\'s outputs) moved '
        "away from the reference."),
    "DriftlineLabelShift": _Alert(
        "warning", "15m", _label_shift, "Label shift on {{ $labels.model }}",
        'The prediction mix of model "{{ $labels.model }}" moved from its holdout\'s in the '
        "latest monitored windows: the class priors estimated without labels (BBSE) changed."),
    "DriftlineConceptDrift": _Alert(
        "warning", "0s", _concept, "Concept drift in the labelled errors of {{ $labels.model }}",
        'The streaming detector found {{ printf "%.0f" $value }} concept drift(s) in the errors '
        'of model "{{ $labels.model }}" over the last hour, as labels arrived.'),
    "DriftlineRetrainFailing": _Alert(
        "warning", "0s", _failing, "Retraining of {{ $labels.model }} failed",
        '{{ printf "%.0f" $value }} retraining run(s) of model "{{ $labels.model }}" failed '
        "in the last hour; the champion keeps serving."),
    "DriftlineRetrainOverdue": _Alert(
        "warning", "15m", _overdue, "Retraining of {{ $labels.model }} is overdue",
        'Model "{{ $labels.model }}" last finished a retrain {{ $value | humanizeDuration }} '
        "ago, more than <runs> times its scheduled interval."),
    "DriftlineTargetDown": _Alert(
        "critical", "5m", _down, "driftline target {{ $labels.instance }} is down",
        "Prometheus could not scrape {{ $labels.instance }} (job {{ $labels.job }}): the "
        "replica is down or unreachable, or /metrics fails."),
}

#: The alerts' names, in the order of the rule file.
ALERTS: tuple[str, ...] = tuple(_ALERTS)


def _fill(template: str, values: Mapping[str, object]) -> str:
    for key, value in values.items():
        template = template.replace(f"<{key}>", str(value))
    return template


def alert_rules(thresholds: AlertThresholds | None = None, *, job: str = "driftline",
                runbook_base: str = RUNBOOK_BASE) -> dict[str, Any]:
    """The alerting rules as a Prometheus rule file (a dict to write as YAML).

    Every alert has a ``severity`` label and ``summary``, ``description`` and
    ``runbook_url`` annotations; the runbook is ``{runbook_base}#{alert name in lower case}``.
    ``job`` is the scrape job of the driftline replicas (for DriftlineTargetDown).

    Examples
    --------
    >>> rules = alert_rules(AlertThresholds(error_ratio=0.1))["groups"][0]["rules"]
    >>> [r["alert"] for r in rules][:3]
    ['DriftlineHighErrorRatio', 'DriftlineHighLatency', 'DriftlinePredictionLogDrops']
    >>> print(rules[0]["expr"])
    sum by (model) (rate(driftline_requests_total{code="5xx"}[5m]))
      /
    sum by (model) (rate(driftline_requests_total[5m]))
      > 0.1
    >>> rules[-1]["expr"], rules[-1]["labels"], rules[-1]["annotations"]["runbook_url"]
    ('up{job="driftline"} == 0', {'severity': 'critical'}, 'docs/dashboards.md#driftlinetargetdown')
    """
    t = thresholds if thresholds is not None else AlertThresholds()
    check_job(job)
    values = {"error_ratio": percent(t.error_ratio), "latency_p99": f"{t.latency_p99:g}s",
              "drop_ratio": percent(t.drop_ratio), "performance_drop": percent(t.performance_drop),
              "outlier_share": percent(t.outlier_share), "runs": t.missed_runs + 1}
    rules = [{"alert": name, "expr": a.expr(t, job), "for": t.for_(name),
              "labels": {"severity": a.severity},
              "annotations": {"summary": _fill(a.summary, values),
                              "description": _fill(a.description, values),
                              "runbook_url": f"{runbook_base}#{name.lower()}"}}
             for name, a in _ALERTS.items()]
    return {"groups": [{"name": "driftline", "rules": rules}]}
