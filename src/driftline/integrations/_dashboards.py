"""The four driftline dashboards: serving and infrastructure, drift, performance, retraining.

Aggregation across replicas follows docs/metrics.md: request counters are summed
(``sum by``); gauges read from the store, which every replica exports with the same value, are
combined with ``max by``. The loop's counters (decisions, retrain runs) and the tracked
training runs' counter and duration histogram are counted from the store too, so they are also
combined with ``max by`` (by ``le`` too, for a histogram) before anything is summed.
"""

from __future__ import annotations

from typing import Any

from driftline.integrations._alerts import AlertThresholds
from driftline.integrations._files import percent
from driftline.integrations._panels import (
    RATE,
    dashboard,
    row,
    sel,
    stat,
    table,
    target,
    timeseries,
)

__all__ = ["DASHBOARDS"]

Panel = dict[str, Any]
#: The alerts' default thresholds, drawn as dashed lines and named in the descriptions.
_ALERT = AlertThresholds()


def _rate(selector: str) -> str:
    return f"rate({selector}[{RATE}])"


def _quantile(q: float, metric: str, by: str, **matchers: str) -> str:
    bucket = _rate(sel(f"{metric}_bucket", model=True, **matchers))
    return f"histogram_quantile({q}, sum by (le, {by}) ({bucket}))"


def _share(by: str, part: str, whole: str) -> str:
    """``sum by`` of one counter's rate over another's (a ratio of two rates)."""
    return f"sum by ({by}) ({_rate(part)}) / sum by ({by}) ({_rate(whole)})"


def _traffic_panels() -> list[Panel]:
    req = "driftline_requests_total"
    err_all = f"sum({_rate(sel(req, code='5xx'))}) / sum({_rate(sel(req))})"
    return [
        row("Traffic"),
        stat("Request rate", "HTTP requests per second handled by the selected replicas, all "
             "endpoints together.", "reqps", target(f"sum({_rate(sel(req))})", "requests/s")),
        stat("Error ratio", "Share of requests answered with a 5xx status (server errors), all "
             f"endpoints together. The DriftlineHighErrorRatio alert fires above "
             f"{percent(_ALERT.error_ratio)} by default.",
             "percentunit", target(err_all, "5xx share"), red_at=_ALERT.error_ratio),
        stat("In-flight requests", "Requests being handled right now, summed over the replicas.",
             "short", target(f"sum({sel('driftline_inflight_requests')})", "in flight")),
        stat("Targets up", "Replicas that Prometheus scraped successfully (up == 1). Fewer than "
             "you run means a replica is down or unreachable.", "none",
             target(f"sum({sel('up')})", "up")),
        timeseries("Requests by status class", "Requests per second by status class (2xx, 3xx, "
                   "4xx, 5xx), summed over the replicas.", "reqps",
                   target(f"sum by (code) ({_rate(sel(req))})", "{{code}}")),
        timeseries("Requests by model and endpoint", "Requests per second to each model "
                   "endpoint (predict, infer, feedback, log, ...).", "reqps",
                   target(f"sum by (model, endpoint) ({_rate(sel(req, model=True))})",
                          "{{model}} {{endpoint}}")),
        timeseries("Error ratio by model", "Share of each model's requests answered with 5xx. "
                   f"The dashed line is the default alert threshold "
                   f"({percent(_ALERT.error_ratio)}).", "percentunit",
                   target(_share("model", sel(req, model=True, code="5xx"), sel(req, model=True)),
                          "{{model}}"), min=0, threshold=_ALERT.error_ratio),
    ]


