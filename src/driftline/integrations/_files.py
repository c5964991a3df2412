"""Writing the exported files (JSON and YAML with sorted, stable keys) and checking the values
that go into them (Prometheus durations, ``HOST:PORT`` targets, URLs)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from driftline.errors import ParameterError, require

__all__ = ["check_duration", "check_job", "check_target", "check_url", "percent", "write_json",
           "write_yaml"]

# Prometheus' duration syntax: units from largest to smallest, each at most once.
_DURATION = re.compile(r"^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$")
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$")


def check_duration(name: str, value: str) -> str:
    """``value`` if it is a Prometheus duration such as ``5m`` or ``1h30m``; else an error.

    Examples
    --------
    >>> check_duration("for", "1h30m")
    '1h30m'
    >>> check_duration("for", "90 minutes")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: for must be a Prometheus duration ...; got '90 minutes'.
    """
    if not isinstance(value, str) or not value or not _DURATION.match(value):
        raise ParameterError.invalid(name, value, "a Prometheus duration such as 30s, 5m or 1h30m")
    return value


def check_job(value: str) -> str:
    """``value`` if it can be a scrape job name inside a PromQL string (no quotes)."""
    if not isinstance(value, str) or not value or '"' in value or "\\" in value:
        raise ParameterError.invalid("job", value, "a non-empty scrape job name without quotes")
    return value


def check_target(value: str) -> str:
    """``value`` if it is a scrape target ``HOST:PORT`` (port 1 to 65535); else an error.

    Examples
    --------
    >>> check_target("driftline-1:8000")
    'driftline-1:8000'
    >>> check_target("driftline-1")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: target must be HOST:PORT ... (port 1 to 65535); got 'driftline-1'.
    """
    host, sep, port = str(value).rpartition(":")
    if not (sep and _HOST.match(host) and port.isdigit() and 1 <= int(port) <= 65535):
        raise ParameterError.invalid("target", value,
                                     "HOST:PORT such as 127.0.0.1:8000 (port 1 to 65535)")
    return str(value)


def check_url(name: str, value: str, example: str = "http://alertmanager:9093") -> str:
    """``value`` if it is an ``http://`` or ``https://`` URL with a host; else an error.

    Examples
    --------
    >>> check_url("alertmanager", "http://alertmanager:9093")
    'http://alertmanager:9093'
    >>> check_url("alertmanager", "alertmanager:9093")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: alertmanager must be an http:// or https:// URL ... 'alertmanager:9093'.
    """
    try:
        parts = urlsplit(str(value))
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (
            parts.port is None or parts.port > 0)
    except ValueError:  # a port that is not a number
        ok = False
    if not ok or parts.query or parts.fragment:
        raise ParameterError.invalid(name, value, f"an http:// or https:// URL such as {example}")
    return str(value)


def percent(x: float) -> str:
    """A ratio as a short percentage: ``percent(0.001) == '0.1%'``."""
    return f"{100 * x:g}%"


def write_json(path: Path, data: Mapping[str, Any]) -> Path:
    """Write ``data`` as indented JSON with sorted keys (stable output for version control)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def write_yaml(path: Path, data: Mapping[str, Any], header: str = "") -> Path:
    """Write ``data`` as block YAML with sorted keys; strings with newlines as ``|`` blocks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + to_yaml(data), encoding="utf-8")
    return path


def to_yaml(data: Mapping[str, Any]) -> str:
    """``data`` as block YAML with sorted keys (needs PyYAML, in the ``yaml`` extra)."""
    yaml = require("yaml", extra="yaml", feature="Writing Prometheus and Grafana files")

    class _Dumper(yaml.SafeDumper):  # type: ignore[name-defined]
        pass

    def _str(dumper: Any, text: str) -> Any:
        style = "|" if "\n" in text else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    _Dumper.add_representer(str, _str)
    return str(yaml.dump(dict(data), Dumper=_Dumper, sort_keys=True, default_flow_style=False,
                         allow_unicode=True, width=1000))
