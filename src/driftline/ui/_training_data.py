"""The training page's tracked runs (:mod:`driftline.tracking`), aggregated on the server: the
model's runs side by side, one run in detail (its per-step curves, hyperparameters, the
summary of what it learned, tags and artifacts), tuning studies (the trials, each
hyperparameter against the objective, the parameter importances) and each retrained
challenger against its champion. Every query is bounded."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from driftline.policy import higher_is_better
from driftline.tracking._record import RunRecord
from driftline.ui import _charts as charts
from driftline.ui._view import ModelView, _iso

if TYPE_CHECKING:
    from driftline.registry import ModelVersion

__all__ = ["runs_data"]

MAX_RUNS = 50  # rows of the runs table
MAX_COLUMNS = 12  # param columns and metric columns of the runs table, each
MAX_CURVES = 12  # per-step charts of the run in detail
MAX_SCAN = 10  # runs searched for stepped metrics when no run is chosen
MAX_STUDIES = 20  # studies in the selector
MAX_TRIALS = charts.MAX_POINTS  # trials of a study charted (the newest)
MAX_PARAM_CHARTS = 12  # hyperparameters charted against the objective
MAX_IMPORTANCES = 30
MAX_ITEMS = 60  # params, learned-parameter entries or tags listed for one run
MAX_ARTIFACTS = 50
MAX_DOCUMENTS = 6  # JSON artifacts shown, each at most MAX_DOCUMENT_BYTES
MAX_DOCUMENT_BYTES = 65_536
MAX_TEXT = 4_000  # characters of a pretty-printed JSON artifact
MAX_RETRAINS = 5  # retrain runs compared with their champions
MAX_COMPARED = 20  # metrics in one comparison
_ID_LEN = 200
_IMPORTANCES = "param_importances.json"


def _number(v: Any) -> float | None:
    """A finite float from a number (never a bool), else ``None``."""
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _up(metric: str) -> bool:
    """Whether a larger ``metric`` is better: the registered direction, and losses and errors
    by name (``loss``, ``val_loss``, ``train_error``) lower."""
    low = metric.lower()
    if not higher_is_better(low):
        return False
    return not any(w in low for w in ("loss", "error", "err_", "_err", "mse", "mae", "rmse",
                                      "perplexity", "regret"))


def _int(v: Any) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return int(str(v).strip().lstrip("v"))
    except ValueError:
        return None


def _items(m: Mapping[str, Any], limit: int = MAX_ITEMS) -> tuple[list[tuple[str, Any]], int]:
    """Sorted ``(key, value)`` pairs, at most ``limit``, and how many were left off."""
    keys = sorted(m, key=str)
    return [(str(k), m[k]) for k in keys[:limit]], max(0, len(keys) - limit)


def _columns(maps: Sequence[Mapping[str, Any]], limit: int) -> tuple[list[str], int]:
    """The names most runs have (at most ``limit``, then sorted), and how many were left off."""
    counts = Counter(str(k) for m in maps for k in m)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return sorted(ranked[:limit]), max(0, len(ranked) - limit)


def _history(view: ModelView, run_id: str) -> dict[str, list[tuple[int | None, float]]]:
    out: dict[str, list[tuple[int | None, float]]] = {}
    for name, step, value, _ in view.store.run_metric_history(run_id):
        out.setdefault(name, []).append((step, value))
    return out


def _stepped(history: Mapping[str, Sequence[tuple[int | None, float]]]) -> bool:
    return any(s is not None for points in history.values() for s, _ in points)


def _mine(view: ModelView, run_id: str | None, kind: str | None = None) -> RunRecord | None:
    """The run ``run_id`` when it is one of this model's (of ``kind``, if given)."""
    if not run_id or len(run_id) > _ID_LEN:
        return None
    row = view.store.run(run_id)
    if row is None or row["model"] != view.name or (kind is not None and row["kind"] != kind):
        return None
    return RunRecord.from_row(row)


