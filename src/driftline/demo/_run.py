"""``driftline demo``: the four stages of continuous learning, end to end, in one command.

Each stage is its own model (``loans-stage-N``) behind one local service. Traffic goes through
HTTP the way a client's would, in five phases; labels arrive late and only for approved loans;
the loop runs after each phase on a simulated clock (an hour per phase), so scheduled retrains
happen in seconds. Everything is narrated as it happens and summed up at the end.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from driftline.datasets._loans import PHASES, loan_applications
from driftline.demo._project import StageProject, write_projects

__all__ = ["DemoResult", "run_demo"]

_WORLD = {"stable": "base", "covariate": "covariate", "prior": "prior", "concept": "concept",
          "new_data": "concept"}
_BATCH = 50


@dataclass
class DemoResult:
    """What the demo did: per stage, the phases' verdicts, the decisions and the retrains.

    Examples
    --------
    >>> DemoResult(Path("x")).to_dict()["stages"]
    {}
    """

    folder: Path
    url: str = ""
    stages: dict[int, dict[str, Any]] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)
    streams: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (written to ``demo-summary.json``)."""
        return {"folder": str(self.folder), "url": self.url, "seconds": round(self.seconds, 1),
                "stages": {str(k): v for k, v in self.stages.items()}, "reports": self.reports,
                "streams": self.streams}


class _Say:
    """Narration: lines, a live progress bar (on a terminal), and tables."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stdout.isatty()

    def __call__(self, text: str = "") -> None:
        if not self.quiet:
            print(text, flush=True)

    def progress(self, label: str, done: int, total: int) -> None:
        if self.quiet or not self.tty:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done >= total else ""
        print(f"\r    {label:<28} [{'#' * filled}{'.' * (width - filled)}] {done:>5}/{total}",
              end=end, flush=True)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
        for k, r in enumerate(cells):
            self("    " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
            if k == 0:
                self("    " + "  ".join("-" * w for w in widths))


def run_demo(out: str | Path = "demo-output", *, stages: Sequence[int] = (1, 2, 3, 4),
             fast: bool = False, keep_running: bool = False, with_prometheus: bool = False,
             port: int | None = None, quiet: bool = False,
             wait: Callable[[], None] | None = None) -> DemoResult:
    """Run the demo into ``out`` (its ``project/`` folder is recreated) and return what happened.

    Examples
    --------
    >>> run_demo.__name__  # end to end in tests/demo/test_demo.py (it trains and serves)
    'run_demo'
    """
    from driftline.errors import require

    httpx = require("httpx", extra="demo", feature="driftline demo")
    require("sklearn", extra="demo", feature="driftline demo (its model)")
    from driftline.demo._server import DemoServer, free_port, start_prometheus
    from driftline.retrain import register

    started = time.perf_counter()
    say = _Say(quiet)
    out = Path(out)
    root = out / "project"
    if root.exists():
        shutil.rmtree(root)
    rows = 300 if fast else 800
    t0 = datetime.now(timezone.utc).replace(microsecond=0)
    nightly = t0 + timedelta(hours=len(PHASES) + 0.5)
    say(f"driftline demo: a loan-default model in {len(stages)} stage(s) of continuous learning"
        f" ({'fast: ' if fast else ''}{rows} requests per phase)")
    say(f"Project folder: {root.resolve()}")
    projects = write_projects(root, list(stages), window=rows, store=root / "driftline.db",
                              nightly=nightly)
    say("\nTraining the first champion of each stage (user code in loan_model.py):")
    for p in projects:
        version = register(p.path, promote=True).version
        assert version is not None  # the first version is always registered and promoted
        say(f"    {p.name}: v{version.version}, holdout ROC AUC "
            f"{_fmt(version.metrics.get('roc_auc'))}")
    port = port or free_port()
    server = DemoServer([p.path for p in projects], port).start()
    result = DemoResult(out.resolve(), server.url)
    say(f"\nServing on {server.url} (predict, feedback, /metrics, dashboards at {server.url}/ui/)")
    prometheus = None
    if with_prometheus:
        prometheus = start_prometheus(root / "prometheus", f"127.0.0.1:{port}")
        say(f"Prometheus: {prometheus[1]} (scraping the demo, alert rules loaded)" if prometheus
            else "Prometheus: not installed (apt-get install prometheus); skipped")
    try:
        with httpx.Client(base_url=server.url, timeout=60.0) as client:
            for p in projects:
                result.stages[p.stage] = _stage(p, client, rows, t0, nightly, say, result,
                                                first=p is projects[0])
        from driftline.demo._streams import run_streams

        result.streams = run_streams(say, fast=fast)
        result.seconds = time.perf_counter() - started
        _summary(result, projects, say, keep_running)
        (out / "demo-summary.json").write_text(json.dumps(result.to_dict(), indent=2, default=str))
        if keep_running:
            say("\n--keep-running: the service stays up; press Ctrl-C to stop.")
            (wait or _forever)()
    finally:
        server.stop()
        if prometheus is not None:
            prometheus[0].terminate()
            prometheus[0].wait(30)
    return result


def _forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def _send(client: Any, name: str, frame: Any, ids: list[str], say: _Say, label: str
          ) -> tuple[np.ndarray, np.ndarray]:
    """Predict every row through ``POST /v1/models/NAME/predict``; predictions and scores.
    Only the model's inputs are sent (``GET /v2/models/NAME`` lists them)."""
    inputs = [i["name"] for i in client.get(f"/v2/models/{name}").json()["inputs"]]
    records = frame[inputs].to_dict("records")
    preds: list[Any] = []
    scores: list[float] = []
    for start in range(0, len(records), _BATCH):
        body = {"instances": records[start:start + _BATCH], "ids": ids[start:start + _BATCH]}
        r = client.post(f"/v1/models/{name}/predict", json=body)
        r.raise_for_status()
        got = r.json()
        preds.extend(got["predictions"])
        scores.extend(float(s.get("1", s.get(1, 0.0))) for s in got["scores"] or [])
        say.progress(label, min(start + _BATCH, len(records)), len(records))
    return np.asarray(preds), np.asarray(scores)


