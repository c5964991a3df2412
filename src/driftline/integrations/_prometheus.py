"""Prometheus files: the scrape config and the alert rule file, written by
``driftline export prometheus DIR``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from driftline.errors import ParameterError
from driftline.integrations._alerts import RUNBOOK_BASE, AlertThresholds, alert_rules
from driftline.integrations._files import (
    check_duration,
    check_job,
    check_target,
    check_url,
    write_yaml,
)

__all__ = ["RULE_FILE", "prometheus_config", "write_prometheus"]

#: The name of the alert rule file, next to ``prometheus.yml``.
RULE_FILE = "driftline-alerts.yml"
_HEADER = "# Written by `driftline export prometheus`; see docs/dashboards.md.\n"


def _alertmanager(url: str) -> dict[str, Any]:
    check_url("alertmanager", url)
    parts = urlsplit(url)
    config: dict[str, Any] = {"scheme": parts.scheme, "api_version": "v2",
                              "static_configs": [{"targets": [parts.netloc]}]}
    if parts.path.strip("/"):
        config["path_prefix"] = parts.path.rstrip("/")
    return config


def prometheus_config(targets: Sequence[str] = ("127.0.0.1:8000",), *,
                      alertmanager: str | None = None, job: str = "driftline",
                      scrape_interval: str = "15s", rule_file: str = RULE_FILE) -> dict[str, Any]:
    """``prometheus.yml``: scrape every driftline replica in ``targets`` (``HOST:PORT``)
    under ``job``, load ``rule_file``, and send alerts to ``alertmanager`` when given.

    Examples
    --------
    >>> config = prometheus_config(["driftline-1:8000", "driftline-2:8000"],
    ...                            alertmanager="http://alertmanager:9093")
    >>> scrape = config["scrape_configs"][0]
    >>> scrape["job_name"], scrape["metrics_path"], scrape["static_configs"][0]["targets"]
    ('driftline', '/metrics', ['driftline-1:8000', 'driftline-2:8000'])
    >>> config["rule_files"], config["alerting"]["alertmanagers"][0]["static_configs"]
    (['driftline-alerts.yml'], [{'targets': ['alertmanager:9093']}])
    >>> prometheus_config([])
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: targets must be at least one HOST:PORT; got [].
    """
    if isinstance(targets, str) or not list(targets):
        raise ParameterError.invalid("targets", targets if isinstance(targets, str) else
                                     list(targets), "at least one HOST:PORT")
    checked = [check_target(t) for t in targets]
    check_duration("scrape_interval", scrape_interval)
    check_job(job)
    config: dict[str, Any] = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [rule_file],
        "scrape_configs": [{"job_name": job, "metrics_path": "/metrics",
                            "scrape_interval": scrape_interval,
                            "static_configs": [{"targets": checked}]}],
    }
    if alertmanager is not None:
        config["alerting"] = {"alertmanagers": [_alertmanager(alertmanager)]}
    return config


def write_prometheus(directory: str | Path, *, targets: Sequence[str] = ("127.0.0.1:8000",),
                     alertmanager: str | None = None, job: str = "driftline",
                     scrape_interval: str = "15s", thresholds: AlertThresholds | None = None,
                     runbook_base: str = RUNBOOK_BASE) -> list[Path]:
    """Write ``prometheus.yml`` and the alert rule file into ``directory``; return their paths.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_prometheus(tempfile.mkdtemp(), targets=["driftline:8000"],
    ...                          thresholds=AlertThresholds(latency_p99=0.25))
    >>> [p.name for p in paths]
    ['prometheus.yml', 'driftline-alerts.yml']
    >>> "> 0.25" in paths[1].read_text()
    True
    """
    root = Path(directory)
    config = prometheus_config(targets, alertmanager=alertmanager, job=job,
                               scrape_interval=scrape_interval)
    rules = alert_rules(thresholds, job=job, runbook_base=runbook_base)
    return [write_yaml(root / "prometheus.yml", config, _HEADER),
            write_yaml(root / RULE_FILE, rules, _HEADER)]
