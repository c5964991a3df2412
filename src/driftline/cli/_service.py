"""The service commands: ``train``, ``serve``, ``ingest``, ``promote``, ``rollback``,
``versions``, ``monitor``, ``retrain``, ``decisions``, ``worker``, ``retention`` and ``forget``. Each
reads a project file (default ``./driftline.yaml``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_service_commands"]

EXIT_OK, EXIT_FAILED = 0, 1


def _emit(args: argparse.Namespace, console: Any, payload: dict[str, Any], text: str) -> None:
    if args.json == "-":
        print(json.dumps(payload, default=str, indent=2))
    elif args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, default=str, indent=2)
    console.summary(text)


def cmd_train(args: argparse.Namespace, console: Any) -> int:
    """``driftline train PROJECT [--promote]``: train, score the holdout, register."""
    from driftline.retrain import register

    res = register(args.project, promote=args.promote, trigger="manual")
    assert res.version is not None
    mv = res.version
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in mv.metrics.items())
    _emit(args, console, res.to_dict(),
          f"registered {mv.model} version {mv.version} ({mv.stage}); holdout {metrics}\n"
          f"{res.reason}")
    return EXIT_OK if res.promoted or not args.promote else EXIT_FAILED


def cmd_serve(args: argparse.Namespace, console: Any) -> int:
    """``driftline serve PROJECT... [--host --port]``: serve the models."""
    import uvicorn

    from driftline.app import ServeSettings, check_bind, create_app

    hosts = _ui_hosts(args)
    app = create_app(args.projects, ServeSettings(ui=not args.no_ui, worker=not args.no_worker,
                                                  allowed_hosts=hosts))
    services = app.state.serving.services.values()
    check_bind(args.host, all(s.tokens.complete for s in services), args.insecure)
    for s in services:
        state = f"version {s.current.number}" if s.current else f"not ready ({s.load_error})"
        console.summary(f"serving {s.name}: {state}")
    console.summary(f"listening on http://{_url_host(args.host)}:{args.port}"
                    + ("" if args.no_ui else f" (dashboards: http://{_url_host(args.host)}:"
                                             f"{args.port}/ui/)"))
    sys.stdout.flush()
    import gc

    gc.collect()
    gc.freeze()  # the loaded libraries and models are long-lived: keep them out of GC passes
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning",
                http="httptools", loop="auto", timeout_graceful_shutdown=30)
    return EXIT_OK


def _ui_hosts(args: argparse.Namespace) -> tuple[str, ...]:
    """The host names the dashboards answer to: --allowed-host, and --host unless it is a
    wildcard address."""
    return tuple(args.allowed_host or ()) + (() if args.host in ("0.0.0.0", "::") else (args.host,))


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def cmd_ui(args: argparse.Namespace, console: Any) -> int:
    """``driftline ui PROJECT... [--host --port]``: the dashboards alone, serving nothing."""
    import uvicorn

    from driftline.app import ServeSettings, check_bind, create_app
    from driftline.config import load_project
    from driftline.serving import Tokens

    projects = [load_project(p, check_files=False) for p in args.projects]
    complete = all(Tokens.from_env(p.config.auth.token_env, p.config.auth.admin_token_env).complete
                   for p in projects)
    check_bind(args.host, complete, args.insecure)
    hosts = _ui_hosts(args)
    app = create_app(projects, ServeSettings(serving=False, worker=False, metrics=False,
                                             allowed_hosts=hosts))
    console.summary(f"dashboards: http://{_url_host(args.host)}:{args.port}/ui/")
    sys.stdout.flush()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning",
                timeout_graceful_shutdown=5)
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace, console: Any) -> int:
    """``driftline ingest FILE``: log predictions of a model served elsewhere."""
    from driftline.drift._io import read_table
    from driftline.serving import RequestError, log_predictions

    frame = read_table(args.file, "ingested")
    try:
        res = log_predictions(frame, args.project, version=args.model_version)
    except RequestError as exc:
        from driftline.errors import DataError

        raise DataError(f"{args.file}: {exc.detail}") from None
    _emit(args, console, {"written": res.n_written, "replayed": len(res.replayed),
                          "rows": len(res.ids)},
          f"logged {res.n_written} rows ({len(res.replayed)} replayed ids skipped)")
    return EXIT_OK


def _stage(args: argparse.Namespace, console: Any, action: str) -> int:
    from driftline.config import load_project
    from driftline.retrain import open_registry

    project = load_project(args.project, check_files=False)
    registry = open_registry(project)
    name = project.config.model.name
    if action == "promote":
        version = args.version
        if version is None:
            challenger = registry.challenger(name)
            if challenger is None:
                from driftline.errors import DataError

                raise DataError(f"{name!r} has no challenger; give --version.")
            version = challenger.version
        mv = registry.promote(name, version, reason=args.reason or "promoted from the CLI",
                              force=args.force)
    else:
        mv = registry.rollback(name, args.version, reason=args.reason or "from the CLI")
    _emit(args, console, mv.to_dict(), f"{name}: version {mv.version} is champion "
                                       "(running servers pick it up within seconds)")
    return EXIT_OK


def cmd_versions(args: argparse.Namespace, console: Any) -> int:
    """``driftline versions``: every version, its stage and metrics, and the stage history."""
    from driftline.config import load_project
    from driftline.retrain import open_registry

    project = load_project(args.project, check_files=False)
    registry = open_registry(project)
    name = project.config.model.name
    registry.store.add_model(name, project.config.model.task)
    versions = registry.versions(name)
    history = registry.history(name)
    lines = [f"{v.version:>4}  {v.stage:<10}  {v.trigger:<10}  "
             + ", ".join(f"{k}={x:.4g}" for k, x in v.metrics.items()) for v in versions]
    _emit(args, console, {"versions": [v.to_dict() for v in versions],
                          "history": [h.to_dict() for h in history]},
          "\n".join(lines) or f"{name} has no versions yet")
    return EXIT_OK


def cmd_retention(args: argparse.Namespace, console: Any) -> int:
    """``driftline retention``: apply the project's retention policy now."""
    from driftline.config import load_project
    from driftline.errors import ConfigError
    from driftline.retrain import open_registry

    project = load_project(args.project, check_files=False)
    cfg = project.config
    if cfg.retention.days is None:
        raise ConfigError("retention.days is not set in the project file; nothing to apply.")
    store = open_registry(project).store
    store.add_model(cfg.model.name, cfg.model.task)
    res = store.apply_retention(cfg.model.name, days=cfg.retention.days,
                                action=cfg.retention.action,
                                fraction=cfg.retention.downsample_fraction,
                                seed=cfg.training.seed)
    _emit(args, console, res.to_dict(),
          f"{cfg.model.name}: {res.deleted} rows removed, {res.kept} kept "
          f"({res.batches_rewritten} batches rewritten)")
    return EXIT_OK