def _latency_panels() -> list[Panel]:
    return [
        row("Latency"),
        timeseries("Latency p99", "99th percentile of the time to handle a request, by model "
                   f"and endpoint. The dashed line is the default latency SLO "
                   f"({_ALERT.latency_p99:g} s) of the DriftlineHighLatency alert.", "s",
                   target(_quantile(0.99, "driftline_request_duration_seconds", "model, endpoint"),
                          "{{model}} {{endpoint}}"), min=0, threshold=_ALERT.latency_p99),
        timeseries("Latency p50", "Median time to handle a request, by model and endpoint.", "s",
                   target(_quantile(0.5, "driftline_request_duration_seconds", "model, endpoint"),
                          "{{model}} {{endpoint}}"), min=0),
        timeseries("Prediction-log write p99", "99th percentile of one group-commit write of "
                   "the prediction log. Slow writes fill the queue and end in drops.", "s",
                   target(_quantile(0.99, "driftline_prediction_log_write_duration_seconds",
                                    "model"), "{{model}}"), min=0),
    ]


def _log_panels() -> list[Panel]:
    return [
        row("Predictions and the prediction log"),
        timeseries("Predicted rows", "Rows predicted per second, by model and version.", "cps",
                   target(f"sum by (model, version) "
                          f"({_rate(sel('driftline_predictions_total', model=True))})",
                          "{{model}} v{{version}}"), min=0),
        timeseries("Prediction-log drops", "Predictions served but not stored in the log, per "
                   "second, by reason (queue_full, timeout, write_failed). Dropped rows are "
                   "missing from monitoring.", "cps",
                   target(f"sum by (model, reason) "
                          f"({_rate(sel('driftline_prediction_log_dropped_total', model=True))})",
                          "{{model}} {{reason}}"), min=0),
        timeseries("Dropped share of predictions", "Share of predicted rows that never reached "
                   f"the log. The DriftlinePredictionLogDrops alert fires above "
                   f"{percent(_ALERT.drop_ratio)} by default.", "percentunit",
                   target(_share("model", sel("driftline_prediction_log_dropped_total", model=True),
                                 sel("driftline_predictions_total", model=True)), "{{model}}"),
                   min=0, threshold=_ALERT.drop_ratio),
        timeseries("Labels and ingested rows", "Labels received on /feedback and prediction rows "
                   "logged on /log (models served elsewhere), per second.", "cps",
                   target(f"sum by (model) ({_rate(sel('driftline_feedback_total', model=True))})",
                          "{{model}} labels"),
                   target(f"sum by (model) ({_rate(sel('driftline_ingested_total', model=True))})",
                          "{{model}} ingested"), min=0),
    ]


def _host_panels() -> list[Panel]:
    return [
        row("Infrastructure"),
        timeseries("Host CPU", "Busy share of each replica's host CPU (psutil).", "percentunit",
                   target(f"max by (instance) ({sel('driftline_system_cpu_utilization_ratio')})",
                          "{{instance}}"), min=0, max=1),
        timeseries("Host memory", "Share of each replica's host memory in use.", "percentunit",
                   target(f"max by (instance) "
                          f"({sel('driftline_system_memory_utilization_ratio')})", "{{instance}}"),
                   min=0, max=1),
        timeseries("Process CPU", "CPU seconds per second used by each driftline process (1 = "
                   "one core).", "short",
                   target(f"sum by (instance) ({_rate(sel('process_cpu_seconds_total'))})",
                          "{{instance}}"), min=0),
        timeseries("Process memory", "Resident memory of each driftline process.", "bytes",
                   target(f"max by (instance) ({sel('process_resident_memory_bytes')})",
                          "{{instance}}"), min=0),
        timeseries("GPU utilisation", "Share of the last sample period each GPU was busy "
                   "(NVML). Empty without an NVIDIA GPU.", "percentunit",
                   target(f"max by (instance, gpu) ({sel('driftline_gpu_utilization_ratio')})",
                          "{{instance}} gpu {{gpu}}"), min=0, max=1),
        timeseries("GPU memory", "Share of each GPU's memory in use. Empty without an NVIDIA "
                   "GPU.", "percentunit",
                   target(f"max by (instance, gpu) ({sel('driftline_gpu_memory_used_bytes')}) / "
                          f"max by (instance, gpu) ({sel('driftline_gpu_memory_total_bytes')})",
                          "{{instance}} gpu {{gpu}}"), min=0, max=1),
    ]


