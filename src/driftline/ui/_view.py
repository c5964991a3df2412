"""One model as the UI sees it, and the small helpers every page's data shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftline.config import Project
    from driftline.registry import Registry
    from driftline.store import Store

__all__ = ["ModelView", "main_metric"]

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
