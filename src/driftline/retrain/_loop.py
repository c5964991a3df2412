"""The continuous-learning loop: monitor → decide → retrain → validate → promote or reject.

Every step leaves a stored trace: window results, a :class:`~driftline.policy.Decision` for
every evaluation (acting or not, with its reasons), the training run, the challenger version,
the validation, and the promotion or rejection as a decision and an event.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import DataError, ParameterError

_log = logging.getLogger(__name__)

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
    return _decide(project, registry, clock=clock, demand=demand)[0]


def _decide(project: Project, registry: Registry, *, clock: Clock | None = None,
            demand: str | None = None) -> tuple[Decision, int]:
    """:func:`decide`, also returning the stored decision's id."""
    from driftline.policy import SystemClock, policy_from_config

    clock = clock or SystemClock()
    ctx = policy_context(project, registry, clock.now(), demand=demand)
    decision = policy_from_config(project.config).decide(ctx)
    payload = decision.to_dict()
    asked = [e for e in registry.store.events(project.config.model.name)
             if e["kind"] == "retrain_requested"]
    if ctx.demand is not None and asked:
        payload["consumed_event"] = asked[-1]["id"]
    decision_id = registry.store.add_decision(project.config.model.name, payload)
    return decision, decision_id


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
            epoch: int | None = None, decision_id: int | None = None) -> RetrainOutcome:
    """Train a challenger, validate it against the champion on the same recent labelled rows
    that neither trained on, and promote it (``promote="auto"``), keep it for approval
    (``"manual"``), or reject and archive it, storing the decision and an event.

    Every retrain that trains is a tracked run (kind ``retrain``, :mod:`driftline.tracking`)
    linked to the version it produced and to ``decision_id``, the policy decision that caused
    it: its params, the challenger's full metric set on the validation rows, the champion's
    as ``champion.<metric>`` tags, and the validation verdict as ``validation.*`` tags.

    Stateless training uses the reference data plus the older labelled log; stateful training
    continues the champion on the labelled rows logged since it was trained. With
    ``training.tuning`` in the project file, hyperparameters are tuned first
    (:func:`~driftline.retrain.tune_params`: a study nested in the retrain's run, each trial
    trained like the final one) and the best, merged over ``training.params``, train the
    challenger and are recorded as its version's params. Training runs in
    a separate process (:func:`run_training`), niced and single-threaded by default
    (``training.nice``, ``training.threads``, ``training.timeout`` in the project file).

    Examples
    --------
    >>> retrain.__name__  # end to end in tests/loop/test_retrain_loop.py (trains real models)
    'retrain'
    """
    from driftline.retrain._register import open_registry

    if mode not in MODES:
        raise ParameterError.choice("mode", mode, MODES)
    if promote not in ("auto", "manual"):
        raise ParameterError.choice("promote", promote, ("auto", "manual"))
    cfg = project.config
    name, target = cfg.model.name, cfg.model.target
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
    from driftline.tracking import track

    tags = {"trigger": trigger, "mode": mode, "champion_version": champion.version}
    with track(name, run_name=f"retrain ({trigger}, {mode})", kind="retrain", store=store,
               params=dict(cfg.training.params), tags=tags) as tracked:
        if decision_id is not None:
            tracked.link(decision_id=decision_id)
        outcome = _train_and_conclude(project, registry, champion, tracked, logged, validation,
                                      older, mode, trigger, promote, margin, nice, threads,
                                      timeout, epoch)
        tracked.set_tag("outcome", outcome.outcome)
        return outcome


def _train_and_conclude(project: Project, registry: Registry, champion: ModelVersion,
                        tracked: Any, logged: pd.DataFrame, validation: pd.DataFrame,
                        older: pd.DataFrame, mode: str, trigger: str, promote: str,
                        margin: float, nice: int | None, threads: int | None,
                        timeout: float | None, epoch: int | None) -> RetrainOutcome:
    from driftline.metrics import paired_bootstrap
    from driftline.registry import TrainingData
    from driftline.retrain._register import register
    from driftline.retrain._runner import run_training

    cfg = project.config
    name, target, task = cfg.model.name, cfg.model.target, cfg.model.task
    store = registry.store
    features = champion.features
    n_val = len(validation)
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

        nice = cfg.training.nice if nice is None else nice
        threads = cfg.training.threads if threads is None else threads
        timeout = parse_duration(cfg.training.timeout) if timeout is None else timeout
        params = dict(cfg.training.params)
        if cfg.training.tuning is not None:
            params = _tune(project, tracked, spec, train_part, previous, mode, nice, threads,
                           timeout)
            project = _with_params(project, params)  # the version records what trained it
        from driftline.config._compute import client_for

        run = run_training(spec, project.base_dir, train_part, previous_artifact=previous,
                           params=params, seed=cfg.training.seed, mode=mode, nice=nice,
                           threads=threads, timeout=timeout, client=client_for(cfg.compute))
        result = register(project, model=run.model, data=frame.reset_index(drop=True),
                          trigger=trigger, store=store)
        challenger = result.version
        assert challenger is not None
    except Exception as exc:
        store.add_event(name, "retrain_failed", {"mode": mode, "error": str(exc)[:500]})
        raise
    store.add_event(name, "retrain_finished", {"mode": mode, "version": challenger.version,
                                               "duration_s": run.duration_s})
    from driftline.retrain._register import _artifact_bytes

    tracked.link(version=challenger.version, artifact=_artifact_bytes(registry, challenger))
    verdict = _validate(registry, champion, challenger, run.model, validation, task, target,
                        margin, paired_bootstrap)
    _track_validation(tracked, registry, champion, run.model, validation, task, target, verdict)
    return _conclude(registry, name, challenger, verdict, promote, trigger, mode, run, epoch)