def _feedback(client: Any, name: str, ids: list[str], labels: Sequence[Any]) -> None:
    for start in range(0, len(ids), 500):
        body = {"feedback": [{"id": i, "label": int(y)} for i, y in
                             zip(ids[start:start + 500], labels[start:start + 500], strict=True)]}
        client.post(f"/v1/models/{name}/feedback", json=body).raise_for_status()


def _stage(p: StageProject, client: Any, rows: int, t0: datetime, nightly: datetime, say: _Say,
           result: DemoResult, *, first: bool) -> dict[str, Any]:
    from driftline.config import load_project
    from driftline.policy import SimulatedClock
    from driftline.retrain import open_registry, run_loop_once

    say(f"\n=== Stage {p.stage}: {p.title} ({p.name}) ===")
    project = load_project(p.path)
    registry = open_registry(project)
    clock = SimulatedClock(t0)
    seen: dict[str, list[Any]] = {"scores": [], "labelled": []}
    phases = []
    for i, (key, title, what) in enumerate(PHASES):
        n = 3 * rows if key == "new_data" else rows
        frame = loan_applications(n, _WORLD[key], seed=1000 * p.stage + i, hour=i)
        ids = [f"{p.name}-{key}-{k}" for k in range(n)]
        say(f"  Phase {i + 1}/{len(PHASES)}: {title} ({what})")
        preds, scores = _send(client, p.name, frame, ids, say, "sending applications")
        # outcomes are known only for approved loans (predicted no default), when they are
        # repaid or default: here at the end of the phase; the new data has every label
        known = np.ones(n, dtype=bool) if key == "new_data" else preds == 0
        _feedback(client, p.name, [x for x, k in zip(ids, known, strict=True) if k],
                  frame["default"].to_numpy()[known])
        if key != "new_data":
            seen["scores"].extend(scores.tolist())
            seen["labelled"].extend(known.tolist())
        if first:
            result.reports.append(_report(registry, p, key, i, frame, preds, scores))
        clock.set(max(clock.now(), datetime.now(timezone.utc)))  # real time, except ...
        if key == "new_data":
            _before_last_turn(p, client, clock, nightly, say)
        turn = run_loop_once(project, registry=registry, clock=clock)
        phases.append(_narrate(key, turn, registry, p, say))
        if key == "concept" and first:
            _coverage(seen, say)
    extra = _experiments(p, project, registry, client, say) if first else {}
    versions = [{"version": v.version, "stage": v.stage, "trigger": v.trigger,
                 "metrics": {k: round(x, 4) for k, x in v.metrics.items()}}
                for v in registry.versions(p.name)]
    decisions = [{"at": str(d["at"]), "action": d["action"], "trigger": d["trigger"],
                  "mode": (d["payload"] or {}).get("mode"),
                  "validation": (d["payload"] or {}).get("validation"),
                  "version": (d["payload"] or {}).get("version")}
                 for d in registry.store.decisions(p.name)]
    champion = registry.champion(p.name)
    return {"name": p.name, "title": p.title, "phases": phases, "versions": versions,
            "decisions": decisions, "champion": None if champion is None else champion.version,
            **extra}