def cmd_forget(args: argparse.Namespace, console: Any) -> int:
    """``driftline forget ID...``: erase predictions (and their labels) by id."""
    from driftline.config import load_project
    from driftline.retrain import open_registry

    project = load_project(args.project, check_files=False)
    ids = list(args.ids)
    if args.ids_file:
        with open(args.ids_file, encoding="utf-8") as fh:
            ids += [line.strip() for line in fh if line.strip()]
    store = open_registry(project).store
    n = store.delete_ids(project.config.model.name, ids)
    _emit(args, console, {"deleted": n, "requested": len(ids)},
          f"erased {n} of {len(ids)} predictions (values, labels and ids)")
    return EXIT_OK


def cmd_monitor(args: argparse.Namespace, console: Any) -> int:
    """``driftline monitor``: compute and store every new complete window now."""
    from driftline.config import load_project
    from driftline.monitor import monitor_project

    results = monitor_project(load_project(args.project, check_files=False))
    lines = [f"{r.end}: {r.n_rows} rows, " + (f"no verdict ({r.reason})" if r.too_small else
             f"drift {'yes' if r.dataset_drift else 'no'} ({len(r.drifted_features)} features), "
             f"label coverage {r.label_coverage:.0%}") for r in results]
    _emit(args, console, {"results": [r.to_dict() for r in results]},
          "\n".join(lines) or "no new complete window")
    drifted = any(r.dataset_drift for r in results)
    return EXIT_FAILED if args.fail_on_drift and drifted else EXIT_OK


def cmd_retrain(args: argparse.Namespace, console: Any) -> int:
    """``driftline retrain``: train a challenger now, validate it, promote or reject it."""
    import driftline.integrations._optuna  # noqa: F401 - registers training.tuning.tuner: optuna
    from driftline.config import load_project
    from driftline.retrain import open_registry, retrain

    project = load_project(args.project)
    registry = open_registry(project)
    registry.store.add_decision(project.config.model.name, {
        "model": project.config.model.name, "action": "retrain", "trigger": "on_demand",
        "mode": args.mode, "reasons": [f"on demand from the CLI ({args.mode})"]})
    out = retrain(project, mode=args.mode, registry=registry, trigger="on_demand",
                  promote="auto" if args.promote else "manual")
    _emit(args, console, out.to_dict(), f"{out.outcome}: version {out.version}; {out.reason}")
    return EXIT_OK if out.outcome in ("promoted", "awaiting approval") else EXIT_FAILED