def serving_panels() -> list[Panel]:
    """Traffic, errors, latency, the prediction log, and the host (CPU, memory, GPU)."""
    return [*_traffic_panels(), *_latency_panels(), *_log_panels(), *_host_panels()]


def drift_panels() -> list[Panel]:
    """The latest window's dataset verdict, drift share, feature scores and label coverage."""
    share = f"max by (model) ({sel('driftline_dataset_drift_share', model=True)})"
    scores = f"max by (model, feature) ({sel('driftline_feature_drift_score', model=True)})"
    return [
        row("Dataset"),
        stat("Dataset drift", "Yes when the latest monitored window's dataset-level verdict is "
             "drift (the project's monitoring rule). The DriftlineDatasetDrift alert follows it.",
             "bool_yes_no",
             target(f"max by (model) ({sel('driftline_dataset_drift', model=True)})", "{{model}}"),
             red_at=1),
        stat("Drift share", "Share of the monitored features that drifted in the latest "
             "window.", "percentunit", target(share, "{{model}}")),
        stat("Label coverage", "Share of the latest window's predictions that have a label. "
             "Realized performance needs labels.", "percentunit",
             target(f"max by (model) ({sel('driftline_label_coverage', model=True)})",
                    "{{model}}")),
        stat("Model-state errors", "Scrapes in the time range whose model-state source (the "
             "store) failed or returned rejected samples. Drift gauges are missing then.",
             "short",
             target(f"sum(increase({sel('driftline_model_state_errors_total')}[$__range]))",
                    "errors"), red_at=1),
        timeseries("Drift share over time", "Share of the monitored features that drifted, "
                   "window after window (a step per monitored window).", "percentunit",
                   target(share, "{{model}}"), min=0, max=1),
        timeseries("Dataset drift verdict", "1 while the latest window's verdict is drift, "
                   "else 0.", "none",
                   target(f"max by (model) ({sel('driftline_dataset_drift', model=True)})",
                          "{{model}}"), min=0, max=1),
        timeseries("Outlier share", "Share of each window's rows that Half-Space Trees fitted "
                   "on the reference flag as outliers (about 1% while traffic looks like the "
                   "reference). The DriftlineOutliers alert fires above "
                   f"{percent(_ALERT.outlier_share)} by default.", "percentunit",
                   target(f"max by (model) ({sel('driftline_outlier_share', model=True)})",
                          "{{model}}"), min=0),
        timeseries("Whole-row drift", "1 while a whole-row method (monitoring.multivariate: "
                   "PCA reconstruction, MMD, the domain classifier, BBSD on the model's outputs) "
                   "flags the latest window, else 0; one line per method. Each flags about "
                   "alpha (5%) of quiet windows. The DriftlineMultivariateDrift alert follows "
                   "it.", "none",
                   target(f"max by (model, method) "
                          f"({sel('driftline_multivariate_drift', model=True)})",
                          "{{model}} {{method}}"), min=0, max=1),
        row("Features"),
        timeseries("Feature drift scores", "Drift statistic or distance of each feature in the "
                   "latest window (the method's own scale: compare a feature with itself over "
                   "time).", "none", target(scores, "{{model}} {{feature}}")),
        table("Most drifted features", "The 20 features with the highest drift score in the "
              "latest window.", "none", target(f"topk(20, {scores})", instant=True)),
    ]


