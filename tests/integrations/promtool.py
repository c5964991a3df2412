"""Run Debian's promtool on exported PromQL: every expression wrapped as a recording rule in a
throwaway rule file (``promtool check rules``), and rule unit tests (``promtool test rules``)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import yaml

from tests._binaries import require_binary
from tests.integrations.promql import substitute

__all__ = ["GRAFANA_VALUES", "check_expressions", "promtool", "run"]

# Literal stand-ins for Grafana's global variables; dashboard variables ($job, $model, ...)
# become ".+", which is only valid where they belong: inside a regex matcher's quotes.
GRAFANA_VALUES = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h",
                  "__range_s": "3600", "__range_ms": "3600000", "__interval_ms": "60000"}


def promtool() -> str:
    return require_binary("promtool", package="prometheus",
                          purpose="check the exported PromQL, alert rules and scrape config")


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *map(str, args)], capture_output=True, text=True,
                          timeout=120, check=False)


def check_expressions(expressions: Sequence[str], directory: Path) -> subprocess.CompletedProcess[str]:
    """``promtool check rules`` on a rule file with one recording rule per expression, after
    the Grafana variables are replaced by literals."""
    rules = [{"record": f"driftline_check:expr_{i}", "expr": substitute(e, GRAFANA_VALUES)}
             for i, e in enumerate(expressions)]
    path = directory / "expressions.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "check", "rules": rules}]}),
                    encoding="utf-8")
    return run("check", "rules", path)
