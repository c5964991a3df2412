"""Grafana file provisioning: the driftline dashboards, the Prometheus datasource and the
dashboard provider, written by ``driftline export grafana DIR``.

The written tree::

    DIR/provisioning/datasources/driftline.yaml   -> /etc/grafana/provisioning/datasources/
    DIR/provisioning/dashboards/driftline.yaml    -> /etc/grafana/provisioning/dashboards/
    DIR/dashboards/driftline-*.json               -> the provider's path (dashboards_path)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from driftline.errors import ParameterError
from driftline.integrations._dashboards import DASHBOARDS, build
from driftline.integrations._files import check_duration, check_url, write_json, write_yaml

__all__ = ["DASHBOARDS_PATH", "DATASOURCE_UID", "grafana_dashboard_provider", "grafana_dashboards",
           "grafana_datasource", "write_grafana"]

#: The uid of the provisioned Prometheus datasource; the dashboards select it by default.
DATASOURCE_UID = "driftline-prometheus"
#: Where the dashboard provider looks for the JSON files inside the Grafana host or container.
DASHBOARDS_PATH = "/var/lib/grafana/dashboards/driftline"
_HEADER = "# Written by `driftline export grafana`; see docs/dashboards.md.\n"


def grafana_dashboards(datasource_uid: str = DATASOURCE_UID) -> dict[str, dict[str, Any]]:
    """The driftline dashboards by uid: ``driftline-serving``, ``driftline-drift``,
    ``driftline-performance`` and ``driftline-retraining``.

    Every panel reads the ``datasource`` template variable (whose default is
    ``datasource_uid``), never a ``${DS_…}`` import input, so the files work with file
    provisioning as they are.

    Examples
    --------
    >>> boards = grafana_dashboards()
    >>> sorted(boards)
    ['driftline-drift', 'driftline-performance', 'driftline-retraining', 'driftline-serving']
    >>> serving = boards["driftline-serving"]
    >>> serving["title"], [v["name"] for v in serving["templating"]["list"]]
    ('driftline / Serving', ['datasource', 'job', 'instance', 'model'])
    >>> panel = serving["panels"][1]
    >>> panel["title"], panel["fieldConfig"]["defaults"]["unit"], panel["datasource"]["uid"]
    ('Request rate', 'reqps', '${datasource}')
    """
    if not isinstance(datasource_uid, str) or not datasource_uid.strip():
        raise ParameterError.invalid("datasource_uid", datasource_uid, "a non-empty string")
    return {uid: build(uid, datasource_uid) for uid in DASHBOARDS}


def grafana_datasource(url: str = "http://localhost:9090", *, scrape_interval: str = "15s",
                       uid: str = DATASOURCE_UID) -> dict[str, Any]:
    """The datasource provisioning file: Prometheus at ``url`` with the fixed ``uid``.

    ``scrape_interval`` becomes the datasource's ``timeInterval``, from which Grafana
    computes ``$__rate_interval``; keep it equal to the Prometheus scrape interval.

    Examples
    --------
    >>> ds = grafana_datasource("http://prometheus:9090")["datasources"][0]
    >>> ds["uid"], ds["type"], ds["url"], ds["jsonData"]["timeInterval"]
    ('driftline-prometheus', 'prometheus', 'http://prometheus:9090', '15s')
    """
    check_url("prometheus_url", url, "http://prometheus:9090")
    check_duration("scrape_interval", scrape_interval)
    return {"apiVersion": 1, "datasources": [{
        "name": "driftline Prometheus", "type": "prometheus", "uid": uid, "access": "proxy",
        "url": url, "isDefault": False, "editable": False,
        "jsonData": {"timeInterval": scrape_interval, "httpMethod": "POST"}}]}


def grafana_dashboard_provider(path: str = DASHBOARDS_PATH, *, folder: str = "driftline"
                               ) -> dict[str, Any]:
    """The dashboard provider file: load the JSON files under ``path`` into ``folder``.

    Examples
    --------
    >>> provider = grafana_dashboard_provider()["providers"][0]
    >>> provider["type"], provider["folder"], provider["options"]["path"]
    ('file', 'driftline', '/var/lib/grafana/dashboards/driftline')
    """
    if not isinstance(path, str) or not path.startswith("/"):
        raise ParameterError.invalid("dashboards_path", path,
                                     "an absolute path inside the Grafana host or container",
                                     f"such as {DASHBOARDS_PATH}")
    return {"apiVersion": 1, "providers": [{
        "name": "driftline", "orgId": 1, "folder": folder, "type": "file",
        "disableDeletion": False, "allowUiUpdates": False, "updateIntervalSeconds": 30,
        "options": {"path": path, "foldersFromFilesStructure": False}}]}


def write_grafana(directory: str | Path, *, prometheus_url: str = "http://localhost:9090",
                  dashboards_path: str = DASHBOARDS_PATH, scrape_interval: str = "15s",
                  folder: str = "driftline") -> list[Path]:
    """Write the provisioning files and the dashboards under ``directory``; return their paths.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_grafana(tempfile.mkdtemp())
    >>> [p.name for p in paths]  # doctest: +NORMALIZE_WHITESPACE
    ['driftline.yaml', 'driftline.yaml', 'driftline-serving.json', 'driftline-drift.json',
     'driftline-performance.json', 'driftline-retraining.json']
    >>> paths[0].parent.name, paths[1].parent.name, paths[2].parent.name
    ('datasources', 'dashboards', 'dashboards')
    """
    root = Path(directory)
    datasource = grafana_datasource(prometheus_url, scrape_interval=scrape_interval)
    provider = grafana_dashboard_provider(dashboards_path, folder=folder)
    paths = [write_yaml(root / "provisioning" / "datasources" / "driftline.yaml", datasource,
                        _HEADER),
             write_yaml(root / "provisioning" / "dashboards" / "driftline.yaml", provider,
                        _HEADER)]
    for uid, board in grafana_dashboards().items():
        paths.append(write_json(root / "dashboards" / f"{uid}.json", board))
    return paths