def _tune(project: Project, tracked: Any, spec: str, data: Any, previous: Any, mode: str,
          nice: int, threads: int, timeout: float) -> dict[str, Any]:
    """``training.tuning``: a study nested in the retrain's run, its trials trained in one
    separate process like :func:`run_training`'s (niced, thread-capped, each trial within
    ``timeout`` and what is left of the tuning's own budget); returns the best params merged
    over ``training.params``."""
    import time

    from driftline.config import parse_duration
    from driftline.retrain._runner import TrainingError
    from driftline.retrain._search_space import SearchSpace
    from driftline.retrain._trial_process import _TrialProcess
    from driftline.retrain._tuners import make_tuner
    from driftline.retrain._tuning import tune_params

    cfg = project.config
    tuning = cfg.training.tuning
    assert tuning is not None
    budget = None if tuning.timeout is None else parse_duration(tuning.timeout)
    deadline = None if budget is None else time.monotonic() + budget
    space = SearchSpace.from_dict({k: v.to_spec() for k, v in tuning.space.items()})
    tuner = make_tuner(tuning.tuner, seed=cfg.training.seed)
    with _TrialProcess(spec, project.base_dir, previous=previous, seed=cfg.training.seed,
                       mode=mode, nice=nice, threads=threads) as trainer:

        def fit(part: Any, params: dict[str, Any]) -> Any:
            limit = timeout if deadline is None else min(timeout, deadline - time.monotonic())
            if limit <= 0:
                raise TrainingError("the tuning budget (training.tuning.timeout="
                                    f"{tuning.timeout}) ran out before this trial")
            return trainer.fit(part, params, timeout=limit)

        result = tune_params(fit, data, space, parent=tracked, task=cfg.model.task,
                             metric=tuning.metric, direction=tuning.direction,
                             n_trials=tuning.trials, timeout=budget, tuner=tuner,
                             base_params=cfg.training.params,
                             validation_fraction=tuning.validation_fraction,
                             seed=cfg.training.seed)
    params = {**dict(cfg.training.params), **result.best_params}
    tracked.log_params(params)
    tracked.set_tags({"tuning.study": result.study_id, "tuning.metric": result.metric,
                      "tuning.best_value": result.best_value})
    return params


def _with_params(project: Project, params: dict[str, Any]) -> Project:
    """``project`` with ``training.params`` replaced (frozen configs are copied)."""
    import dataclasses

    cfg = project.config
    training = cfg.training.model_copy(update={"params": dict(params)})
    return dataclasses.replace(project, config=cfg.model_copy(update={"training": training}))


def _track_validation(tracked: Any, registry: Registry, champion: ModelVersion, model: Any,
                      rows: pd.DataFrame, task: str, target: str, verdict: Any) -> None:
    """The challenger's full metric set on the validation rows, the champion's beside it, and
    the verdict, on the retrain's tracked run."""
    from driftline.tracking import evaluate_model

    X, y = rows[list(champion.features)], rows[target].to_numpy()
    try:  # the verdict stands without the extra metrics: a failure here only leaves a gap
        tracked.evaluate(model, X, y, task=task)
        old = evaluate_model(registry.load(champion), X, y, task=task)
        tracked.set_tags({f"champion.{k}": v for k, v in old.metrics.items()})
    except Exception:
        _log.warning("could not evaluate the retrain's models for its tracked run",
                     exc_info=True)
    v = verdict.to_dict() if hasattr(verdict, "to_dict") else dict(verdict)
    tracked.set_tags({f"validation.{k}": v[k] for k in
                      ("metric", "value_a", "value_b", "lower", "upper", "margin", "n", "decision")
                      if k in v})


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
    results = monitor_project(project, registry=registry, epoch=epoch)
    watch = watch_feedback(project, registry=registry, epoch=epoch)
    decision, decision_id = _decide(project, registry, clock=clock, demand=demand)
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
                          trigger=decision.trigger or "policy", epoch=epoch,
                          decision_id=decision_id)
        out["retrain"] = outcome.to_dict()
    return out
