"""The serving page and the overview's health: request series from the prediction log
(time, latency and version of each row) and the processes' periodic service samples."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from driftline.ui import _charts as charts
from driftline.ui._view import ModelView, _now

__all__ = ["HEALTH_WINDOW_S", "RANGES", "SERVING_BUCKETS", "health", "serving_page"]

# the serving page's time ranges (seconds), and the number of buckets each is cut into
RANGES = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
SERVING_BUCKETS = 120
HEALTH_WINDOW_S = 900  # the overview's error rate and p99: the last 15 minutes


def _request_buckets(view: ModelView, since: datetime, until: datetime, n: int
                     ) -> dict[str, Any]:
    log = view.store.request_log(view.name, since, until)
    width = (until - since).total_seconds() / n
    start = since.timestamp()
    edges_ms = [(start + i * width) * 1000.0 for i in range(n)]
    out: dict[str, Any] = {"x": edges_ms, "width": width, "rate": {}, "latency": {},
                           "truncated": log.truncated, "n": len(log)}
    if not len(log):
        return out
    idx = np.clip(((log.ts - start) // width).astype(int), 0, n - 1)
    for version in sorted(set(log.version.tolist())):
        sel = log.version == version
        counts = np.bincount(idx[sel], minlength=n)
        out["rate"][int(version)] = (counts / width).tolist()
        lat = log.latency_ms[sel]
        groups = idx[sel]
        qs: dict[str, list[float]] = {"p50": [], "p95": [], "p99": []}
        order = np.argsort(groups, kind="stable")
        bounds = np.searchsorted(groups[order], np.arange(n + 1))
        for b in range(n):
            part = lat[order[bounds[b]:bounds[b + 1]]]
            part = part[np.isfinite(part)]
            for q, p in (("p50", 50), ("p95", 95), ("p99", 99)):
                qs[q].append(float(np.percentile(part, p)) if len(part) else math.nan)
        out["latency"][int(version)] = qs
    return out


def _sample_series(view: ModelView, since: datetime, until: datetime, n: int) -> dict[str, Any]:
    """Per-bucket request rates by status class (each replica's rate between two of its
    samples, from the differences of its cumulative counts; summed over replicas), in-flight,
    CPU, memory and GPU from the stored samples; NaN where a bucket has no sample."""
    width = (until - since).total_seconds() / n
    samples = view.store.service_samples(since - timedelta(hours=1))
    start = since.timestamp()
    rates: dict[tuple[str, str], list[list[float]]] = {}  # (code, replica) -> per-bucket rates
    host: dict[str, list[list[float]]] = {k: [[] for _ in range(n)] for k in (
        "cpu", "memory_used", "process_cpu", "process_rss", "inflight")}
    gpus: dict[str, list[list[float]]] = {}
    last: dict[tuple[str, str], tuple[float, float]] = {}  # (replica, code) -> (time, count)
    memory_total = None
    for s in samples:
        t = s["at"].timestamp()
        b = int((t - start) // width)
        p = s["payload"] or {}
        counts: dict[str, float] = {}
        for m, v, c, k in p.get("requests", []):
            if m == view.name:
                code = f"v{v} {c}" if v else str(c)
                counts[code] = counts.get(code, 0.0) + float(k)
        for code, k in counts.items():
            key = (s["replica"], code)
            prev = last.get(key)
            last[key] = (t, k)
            if prev is None or not 0 <= b < n or t <= prev[0]:
                continue
            delta = k - prev[1] if k >= prev[1] else k  # the replica restarted: count from 0
            rates.setdefault((code, s["replica"]), [[] for _ in range(n)])[b].append(
                delta / (t - prev[0]))
        if 0 <= b < n:
            for k in host:
                if isinstance(p.get(k), (int, float)):
                    host[k][b].append(float(p[k]))
            memory_total = p.get("memory_total", memory_total)
            for g in p.get("gpus", []) or []:
                gpus.setdefault(f"gpu {g.get('index')}", [[] for _ in range(n)])[b].append(
                    float(g.get("utilization") or 0.0))
    codes: dict[str, list[float]] = {}
    for (code, _replica), per_bucket in sorted(rates.items()):
        mean = np.array([np.mean(v) if v else np.nan for v in per_bucket])
        acc = np.asarray(codes.get(code, [np.nan] * n), dtype=float)
        codes[code] = np.where(np.isnan(acc), mean, acc + np.nan_to_num(mean)).tolist()
    means = {k: [float(np.mean(v)) if v else math.nan for v in vals] for k, vals in host.items()}
    return {"codes": codes, **means, "memory_total": memory_total, "n_samples": len(samples),
            "gpus": {g: [float(np.mean(v)) if v else math.nan for v in vals]
                     for g, vals in gpus.items()}}


def serving_page(view: ModelView, range_key: str = "6h", now: datetime | None = None
                 ) -> dict[str, Any]:
    """Request rate and latency by version (from the prediction log); status classes,
    in-flight, CPU, memory and GPU (from the service samples)."""
    now = now or _now()
    seconds = RANGES.get(range_key, RANGES["6h"])
    since = now - timedelta(seconds=seconds)
    n = SERVING_BUCKETS
    req = _request_buckets(view, since, now, n)
    smp = _sample_series(view, since, now, n)
    x = req["x"]
    figures = {
        "rate": charts.lines("Predictions per second, by version", [
            {"name": f"v{v}", "x": x, "y": y} for v, y in req["rate"].items()], y_title="rows/s"),
        "latency": charts.lines("Latency (logged per prediction)", [
            {"name": f"v{v} {q}", "x": x, "y": qs[q], "dash": {"p50": None, "p95": "dash",
                                                              "p99": "dot"}[q]}
            for v, qs in req["latency"].items() for q in ("p50", "p95", "p99")], y_title="ms"),
        "status": charts.lines("Requests per second, by version and status class", [
            {"name": c, "x": x, "y": y, "colour": {"2xx": "#1a7f37", "3xx": "#0550ae",
                                                   "4xx": "#9a6700", "5xx": "#d1242f"}.get(
                                                       c[-3:], "#57606a"), "connect": True}
            for c, y in smp["codes"].items()], y_title="req/s"),
        "inflight": charts.lines("In-flight requests", [
            {"name": "in flight", "x": x, "y": smp["inflight"], "connect": True}],
            y_title="requests"),
        "cpu": charts.lines("CPU", [
            {"name": "host", "x": x, "y": smp["cpu"], "connect": True},
            {"name": "this service", "x": x, "y": smp["process_cpu"], "connect": True}],
            y_format=".0%"),
        "memory": charts.lines("Memory", [
            {"name": "host used", "x": x, "y": [v / 2**30 for v in smp["memory_used"]],
             "connect": True},
            {"name": "service RSS", "x": x, "y": [v / 2**30 for v in smp["process_rss"]],
             "connect": True}], y_title="GiB"),
    }
    if smp["gpus"]:
        figures["gpu"] = charts.lines("GPU utilisation", [
            {"name": g, "x": x, "y": y, "connect": True} for g, y in smp["gpus"].items()],
            y_format=".0%")
    total = float(np.nansum([np.nansum(v) for v in smp["codes"].values()]))
    errors = float(np.nansum([np.nansum(v) for c, v in smp["codes"].items() if c.endswith("5xx")]))
    return {"range": range_key if range_key in RANGES else "6h", "figures": figures,
            "n_predictions": req["n"], "truncated": req["truncated"],
            "n_samples": smp["n_samples"],
            "error_ratio": errors / total if total else None,
            "memory_total": smp["memory_total"]}


def health(view: ModelView, now: datetime | None = None) -> dict[str, Any]:
    """Ready, error ratio and p99 latency over the last 15 minutes."""
    now = now or _now()
    since = now - timedelta(seconds=HEALTH_WINDOW_S)
    log = view.store.request_log(view.name, since, now, limit=200_000)
    lat = log.latency_ms[np.isfinite(log.latency_ms)]
    smp = _sample_series(view, since, now, 1)
    total = float(np.nansum([v[0] for v in smp["codes"].values()]))
    errors = float(np.nansum([v[0] for c, v in smp["codes"].items() if c.endswith("5xx")]))
    svc = view.service
    return {"ready": None if svc is None else bool(svc.ready),
            "error_ratio": errors / total if total else None,
            "p99_ms": float(np.percentile(lat, 99)) if len(lat) else None,
            "rate": len(log) / HEALTH_WINDOW_S}