def runs_data(view: ModelView, versions: Sequence[ModelVersion], *, run: str | None = None,
              study: str | None = None) -> dict[str, Any]:
    """The tracked runs of the training page.

    Parameters
    ----------
    view : the model.
    versions : its registry versions (the champion's holdout metrics come from them).
    run : the id of the run to show in detail (a query parameter); default the newest run
        with stepped metrics.
    study : the id of the tuning study to show; default the newest.
    """
    records = [RunRecord.from_row(r) for r in view.store.runs(
        view.name, kind=("run", "retrain", "study"), top_level=True, limit=MAX_RUNS)]
    by_version = {v.version: v for v in versions}
    params, hidden_params = _columns([r.params for r in records], MAX_COLUMNS)
    metrics, hidden_metrics = _columns([r.metrics for r in records], MAX_COLUMNS)
    best: dict[str, float] = {}
    for name in metrics:
        values = [v for r in records if (v := _number(r.metrics.get(name))) is not None]
        if len(values) > 1:
            best[name] = max(values) if _up(name) else min(values)
    rows = [{"id": r.id, "name": r.name, "kind": r.kind, "status": r.status,
             "started": _iso(r.started_at), "duration": r.duration, "version": r.version,
             "params": dict(r.params), "metrics": dict(r.metrics)} for r in records]
    chosen, history, missing = _choose(view, records, run)
    figures: dict[str, Any] = {}
    detail = None
    if chosen is not None:
        detail = _detail(view, chosen, history, by_version, figures)
    retrains = [_comparison(r, by_version) for r in records if r.kind == "retrain"][:MAX_RETRAINS]
    shown = _study(view, study, figures)
    return {"runs": rows, "params": params, "metrics": metrics, "best": best,
            "hidden_params": hidden_params, "hidden_metrics": hidden_metrics,
            "limited": len(records) == MAX_RUNS, "run": detail, "missing_run": missing,
            "study": shown, "retrains": retrains, "figures": figures,
            # the choices the links carry on: only those that were found
            "selected": {"run": run if detail is not None and run == detail["id"] else None,
                         "study": study if shown is not None and study == shown["id"] else None}}


def _choose(view: ModelView, records: Sequence[RunRecord], run_id: str | None,
            ) -> tuple[RunRecord | None, dict[str, list[tuple[int | None, float]]], bool]:
    """The run shown in detail, its metric history, and whether a chosen run was not found."""
    missing = False
    if run_id:
        found = _mine(view, run_id)
        if found is not None:
            return found, _history(view, found.id), False
        missing = True
    for r in [r for r in records if r.kind != "study" and r.metrics][:MAX_SCAN]:
        history = _history(view, r.id)
        if _stepped(history):
            return r, history, missing
    if not records:
        return None, {}, missing
    return records[0], _history(view, records[0].id), missing


def _curves(history: Mapping[str, Sequence[tuple[int | None, float]]],
            figures: dict[str, Any]) -> tuple[list[str], int]:
    """One chart per metric logged at steps (or more than once): value against step."""
    names = sorted(n for n, pts in history.items()
                   if len(pts) > 1 or any(s is not None for s, _ in pts))
    keys = []
    for i, name in enumerate(names[:MAX_CURVES]):
        pts = history[name]
        x = [float(j if s is None else s) for j, (s, _) in enumerate(pts)]
        bx, by = charts.bucket(x, [v for _, v in pts])
        key = f"curve-{i}"
        figures[key] = charts.scatter(f"{name} by step", [
            {"name": name, "x": bx, "y": by, "mode": "lines+markers", "size": 4}],
            x_title="step", y_title=name)
        keys.append(key)
    return keys, max(0, len(names) - MAX_CURVES)


def _detail(view: ModelView, r: RunRecord, history: Mapping[str, Sequence[tuple[int | None, float]]],
            by_version: Mapping[int, ModelVersion], figures: dict[str, Any]) -> dict[str, Any]:
    """One run: what it was given, what it logged and learned, its curves and artifacts."""
    curves, hidden_curves = _curves(history, figures)
    params, hidden_params = _items(r.params)
    learned, hidden_learned = _items(r.model_params)
    tags, hidden_tags = _items(r.tags)
    metrics, _ = _items(r.metrics, MAX_ITEMS)
    artifacts = view.store.run_artifacts(r.id)
    documents: list[dict[str, Any]] = []
    for a in artifacts:
        if len(documents) >= MAX_DOCUMENTS:
            break
        name = str(a["name"])
        if not (name.lower().endswith(".json") or a.get("media_type") == "application/json"):
            continue
        if (a.get("size") or 0) > MAX_DOCUMENT_BYTES:
            documents.append({"name": name, "kind": "large", "size": a.get("size")})
            continue
        _, raw = view.store.run_artifact(r.id, name)
        documents.append({"name": name, **_document(raw)})
    parent = None
    if r.parent_id is not None:
        p = _mine(view, r.parent_id)
        parent = None if p is None else {"id": p.id, "name": p.name, "kind": p.kind}
    return {"id": r.id, "name": r.name, "kind": r.kind, "status": r.status,
            "started": _iso(r.started_at), "ended": _iso(r.ended_at), "duration": r.duration,
            "version": r.version, "decision_id": r.decision_id, "parent": parent,
            "params": params, "hidden_params": hidden_params, "model_params": learned,
            "hidden_model_params": hidden_learned, "tags": tags, "hidden_tags": hidden_tags,
            "metrics": metrics, "curves": curves, "hidden_curves": hidden_curves,
            "artifacts": [{"name": a["name"], "media_type": a.get("media_type"),
                           "size": a.get("size")} for a in artifacts[:MAX_ARTIFACTS]],
            "hidden_artifacts": max(0, len(artifacts) - MAX_ARTIFACTS),
            "documents": documents,
            "comparison": _comparison(r, by_version) if r.kind == "retrain" else None}