def _before_last_turn(p: StageProject, client: Any, clock: Any, nightly: datetime,
                      say: _Say) -> None:
    """What each stage does when the new labelled data is in."""
    if p.stage == 1:
        r = client.post(f"/v1/models/{p.name}/retrain",
                        json={"reason": "new labelled data is in (demo)"})
        r.raise_for_status()
        say("    You ask for a retrain: POST /v1/models/{name}/retrain -> "
            f"{r.status_code} {r.json()['status']}".replace("{name}", p.name))
    elif p.stage in (2, 3):
        clock.set(nightly + timedelta(minutes=5))
        say(f"    The clock moves to the nightly retrain ({nightly:%H:%M} UTC, accelerated)")


def _fmt(v: Any, spec: str = ".3f") -> str:
    return "–" if v is None else format(v, spec)


def _narrate(key: str, turn: dict[str, Any], registry: Any, p: StageProject, say: _Say
             ) -> dict[str, Any]:
    """Say what the monitor found in the phase's window and what the policy decided."""
    windows = registry.store.window_summaries(p.name, limit=max(1, turn["windows"]))
    s = (windows[-1]["summary"] if windows and turn["windows"] else None) or {}
    detail = registry.store.window_detail(p.name) if turn["windows"] else None
    full = (detail or {}).get("result") or {}
    drifted = list(full.get("drifted_features") or [])
    label = s.get("label_drift") or {}
    perf = s.get("performance") or {}
    auc = perf.get("roc_auc")
    holdout = registry.champion(p.name).metrics.get("roc_auc") if registry.champion(p.name) else None
    if s.get("too_small") or not s:
        say("    monitor: no complete window yet")
    else:
        drift = (f"feature drift in {', '.join(drifted)}" if drifted else "no feature drift")
        say(f"    monitor: {drift}; label drift: {'yes' if label.get('drifted') else 'no'}"
            f"; realized ROC AUC {_fmt(auc)} on {s.get('n_labelled', 0)} labelled rows "
            f"(holdout {_fmt(holdout)}); label coverage {_fmt(s.get('label_coverage'), '.0%')}")
        outliers = full.get("outliers") or {}
        if outliers.get("high"):
            say(f"      outliers: {outliers['share']:.1%} of the window's rows (about "
                f"{outliers['expected']:.0%} expected)")
        for kind, action in (full.get("actions") or {}).items():
            say(f"      recommended ({kind}): {action}")
        if auc is not None and holdout is not None and auc < 0.9 * holdout:
            say(f"      performance drop: realized ROC AUC {auc:.3f} is far below the holdout's "
                f"{holdout:.3f}; the labels show that the model is wrong now")
    for drift in (turn.get("concept") or {}).get("drifts") or []:
        before, after = drift["error_before"], drift["error_after"]
        fell = before is not None and after is not None and after < before
        say(f"    concept drift ({drift['detector']} on the labelled errors, as they arrived): "
            f"at label {drift['index']:,}, error {_fmt(before)} -> {_fmt(after)}"
            + (" (the error fell: no reason to retrain)" if fell else ""))
    d = turn["decision"]
    reasons = "; ".join(d.get("reasons") or [])[:160]
    say(f"    decision: {d['action']}" + (f" ({d.get('trigger')}, {d.get('mode')})"
                                          if d["action"] == "retrain" else "") + f": {reasons}")
    retrain = turn.get("retrain")
    if retrain:
        v = retrain.get("validation") or {}
        say(f"    retrain ({d.get('mode')}): v{retrain.get('version')} "
            f"{retrain.get('outcome')}: {v.get('metric')} champion {_fmt(v.get('value_a'))} vs "
            f"challenger {_fmt(v.get('value_b'))} on {v.get('n')} held-out labelled rows")
    return {"phase": key, "dataset_drift": s.get("dataset_drift"), "drifted": drifted,
            "label_drift": label.get("drifted"), "roc_auc": auc,
            "label_coverage": s.get("label_coverage"), "decision": d["action"],
            "trigger": d.get("trigger"), "retrain": retrain,
            "concept_drifts": len((turn.get("concept") or {}).get("drifts") or []),
            "outlier_share": (full.get("outliers") or {}).get("share")}


def _coverage(seen: dict[str, list[Any]], say: _Say) -> None:
    """Label coverage by predicted-risk bucket: the blind spot of realized performance."""
    scores = np.asarray(seen["scores"])
    labelled = np.asarray(seen["labelled"], dtype=bool)
    edges = [0.0, 0.2, 0.4, 0.5, 0.6, 1.0001]
    rows = []
    for lo, hi in itertools.pairwise(edges):
        sel = (scores >= lo) & (scores < hi)
        if sel.any():
            rows.append([f"{lo:.1f}–{min(hi, 1.0):.1f}", int(sel.sum()), f"{labelled[sel].mean():.0%}"])
    say("    Blind spot: labels exist only for approved loans (predicted no default), so")
    say("    realized performance says nothing about the declined, riskiest applicants:")
    say.table(["predicted default risk", "applications", "with a label"], rows)


