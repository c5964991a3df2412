"""The continuous-learning loop: monitor → decide → retrain → validate → promote or reject.

Every step leaves a stored trace: window results, a :class:`~driftline.policy.Decision` for
every evaluation (acting or not, with its reasons), the training run, the challenger version,
the validation, and the promotion or rejection as a decision and an event.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import DataError, ParameterError

if TYPE_CHECKING:
    import pandas as pd

    from driftline.config import Project
    from driftline.policy import Clock, Decision, PolicyContext, WindowSummary
    from driftline.registry import ModelVersion, Registry

__all__ = ["RetrainOutcome", "decide", "policy_context", "retrain", "run_loop_once",
           "window_summaries"]

MODES = ("stateless", "stateful")
# Metrics compared in validation, per task: (name, uses scores).
_VALIDATION_METRIC = {"binary": ("roc_auc", True), "multiclass": ("accuracy", False),
                      "regression": ("rmse", False)}


def _utc(v: Any) -> datetime | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return v if v.tzinfo is not None else v.replace(tzinfo=timezone.utc)


def window_summaries(registry: Registry, model: str, *, limit: int = 24) -> list[WindowSummary]:
    """The latest stored window results as the policies read them, oldest first.

    Examples
    --------
    >>> from driftline.registry import Registry
    >>> from driftline.store import Store
    >>> reg = Registry(Store.open("sqlite://"), ".")
    >>> _ = reg.store.add_model("m", "binary")
    >>> _ = reg.store.add_monitor_result("m", {"end": "2026-01-01T00:00:00+00:00", "n_rows": 500,
    ...                                        "dataset_drift": True, "drifted_features": ["x"]})
    >>> [(w.n_rows, w.dataset_drift, w.drifted_features) for w in window_summaries(reg, "m")]
    [(500, True, ('x',))]
    """
    from driftline.policy import WindowSummary

    out = []
    for row in registry.store.monitor_results(model, limit=limit):
        r = row["result"]
        end = _utc(row["window_end"]) or _utc(r.get("end")) or datetime.now(timezone.utc)
        perf = {k: float(v) for k, v in (r.get("performance") or {}).items()
                if isinstance(v, (int, float))}
        out.append(WindowSummary(
            end=end, n_rows=int(r.get("n_rows", 0)),
            dataset_drift=None if r.get("too_small") else r.get("dataset_drift"),
            drift_share=r.get("drift_share"), drifted_features=tuple(r.get("drifted_features", ())),
            performance=perf, label_coverage=float(r.get("label_coverage", 0.0)),
            quality_ok=bool(r.get("quality_ok", True)),
            quality_problems=tuple(r.get("quality_problems", ())),
            n_features=len(r.get("features", {})) or None,
            estimated_performance={k: float(v) for k, v in
                                   ((r.get("estimated") or {}).get("metrics") or {}).items()
                                   if isinstance(v, (int, float))},
            multivariate_drift=tuple(k for k, v in (r.get("multivariate") or {}).items()
                                     if (v or {}).get("drifted"))))
    return out


def policy_context(project: Project, registry: Registry, now: datetime, *,
                   demand: str | None = None) -> PolicyContext:
    """What the policy needs to know about a model now.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from datetime import datetime, timezone
    >>> from driftline.config import load_project
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> project = load_project(d / "driftline.yaml", check_files=False)
    >>> from driftline.retrain import open_registry
    >>> reg = open_registry(project)
    >>> _ = reg.store.add_model("m", "binary")
    >>> ctx = policy_context(project, reg, datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> ctx.champion_version, ctx.labelled_rows_since_training, ctx.retrain_running
    (None, 0, False)
    """
    from driftline.policy import PolicyContext

    name = project.config.model.name
    store = registry.store
    champion = registry.champion(name)
    promoted_at = None
    for h in registry.history(name):
        if champion is not None and h.stage == "champion" and h.version == champion.version:
            promoted_at = _utc(h.at)
    trained_at = None if champion is None else _utc(champion.created_at)
    log = store.read_window(name, start=trained_at)
    labelled = int(log["label"].notna().sum()) if len(log) else 0
    decisions = store.decisions(name, limit=50)
    last_retrain = max((_utc(d["at"]) for d in decisions if d["action"] == "retrain"),
                       default=None)
    events = store.events(name)
    started = [e for e in events if e["kind"] == "retrain_started"]
    finished = [e for e in events if e["kind"] in ("retrain_finished", "retrain_failed")]
    running = bool(started) and (not finished or started[-1]["id"] > finished[-1]["id"])
    if demand is None:
        asked = [e for e in events if e["kind"] == "retrain_requested"]
        last_decision = decisions[-1]["id"] if decisions else 0
        consumed = max((d["payload"].get("consumed_event", 0) for d in decisions), default=0)
        if asked and asked[-1]["id"] > consumed and last_decision >= 0:
            demand = str(asked[-1]["payload"].get("reason") or "requested")
    from driftline.monitor import concept_drifts

    drifts = () if champion is None else tuple(concept_drifts(registry, name, champion.version))
    return PolicyContext(
        now=now, model=name, windows=tuple(window_summaries(registry, name)),
        champion_version=None if champion is None else champion.version,
        champion_promoted_at=promoted_at,
        baseline={} if champion is None else dict(champion.metrics),
        labelled_rows_since_training=labelled, last_training_at=trained_at,
        last_retrain_decision_at=last_retrain, retrain_running=running, demand=demand,
        concept_drifts=drifts)


def decide(project: Project, registry: Registry, *, clock: Clock | None = None,
           demand: str | None = None) -> Decision:
    """Evaluate the project's policy now and store the decision (whatever it is).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from driftline.config import load_project
    >>> from driftline.retrain import open_registry
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n"
    ...     "policies: {stage: 1}\\n")
    >>> project = load_project(d / "driftline.yaml", check_files=False)
    >>> reg = open_registry(project)
    >>> _ = reg.store.add_model("m", "binary")
    >>> decide(project, reg).action, decide(project, reg, demand="new data").action
    ('none', 'retrain')
    """
    from driftline.policy import SystemClock, policy_from_config

    clock = clock or SystemClock()
    ctx = policy_context(project, registry, clock.now(), demand=demand)
    decision = policy_from_config(project.config).decide(ctx)
    payload = decision.to_dict()
    asked = [e for e in registry.store.events(project.config.model.name)
             if e["kind"] == "retrain_requested"]
    if ctx.demand is not None and asked:
        payload["consumed_event"] = asked[-1]["id"]
    registry.store.add_decision(project.config.model.name, payload)
    return decision


@dataclass(frozen=True)
class RetrainOutcome:
    """What a retrain did: the challenger, its validation, and the verdict.

    Examples
    --------
    >>> RetrainOutcome("promoted", 2, "roc_auc 0.81 vs 0.78").to_dict()["outcome"]
    'promoted'
    """

    outcome: str
    version: int | None
    reason: str
    validation: dict[str, Any] | None = None
    training: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"outcome": self.outcome, "version": self.version, "reason": self.reason,
                "validation": self.validation, "training": dict(self.training)}


def _labelled_log(registry: Registry, name: str, target: str,
                  features: tuple[str, ...]) -> pd.DataFrame:
    log = registry.store.read_window(name)
    if not len(log):
        return log
    lab = log[log["label"].notna()].sort_values("ts", kind="stable")
    import pandas as pd

    y = lab["label"].to_numpy()
    with contextlib.suppress(ValueError, TypeError):  # numeric labels arrive as JSON numbers
        y = pd.to_numeric(pd.Series(y)).to_numpy()
    return lab[["ts", *features]].assign(**{target: y}).reset_index(drop=True)


def _scores(model: Any, frame: pd.DataFrame, task: str, uses_scores: bool) -> np.ndarray:
    if uses_scores and task == "binary":
        return np.asarray(model.predict_proba(frame), dtype=float)[:, 1]
    return np.asarray(model.predict(frame))


def retrain(project: Project, *, mode: str = "stateless", registry: Registry | None = None,
            trigger: str = "manual", promote: str = "auto", margin: float = 0.0,
            validation_fraction: float = 0.3, min_validation: int = 100,
            nice: int | None = None, threads: int | None = None, timeout: float | None = None,
            epoch: int | None = None) -> RetrainOutcome:
    """Train a challenger, validate it against the champion on the same recent labelled rows
    that neither trained on, and promote it (``promote="auto"``), keep it for approval
    (``"manual"``), or reject and archive it, storing the decision and an event.

    Stateless training uses the reference data plus the older labelled log; stateful training
    continues the champion on the labelled rows logged since it was trained. Training runs in
    a separate process (:func:`run_training`), niced and single-threaded by default
    (``training.nice``, ``training.threads``, ``training.timeout`` in the project file).

    Examples
    --------
    >>> retrain.__name__  # end to end in tests/loop/test_retrain_loop.py (trains real models)
    'retrain'
    """
    from driftline.metrics import paired_bootstrap
    from driftline.registry import TrainingData
    from driftline.retrain._register import open_registry, register
    from driftline.retrain._runner import run_training

    if mode not in MODES:
        raise ParameterError.choice("mode", mode, MODES)
    if promote not in ("auto", "manual"):
        raise ParameterError.choice("promote", promote, ("auto", "manual"))
    cfg = project.config
    name, target, task = cfg.model.name, cfg.model.target, cfg.model.task
    registry = registry or open_registry(project)
    store = registry.store
    champion = registry.champion(name)
    if champion is None:
        raise DataError(f"{name!r} has no champion; train and promote a first version with "
                        "`driftline train --promote`.")
    features = champion.features
    logged = _labelled_log(registry, name, target, features)
    n_val = round(len(logged) * validation_fraction)
    if n_val < min_validation:
        reason = (f"defer: {len(logged)} labelled rows give {n_val} for validation; at least "
                  f"{min_validation} are needed to compare with the champion")
        store.add_decision(name, {"model": name, "action": "defer", "trigger": trigger,
                                  "mode": mode, "reasons": [reason]})
        return RetrainOutcome("deferred", None, reason)
    validation = logged.iloc[len(logged) - n_val:]
    older = logged.iloc[: len(logged) - n_val].drop(columns=["ts"])
    store.add_event(name, "retrain_started", {"mode": mode, "trigger": trigger})
    try:
        if mode == "stateless":
            from driftline.drift._io import read_table

            ref = read_table(project.reference_path, "reference")
            frame = _concat(ref[[*features, target]], older)
        else:
            trained_at = _utc(champion.created_at)
            recent = logged[logged["ts"] > trained_at] if trained_at is not None else logged
            frame = recent.iloc[: max(0, len(recent) - n_val)].drop(columns=["ts"])
            if len(frame) < 2:
                raise DataError("no labelled rows logged since the champion was trained to "
                                "continue it on.")
        from driftline.registry import split_holdout

        data = TrainingData.from_frame(frame.reset_index(drop=True), target=target,
                                       features=list(features))
        train_part, _ = split_holdout(data, cfg.reference.holdout_fraction, seed=cfg.training.seed)
        spec = cfg.training.function or cfg.training.estimator
        assert spec is not None
        previous = registry.load(champion) if mode == "stateful" else None
        from driftline.config import parse_duration

        run = run_training(spec, project.base_dir, train_part, previous_artifact=previous,
                           params=dict(cfg.training.params), seed=cfg.training.seed, mode=mode,
                           nice=cfg.training.nice if nice is None else nice,
                           threads=cfg.training.threads if threads is None else threads,
                           timeout=parse_duration(cfg.training.timeout) if timeout is None
                           else timeout)
        result = register(project, model=run.model, data=frame.reset_index(drop=True),
                          trigger=trigger, store=store)
        challenger = result.version
        assert challenger is not None
    except Exception as exc:
        store.add_event(name, "retrain_failed", {"mode": mode, "error": str(exc)[:500]})
        raise
    store.add_event(name, "retrain_finished", {"mode": mode, "version": challenger.version,
                                               "duration_s": run.duration_s})
    verdict = _validate(registry, champion, challenger, run.model, validation, task, target,
                        margin, paired_bootstrap)
    return _conclude(registry, name, challenger, verdict, promote, trigger, mode, run, epoch)


def _concat(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    return pd.concat([a, b[a.columns]], ignore_index=True) if len(b) else a


def _validate(registry: Registry, champion: ModelVersion, challenger: ModelVersion, model: Any,
              rows: pd.DataFrame, task: str, target: str, margin: float,
              paired_bootstrap: Any) -> Any:
    metric, uses_scores = _VALIDATION_METRIC[task]
    X = rows[list(champion.features)]
    y = rows[target].to_numpy()
    old = registry.load(champion)
    a = _scores(old, X, task, uses_scores)
    b = _scores(model, X, task, uses_scores)
    classes = getattr(old, "classes_", None)
    return paired_bootstrap(metric, y, a, b, margin=margin, seed=0,
                            classes=None if uses_scores or classes is None else list(classes))


def _conclude(registry: Registry, name: str, challenger: ModelVersion, verdict: Any,
              promote: str, trigger: str, mode: str, run: Any,
              epoch: int | None = None) -> RetrainOutcome:
    store = registry.store
    v = verdict.to_dict() if hasattr(verdict, "to_dict") else dict(verdict)
    text = (f"{v.get('metric')}: challenger {v.get('value_b')} vs champion {v.get('value_a')} "
            f"on {v.get('n')} rows; difference CI [{v.get('lower')}, {v.get('upper')}], "
            f"margin {v.get('margin')}")
    decision = v.get("decision")
    base = {"model": name, "trigger": trigger, "mode": mode, "version": challenger.version,
            "validation": v, "training": run.to_dict() if hasattr(run, "to_dict") else {}}
    base["training"].pop("model", None)
    if decision == "pass" and promote == "auto":
        registry.promote(name, challenger.version, reason=f"validated: {text}", epoch=epoch)
        store.add_decision(name, {**base, "action": "promote", "reasons": [f"passed: {text}"]})
        store.add_event(name, "promoted", {"version": challenger.version, "reason": text})
        return RetrainOutcome("promoted", challenger.version, text, v, base["training"])
    if decision == "fail":
        store.set_stage(name, challenger.version, "archived", reason=f"rejected: {text}",
                        epoch=epoch)
        store.add_decision(name, {**base, "action": "reject", "reasons": [f"failed: {text}"]})
        store.add_event(name, "challenger_rejected", {"version": challenger.version,
                                                      "reason": text})
        return RetrainOutcome("rejected", challenger.version, text, v, base["training"])
    outcome = "awaiting approval" if decision == "pass" else "deferred"
    store.add_decision(name, {**base, "action": "defer" if decision != "pass" else "await",
                              "reasons": [f"{decision}: {text}"]})
    return RetrainOutcome(outcome, challenger.version, text, v, base["training"])


def run_loop_once(project: Project, *, registry: Registry | None = None,
                  clock: Clock | None = None, demand: str | None = None,
                  epoch: int | None = None) -> dict[str, Any]:
    """One turn of the loop: monitor new windows, feed the new labels' errors to the
    concept-drift detector, decide, and retrain if the policy says so.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from driftline.config import load_project
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> out = run_loop_once(load_project(d / "driftline.yaml", check_files=False))
    >>> out["windows"], out["decision"]["action"]
    (0, 'none')
    """
    from driftline.monitor import monitor_project, watch_feedback
    from driftline.retrain._register import open_registry

    registry = registry or open_registry(project)
    results = monitor_project(project, registry=registry)
    watch = watch_feedback(project, registry=registry, epoch=epoch)
    decision = decide(project, registry, clock=clock, demand=demand)
    out: dict[str, Any] = {"windows": len(results), "decision": decision.to_dict(),
                           "concept": None if watch is None else watch.to_dict(),
                           "results": [{"end": r.end, "dataset_drift": r.dataset_drift,
                                        "drifted_features": list(r.drifted_features),
                                        "n_features": len(r.features), "actions": dict(r.actions),
                                        "version": r.version} for r in results]}
    from driftline.policy import QUALITY_HOLD

    if decision.action == "hold" and any(r.startswith(QUALITY_HOLD) for r in decision.reasons):
        registry.store.add_event(project.config.model.name, "retrain_held",
                                 {"reasons": list(decision.reasons)})  # an event says why
    if decision.action == "retrain":
        outcome = retrain(project, mode=decision.mode, registry=registry,
                          trigger=decision.trigger or "policy", epoch=epoch)
        out["retrain"] = outcome.to_dict()
    return out
