"""A short simulated history in a real store, for the built-in UI's browser tests, its
screenshots and the demo: traffic with latencies, late labels, hourly monitoring windows,
decisions, retrains (promoted, deferred, rejected), a rollback, alerts and service samples.

Everything but the service samples goes through the real code paths (registry, store, monitor,
policy, retraining in its own process, alert routing) while a simulated clock moves hour by hour;
the store stamps its records with that clock (:meth:`driftline.store.Store.now`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

    from driftline.alerts import AlertRouter, Event
    from driftline.config import Project
    from driftline.policy import SimulatedClock
    from driftline.registry import Registry

__all__ = ["simulate_history"]

MODEL = "credit"
_HOUR = timedelta(hours=1)
_SAMPLE_EVERY = timedelta(minutes=5)
_REPLICAS = ("serve-a:8101", "serve-b:8102")
_LABEL_SHARE = 0.6  # loans whose outcome is known (their first payment fell due)

TRAIN_CODE = '''"""The credit model: scaled numeric columns and one-hot categories into a logistic
regression, trained on the most recent ``recent_rows`` rows (a sliding training window; rows
arrive oldest first: the reference, then the logged rows in time order)."""
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CATEGORICAL = ["region", "purpose"]


def train(data, *, previous=None, params):
    recent = int(params.get("recent_rows", 0)) or len(data.y)
    X, y = data.X.tail(recent), data.y.tail(recent)
    numeric = [c for c in X.columns if c not in CATEGORICAL]
    prep = ColumnTransformer([("num", StandardScaler(), numeric),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)])
    clf = LogisticRegression(C=params.get("C", 1.0), max_iter=1000)
    return Pipeline([("prep", prep), ("clf", clf)]).fit(X, y)


def train_baseline(data, *, previous=None, params):
    """A majority-class baseline someone tried once (validation rejects it)."""
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="prior").fit(data.X, data.y)
'''


@dataclass(frozen=True)
class _Plan:
    """When things happen: hour ``k`` covers ``[start + k h, start + (k+1) h)``; the loop
    turns ``delta`` after each hour's end; the hour in progress at ``end`` is logged only."""

    hours: int
    rows_per_hour: int
    seed: int
    n_features: int
    end: datetime

    @property
    def top(self) -> datetime:
        return self.end.replace(minute=0, second=0, microsecond=0)

    @property
    def start(self) -> datetime:
        return self.top - self.hours * _HOUR

    @property
    def delta(self) -> timedelta:
        return min(timedelta(minutes=5), (self.end - self.top) / 2)

    def turn_at(self, k: int) -> datetime:
        return self.start + (k + 1) * _HOUR + self.delta

    @property
    def drift_from(self) -> int:  # the first hour with covariate drift and the concept change
        return max(1, round(0.4 * self.hours))

    @property
    def experiment_at(self) -> int:  # the last stable turn: the baseline experiment follows it
        return max(2, self.drift_from - 1)

    @property
    def incident(self) -> int:  # the hour with 5xx errors, slow requests and a webhook outage
        return round(0.65 * self.hours)

    @property
    def rollback_from(self) -> int:
        return round(0.8 * self.hours)

    def labelled(self, k: int) -> bool:  # labels arrive for all but the last two hours
        return k < self.hours - 2


@dataclass
class _Sim:
    plan: _Plan
    project: Project
    registry: Registry
    clock: SimulatedClock
    traffic: pd.DataFrame
    routers: dict[str, AlertRouter]
    logged_until: datetime
    served: list[pd.DataFrame] = field(default_factory=list)
    models: dict[int, Any] = field(default_factory=dict)
    promoted: list[int] = field(default_factory=list)  # versions the loop promoted
    rolled_back: tuple[int, int, int] | None = None  # (turn, version back to, version from)


