"""What each page shows, aggregated on the server from the store: small dicts of numbers,
tables and figure specs, never raw rows."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.ui import _charts as charts

if TYPE_CHECKING:
    from driftline.config import Project
    from driftline.registry import Registry
    from driftline.store import Store

__all__ = ["RANGES", "ModelView", "alerts_page", "drift_page", "overview_row",
           "performance_page", "serving_page", "timeline_page", "training_page"]

# the serving page's time ranges (seconds), and the number of buckets each is cut into
RANGES = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
SERVING_BUCKETS = 120
HEALTH_WINDOW_S = 900  # the overview's error rate and p99: the last 15 minutes
_LOWER_IS_BETTER = {"mae", "mse", "rmse", "mape", "log_loss", "brier"}
_MAIN_METRIC = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}


@dataclass
class ModelView:
    """One model as the UI sees it: its project, registry (and store), and the serving
    service when this process serves it (``None`` under ``driftline ui``).

    Examples
    --------
    >>> from driftline.config import ProjectConfig, Project
    >>> from driftline.registry import Registry
    >>> from driftline.store import Store
    >>> cfg = ProjectConfig.model_validate({
    ...     "version": 1, "model": {"name": "m", "task": "binary", "target": "y"},
    ...     "training": {"function": "m:train"}, "reference": {"path": "r.csv"}})
    >>> view = ModelView(Project(cfg, "."), Registry(Store.open("sqlite://"), "."))
    >>> view.name, view.task
    ('m', 'binary')
    """

    project: Project
    registry: Registry
    service: Any = None
    tokens: Any = None  # the model's Tokens; by default the service's, else the environment's

    @property
    def name(self) -> str:
        return str(self.project.config.model.name)

    @property
    def store(self) -> Store:
        return self.registry.store

    @property
    def task(self) -> str:
        return str(self.project.config.model.task)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _ms(v: Any) -> float | None:
    """Milliseconds since the epoch, from a datetime or an ISO string."""
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(v, datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=timezone.utc)
        return v.timestamp() * 1000.0
    return float(v)


def _iso(v: Any) -> str:
    ms = _ms(v)
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000.0, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _age(v: Any, now: datetime) -> str:
    ms = _ms(v)
    if ms is None:
        return "–"
    s = max(0.0, now.timestamp() - ms / 1000.0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.0f} {unit}"
    return f"{s:.0f} s"


def main_metric(task: str, performance: Mapping[str, Any] | None) -> str | None:
    """The metric the overview shows for a task (the first numeric one as a fallback)."""
    perf = performance or {}
    preferred = _MAIN_METRIC.get(task)
    if preferred is not None and isinstance(perf.get(preferred), (int, float)):
        return preferred
    for k, v in perf.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(k)
    return None


# -- request series from the prediction log, and service samples ---------------------------

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


# -- overview ------------------------------------------------------------------------------

def overview_row(view: ModelView, now: datetime | None = None) -> dict[str, Any]:
    """One model's line on the overview page."""
    now = now or _now()
    champion = view.registry.champion(view.name)
    latest = view.store.window_summaries(view.name, limit=1)
    summary = latest[-1]["summary"] if latest else None
    judged = view.store.window_summaries(view.name, limit=50)
    labelled = [w["summary"] for w in judged if (w["summary"] or {}).get("performance")]
    perf = labelled[-1]["performance"] if labelled else None
    metric = main_metric(view.task, perf)
    decisions = view.store.decisions(view.name, limit=1)
    return {
        "model": view.name, "task": view.task,
        "champion": None if champion is None else champion.version,
        "champion_age": "–" if champion is None else _age(champion.created_at, now),
        "health": health(view, now),
        "drift": None if summary is None else {
            "end": _iso(summary.get("end")), "too_small": summary.get("too_small"),
            "dataset_drift": summary.get("dataset_drift"),
            "drift_share": summary.get("drift_share"),
            "n_drifted": summary.get("n_drifted"), "n_features": summary.get("n_features")},
        "realized": None if metric is None or perf is None else {
            "metric": metric, "value": perf.get(metric),
            "band": (perf.get("bands") or {}).get(metric)},
        "estimated": None,  # performance estimation without labels arrives with its issue
        "decision": None if not decisions else {
            "at": _iso(decisions[-1]["at"]), "action": decisions[-1]["action"],
            "trigger": decisions[-1]["trigger"],
            "reasons": list((decisions[-1]["payload"] or {}).get("reasons") or [])[:3]},
    }


# -- drift ---------------------------------------------------------------------------------