def _document(raw: bytes) -> dict[str, Any]:
    """A JSON artifact as a confusion matrix, a classification report, or pretty text."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        text = raw.decode("utf-8", "replace")
        return {"kind": "text", "text": text[:MAX_TEXT], "truncated": len(text) > MAX_TEXT}
    if isinstance(obj, Mapping):
        classes, counts = obj.get("classes"), obj.get("counts")
        if (isinstance(classes, list) and isinstance(counts, list) and 0 < len(classes) <= 30
                and len(counts) == len(classes)
                and all(isinstance(row, list) and len(row) == len(classes) for row in counts)):
            return {"kind": "confusion", "classes": [str(c) for c in classes], "counts": counts,
                    "rows": str(obj.get("rows") or "true"),
                    "columns": str(obj.get("columns") or "predicted")}
        per_class = obj.get("per_class")
        if isinstance(per_class, list) and all(isinstance(c, Mapping) for c in per_class):
            lines = [*per_class[:50], *(obj[k] for k in ("macro", "weighted")
                                        if isinstance(obj.get(k), Mapping))]
            return {"kind": "report", "rows": [
                {"label": str(c.get("label")), **{k: c.get(k) for k in
                                                 ("precision", "recall", "f1", "support")}}
                for c in lines]}
    text = json.dumps(obj, indent=1, sort_keys=True, default=str)
    return {"kind": "json", "text": text[:MAX_TEXT], "truncated": len(text) > MAX_TEXT}


# -- tuning studies ------------------------------------------------------------------------

def _study(view: ModelView, study_id: str | None, figures: dict[str, Any]) -> dict[str, Any] | None:
    """The chosen (or newest) study: its trials, each hyperparameter against the objective,
    the importances, and the best trial."""
    studies = [RunRecord.from_row(r) for r in view.store.runs(view.name, kind="study",
                                                               limit=MAX_STUDIES)]
    chosen = next((s for s in studies if s.id == study_id), None) if study_id else None
    if chosen is None and study_id:
        chosen = _mine(view, study_id, "study")
        if chosen is not None:
            studies.append(chosen)
    if chosen is None and studies:
        chosen = studies[0]
    if chosen is None:
        return None
    rows = view.store.runs(view.name, parent_id=chosen.id, limit=MAX_TRIALS + 1)
    trials = [RunRecord.from_row(r) for r in rows[:MAX_TRIALS]][::-1]  # oldest first
    tags = chosen.tags
    objective = str(tags.get("objective") or "")
    if not objective:
        counts = Counter(k for t in trials for k in t.metrics)
        objective = counts.most_common(1)[0][0] if counts else ""
    direction = str(tags.get("direction") or "").lower()
    if direction not in ("maximize", "minimize"):
        direction = "maximize" if not objective or _up(objective) else "minimize"
    better = max if direction == "maximize" else min
    points = []  # (number, value or None, trial)
    for i, t in enumerate(trials):
        number = _int(t.tags.get("trial_number"))
        points.append((i if number is None else number, _number(t.metrics.get(objective)), t))
    points.sort(key=lambda p: p[0])
    statuses = Counter(t.status for _, _, t in points)
    importances = _importances(view, chosen.id)
    _trials_figure(objective, direction, points, figures)
    params = _param_figures(objective, points, importances, figures)
    if importances:
        shown = importances[:MAX_IMPORTANCES]
        figures["importances"] = charts.hbars(
            "Parameter importances" + (f" for {objective}" if objective else ""),
            [k for k, _ in shown], [v for _, v in shown], x_title="importance")
    best_trial = _best_trial(view, chosen, points, better)
    best_value = _number(chosen.metrics.get("best_value"))
    if best_value is None and best_trial is not None:
        best_value = best_trial["value"]
    return {"id": chosen.id, "name": chosen.name, "status": chosen.status,
            "started": _iso(chosen.started_at), "source": tags.get("source"),
            "objective": objective, "direction": direction, "best_value": best_value,
            "n_trials": len(points), "truncated": len(rows) > MAX_TRIALS,
            "statuses": dict(sorted(statuses.items())), "best": best_trial,
            "params": params["keys"], "hidden_params": params["hidden"],
            "importances": bool(importances), "hidden_importances":
                max(0, len(importances) - MAX_IMPORTANCES),
            "studies": [{"id": s.id, "name": s.name, "started": _iso(s.started_at)}
                        for s in studies]}


def _importances(view: ModelView, study_id: str) -> list[tuple[str, float]]:
    """``param_importances.json`` of the study, largest first (empty when absent or bad)."""
    found = [a for a in view.store.run_artifacts(study_id) if a["name"] == _IMPORTANCES]
    if not found or (found[0].get("size") or 0) > MAX_DOCUMENT_BYTES:
        return []
    try:
        obj = json.loads(view.store.run_artifact(study_id, _IMPORTANCES)[1].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    if not isinstance(obj, Mapping):
        return []
    pairs = [(str(k), f) for k, v in obj.items() if (f := _number(v)) is not None]
    return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))


def _trials_figure(objective: str, direction: str,
                   points: Sequence[tuple[int, float | None, RunRecord]],
                   figures: dict[str, Any]) -> None:
    """The objective of each trial by trial number, and the best so far."""
    series = []
    for status in ("finished", "pruned", "failed", "running"):
        pts = [(n, v) for n, v, t in points if t.status == status and v is not None]
        if pts:
            series.append({"name": f"{status} trials", "x": [n for n, _ in pts],
                           "y": [v for _, v in pts], "text": [f"trial {n}" for n, _ in pts]})
    done = [(n, v) for n, v, t in points if t.status == "finished" and v is not None]
    if not series:
        return
    if done:
        run_best: list[float] = []
        for _, v in done:
            run_best.append(v if not run_best else (
                max(run_best[-1], v) if direction == "maximize" else min(run_best[-1], v)))
        series.append({"name": "best so far", "x": [n for n, _ in done], "y": run_best,
                       "mode": "lines", "shape": "hv", "colour": "#1a7f37"})
    figures["trials"] = charts.scatter(
        f"{objective or 'objective'} per trial ({direction}), and the best so far", series,
        x_title="trial", y_title=objective)


def _param_figures(objective: str, points: Sequence[tuple[int, float | None, RunRecord]],
                   importances: Sequence[tuple[str, float]],
                   figures: dict[str, Any]) -> dict[str, Any]:
    """One scatter per hyperparameter: its value against the objective, trial by trial
    (categorical values on a category axis, wide positive ranges on a log axis)."""
    counts = Counter(k for _, _, t in points for k in t.params)
    rank = {k: i for i, (k, _) in enumerate(importances)}
    names = sorted(counts, key=lambda k: (rank.get(k, len(rank)), k))
    keys = []
    for i, name in enumerate(names[:MAX_PARAM_CHARTS]):
        used = [(t.params[name], v, n, t.status) for n, v, t in points
                if name in t.params and v is not None]
        if not used:
            continue
        numeric = [_number(p) for p, *_ in used]
        if any(x is None for x in numeric):
            x_type = "category"
        else:
            xs = [x for x in numeric if x is not None]
            x_type = "log" if min(xs) > 0 and max(xs) / min(xs) >= 100 else "linear"
        series = []
        for status in ("finished", "pruned", "failed", "running"):
            part = [(p, v, n) for p, v, n, s in used if s == status]
            if part:
                series.append({"name": f"{status} trials", "x": [p for p, _, _ in part],
                               "y": [v for _, v, _ in part],
                               "text": [f"trial {n}" for _, _, n in part]})
        key = f"param-{i}"
        figures[key] = charts.scatter(f"{objective or 'objective'} against {name}", series,
                                      x_title=name, y_title=objective, x_type=x_type)
        keys.append(key)
    return {"keys": keys, "hidden": max(0, len(names) - MAX_PARAM_CHARTS)}


def _best_trial(view: ModelView, study: RunRecord,
                points: Sequence[tuple[int, float | None, RunRecord]],
                better: Any) -> dict[str, Any] | None:
    """The study's ``best_trial`` tag, else the best finished trial charted."""
    best_id = study.tags.get("best_trial")
    found: tuple[int | None, float | None, RunRecord] | None = None
    if best_id:
        found = next(((n, v, t) for n, v, t in points if t.id == str(best_id)), None)
        if found is None:
            t = _mine(view, str(best_id))
            if t is not None:
                found = (_int(t.tags.get("trial_number")), None, t)
    if found is None:
        done = [p for p in points if p[2].status == "finished" and p[1] is not None]
        if not done:
            return None
        found = better(done, key=lambda p: p[1])
    number, value, t = found
    objective = str(study.tags.get("objective") or "")
    if value is None and objective:
        value = _number(t.metrics.get(objective))
    params, hidden = _items(t.params)
    return {"id": t.id, "name": t.name, "number": number, "value": value, "params": params,
            "hidden_params": hidden}