def _report(registry: Any, p: StageProject, key: str, i: int, frame: Any, preds: np.ndarray,
            scores: np.ndarray) -> str:
    """An HTML drift report of the phase's traffic against the champion's reference."""
    import driftline as dl

    champion = registry.champion(p.name)
    ref = registry.load_reference(champion)
    cur = frame.assign(prediction=preds)
    cols = [c for c in champion.features] + ["prediction"]
    report = dl.compare(ref[cols], cur[cols], prediction="prediction")
    path = p.path.parent.parent / "reports" / f"phase-{i + 1}-{key}.html"
    path.parent.mkdir(exist_ok=True)
    return str(report.save_html(path).resolve())


def _experiments(p: StageProject, project: Any, registry: Any, client: Any, say: _Say
                 ) -> dict[str, Any]:
    """A challenger that validation rejects, and a rollback (then forward again)."""
    from driftline.retrain import retrain

    say("  A teammate tries a majority-class baseline as a challenger:")
    cfg = project.config
    training = cfg.training.model_copy(update={"function": "loan_model:train_baseline"})
    baseline = replace(project, config=cfg.model_copy(update={"training": training}))
    outcome = retrain(baseline, registry=registry, trigger="experiment")
    v = outcome.validation or {}
    say(f"    v{outcome.version} {outcome.outcome}: {v.get('metric')} champion "
        f"{_fmt(v.get('value_a'))} vs challenger {_fmt(v.get('value_b'))}")
    out: dict[str, Any] = {"experiment": {"version": outcome.version, "outcome": outcome.outcome}}
    champion = registry.champion(p.name)
    if champion is None or champion.version == 1:
        say("  (no promotion happened in this stage, so there is nothing to roll back)")
        return out
    _wait_serving(client, p.name, champion.version)
    r = client.post(f"/v1/models/{p.name}/rollback", json={"reason": "demo: a rollback drill"})
    if r.status_code != 200:
        say(f"  Rollback drill refused: {r.json().get('error')}")
        return out
    back = r.json()
    say(f"  Rollback drill: POST /v1/models/{p.name}/rollback -> v{back['version']} serves again"
        f" (was v{back['previous']})")
    r = client.post(f"/v1/models/{p.name}/promote",
                    json={"version": back["previous"], "reason": "demo: forward again"})
    r.raise_for_status()
    say(f"  ... and forward again: POST /v1/models/{p.name}/promote -> v{r.json()['version']}")
    out["rollback"] = {"to": back["version"], "from": back["previous"],
                       "forward": r.json()["version"]}
    return out


def _wait_serving(client: Any, name: str, version: int, timeout: float = 30.0) -> None:
    """Wait until the service follows the champion the store names (it polls the store)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(f"/v2/models/{name}").json().get("versions") == [str(version)]:
            return
        time.sleep(0.1)


def _summary(result: DemoResult, projects: list[StageProject], say: _Say,
             keep_running: bool) -> None:
    say("\n=== What happened ===")
    counts = []
    rows = []
    for p in projects:
        decided = result.stages[p.stage]["decisions"]
        counts.append([p.name] + [sum(d["action"] == a for d in decided)
                                  for a in ("none", "hold", "retrain")])
        for d in decided:
            if d["action"] in ("none", "hold", "retrain"):
                continue
            v = d.get("validation") or {}
            rows.append([p.name, d["action"], d["trigger"] or "", d.get("mode") or "",
                         "" if d.get("version") is None else f"v{d['version']}",
                         _fmt(v.get("value_a")), _fmt(v.get("value_b"))])
    say("  Decisions (one after every phase):")
    say.table(["model", "nothing fired", "held", "retrain"], counts)
    say("\n  Retrains and what validation said (ROC AUC of the champion before, and of the")
    say("  challenger after, on the same recent labelled rows neither trained on):")
    say.table(["model", "outcome", "trigger", "mode", "challenger", "before", "after"], rows)
    say("\n  Versions now:")
    say.table(["model", "version", "stage", "trigger"], [
        [p.name, f"v{v['version']}", v["stage"], v["trigger"]]
        for p in projects for v in result.stages[p.stage]["versions"]])
    say(f"\n  Done in {result.seconds:.0f} s. Dashboards:")
    first = projects[0].name
    say(f"    {result.url}/ui/  (overview of every model)")
    for page in ("serving", "drift", "performance", "training", "timeline", "alerts"):
        say(f"    {result.url}/ui/models/{first}/{page}")
    if result.reports:
        say("  HTML drift reports (each phase's traffic against the reference):")
        for path in result.reports:
            say(f"    {path}")
    say(f"  Summary: {result.folder / 'demo-summary.json'}")
    if not keep_running:
        paths = " ".join(str(p.path) for p in projects)
        say("  The service stops with the demo. To explore, run it with --keep-running, or")
        say(f"  serve the dashboards alone from the store: driftline ui {paths}")