def _columns(ids: Sequence[int], ends: Sequence[float | None]) -> list[list[int]]:
    """Windows grouped into at most MAX_HEAT_COLUMNS consecutive groups."""
    if not ids:
        return []
    groups = np.array_split(np.arange(len(ids)), min(len(ids), charts.MAX_HEAT_COLUMNS))
    return [[int(ids[i]) for i in g] for g in groups if len(g)]


def drift_page(view: ModelView, window_id: int | None = None, feature: str | None = None,
               *, limit: int = 1_000) -> dict[str, Any]:
    """Drift share over time, the feature × window heatmap, and one window in detail."""
    windows = view.store.window_summaries(view.name, limit=limit)
    x = [_ms(w["end"]) for w in windows]
    share = [(w["summary"] or {}).get("drift_share") for w in windows]
    bx, by = charts.bucket([v or 0.0 for v in x], [math.nan if v is None else v for v in share],
                           how="max")
    figures: dict[str, Any] = {
        "share": charts.lines("Share of drifted features per window", [
            {"name": "drift share", "x": bx, "y": by, "mode": "lines+markers"}],
            y_format=".0%")}
    groups = _columns([w["id"] for w in windows], x)
    scores = view.store.feature_scores(view.name, [w["id"] for w in windows])
    col_of = {rid: j for j, g in enumerate(groups) for rid in g}
    cells: dict[str, list[float]] = {}
    for rid, feat, score, _drifted in scores:
        j = col_of.get(rid)
        if j is None or score is None or not math.isfinite(score):
            continue
        row = cells.setdefault(feat, [math.nan] * len(groups))
        row[j] = score if math.isnan(row[j]) else max(row[j], score)
    ranked = sorted(cells, key=lambda f: -np.nanmax(np.asarray(cells[f])))
    shown = ranked[:charts.MAX_HEAT_ROWS]
    if shown:
        hx = [_ms(next(w["end"] for w in windows if w["id"] == g[-1])) for g in groups]
        figures["heatmap"] = charts.heatmap(
            "Drift score by feature and window (1 = the decision threshold)", hx,
            sorted(shown), [cells[f] for f in sorted(shown)])
    detail = view.store.window_detail(view.name, window_id)
    out: dict[str, Any] = {"figures": figures, "n_windows": len(windows),
                           "n_features": len(cells), "hidden_features": len(ranked) - len(shown),
                           "window": None, "features": [], "windows": [
                               {"id": w["id"], "end": _iso(w["end"]),
                                "drift": (w["summary"] or {}).get("dataset_drift")}
                               for w in windows[-48:]][::-1]}
    # label and prediction drift over time
    for key, title in (("label_drift", "Label drift (p-value of the test on labelled rows)"),
                       ("prediction_drift", "Prediction drift (p-value)")):
        px = [x[i] for i, w in enumerate(windows) if (w["summary"] or {}).get(key)]
        pv = [((w["summary"] or {}).get(key) or {}).get("p_value") for w in windows
              if (w["summary"] or {}).get(key)]
        if px:
            sx, sy = charts.bucket([v or 0.0 for v in px],
                                   [math.nan if v is None else v for v in pv], how="min")
            figures[key] = charts.lines(title, [{"name": "p-value", "x": sx, "y": sy,
                                                 "mode": "lines+markers"}], y_title="p-value")
    if detail is None:
        return out
    result = detail["result"] or {}
    dists = detail["detail"] or {}
    feats = result.get("features") or {}
    rows = []
    for name, f in sorted(feats.items(), key=lambda kv: -(kv[1].get("score") or 0.0)):
        rows.append({"feature": name, "method": f.get("method"), "statistic": f.get("statistic"),
                     "p_value": f.get("p_value"), "effect_size": f.get("effect_size"),
                     "effect_name": f.get("effect_name"), "threshold": f.get("threshold"),
                     "drifted": f.get("drifted"), "action": f.get("action"),
                     "reason": f.get("reason")})
    chosen = feature if feature in feats else (rows[0]["feature"] if rows else None)
    out.update(window={"id": detail["id"], "end": _iso(detail["end"]),
                       "start": _iso(result.get("start")), "n_rows": result.get("n_rows"),
                       "dataset_drift": result.get("dataset_drift"),
                       "drift_share": result.get("drift_share"),
                       "too_small": result.get("too_small"), "reason": result.get("reason"),
                       "actions": result.get("actions") or {},
                       "label_drift": result.get("label_drift"),
                       "prediction_drift": result.get("prediction_drift")},
               features=rows, feature=chosen)
    if chosen and chosen in dists:
        figures["detail"] = _distribution_figure(f"{chosen}: reference against current",
                                                 dists[chosen])
    for key, name in (("__label__", "label_detail"), ("__prediction__", "prediction_detail")):
        if key in dists:
            what = "Labels" if key == "__label__" else "Predictions"
            figures[name] = _distribution_figure(f"{what}: reference against current", dists[key])
    return out


