"""Monitoring a project: every complete window of the log since the last one, against the
champion's reference, computed and stored (the result and one row per feature).

With ``monitoring.engine: profile`` the drift tests run on profiles built as rows are logged
(:func:`~driftline.monitor._profiled.monitor_on_profiles`)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from driftline.monitor._monitor import Monitor, MonitorResult
from driftline.monitor._window import Window

if TYPE_CHECKING:
    from driftline.config import Project
    from driftline.registry import Registry

__all__ = ["monitor_project", "window_from_config"]


def window_from_config(cfg: Any) -> Window:
    """The :class:`Window` a project's ``monitoring.window`` describes.

    Examples
    --------
    >>> from driftline.config import WindowConfig
    >>> window_from_config(WindowConfig(time="1h", step="15m")).step
    datetime.timedelta(seconds=900)
    """
    from driftline.config import parse_duration

    if cfg.rows is not None:
        return Window.rows(cfg.rows, step=cfg.step if isinstance(cfg.step, int) else None)
    step = None if cfg.step is None else timedelta(seconds=parse_duration(cfg.step))
    return Window.time(timedelta(seconds=parse_duration(cfg.time)), step=step)


def monitor_project(project: Project, *, registry: Registry | None = None,
                    until: Any = None, epoch: int | None = None) -> list[MonitorResult]:
    """Compute and store every complete window logged since the last monitored one.

    Returns the new results, oldest first (none when there is no champion yet). With
    ``monitoring.engine: profile``, each call feeds only the rows logged since the previous
    call into the open window's profile, saved in the store between calls (a worker's lease
    ``epoch`` fences that write); see docs/monitoring.md, "Monitoring on profiles".

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from driftline.config import load_project
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> monitor_project(load_project(d / "driftline.yaml", check_files=False))
    []
    """
    from driftline.retrain import open_registry

    cfg = project.config
    registry = registry or open_registry(project)
    store = registry.store
    name = cfg.model.name
    store.add_model(name, cfg.model.task)
    champion = registry.champion(name)
    if champion is None or champion.reference is None:
        return []
    mon_cfg = cfg.monitoring
    engine = mon_cfg.engine
    ref_profile = registry.load_reference_profile(champion) if engine == "profile" else None
    monitor = Monitor(name, champion.version, registry.load_reference(champion),
                      features=champion.features, target=cfg.model.target, task=cfg.model.task,
                      kinds=champion.schema.get("kinds"), min_rows=mon_cfg.min_rows,
                      min_labels=mon_cfg.min_labels, alpha=mon_cfg.alpha,
                      segments=mon_cfg.segments, max_segments=mon_cfg.max_segments,
                      outliers=_outlier_params(mon_cfg.outliers), estimate=mon_cfg.estimate,
                      multivariate=tuple(mon_cfg.multivariate), engine=engine,
                      reference_profile=ref_profile)
    window = window_from_config(mon_cfg.window)
    if engine == "profile":
        from driftline.monitor._profiled import monitor_on_profiles

        return monitor_on_profiles(store, monitor, window, until=until, epoch=epoch)
    since = store.last_window_end(name)
    if since is not None and since.tzinfo is None:  # SQLite keeps times without their zone
        from datetime import timezone

        since = since.replace(tzinfo=timezone.utc)
    log = store.read_window(name, start=since)
    if since is not None and window.kind == "rows" and len(log):
        import pandas as pd

        log = log[pd.to_datetime(log["ts"], utc=True) > pd.Timestamp(since)]
    out = []
    for part in window.split(log, until=until):
        if part.n_rows == 0:
            continue
        result = monitor.compute(part.frame, _iso(part.start), _iso(part.end))
        store.add_monitor_result(name, result.to_dict(), result.value_rows(),
                                 summary=result.summary(), detail=dict(result.distributions))
        out.append(result)
    return out


def _outlier_params(cfg: Any) -> bool | dict[str, Any]:
    if not cfg.enabled:
        return False
    return {"quantile": cfg.quantile, "n_trees": cfg.n_trees, "height": cfg.height,
            "seed": cfg.seed}


def _iso(v: Any) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else str(v)
