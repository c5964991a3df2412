"""What each page shows, aggregated on the server from the store: small dicts of numbers,
tables and figure specs, never raw rows. The overview, drift, performance and training pages
live here; serving in :mod:`driftline.ui._serving`, timeline and alerts in
:mod:`driftline.ui._events`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from driftline.policy import LOWER_IS_BETTER
from driftline.ui import _charts as charts
from driftline.ui._events import alerts_page, timeline_page
from driftline.ui._serving import RANGES, health, serving_page
from driftline.ui._training_data import runs_data
from driftline.ui._view import ModelView, _age, _iso, _ms, _now, main_metric

__all__ = ["RANGES", "ModelView", "alerts_page", "drift_page", "overview_row",
           "performance_page", "serving_page", "timeline_page", "training_page"]



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
    outliers = [(w["summary"] or {}).get("outlier_share") for w in windows]
    if any(v is not None for v in outliers):
        ox, oy = charts.bucket([v or 0.0 for v in x],
                               [math.nan if v is None else v for v in outliers], how="max")
        figures["outliers"] = charts.lines(
            "Share of outlier rows per window (Half-Space Trees on the reference; about 1% "
            "while nothing changed)", [{"name": "outlier share", "x": ox, "y": oy,
                                        "mode": "lines+markers"}], y_format=".1%")
    multi: dict[str, tuple[list[float], list[float]]] = {}
    for xi, w in zip(x, windows, strict=True):
        for method, r in ((w["summary"] or {}).get("multivariate") or {}).items():
            if r.get("drifted") is not None:
                mx, my = multi.setdefault(method, ([], []))
                mx.append(xi or 0.0)
                my.append(float(bool(r["drifted"])))
    if multi:
        series = []
        for method in sorted(multi):
            mx, my = charts.bucket(*multi[method], how="max")
            series.append({"name": method, "x": mx, "y": my, "mode": "lines+markers"})
        figures["multivariate"] = charts.lines(
            "Whole-row drift per window (1 = flagged; each method flags about alpha of quiet "
            "windows)", series)
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
    estimated: dict[str, dict[str, list[Any]]] = {}
    method = None
    for i, w in enumerate(windows):
        est = (w["summary"] or {}).get("estimated") or {}
        method = est.get("method") or method
        for k, v in (est.get("metrics") or {}).items():
            e = estimated.setdefault(k, {"x": [], "y": []})
            e["x"].append(x[i])
            e["y"].append(v)
    for k in sorted(set(metrics) | set(estimated)):
        series, bands = [], []
        if k in metrics:
            m = metrics[k]
            mx, my = charts.bucket(m["x"], m["y"])
            _, lo = charts.bucket(m["x"], m["lo"])
            _, hi = charts.bucket(m["x"], m["hi"])
            series.append({"name": f"{k} realized", "x": mx, "y": my, "mode": "lines+markers"})
            bands.append({"name": "95% band", "x": mx, "lower": lo, "upper": hi})
        if k in estimated:
            ex, ey = charts.bucket(estimated[k]["x"], estimated[k]["y"])
            series.append({"name": f"{k} estimated ({method}, no labels)", "x": ex, "y": ey,
                           "mode": "lines"})
        figures[k] = charts.lines(
            f"{k} (realized, with its 95% sampling-error band" + (", and estimated)" if k in estimated
                                                                  else ")"),
            series, bands=bands)
    figures["coverage"] = charts.lines("Label coverage per window (share of predictions with "
                                       "a label)", [{"name": "label coverage", "x": cx, "y": cy,
                                                     "mode": "lines+markers"}], y_format=".0%")
    champion = view.registry.champion(view.name)
    holdout = {} if champion is None else dict(champion.metrics)
    latest = {k: (m["y"][-1], m["lo"][-1], m["hi"][-1]) for k, m in metrics.items()}
    errors = [((w["summary"] or {}).get("performance") or {}).get("error") for w in windows]
    priors: dict[str, dict[str, list[Any]]] = {}
    for i, w in enumerate(windows):
        shift = (w["summary"] or {}).get("label_shift") or {}
        for cls, v in zip(shift.get("classes") or [], shift.get("target_prior") or [], strict=False):
            pr = priors.setdefault(str(cls), {"x": [], "y": []})
            pr["x"].append(x[i])
            pr["y"].append(v)
    if priors:
        series = []
        for cls in sorted(priors):
            px, py = charts.bucket(priors[cls]["x"], priors[cls]["y"])
            series.append({"name": f"class {cls}", "x": px, "y": py, "mode": "lines+markers"})
        figures["priors"] = charts.lines(
            "Class priors per window, estimated from the predictions (BBSE, no labels)", series,
            y_format=".0%")
    state = view.store.stream_state(view.name, "concept_drift") or {}
    recent = state.get("recent") or []
    drifts = [e["payload"] for e in view.store.events(view.name, "concept_drift", limit=20)]
    return {"figures": figures, "n_windows": len(windows),
            "concept": {"drifts": list(reversed(drifts)), "detector": state.get("detector"),
                        "seen": state.get("n_seen"), "version": state.get("version"),
                        "error": sum(recent) / len(recent) if recent else None},
            "error": next((e for e in reversed(errors) if e), None),
            "coverage": next((c for c in reversed(coverage) if c is not None), None),
            "holdout": holdout, "latest": latest,
            "lower_is_better": sorted(set(LOWER_IS_BETTER) & set(metrics)),
            "estimated": method}


# -- training ------------------------------------------------------------------------------

def training_page(view: ModelView, *, run: str | None = None,
                  study: str | None = None) -> dict[str, Any]:
    """Every version's training run (trigger, parent, params, data range, holdout metrics),
    and the tracked runs: side by side, ``run`` (an id) in detail, the tuning ``study`` (an
    id; default the newest) and the retrained challengers against their champions."""
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
    return {"versions": rows[::-1], "metrics": names, "figures": figures,
            "tracked": runs_data(view, versions, run=run, study=study)}
