"""Where tracked runs are mirrored besides the store: the :class:`RunSink` protocol, which the
MLflow export implements from above (``driftline.integrations``), and the process's default
sinks, which a surface (the CLI, the service, ``driftline.track``) configures."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from driftline.tracking._record import RunRecord

__all__ = ["RunSink", "add_default_sink", "default_sinks", "remove_default_sink"]

_log = logging.getLogger(__name__)
_DEFAULT: list[RunSink] = []


@runtime_checkable
class RunSink(Protocol):
    """Receives every change of a tracked run, after the store has it.

    A sink that raises never breaks the run: the error is logged, counted in
    ``Run.sink_errors``, and the store stays the record.

    Examples
    --------
    >>> class Printer:
    ...     def start(self, record): print("start", record.name)
    ...     def log_params(self, run_id, params): pass
    ...     def log_metrics(self, run_id, metrics, step): print(dict(metrics), step)
    ...     def set_tags(self, run_id, tags): pass
    ...     def log_artifact(self, run_id, name, data, media_type): pass
    ...     def end(self, run_id, status): print("end", status)
    ...     def version(self, run_id, model, version, artifact): pass
    >>> isinstance(Printer(), RunSink)
    True
    """

    def start(self, record: RunRecord) -> None:
        """A run started (its parent, if any, started before)."""

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Hyperparameters were logged."""

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int | None) -> None:
        """Metric values were logged at ``step``."""

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Tags were set (``model_params.*`` tags carry the learned-parameter summary)."""

    def log_artifact(self, run_id: str, name: str, data: bytes, media_type: str) -> None:
        """A file or document was logged with the run."""

    def end(self, run_id: str, status: str) -> None:
        """The run ended: ``finished``, ``failed`` or ``pruned``."""

    def version(self, run_id: str, model: str, version: int, artifact: bytes | None) -> None:
        """The run produced (registered) ``version`` of ``model``; ``artifact`` holds the
        model's serialized bytes when the registry has them."""


def default_sinks() -> tuple[RunSink, ...]:
    """The sinks every new run mirrors to unless it is given its own.

    Examples
    --------
    >>> default_sinks()
    ()
    """
    return tuple(_DEFAULT)


def add_default_sink(sink: RunSink) -> None:
    """Mirror every run started from now on to ``sink`` as well (idempotent).

    Examples
    --------
    >>> class Quiet:
    ...     def __getattr__(self, name): return lambda *a, **k: None
    >>> sink = Quiet()
    >>> add_default_sink(sink); len(default_sinks())
    1
    >>> remove_default_sink(sink); len(default_sinks())
    0
    """
    if sink not in _DEFAULT:
        _DEFAULT.append(sink)


def remove_default_sink(sink: RunSink) -> None:
    """Stop mirroring new runs to ``sink`` (no error if it was not there).

    Examples
    --------
    >>> remove_default_sink(object())
    """
    if sink in _DEFAULT:
        _DEFAULT.remove(sink)


def notify(sinks: Sequence[Any], method: str, *args: Any) -> int:
    """Call ``method`` on every sink; returns how many raised (each is logged)."""
    errors = 0
    for sink in sinks:
        try:
            getattr(sink, method)(*args)
        except Exception:
            errors += 1
            _log.warning("run sink %r failed in %s; the store keeps the run", sink, method,
                         exc_info=True)
    return errors


def notify_stage(model: str, version: int, stage: str) -> int:
    """Tell the default sinks that can mirror stages (``mirror_stage``) that ``version`` of
    ``model`` is now ``stage``; returns how many failed (each is logged, none raises)."""
    from driftline.errors import DataError

    errors = 0
    for sink in [s for s in _DEFAULT if hasattr(s, "mirror_stage")]:
        try:
            sink.mirror_stage(model, version, stage)
        except DataError as exc:  # a version its run has not linked yet: nothing to move
            _log.debug("run sink %r has no version %s of %r yet: %s", sink, version, model, exc)
        except Exception:
            errors += 1
            _log.warning("run sink %r failed to mirror the %s stage of %r v%s", sink, stage,
                         model, version, exc_info=True)
    return errors