def _distribution_figure(title: str, d: Mapping[str, Any]) -> dict[str, Any]:
    ref = np.asarray(d.get("reference") or [], dtype=float)
    cur = np.asarray(d.get("current") or [], dtype=float)
    ref = ref / ref.sum() if ref.sum() else ref
    cur = cur / cur.sum() if cur.sum() else cur
    if d.get("kind") == "histogram" and len(d.get("edges") or []) == len(ref) + 1:
        return charts.bars(title, [], ref.tolist(), cur.tolist(), edges=list(d["edges"]))
    labels = [str(v) for v in d.get("labels") or []]
    return charts.bars(title, labels, ref.tolist(), cur.tolist())


# -- performance ---------------------------------------------------------------------------

def performance_page(view: ModelView, *, limit: int = 1_000) -> dict[str, Any]:
    """Realized metrics per window with their sampling-error bands, and label coverage."""
    windows = view.store.window_summaries(view.name, limit=limit)
    x = [_ms(w["end"]) or 0.0 for w in windows]
    coverage = [(w["summary"] or {}).get("label_coverage") for w in windows]
    metrics: dict[str, dict[str, list[Any]]] = {}
    for i, w in enumerate(windows):
        perf = (w["summary"] or {}).get("performance") or {}
        bands = perf.get("bands") or {}
        for k, v in perf.items():
            if k == "bands" or not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            m = metrics.setdefault(k, {"x": [], "y": [], "lo": [], "hi": []})
            lo, hi = (bands.get(k) or [None, None])[:2]
            m["x"].append(x[i])
            m["y"].append(v)
            m["lo"].append(math.nan if lo is None else lo)
            m["hi"].append(math.nan if hi is None else hi)
    figures: dict[str, Any] = {}
    cx, cy = charts.bucket(x, [math.nan if c is None else c for c in coverage])
    for k, m in metrics.items():
        mx, my = charts.bucket(m["x"], m["y"])
        _, lo = charts.bucket(m["x"], m["lo"])
        _, hi = charts.bucket(m["x"], m["hi"])
        figures[k] = charts.lines(
            f"{k} (realized, with its 95% sampling-error band)",
            [{"name": f"{k} realized", "x": mx, "y": my, "mode": "lines+markers"}],
            bands=[{"name": "95% band", "x": mx, "lower": lo, "upper": hi}])
    figures["coverage"] = charts.lines("Label coverage per window (share of predictions with "
                                       "a label)", [{"name": "label coverage", "x": cx, "y": cy,
                                                     "mode": "lines+markers"}], y_format=".0%")
    champion = view.registry.champion(view.name)
    holdout = {} if champion is None else dict(champion.metrics)
    latest = {k: (m["y"][-1], m["lo"][-1], m["hi"][-1]) for k, m in metrics.items()}
    errors = [((w["summary"] or {}).get("performance") or {}).get("error") for w in windows]
    return {"figures": figures, "n_windows": len(windows),
            "error": next((e for e in reversed(errors) if e), None),
            "coverage": next((c for c in reversed(coverage) if c is not None), None),
            "holdout": holdout, "latest": latest,
            "lower_is_better": sorted(_LOWER_IS_BETTER & set(metrics)),
            "estimated": None}


# -- training ------------------------------------------------------------------------------

def training_page(view: ModelView) -> dict[str, Any]:
    """Every version's training run: trigger, parent, params, data range and holdout metrics."""
    versions = view.registry.versions(view.name)
    rows = [{"version": v.version, "stage": v.stage, "created": _iso(v.created_at),
             "trigger": v.trigger, "parent": v.parent, "params": dict(v.params),
             "metrics": dict(v.metrics), "seed": v.seed,
             "range": [_iso(t) for t in v.training_range] if v.training_range else None}
            for v in versions]
    names = sorted({k for v in versions for k in v.metrics})
    figures = {}
    if rows and names:
        figures["holdout"] = charts.lines("Holdout metrics by version", [
            {"name": k, "x": [_ms(v.created_at) or 0.0 for v in versions],
             "y": [v.metrics.get(k, math.nan) for v in versions], "mode": "lines+markers"}
            for k in names])
    return {"versions": rows[::-1], "metrics": names, "figures": figures}


# -- timeline ------------------------------------------------------------------------------

_LANES = (("decision: retrain", "#1f6feb"), ("decision: other", "#8c959f"),
          ("retrain", "#8250df"), ("promoted", "#1a7f37"), ("rejected", "#d1242f"),
          ("rolled back", "#bc4c00"), ("stage change", "#57606a"), ("alert", "#9a6700"))


