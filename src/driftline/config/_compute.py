"""The ``compute`` section: a Dask cluster for heavy work, and the client that reaches it.

With ``compute.scheduler`` set, retraining runs on the cluster's workers, and the process's
Dask client (:func:`open_client`) is the default scheduler for profiles of Dask frames and
Parquet datasets (:func:`driftline.profile.profile_dask`, ``compare(..., engine="dask")``).
Dask (``pip install 'driftline[dask]'``) is imported only when a client is opened.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import threading
from typing import Any

from pydantic import Field, field_validator

from driftline.config._section import Section
from driftline.errors import ParameterError, require

__all__ = ["ComputeConfig", "client_for", "close_clients", "open_client", "parse_size"]

_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx)://\S+$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6,
          "mib": 2**20, "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12,
          "tib": 2**40}


def parse_size(value: str | int) -> int:
    """Bytes from a size such as ``"1GiB"`` (2³⁰), ``"512MB"`` (512 × 10⁶) or ``2000000``,
    with Dask's units (``k``, ``M``, ``G``, ``T``; ``i`` for powers of 1024).

    Examples
    --------
    >>> parse_size("1GiB"), parse_size("512 MB"), parse_size(1024)
    (1073741824, 512000000, 1024)
    >>> parse_size("lots")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: memory_limit must be a size such as '1GiB', ... got 'lots'.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ParameterError.invalid("memory_limit", value,
                                     "a size such as '1GiB', '512MB' or a number of bytes")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(value)
        if match is None:
            raise ParameterError.invalid("memory_limit", value,
                                         "a size such as '1GiB', '512MB' or a number of bytes")
        size = int(float(match[1]) * _UNITS[(match[2] or "").lower()])
    if size <= 0:
        raise ParameterError.invalid("memory_limit", value, "a positive size")
    return size


class ComputeConfig(Section):
    """``compute``: the Dask cluster that runs retraining and profiles large data.

    ``scheduler`` is ``None`` (the default: no Dask; retraining runs in a local child
    process), ``"local"`` (a ``LocalCluster`` of ``workers`` processes with
    ``threads_per_worker`` threads each and ``memory_limit`` per worker, started by the
    process that needs it and closed when it exits), or the address of a running scheduler
    such as ``"tcp://scheduler.internal:8786"`` (its workers are set up where they run; the
    other keys do not apply).

    Examples
    --------
    >>> ComputeConfig().scheduler is None
    True
    >>> c = ComputeConfig(scheduler="local", workers=4, memory_limit="2GiB")
    >>> c.workers, c.threads_per_worker, parse_size(c.memory_limit)
    (4, 1, 2147483648)
    >>> ComputeConfig(scheduler="scheduler:8786")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ComputeConfig
    ...scheduler must be 'local' or an address such as 'tcp://host:8786'; got 'scheduler:8786'...
    """

    scheduler: str | None = None
    workers: int = Field(2, ge=1, le=1024)
    threads_per_worker: int = Field(1, ge=1, le=256)
    memory_limit: str | int = "1GiB"

    @field_validator("scheduler")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is None or v == "local" or _ADDRESS.match(v):
            return v
        raise ValueError(f"scheduler must be 'local' or an address such as 'tcp://host:8786'; "
                         f"got {v!r}")

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, v: str | int) -> str | int:
        if v == "auto":
            return v
        try:
            parse_size(v)
        except ParameterError as exc:
            raise ValueError(f"{exc} Or 'auto': the machine's memory shared by the workers.") from None
        return v


# ------------------------------------------------------------------------ clients

_LOCK = threading.Lock()
# (scheduler, workers, threads, memory) -> (client, cluster or None, pid of the opener)
_CLIENTS: dict[tuple[Any, ...], tuple[Any, Any, int]] = {}
_AT_EXIT = False


def open_client(compute: ComputeConfig) -> Any:
    """The ``dask.distributed.Client`` for ``compute``, opened once per process and reused.

    ``scheduler: local`` starts a ``LocalCluster`` (worker processes on this machine,
    listening on 127.0.0.1 only, no dashboard, Arrow's system allocator unless
    ``ARROW_DEFAULT_MEMORY_POOL`` says otherwise); an address connects to that scheduler. The
    client becomes Dask's default scheduler in this process. Clients (and the local
    clusters) are closed when the process exits, or by :func:`close_clients`.

    Raises
    ------
    ParameterError
        ``compute.scheduler`` is not set.
    MissingDependencyError
        Dask's distributed scheduler is not installed (``pip install 'driftline[dask]'``).

    Examples
    --------
    >>> client = open_client(ComputeConfig(scheduler="local", workers=1))
    >>> client.submit(sum, [1, 2, 3]).result(), open_client(ComputeConfig(scheduler="local",
    ...                                                                     workers=1)) is client
    (6, True)
    >>> close_clients()
    """
    if compute.scheduler is None:
        raise ParameterError.invalid(
            "compute.scheduler", None, "'local' or a scheduler address such as 'tcp://host:8786'",
            "Set it in the project file's compute section to use Dask.")
    distributed = require("distributed", extra="dask", feature="A Dask cluster (compute.scheduler)")
    key = (compute.scheduler, compute.workers, compute.threads_per_worker, compute.memory_limit)
    with _LOCK:
        found = _CLIENTS.get(key)
        if found is not None and found[2] == os.getpid() and found[0].status == "running":
            return found[0]
        cluster = None
        if compute.scheduler == "local":
            memory = compute.memory_limit
            cluster = distributed.LocalCluster(
                n_workers=compute.workers, threads_per_worker=compute.threads_per_worker,
                processes=True, host="127.0.0.1", dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # health routes only
                memory_limit=memory if memory == "auto" else parse_size(memory),
                env={"ARROW_DEFAULT_MEMORY_POOL": _arrow_pool()})
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(compute.scheduler)
        _CLIENTS[key] = (client, cluster, os.getpid())
        global _AT_EXIT
        if not _AT_EXIT:
            atexit.register(close_clients)
            _AT_EXIT = True
        return client


def _arrow_pool() -> str:
    # The system allocator gives memory back once a partition is done (Dask sets
    # MALLOC_TRIM_THRESHOLD_ for its workers); Arrow's default pool keeps the buffers of the
    # last Parquet read, about twice the partition, in the worker's resident memory.
    return os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "system")


def client_for(compute: ComputeConfig) -> Any:
    """:func:`open_client` when ``compute.scheduler`` is set, else ``None`` (no Dask).

    Examples
    --------
    >>> client_for(ComputeConfig()) is None
    True
    """
    return None if compute.scheduler is None else open_client(compute)


def close_clients() -> None:
    """Close every client :func:`open_client` opened in this process, and their local
    clusters.

    Examples
    --------
    >>> close_clients()   # nothing open: nothing to do
    """
    with _LOCK:
        opened = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client, cluster, pid in opened:
        if pid != os.getpid():  # inherited through fork: the parent owns them
            continue
        for closable in (client, cluster):
            if closable is None:
                continue
            with contextlib.suppress(Exception):  # closing at exit must not raise
                closable.close()
