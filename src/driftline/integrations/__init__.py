"""Integrations: Grafana dashboards and Prometheus scrape and alert files for driftline, and
the MLflow export of tracked runs (:class:`MLflowSink`, which imports MLflow only when created),
and ``driftline.track``, the tracking API with the store and sinks resolved from the
environment, and the Optuna adapter (:class:`OptunaTracker`, :func:`log_study`,
:class:`OptunaTuner`), which imports Optuna only when it runs.

``driftline export grafana DIR`` and ``driftline export prometheus DIR`` write these files;
``docs/dashboards.md`` says where they go and what each alert means. Writing YAML needs PyYAML
(the ``yaml`` or ``serve`` extra).

Examples
--------
>>> from driftline.integrations import alert_rules, grafana_dashboards
>>> sorted(grafana_dashboards())
['driftline-drift', 'driftline-performance', 'driftline-retraining', 'driftline-serving']
>>> [r["alert"] for r in alert_rules()["groups"][0]["rules"]][-2:]
['DriftlineRetrainOverdue', 'DriftlineTargetDown']
"""

import importlib
from typing import TYPE_CHECKING, Any

from driftline.integrations._alerts import ALERTS, RUNBOOK_BASE, AlertThresholds, alert_rules
from driftline.integrations._grafana import (
    DASHBOARDS_PATH,
    DATASOURCE_UID,
    grafana_dashboard_provider,
    grafana_dashboards,
    grafana_datasource,
    write_grafana,
)
from driftline.integrations._mlflow import MLflowSink
from driftline.integrations._prometheus import RULE_FILE, prometheus_config, write_prometheus
from driftline.integrations._tracking import DEFAULT_STORE_URL, configure_tracking, track

if TYPE_CHECKING:
    from driftline.integrations._optuna import OptunaTracker, OptunaTuner, log_study, track_study

# Optuna's adapter loads (and registers the "optuna" tuner with driftline.retrain) when one of
# its names is first used, so importing this package loads neither Optuna nor the retraining
# loop. The CLI and the service import driftline.integrations._optuna before they retrain.
_LAZY = {"OptunaTracker": "_optuna", "OptunaTuner": "_optuna", "log_study": "_optuna",
         "track_study": "_optuna"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"driftline.integrations.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'driftline.integrations' has no attribute {name!r}")


__all__ = [
    "ALERTS",
    "DASHBOARDS_PATH",
    "DATASOURCE_UID",
    "DEFAULT_STORE_URL",
    "RULE_FILE",
    "RUNBOOK_BASE",
    "AlertThresholds",
    "MLflowSink",
    "OptunaTracker",
    "OptunaTuner",
    "alert_rules",
    "configure_tracking",
    "grafana_dashboard_provider",
    "grafana_dashboards",
    "grafana_datasource",
    "log_study",
    "prometheus_config",
    "track",
    "track_study",
    "write_grafana",
    "write_prometheus",
]