def _lane(kind: str, item: Mapping[str, Any]) -> str:
    if kind == "decision":
        return "decision: retrain" if item.get("action") == "retrain" else "decision: other"
    k = str(item.get("kind") or "")
    if k.startswith("retrain"):
        return "retrain"
    if k in ("promoted", "forced_promotion"):
        return "promoted"
    if k in ("challenger_rejected", "promote_refused"):
        return "rejected"
    if "rollback" in k:
        return "rolled back"
    if k == "alert":
        return "alert"
    return "stage change"


def _collapse_quiet(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of consecutive "none" decisions (nothing fired) as one row with their count."""
    out: list[dict[str, Any]] = []
    for i in items:
        last = out[-1] if out else None
        if (last is not None and i["kind"] == "decision" and i["what"] == "none"
                and last["kind"] == "decision" and last["what"] == "none"):
            last["count"] = last.get("count", 1) + 1
            last["since"] = i["at"]
            continue
        out.append(i)
    for i in out:
        if i.get("count", 1) > 1:
            i["what"] = f"none ×{i['count']}"
            i["detail"] = (f"no trigger fired in {i['count']} decisions since "
                           f"{_iso(i['since'])}; the latest: {i['detail']}")
    return out


def timeline_page(view: ModelView, *, limit: int = 300) -> dict[str, Any]:
    """Decisions (acted on or not), stage changes and events on one time line, newest first,
    and the champion-against-challenger comparison of each retrain."""
    items: list[dict[str, Any]] = []
    for d in view.store.decisions(view.name, limit=limit):
        p = d["payload"] or {}
        items.append({"at": _ms(d["at"]), "kind": "decision", "what": d["action"],
                      "trigger": d["trigger"], "detail": "; ".join(map(str, p.get("reasons") or [])),
                      "version": p.get("version"), "validation": p.get("validation"),
                      "mode": p.get("mode"), "lane": _lane("decision", d)})
    for c in view.store.stage_history(view.name)[-limit:]:
        cd = c.to_dict()
        items.append({"at": _ms(cd.get("at")), "kind": "stage",
                      "what": f"v{cd['version']} → {cd['stage']}",
                      "trigger": cd.get("previous_stage") or "", "detail": cd.get("reason") or "",
                      "version": cd["version"], "lane": "rolled back"
                      if "rollback" in str(cd.get("reason") or "") else "stage change"})
    for e in view.store.events(view.name, limit=limit):
        if e["kind"] == "alert":
            continue
        p = e["payload"] or {}
        items.append({"at": _ms(e["at"]), "kind": "event", "what": e["kind"],
                      "trigger": p.get("mode") or "", "version": p.get("version"),
                      "detail": str(p.get("reason") or p.get("error") or "")[:300],
                      "lane": _lane("event", e)})
    items = [i for i in items if i["at"] is not None]
    items.sort(key=lambda i: i["at"], reverse=True)
    items = _collapse_quiet(items)[:limit]
    lanes = []
    for name, colour in _LANES:
        sel = [i for i in items if i.get("lane") == name]
        if sel:
            lanes.append({"name": name, "colour": colour, "x": [i["at"] for i in sel],
                          "text": [f"{i['what']} {i.get('detail', '')}"[:160] for i in sel]})
    retrains = [i for i in items if i["kind"] == "decision" and i.get("validation")]
    for i in items:
        i["when"] = _iso(i["at"])
    return {"items": items, "retrains": retrains,
            "figures": {"timeline": charts.timeline("What happened when", lanes)} if lanes else {}}


# -- alerts --------------------------------------------------------------------------------

def alerts_page(view: ModelView, *, limit: int = 200) -> dict[str, Any]:
    """Recent alert events with their delivery status, and the configured routes."""
    rows = []
    for e in reversed(view.store.events(view.name, "alert", limit=limit)):
        p = e["payload"] or {}
        delivery = p.get("delivery") or {}
        rows.append({"at": _iso(e["at"]), "kind": p.get("kind"), "severity": p.get("severity"),
                     "summary": p.get("summary"), "action": p.get("action"),
                     "status": delivery.get("status", "unknown"),
                     "sinks": sorted({*(delivery.get("sent") or {}),
                                      *(delivery.get("suppressed") or {})}),
                     "errors": [f.get("error") for f in delivery.get("failures") or []]})
    cfg = view.project.config.alerts
    routes = [f"webhook {h.url}" for h in cfg.webhooks]
    if cfg.alertmanager is not None:
        routes.append(f"Alertmanager {cfg.alertmanager.url}")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"rows": rows, "routes": routes, "counts": counts, "cooldown": cfg.cooldown}