def performance_panels() -> list[Panel]:
    """Realized and estimated performance against the champion's holdout baseline."""
    by = "model, version, metric"
    realized = f"max by ({by}) ({sel('driftline_model_performance', model=True, source='realized')})"
    baseline = f"max by ({by}) ({sel('driftline_model_performance_baseline', model=True)})"
    estimated = (f"max by ({by}) "
                 f"({sel('driftline_model_performance', model=True, source='estimated')})")
    return [
        row("Performance"),
        timeseries("Realized performance and baseline", "Performance of the latest labelled "
                   "window (realized, from /feedback labels) and the champion's holdout metrics "
                   "(baseline), on each metric's own scale.", "none",
                   target(realized, "{{model}} v{{version}} {{metric}}"),
                   target(baseline, "{{model}} v{{version}} {{metric}} baseline")),
        timeseries("Change against the baseline", "Realized metric / holdout baseline - 1. For "
                   "errors and losses (mae, rmse, log_loss, ...) a rise is worse; for scores "
                   f"(accuracy, roc_auc, ...) a fall is. The DriftlinePerformanceDegraded alert "
                   f"fires beyond {percent(_ALERT.performance_drop)} by default.", "percentunit",
                   target(f"{realized} / on ({by}) {baseline} - 1",
                          "{{model}} v{{version}} {{metric}}")),
        timeseries("Estimated performance", "Performance estimated without labels (CBPE, DLE) "
                   "for the latest window, when the project estimates it. It assumes calibrated "
                   "scores and no concept drift (P(y|x) unchanged): trust the realized line once "
                   "labels arrive. An estimate never promotes a model.", "none",
                   target(estimated, "{{model}} v{{version}} {{metric}}")),
        timeseries("Estimated class priors", "Share of each class among the latest window's "
                   "true labels, estimated without labels from the predicted labels (BBSE "
                   "against the champion's holdout). A change is label shift; the "
                   "DriftlineLabelShift alert follows the test of the prediction mix.",
                   "percentunit",
                   target(f"max by (model, class) "
                          f"({sel('driftline_estimated_class_prior', model=True)})",
                          "{{model}} class {{class}}"), min=0, max=1),
        table("Holdout baseline", "The champion's metrics on its holdout, the baseline the "
              "alerts compare realized performance with.", "none",
              target(baseline, instant=True)),
        timeseries("Labelled error", "Mean error of the champion's latest labelled predictions "
                   "(error rate; mean absolute error for a regressor), as the concept-drift "
                   "detector sees them label by label.", "none",
                   target(f"max by (model) ({sel('driftline_labelled_error', model=True)})",
                          "{{model}}"), min=0),
        stat("Concept drifts", "Concept drifts the streaming detector found in the labelled "
             "errors in the time range (the DriftlineConceptDrift alert).", "short",
             target(f"sum by (model) (max by (model, detector) (increase("
                    f"{sel('driftline_concept_drifts_total', model=True)}[$__range])))",
                    "{{model}}"), red_at=1),
        row("Labels and versions"),
        timeseries("Label coverage", "Share of the latest window's predictions that have a "
                   "label.", "percentunit",
                   target(f"max by (model) ({sel('driftline_label_coverage', model=True)})",
                          "{{model}}"), min=0, max=1),
        timeseries("Labels received", "Labels received on /feedback per second.", "cps",
                   target(f"sum by (model) ({_rate(sel('driftline_feedback_total', model=True))})",
                          "{{model}}"), min=0),
        stat("Champion", "The version each model serves as champion now.", "none",
             target(f"max by (model, version) "
                    f"({sel('driftline_model_info', model=True, stage='champion')})",
                    "{{model}} v{{version}}"), text="name"),
    ]


def _training_quantile(q: float) -> str:
    """The ``q`` quantile of the durations of the training runs that ended in the last day
    (every replica reads the same histogram from the store: ``max by``, then the quantile)."""
    bucket = sel("driftline_training_duration_seconds_bucket", model=True)
    return f"histogram_quantile({q}, max by (model, le) (increase({bucket}[1d])))"


def _training_panels() -> list[Panel]:
    runs = sel("driftline_training_runs_total", model=True)
    return [
        row("Training runs"),
        timeseries("Training runs per hour", "Tracked training runs (kinds run, trial and "
                   "retrain) that ended, per hour, by outcome (finished, failed, pruned), "
                   "counted from the store.", "short",
                   target(f"3600 * max by (model, outcome) ({_rate(runs)})",
                          "{{model}} {{outcome}}"), min=0),
        timeseries("Training duration p50 and p90", "Median and 90th percentile of the "
                   "durations (start to end) of the training runs that ended in the preceding "
                   "24 hours; empty for a model without such a run.", "s",
                   target(_training_quantile(0.5), "{{model}} p50"),
                   target(_training_quantile(0.9), "{{model}} p90"), min=0),
        table("Latest validation metrics", "The metrics of each model's latest finished "
              "training run (kind run or retrain), as it logged them.", "short",
              target(f"max by (model, metric) "
                     f"({sel('driftline_training_last_metric', model=True)})", instant=True)),
    ]