def cmd_decisions(args: argparse.Namespace, console: Any) -> int:
    """``driftline decisions``: why did (or didn't) it retrain?"""
    from driftline.config import load_project
    from driftline.retrain import open_registry

    project = load_project(args.project, check_files=False)
    store = open_registry(project).store
    name = project.config.model.name
    store.add_model(name, project.config.model.task)
    rows = store.decisions(name, limit=args.limit)
    lines = [f"{r['at']}  {r['action']:<8} {r['trigger'] or '-':<28} "
             + "; ".join(r["payload"].get("reasons", [])) for r in rows]
    _emit(args, console, {"decisions": [{**r, "at": str(r["at"])} for r in rows]},
          "\n".join(lines) or f"{name}: no decisions yet")
    return EXIT_OK


def cmd_worker(args: argparse.Namespace, console: Any) -> int:
    """``driftline worker PROJECT...``: run the loop outside the serving processes."""
    import driftline.integrations._optuna  # noqa: F401 - registers training.tuning.tuner: optuna
    from driftline.worker import Worker

    worker = Worker(args.projects)
    if args.once:
        turns = worker.run_once()
        worker.close()
        _emit(args, console, {"turns": [t.to_dict() for t in turns]},
              "\n".join(f"{t.model}: " + (f"acted (lease epoch {t.epoch}): "
                                           f"{t.result['decision']['action']}" if t.acted else
                                           "another worker holds the lease") for t in turns))
        return EXIT_OK
    console.summary(f"worker {worker.holder}: every {args.every:g} s; Ctrl-C to stop")
    try:
        worker.run_forever(args.every)
    except KeyboardInterrupt:
        worker.close()
    return EXIT_OK


def cmd_models(args: argparse.Namespace, console: Any) -> int:
    """``driftline models PROJECT list|show|promote|rollback``: the registry in one command."""
    if args.action == "list":
        return cmd_versions(args, console)
    if args.action in ("promote", "rollback"):
        return _stage(args, console, args.action)
    from driftline.config import load_project
    from driftline.errors import DataError
    from driftline.retrain import open_registry

    project = load_project(args.project, check_files=False)
    registry = open_registry(project)
    name = project.config.model.name
    registry.store.add_model(name, project.config.model.task)
    mv = registry.get(name, args.version) if args.version else registry.champion(name)
    if mv is None:
        raise DataError(f"{name!r} has no champion yet; give --version.")
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in mv.metrics.items())
    _emit(args, console, mv.to_dict(),
          f"{name} v{mv.version} ({mv.stage}), trigger {mv.trigger}, parent {mv.parent}, "
          f"created {mv.created_at}\nartifact {mv.artifact.path} ({mv.artifact.format}, sha256 "
          f"{mv.artifact.sha256[:12]}…)\nholdout {metrics}")
    return EXIT_OK


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write JSON to FILE ('-' for stdout)")
    p.add_argument("--quiet", "-q", action="store_true", help="print no summary")


def _listen_args(p: argparse.ArgumentParser, *, port: int) -> None:
    """Project files and where to listen: what ``serve`` and ``ui`` share."""
    p.add_argument("projects", nargs="+", metavar="PROJECT", help="project files")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=port, help=f"port (default {port})")
    p.add_argument("--insecure", action="store_true",
                   help="allow a non-loopback address without tokens (not recommended)")
    p.add_argument("--allowed-host", action="append", metavar="NAME",
                   help="a host name the dashboards may be reached under (repeatable; the "
                        "loopback names and --host are always allowed)")


