"""The deployment recipe of docs/scaling.md ("A deployment"): examples/deploy/docker-compose.yml
runs PostgreSQL, three `--no-worker` replicas on one store behind nginx, exactly one worker,
and Prometheus and Grafana on the files that `driftline export` writes. Docker is not run: the
compose file, the nginx config and the exported files are checked against each other."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.docs.blocks import parse

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "examples" / "deploy"
DOC = ROOT / "docs" / "scaling.md"
SERVICES = {"postgres", "replica-1", "replica-2", "replica-3", "worker", "nginx", "prometheus",
            "grafana"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def _driftline(compose, command):
    return {name: s for name, s in compose["services"].items()
            if s.get("command", [None])[:2] == ["driftline", command]}


def _option(command, flag):
    return command[command.index(flag) + 1] if flag in command else None


def _mounts(service):
    """{container path: host path or volume name} of a service's volumes."""
    out = {}
    for spec in service.get("volumes", []):
        source, target, *_ = spec.split(":")
        out[target] = source
    return out


def _exported(tmp_path):
    """Run the doc's export commands, as a reader would, in ``tmp_path``."""
    blocks = [b for b in parse(DOC.read_text(encoding="utf-8"), "docs/scaling.md")
              if b.kind == "shell" and "driftline export prometheus monitoring/prometheus" in b.code
              and "driftline export grafana monitoring/grafana" in b.code]
    assert len(blocks) == 1, "docs/scaling.md gives the export commands of the recipe once"
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                  os.environ.get("PATH", "")])}
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", blocks[0].code], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_the_doc_shows_the_compose_file_and_the_nginx_config():
    text = DOC.read_text(encoding="utf-8")
    blocks = parse(text, "docs/scaling.md")
    codes = [b.code for b in blocks]
    assert (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8") in codes
    assert (DEPLOY / "nginx.conf").read_text(encoding="utf-8") in codes
    assert "## A deployment" in text


def test_the_services_one_store_three_replicas_one_worker(compose):
    assert set(compose["services"]) == SERVICES
    replicas = _driftline(compose, "serve")
    workers = _driftline(compose, "worker")
    assert sorted(replicas) == ["replica-1", "replica-2", "replica-3"]
    assert list(workers) == ["worker"]  # exactly one: the lease makes a second one stand by
    driftline = {**replicas, **workers}
    for name, s in replicas.items():
        assert "--no-worker" in s["command"], name
        assert _option(s["command"], "--host") == "0.0.0.0", name
        env = s["environment"]
        assert {"DRIFTLINE_TOKEN", "DRIFTLINE_ADMIN_TOKEN", "DRIFTLINE_UI_SECRET"} <= set(env)
    # every process reads the same project file from the same folder, with the same
    # environment: so the same store URL, tokens, UI secret and artifact volume
    projects = {s["command"][2] for s in driftline.values()}
    assert projects == {"/srv/project/driftline.yaml"}
    assert len({repr(sorted(_mounts(s).items())) for s in driftline.values()}) == 1
    assert len({repr(sorted(s["environment"].items())) for s in driftline.values()}) == 1
    mounts = _mounts(next(iter(driftline.values())))
    assert mounts["/srv/project"] == "./project"
    for s in driftline.values():
        assert s["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_store_url_names_the_postgres_service(compose):
    from driftline.config import ProjectConfig

    cfg = ProjectConfig.model_validate(yaml.safe_load(
        (DEPLOY / "project" / "driftline.yaml").read_text(encoding="utf-8")))
    url = urlsplit(cfg.store.url)
    pg = compose["services"]["postgres"]["environment"]
    assert url.scheme == "postgresql+psycopg" and url.hostname == "postgres"
    assert url.port == 5432 and url.password is None  # the password comes from PGPASSWORD
    assert url.username == pg["POSTGRES_USER"] and url.path == "/" + pg["POSTGRES_DB"]
    # artifacts.root is the volume every driftline process mounts
    mounts = _mounts(compose["services"]["replica-1"])
    assert mounts[cfg.artifacts.root] == "artifacts" and "artifacts" in compose["volumes"]
    assert (DEPLOY / "project" / "credit_model.py").is_file()
    build = compose["services"]["replica-1"]["build"]
    assert (DEPLOY / build["context"]).resolve() == ROOT
    assert (ROOT / build["dockerfile"]).is_file()


def _nginx_upstreams(text):
    """{upstream name: [server address, ...]} of an nginx config, after a check that its braces
    balance and every directive ends with ';'."""
    body = re.sub(r"#[^\n]*", "", text)
    depth = 0
    for ch in body:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, "a '}' closes nothing"
    assert depth == 0, "unbalanced braces"
    for line in body.splitlines():
        line = line.strip()
        assert not line or line.endswith((";", "{", "}")), f"directive without ';': {line!r}"
    return {m["name"]: re.findall(r"^\s*server\s+(\S+?)(?:\s[^;]*)?;", m["body"], flags=re.M)
            for m in re.finditer(r"upstream\s+(?P<name>\S+)\s*\{(?P<body>[^}]*)\}", body)}


def test_nginx_balances_over_the_three_replicas(compose):
    nginx = compose["services"]["nginx"]
    assert _mounts(nginx)["/etc/nginx/conf.d/default.conf"] == "./nginx.conf"
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    upstreams = _nginx_upstreams(text)
    replicas = _driftline(compose, "serve")
    addresses = sorted(f"{n}:{_option(s['command'], '--port')}" for n, s in replicas.items())
    assert list(upstreams) == ["driftline"]
    assert sorted(upstreams["driftline"]) == addresses
    assert re.search(r"proxy_pass\s+http://driftline;", text)
    assert "non_idempotent" not in text  # a POST that reached a replica is never re-sent
    assert set(nginx["depends_on"]) == set(replicas)


def test_prometheus_mounts_what_the_export_writes(compose, tmp_path):
    folder = _exported(tmp_path)
    prom = compose["services"]["prometheus"]
    mounts = _mounts(prom)
    config_path = next(a.split("=", 1)[1] for a in prom["command"] if a.startswith("--config.file="))
    mount_point = next(t for t in mounts if config_path.startswith(t + "/"))
    host_dir = folder / mounts[mount_point]
    config_file = host_dir / config_path[len(mount_point) + 1:]
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for rule_file in config["rule_files"]:
        assert (config_file.parent / rule_file).is_file(), rule_file
    [job] = config["scrape_configs"]
    assert job["job_name"] == "driftline" and job["metrics_path"] == "/metrics"
    replicas = _driftline(compose, "serve")
    targets = [t for sc in job["static_configs"] for t in sc["targets"]]
    assert sorted(targets) == sorted(f"{n}:{_option(s['command'], '--port')}"
                                     for n, s in replicas.items())
    from tests.integrations.promtool import run

    done = run("check", "config", config_file)
    assert done.returncode == 0, done.stdout + done.stderr


def test_grafana_mounts_the_exported_provisioning_layout(compose, tmp_path):
    from driftline.integrations import DASHBOARDS_PATH

    folder = _exported(tmp_path)
    mounts = _mounts(compose["services"]["grafana"])
    provisioning = folder / mounts["/etc/grafana/provisioning"]
    dashboards = folder / mounts[DASHBOARDS_PATH]
    assert sorted(p.name for p in provisioning.iterdir()) == ["dashboards", "datasources"]
    [provider_file] = (provisioning / "dashboards").glob("*.yaml")
    [provider] = yaml.safe_load(provider_file.read_text(encoding="utf-8"))["providers"]
    assert provider["options"]["path"] == DASHBOARDS_PATH  # where the dashboards are mounted
    assert sorted(p.name for p in dashboards.glob("*.json")) == [
        "driftline-drift.json", "driftline-performance.json", "driftline-retraining.json",
        "driftline-serving.json"]
    [source_file] = (provisioning / "datasources").glob("*.yaml")
    [source] = yaml.safe_load(source_file.read_text(encoding="utf-8"))["datasources"]
    url = urlsplit(source["url"])
    prom = compose["services"]["prometheus"]
    assert url.hostname == "prometheus" and f"{url.port}:{url.port}" in prom["ports"]
