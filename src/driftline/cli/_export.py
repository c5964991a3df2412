"""The ``export`` commands: ``driftline export grafana DIR`` and ``driftline export prometheus
DIR`` write the dashboards, the provisioning files, the scrape config and the alert rules
(see docs/dashboards.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from driftline.cli._service import _common, _emit
from driftline.integrations import (
    ALERTS,
    DASHBOARDS_PATH,
    RUNBOOK_BASE,
    AlertThresholds,
    write_grafana,
    write_prometheus,
)

__all__ = ["add_export_commands"]

EXIT_OK = 0
_DEFAULTS = AlertThresholds()
#: The threshold options of ``export prometheus``: flag (the AlertThresholds field), type,
#: metavar, help.
_THRESHOLDS = (
    ("--error-ratio", float, "RATIO", "alert when the 5xx share of a model's requests is above "
                                      "this"),
    ("--latency-p99", float, "SECONDS", "alert when the p99 of /predict or /infer is above this"),
    ("--drop-ratio", float, "RATIO", "alert when this share of predictions misses the log"),
    ("--performance-drop", float, "RATIO", "alert when realized performance is worse than the "
                                           "holdout baseline by more than this share of it"),
    ("--outlier-share", float, "RATIO", "alert when this share of a window's rows are outliers"),
    ("--missed-runs", int, "N", "alert when N + 1 scheduled intervals pass without a finished "
                                "retrain"),
)


def _written(args: argparse.Namespace, console: Any, paths: list[Path]) -> int:
    _emit(args, console, {"written": [str(p) for p in paths]}, "\n".join(str(p) for p in paths))
    return EXIT_OK


def cmd_export_grafana(args: argparse.Namespace, console: Any) -> int:
    """``driftline export grafana DIR``: the dashboards and their provisioning files."""
    return _written(args, console, write_grafana(
        args.directory, prometheus_url=args.prometheus_url, dashboards_path=args.dashboards_path,
        scrape_interval=args.scrape_interval, folder=args.folder))


def cmd_export_prometheus(args: argparse.Namespace, console: Any) -> int:
    """``driftline export prometheus DIR``: prometheus.yml and the alert rule file."""
    fields = {flag[2:].replace("-", "_") for flag, *_ in _THRESHOLDS}
    thresholds = AlertThresholds(**{f: getattr(args, f) for f in fields},
                                 durations=dict(args.durations or []))
    return _written(args, console, write_prometheus(
        args.directory, targets=args.targets or ["127.0.0.1:8000"], alertmanager=args.alertmanager,
        job=args.job, scrape_interval=args.scrape_interval, thresholds=thresholds,
        runbook_base=args.runbook_base))


def _alert_duration(text: str) -> tuple[str, str]:
    name, sep, duration = text.partition("=")
    if not sep or not name.strip() or not duration.strip():
        raise argparse.ArgumentTypeError(f"expected ALERT=DURATION such as "
                                         f"DriftlineTargetDown=2m; got {text!r}")
    if name.strip() not in ALERTS:
        raise argparse.ArgumentTypeError(f"the alert must be one of {', '.join(ALERTS)}; "
                                         f"got {name.strip()!r}")
    return name.strip(), duration.strip()


def _add_grafana(sub: Any) -> None:
    g = sub.add_parser("grafana", help="Grafana dashboards with their datasource and dashboard "
                                       "provisioning files")
    g.add_argument("directory", metavar="DIR", help="where to write (created if missing)")
    g.add_argument("--prometheus-url", default="http://localhost:9090", metavar="URL",
                   help="the Prometheus the datasource reads (default http://localhost:9090)")
    g.add_argument("--dashboards-path", default=DASHBOARDS_PATH, metavar="PATH",
                   help=f"where Grafana finds the dashboard files (default {DASHBOARDS_PATH})")
    g.add_argument("--scrape-interval", default="15s", metavar="DURATION",
                   help="Prometheus' scrape interval, for $__rate_interval (default 15s)")
    g.add_argument("--folder", default="driftline", help="Grafana folder (default driftline)")
    _common(g)
    g.set_defaults(func=cmd_export_grafana)


def _add_prometheus(sub: Any) -> None:
    p = sub.add_parser("prometheus", help="prometheus.yml (scrape config) and the alert rules")
    p.add_argument("directory", metavar="DIR", help="where to write (created if missing)")
    p.add_argument("--target", dest="targets", action="append", metavar="HOST:PORT",
                   help="a driftline replica to scrape (repeatable; default 127.0.0.1:8000)")
    p.add_argument("--alertmanager", metavar="URL",
                   help="send alerts to this Alertmanager, e.g. http://alertmanager:9093")
    p.add_argument("--job", default="driftline", help="scrape job name (default driftline)")
    p.add_argument("--scrape-interval", default="15s", metavar="DURATION",
                   help="scrape and rule evaluation interval (default 15s)")
    for flag, kind, metavar, text in _THRESHOLDS:
        default = getattr(_DEFAULTS, flag[2:].replace("-", "_"))
        p.add_argument(flag, type=kind, default=default, metavar=metavar,
                       help=f"{text} (default {default:g})")
    p.add_argument("--for", dest="durations", type=_alert_duration, action="append",
                   metavar="ALERT=DURATION",
                   help="the 'for:' duration of one alert, e.g. DriftlineTargetDown=2m "
                        "(repeatable)")
    p.add_argument("--runbook-base", default=RUNBOOK_BASE, metavar="URL",
                   help="where the runbook links point, e.g. your copy of docs/dashboards.md "
                        f"(default {RUNBOOK_BASE})")
    _common(p)
    p.set_defaults(func=cmd_export_prometheus)


def add_export_commands(sub: Any) -> None:
    """Add ``export grafana`` and ``export prometheus`` to the ``driftline`` parser."""
    export = sub.add_parser("export", help="write Grafana dashboards, or the Prometheus scrape "
                                           "config and alert rules")
    what = export.add_subparsers(dest="what", required=True, metavar="WHAT")
    _add_grafana(what)
    _add_prometheus(what)