def retraining_panels() -> list[Panel]:
    """Time since the last retrain against the schedule, runs by outcome, decisions, and the
    tracked training runs."""
    last = f"max by (model) ({sel('driftline_retrain_last_success_timestamp_seconds', model=True)})"
    expected = f"max by (model) ({sel('driftline_retrain_expected_interval_seconds', model=True)})"
    runs = sel("driftline_retrain_runs_total", model=True)
    return [
        row("Schedule"),
        stat("Time since the last retrain", "How long ago the last retrain finished.", "s",
             target(f"time() - {last}", "{{model}}")),
        stat("Expected interval", "Time between two scheduled retrains (the policy's cron). "
             "Empty for policies without a schedule.", "s", target(expected, "{{model}}")),
        stat("Overdue ratio", "Time since the last retrain / expected interval. The "
             f"DriftlineRetrainOverdue alert fires above {_ALERT.missed_runs + 1} "
             f"({_ALERT.missed_runs} missed runs) by default.", "short",
             target(f"(time() - {last}) / on (model) {expected}", "{{model}}"),
             red_at=_ALERT.missed_runs + 1),
        stat("Failed runs", "Retraining runs that failed in the time range.", "short",
             target(f"sum by (model) (max by (model, mode) (increase("
                    f"{sel('driftline_retrain_runs_total', model=True, outcome='failed')}"
                    f"[$__range])))", "{{model}}"), red_at=1),
        timeseries("Time since the last retrain", "How long ago the last retrain finished, "
                   "against time.", "s", target(f"time() - {last}", "{{model}}"), min=0),
        row("Runs and decisions"),
        timeseries("Retrain runs per hour", "Retraining runs per hour by outcome (promoted, "
                   "rejected, deferred, awaiting, failed), counted from the store.", "short",
                   target(f"3600 * sum by (model, outcome) (max by (model, mode, outcome) "
                          f"({_rate(runs)}))", "{{model}} {{outcome}}"), min=0),
        timeseries("Decisions per hour", "Policy decisions per hour by action (retrain, hold, "
                   "none, promote, reject, ...), counted from the store.", "short",
                   target(f"3600 * max by (model, action) "
                          f"({_rate(sel('driftline_decisions_total', model=True))})",
                          "{{model}} {{action}}"), min=0),
        table("Retrain runs in the time range", "Runs by mode and outcome in the selected time "
              "range.", "short",
              target(f"max by (model, mode, outcome) (increase({runs}[$__range]))",
                     instant=True)),
        *_training_panels(),
    ]


#: uid -> (title, description, panels)
DASHBOARDS = {
    "driftline-serving": ("driftline / Serving", "Traffic, errors, latency, the prediction "
                          "log and the hosts of the driftline serving replicas.", serving_panels),
    "driftline-drift": ("driftline / Drift", "Dataset and feature drift of the latest "
                        "monitored windows, and label coverage.", drift_panels),
    "driftline-performance": ("driftline / Performance", "Realized and estimated performance "
                              "against the champion's holdout baseline.", performance_panels),
    "driftline-retraining": ("driftline / Retraining", "Retraining schedule, runs by outcome, "
                             "policy decisions and tracked training runs.", retraining_panels),
}


def build(uid: str, datasource_uid: str) -> dict[str, Any]:
    """The dashboard ``uid`` as JSON-ready dict."""
    title, description, panels = DASHBOARDS[uid]
    return dashboard(uid, title, description, panels(), datasource_uid=datasource_uid)
