"""Integrations: Grafana dashboards and Prometheus scrape and alert files for driftline.

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

from driftline.integrations._alerts import ALERTS, RUNBOOK_BASE, AlertThresholds, alert_rules
from driftline.integrations._grafana import (
    DASHBOARDS_PATH,
    DATASOURCE_UID,
    grafana_dashboard_provider,
    grafana_dashboards,
    grafana_datasource,
    write_grafana,
)
from driftline.integrations._prometheus import RULE_FILE, prometheus_config, write_prometheus

__all__ = [
    "ALERTS",
    "DASHBOARDS_PATH",
    "DATASOURCE_UID",
    "RULE_FILE",
    "RUNBOOK_BASE",
    "AlertThresholds",
    "alert_rules",
    "grafana_dashboard_provider",
    "grafana_dashboards",
    "grafana_datasource",
    "prometheus_config",
    "write_grafana",
    "write_prometheus",
]