class _Inbox:
    """An in-process alert sink that keeps what it is sent (a chat channel's stand-in)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def send(self, events: Any) -> None:
        self.events.extend(events)


def simulate_history(folder: str | Path, *, hours: int = 24, rows_per_hour: int = 240,
                     seed: int = 0, store_url: str | None = None,
                     n_features: int | None = None, end: datetime | None = None) -> Path:
    """Write a project into ``folder``, and fill its store with ``hours`` of simulated history
    ending now; return the project file's path.

    The project is the credit model (:func:`make_credit_frames`) with a training function in
    ``credit_model.py``, hourly monitoring windows and a policy that retrains on persistent
    data drift or degraded ROC AUC (3 h cooldown). Its SQLite store ``driftline.db`` sits in
    the folder unless ``store_url`` names another (e.g. PostgreSQL). The history:

    - version 1 trained and promoted just before the first hour;
    - ``rows_per_hour`` predictions an hour, with latencies (lognormal around 8 ms, with
      spikes), logged by the champion of the time, until now; labels for about 60% of them,
      arriving within the hour, except for the last two hours;
    - stable traffic first; from 40% of the period covariate drift and a concept change (the
      labels flip), so drift shows and realized performance drops;
    - the loop run after every hour on a simulated clock: one monitoring result per hour,
      a decision per turn, retrains in a separate process validated against the champion
      (deferred while inconclusive, promoted when better); each turn's events routed as
      alerts to an in-process chat sink, plus a webhook that fails during one hour;
    - a majority-class baseline tried after the last stable hour, rejected by validation
      (its alert stored unrouted); from 80% of the period, after a promotion by the loop, a
      rollback to the previous champion and, an hour later, the re-promotion (unless the
      loop has promoted another version meanwhile);
    - samples of two serving replicas every 5 minutes, with request counts that follow the
      logged traffic, a few 4xx and, during one hour, 5xx errors.

    ``n_features`` adds that many numeric columns ``x01``, ``x02``, ... (about a third of them
    drifting), so the model has ``n_features + 6`` features. ``end`` is when the history ends
    (now by default); the same ``end`` and ``seed`` give the same history.

    Examples
    --------
    >>> import tempfile
    >>> from driftline.store import Store
    >>> folder = Path(tempfile.mkdtemp())
    >>> path = simulate_history(folder, hours=4, rows_per_hour=120)
    >>> path.name, sorted(p.name for p in folder.glob("*.*"))
    ('driftline.yaml', ['credit_model.py', 'driftline.db', 'driftline.yaml', 'reference.csv'])
    >>> store = Store.open(f"sqlite:///{folder / 'driftline.db'}")
    >>> len(store.window_summaries("credit")), len(store.decisions("credit")) >= 4
    (4, True)
    >>> len(store.service_samples()) >= 2 * 4 * 12
    True
    """
    _check(hours, "hours", 1, 24 * 90)
    _check(rows_per_hour, "rows_per_hour", 50, 100_000)
    _check(seed, "seed", 0, 2**31)
    if n_features is not None:
        _check(n_features, "n_features", 1, 999)
    plan = _Plan(hours, rows_per_hour, seed, n_features or 0, end or datetime.now(timezone.utc))
    path = _write_project(Path(folder), plan, store_url)
    sim = _start(plan, path)
    try:
        _run(sim)
        _service_samples(sim)
    finally:
        sim.registry.store.close()
    return path


def _check(value: Any, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise ParameterError.invalid(name, value, f"a whole number from {low} to {high}")


def _write_project(folder: Path, plan: _Plan, store_url: str | None) -> Path:
    path = folder / "driftline.yaml"
    if path.exists():
        raise ParameterError.invalid("folder", str(folder), "a folder without a driftline.yaml",
                                     "Pass a new or empty folder: the history is written once.")
    folder.mkdir(parents=True, exist_ok=True)
    reference = _frame(max(2_000, 8 * plan.rows_per_hour), False, plan.seed * 7919 + 1, plan)
    reference.to_csv(folder / "reference.csv", index=False)
    (folder / "credit_model.py").write_text(TRAIN_CODE)
    r = plan.rows_per_hour
    path.write_text(textwrap.dedent(f"""\
        version: 1
        store: {{url: "{store_url or 'sqlite:///driftline.db'}"}}
        model: {{name: {MODEL}, task: binary, target: default}}
        training:
          function: "credit_model:train"
          params: {{C: 0.5, recent_rows: {round(2.5 * r)}}}
          seed: {plan.seed}
        reference: {{path: reference.csv, holdout_fraction: 0.25}}
        monitoring: {{window: {{time: 1h}}, min_rows: {min(200, r // 2)}, min_labels: {min(100, r // 4)}}}
        policies:
          cooldown: 3h
          min_rows: {min(200, r)}
          triggers:
            - {{type: on_demand}}
            - {{type: on_data_drift, persistence: [2, 3]}}
            - {{type: on_performance_degradation, metric: roc_auc, max_drop: 0.15, relative: true,
               persistence: [2, 3], min_coverage: 0.3}}
        """))
    return path


def _frame(n: int, drift: bool, seed: int, plan: _Plan) -> pd.DataFrame:
    """Credit applications (the model's score left out), with the extra columns."""
    from driftline.datasets._credit import make_credit_frames

    _, frame = make_credit_frames(10, n, drift=drift, seed=seed)
    frame = frame.drop(columns=["score"])
    if not plan.n_features:
        return frame
    rng = np.random.default_rng(seed + 1)
    width = max(2, len(str(plan.n_features)))
    extra = {}
    for j in range(1, plan.n_features + 1):
        x = rng.normal(0.0, 1.0, n)
        if drift and j % 3 == 1:  # a third drift, by different amounts (within the range
            x = x * 1.05 + 0.06 * (j % 7 + 1)  # the reference saw: the quality gate stays open)
        extra[f"x{j:0{width}d}"] = x.round(4)
    import pandas as pd

    return pd.concat([frame.drop(columns=["default"]), pd.DataFrame(extra),
                      frame[["default"]]], axis=1)


def _traffic(plan: _Plan) -> pd.DataFrame:
    """Every request of the period: features, label, time, latency, id, whether labelled."""
    import pandas as pd

    rng = np.random.default_rng(plan.seed)
    parts = []
    for k in range(plan.hours + 1):  # the last is the hour in progress
        t0 = plan.start + k * _HOUR
        span = min(_HOUR, plan.end - t0)
        n = round(plan.rows_per_hour * span / _HOUR)
        if n == 0:
            continue
        drift = k >= plan.drift_from
        frame = _frame(n, drift, plan.seed * 7919 + 100 + k, plan)
        if drift:  # the concept change: the link between the features and default inverts
            frame["default"] = 1 - frame["default"]
        offsets = np.sort(rng.uniform(0.0, span.total_seconds(), n))
        latency = rng.lognormal(np.log(8.0), 0.35, n)
        spikes = rng.random(n) < 0.015
        latency[spikes] *= rng.uniform(4.0, 12.0, int(spikes.sum()))
        if k == plan.incident:
            latency *= 1.8
        parts.append(frame.assign(
            ts=[t0 + timedelta(seconds=float(s)) for s in offsets], hour=k,
            latency_ms=latency.round(3), replica=rng.choice(len(_REPLICAS), n, p=[0.55, 0.45]),
            labelled=plan.labelled(k) & (rng.random(n) < _LABEL_SHARE)))
    out = pd.concat(parts, ignore_index=True)
    out["id"] = [f"req-{i:07d}" for i in range(len(out))]
    return out


def _start(plan: _Plan, path: Path) -> _Sim:
    """Load the project, set the store's clock, and train and promote version 1."""
    from driftline.alerts import AlertRouter, WebhookSink
    from driftline.config import load_project
    from driftline.policy import SimulatedClock
    from driftline.retrain import open_registry, register

    project = load_project(path)
    registry = open_registry(project)
    store = registry.store
    clock = SimulatedClock(plan.start - timedelta(minutes=30))
    store.clock = clock.now
    if store.add_model(MODEL, "binary") and store.versions(MODEL):
        store.close()
        raise ParameterError.invalid("store_url", project.store_url, "a store without a "
                                     f"{MODEL!r} model", "Pass a fresh database.")
    clock.advance(timedelta(minutes=5))
    register(project, promote=True, trigger="initial", store=store)
    chat = _Inbox()
    cooldown = timedelta(hours=2)
    routers = {"chat": AlertRouter({"chat": chat}, cooldown=cooldown, clock=clock.now),
               "outage": AlertRouter({"chat": chat, "webhook": WebhookSink(
                   "http://127.0.0.1:9/hook", retries=0, timeout=1.0)},
                   cooldown=cooldown, clock=clock.now)}
    return _Sim(plan, project, registry, clock, _traffic(plan), routers, plan.start)


def _run(sim: _Sim) -> None:
    """Hour by hour: log the traffic, let the labels arrive, turn the loop, act."""
    from driftline.monitor import monitor_project

    plan = sim.plan
    for k in range(plan.hours):
        at = plan.turn_at(k)
        _log_until(sim, at)
        if plan.labelled(k):
            sim.clock.set(at - plan.delta / 2)
            rows = sim.traffic[(sim.traffic["hour"] == k) & sim.traffic["labelled"]]
            sim.registry.store.add_feedback(MODEL, list(rows["id"]),
                                            [int(v) for v in rows["default"]])
        sim.clock.set(at)
        _turn(sim, k)
        _act(sim, k)
    _log_until(sim, plan.end + timedelta(microseconds=1))
    sim.clock.set(plan.end)
    monitor_project(sim.project, registry=sim.registry, until=plan.end)  # windows still open


def _turn(sim: _Sim, k: int) -> None:
    from driftline.retrain import run_loop_once
    from driftline.worker._alerts import deliver, events_of_turn

    result = run_loop_once(sim.project, registry=sim.registry, clock=sim.clock)
    retrain = result.get("retrain") or {}
    if retrain.get("outcome") == "promoted":
        sim.promoted.append(int(retrain["version"]))
    plan = sim.plan
    router = sim.routers["outage" if k == plan.incident else "chat"]
    deliver(sim.registry.store, MODEL, router, events_of_turn(MODEL, result, sim.clock.now()))


def _act(sim: _Sim, k: int) -> None:
    """What people did: try a baseline, roll back after the loop's promotion, re-promote."""
    from driftline.retrain import retrain

    plan, registry = sim.plan, sim.registry
    later = min(timedelta(minutes=10), (plan.end - sim.clock.now()) / 2)
    champion = registry.champion(MODEL)
    assert champion is not None
    if k == plan.experiment_at and k < plan.hours:
        _at(sim, later)
        cfg = sim.project.config
        training = cfg.training.model_copy(update={"function": "credit_model:train_baseline"})
        baseline = replace(sim.project, config=cfg.model_copy(update={"training": training}))
        outcome = retrain(baseline, registry=registry, trigger="experiment")
        from driftline.worker._alerts import deliver, events_of_turn

        # experiments have no alert route: stored with the status "no route"
        deliver(registry.store, MODEL, None, events_of_turn(MODEL, {"retrain": outcome.to_dict()},
                                                            sim.clock.now()))
    elif (sim.rolled_back is None and sim.promoted and champion.version == sim.promoted[-1]
          and plan.rollback_from <= k < plan.hours - 1):
        _at(sim, later)
        back = registry.rollback(MODEL, reason="rollback: the risk team asked for the previous "
                                               "model while they review the new one")
        sim.rolled_back = (k, back.version, champion.version)
    elif sim.rolled_back is not None and k == sim.rolled_back[0] + 1:
        _, back_to, version = sim.rolled_back
        if champion.version == back_to:  # the loop has not replaced it meanwhile
            _at(sim, later)
            registry.promote(MODEL, version, reason="re-promoted: the risk team's review passed")


def _at(sim: _Sim, later: timedelta) -> None:
    """Move the clock on by ``later``, logging the traffic served meanwhile."""
    when = sim.clock.now() + later
    _log_until(sim, when)
    sim.clock.set(when)


def _log_until(sim: _Sim, until: datetime) -> None:
    """Log the requests in ``[logged_until, until)``, predicted by the current champion."""
    import pandas as pd

    t = sim.traffic
    rows = t[(t["ts"] >= sim.logged_until) & (t["ts"] < until)]
    sim.logged_until = until
    if not len(rows):
        return
    champion = sim.registry.champion(MODEL)
    assert champion is not None
    if champion.version not in sim.models:
        sim.models[champion.version] = sim.registry.load(champion)
    model = sim.models[champion.version]
    X = rows[list(champion.features)].reset_index(drop=True)
    proba = np.asarray(model.predict_proba(X), dtype=float)
    scores = pd.DataFrame({str(c): proba[:, j] for j, c in enumerate(model.classes_)})
    sim.registry.store.log_predictions(
        MODEL, X, predictions=np.asarray(model.predict(X)), version=champion.version,
        ids=list(rows["id"]), timestamps=list(rows["ts"]), scores=scores,
        latency_ms=rows["latency_ms"].tolist())
    sim.served.append(rows[["ts", "replica"]].assign(version=champion.version))


def _service_samples(sim: _Sim) -> None:
    """Every 5 minutes, a sample of each replica: machine, process and cumulative request
    counts by version and status class (2xx from the log, plus some 4xx and 5xx)."""
    import pandas as pd

    plan = sim.plan
    rng = np.random.default_rng(plan.seed + 17)
    served = pd.concat(sim.served, ignore_index=True).assign(code="2xx")
    n4 = rng.poisson(0.004 * len(served) + 1)
    errors = [served.sample(n4, random_state=plan.seed).assign(code="4xx")]
    incident = served[(served["ts"] >= plan.start + plan.incident * _HOUR)
                      & (served["ts"] < plan.start + (plan.incident + 1) * _HOUR)]
    if len(incident):
        bad = incident.sample(frac=0.08, random_state=plan.seed).assign(code="5xx")
        errors.append(bad.assign(replica=np.where(rng.random(len(bad)) < 0.8, 0, 1)))
    requests = pd.concat([served, *errors], ignore_index=True)
    secs = np.array([t.timestamp() for t in requests["ts"]])
    times = []
    when = plan.start
    while when <= plan.end:
        times.append(when)
        when += _SAMPLE_EVERY
    edges = np.array([t.timestamp() for t in times])
    for r, replica in enumerate(_REPLICAS):
        mine = (requests["replica"] == r).to_numpy()
        series = {key: np.searchsorted(np.sort(secs[mine & idx]), edges, side="right")
                  for key, idx in _groups(requests, mine).items()}
        total = sum(series.values()) if series else np.zeros(len(edges))
        recent = np.diff(np.concatenate([[0], total]))
        for i, at in enumerate(times):
            counts = [[MODEL, str(v), c, float(s[i])] for (v, c), s in sorted(series.items())
                      if s[i] > 0]
            payload = _machine(rng, recent[i] / (plan.rows_per_hour / 12), r, at, plan)
            sim.registry.store.add_service_sample(replica, {**payload, "requests": counts}, at=at)


def _groups(requests: pd.DataFrame, mine: np.ndarray) -> dict[tuple[int, str], np.ndarray]:
    keys = requests.loc[mine, ["version", "code"]].drop_duplicates().itertuples(index=False)
    return {(int(v), str(c)): ((requests["version"] == v) & (requests["code"] == c)).to_numpy()
            for v, c in keys}


def _machine(rng: np.random.Generator, load: float, replica: int, at: datetime,
             plan: _Plan) -> dict[str, Any]:
    """Host and process figures of a replica that carries ``load`` (1 = an average share)."""
    gib = float(2**30)
    busy = at >= plan.start + plan.incident * _HOUR and at < plan.start + (plan.incident + 1) * _HOUR
    cpu = float(np.clip(0.08 + 0.22 * load + (0.25 if busy else 0.0) + rng.normal(0, 0.03), 0, 1))
    hours = (at - plan.start) / _HOUR
    return {"cpu": round(cpu, 4), "memory_used": round((3.1 + 0.3 * replica) * gib
                                                       + rng.normal(0, 0.05) * gib),
            "memory_total": 8 * gib, "process_cpu": round(cpu * 0.55, 4),
            "process_rss": round((290 + 40 * replica + 1.5 * hours) * 2**20
                                 + rng.normal(0, 3) * 2**20),
            "inflight": float(rng.poisson(0.4 * load + (2.0 if busy else 0.0))), "gpus": []}