# -- retrained challengers against their champions ------------------------------------------

def _validation(tags: Mapping[str, Any]) -> dict[str, Any]:
    """The validation verdict from a retrain run's tags: a ``validation`` mapping and/or flat
    ``validation.*`` tags (these win)."""
    out: dict[str, Any] = {}
    nested = tags.get("validation")
    if isinstance(nested, Mapping):
        out.update(nested)
    out.update({k[len("validation."):]: v for k, v in tags.items()
                if isinstance(k, str) and k.startswith("validation.")})
    return out


def _first(m: Mapping[str, Any], *keys: str) -> Any:
    return next((m[k] for k in keys if m.get(k) is not None), None)


def _comparison(r: RunRecord, by_version: Mapping[int, ModelVersion]) -> dict[str, Any]:
    """A retrain run's challenger beside its champion: the validation gate (both models on the
    same labelled rows) first, then each metric of the challenger (logged on the validation
    rows) beside the champion's on the same rows (the ``champion.<metric>`` tags) or, where
    the run has none, the champion's holdout metric from the registry."""
    val = _validation(r.tags)
    champion_v = _int(_first(r.tags, "champion_version") or _first(val, "champion_version"))
    challenger_v = r.version if r.version is not None else _int(r.tags.get("version"))
    champion = by_version.get(champion_v) if champion_v is not None else None
    challenger = by_version.get(challenger_v) if challenger_v is not None else None
    rows = []
    gate = val.get("metric")
    if gate:
        a = _number(_first(val, "value_a", "champion", "champion_value"))
        b = _number(_first(val, "value_b", "challenger", "challenger_value"))
        diff = _number(val.get("diff"))
        if diff is None and a is not None and b is not None:
            diff = b - a
        rows.append({"metric": str(gate), "gate": True, "champion": a, "challenger": b,
                     "diff": diff, "better": _better(str(gate), diff, val.get("higher_is_better")),
                     "lower": _number(val.get("lower")), "upper": _number(val.get("upper")),
                     "margin": _number(val.get("margin")), "n": _int(val.get("n")),
                     "decision": None if val.get("decision") is None else str(val["decision"])})
    same = {k[len("champion."):]: v for k, v in r.tags.items()
            if isinstance(k, str) and k.startswith("champion.") and _number(v) is not None}
    holdout = dict(champion.metrics) if champion is not None else {}
    ours = {k: v for k, v in r.metrics.items() if _number(v) is not None}
    if not ours and challenger is not None:
        ours = dict(challenger.metrics)
    names = sorted(set(same) | set(holdout) | set(ours))
    if rows and rows[0]["champion"] is not None and rows[0]["challenger"] is not None:
        names = [n for n in names if n != gate]  # the gate's row says it already
    for name in names[:MAX_COMPARED]:
        a, b = _number(same.get(name)), _number(ours.get(name))
        source = "validation" if a is not None else None
        if a is None and (a := _number(holdout.get(name))) is not None:
            source = "holdout"
        diff = None if a is None or b is None else b - a
        rows.append({"metric": name, "gate": False, "champion": a, "challenger": b,
                     "diff": diff, "better": _better(name, diff), "decision": None,
                     "source": source})
    outcome = _first(r.tags, "outcome")
    return {"id": r.id, "name": r.name, "started": _iso(r.started_at), "status": r.status,
            "champion": champion_v, "challenger": challenger_v, "decision_id": r.decision_id,
            "outcome": None if outcome is None else str(outcome),
            "reason": None if val.get("reason") is None else str(val["reason"]), "rows": rows,
            "hidden": max(0, len(names) - MAX_COMPARED)}


def _better(metric: str, diff: float | None, higher: Any = None) -> bool | None:
    """Whether the challenger's difference is an improvement (``None`` when equal or unknown)."""
    if diff is None or diff == 0:
        return None
    up = higher if isinstance(higher, bool) else _up(metric)
    return (diff > 0) == up