def add_service_commands(sub: Any) -> None:
    """Add the service commands to the ``driftline`` parser."""
    project_help = "the project file (default: driftline.yaml)"
    tr = sub.add_parser("train", help="train, score the holdout and register a model version")
    tr.add_argument("project", nargs="?", default="driftline.yaml", help=project_help)
    tr.add_argument("--promote", action="store_true",
                    help="make it champion (the first version without comparison; later ones "
                         "only if at least as good as the champion on the holdout; exit 1 if not)")
    _common(tr)
    tr.set_defaults(func=cmd_train)

    sv = sub.add_parser("serve", help="serve one or more models (one project file each)")
    _listen_args(sv, port=8000)
    sv.add_argument("--no-ui", action="store_true", help="do not serve the dashboards at /ui/")
    sv.add_argument("--no-worker", action="store_true",
                    help="do not run the monitoring and retraining loop in this process (run "
                         "`driftline worker` instead)")
    _common(sv)
    sv.set_defaults(func=cmd_serve)

    ui = sub.add_parser("ui", help="serve the dashboards alone (no model is loaded or served)")
    _listen_args(ui, port=8050)
    _common(ui)
    ui.set_defaults(func=cmd_ui)

    ing = sub.add_parser("ingest", help="log predictions of a model served elsewhere")
    ing.add_argument("file", metavar="FILE", help="features, prediction, optional score_<label>, "
                                                  "id, timestamp and target columns")
    ing.add_argument("--project", default="driftline.yaml", help=project_help)
    ing.add_argument("--model-version", type=int, default=None,
                     help="the version that made the predictions (default: the champion's)")
    _common(ing)
    ing.set_defaults(func=cmd_ingest)

    for action in ("promote", "rollback"):
        p = sub.add_parser(action, help=f"{action} a version (admin)")
        p.add_argument("project", nargs="?", default="driftline.yaml", help=project_help)
        p.add_argument("--version", type=int, default=None,
                       help="the version (promote: default the challenger; rollback: default "
                            "the previous champion)")
        p.add_argument("--reason", default=None, help="recorded in the stage history")
        if action == "promote":
            p.add_argument("--force", action="store_true",
                           help="promote a version that failed validation (needs --reason; "
                                "recorded as a decision and an event)")
        _common(p)
        p.set_defaults(func=lambda a, c, _action=action: _stage(a, c, _action))

    rt = sub.add_parser("retention", help="apply the retention policy (delete or downsample old rows)")
    rt.add_argument("project", nargs="?", default="driftline.yaml", help=project_help)
    _common(rt)
    rt.set_defaults(func=cmd_retention)

    fg = sub.add_parser("forget", help="erase predictions and their labels by id")
    fg.add_argument("ids", nargs="*", metavar="ID", help="prediction ids")
    fg.add_argument("--ids-file", metavar="FILE", help="a file with one id per line")
    fg.add_argument("--project", default="driftline.yaml", help=project_help)
    _common(fg)
    fg.set_defaults(func=cmd_forget)

    mo = sub.add_parser("monitor", help="monitor every new complete window of the log now")
    mo.add_argument("project", nargs="?", default="driftline.yaml", help=project_help)
    mo.add_argument("--fail-on-drift", action="store_true", help="exit 1 when a window drifted")
    _common(mo)
    mo.set_defaults(func=cmd_monitor)

    rt2 = sub.add_parser("retrain", help="train a challenger now, validate it against the "
                                        "champion, and promote or reject it")
    rt2.add_argument("project", nargs="?", default="driftline.yaml", help=project_help)
    group = rt2.add_mutually_exclusive_group()
    group.add_argument("--stateless", dest="mode", action="store_const", const="stateless",
                       help="train from scratch (default)")
    group.add_argument("--stateful", dest="mode", action="store_const", const="stateful",
                       help="continue from the champion")
    rt2.set_defaults(mode="stateless")
    rt2.add_argument("--promote", action="store_true",
                     help="promote automatically when validation passes (else it waits for "
                          "`driftline promote`)")
    _common(rt2)
    rt2.set_defaults(func=cmd_retrain)

    de = sub.add_parser("decisions", help="the stored decisions and their reasons: why did "
                                          "(or didn't) it retrain?")
    de.add_argument("project", nargs="?", default="driftline.yaml", help=project_help)
    de.add_argument("--limit", type=int, default=50, help="the latest N (default 50)")
    _common(de)
    de.set_defaults(func=cmd_decisions)

    wk = sub.add_parser("worker", help="run the monitoring and retraining loop outside the "
                                       "serving processes (one worker acts per model)")
    wk.add_argument("projects", nargs="+", metavar="PROJECT", help="project files")
    wk.add_argument("--every", type=float, default=60.0, help="seconds between turns (60)")
    wk.add_argument("--once", action="store_true", help="one turn, then exit")
    _common(wk)
    wk.set_defaults(func=cmd_worker)

    md = sub.add_parser("models", help="the registry: list versions, show one, promote or "
                                       "roll back")
    md.add_argument("project", nargs="?", default="driftline.yaml", help=project_help)
    md.add_argument("action", choices=("list", "show", "promote", "rollback"),
                    help="list: versions and history; show: one version (default the "
                         "champion); promote / rollback: as the commands of those names")
    md.add_argument("--version", type=int, default=None, help="the version")
    md.add_argument("--reason", default=None, help="recorded in the stage history")
    md.add_argument("--force", action="store_true",
                    help="promote a version that failed validation (needs --reason)")
    _common(md)
    md.set_defaults(func=cmd_models)

    vs = sub.add_parser("versions", help="list versions, stages and the stage history")
    vs.add_argument("project", nargs="?", default="driftline.yaml", help=project_help)
    _common(vs)
    vs.set_defaults(func=cmd_versions)
