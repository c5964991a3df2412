"""Run a training function in its own process, niced and thread-capped, so a retrain never
stalls predictions on a small machine.

The parent writes the job into a private temporary folder, starts ``python -c`` (a fresh
interpreter: the thread variables are in place before numpy, OpenMP or BLAS load, and nothing of
the parent's state, such as a web server's threads or sockets, is inherited), waits with a
timeout, and reads the model back. The child runs in its own process group, which is killed
when the run ends, so no process (nor a grandchild, such as a joblib worker) is left behind.

Given a ``dask.distributed`` client, the same training code runs on one of the cluster's
workers instead: the job travels as bytes, the worker trains in its own process (thread-capped
through threadpoolctl) and sends the result back as bytes, which are read here.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.errors import DriftlineError, ParameterError
from driftline.retrain._stateful import TRAINING_MODES

if TYPE_CHECKING:
    from driftline.registry import TrainingData

__all__ = ["TrainingError", "TrainingRun", "run_training"]

# The variables that cap the threads of OpenMP (LightGBM, XGBoost, scikit-learn), the BLAS
# libraries under numpy, numexpr and joblib's process pools.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "LOKY_MAX_CPU_COUNT")
# Constructor parameters that set an estimator's parallelism, by library convention.
_JOBS_PARAMS = ("n_jobs", "nthread", "num_threads", "thread_count")
_PACKAGES = ("numpy", "pandas", "scikit-learn", "lightgbm", "xgboost", "river")
_CHILD = ("import os, sys\n"
          "if hasattr(os, 'nice'): os.nice(int(sys.argv[2]))\n"
          "from driftline.retrain._runner import _child_main\n"
          "_child_main(sys.argv[1])\n")


class TrainingError(DriftlineError, RuntimeError):
    """The training process raised, crashed or ran out of time; the message carries its error.

    Examples
    --------
    >>> err = TrainingError("training failed: ValueError: bad", exit_status=1)
    >>> err.exit_status, str(err)
    (1, 'training failed: ValueError: bad')
    """

    def __init__(self, message: str, *, exit_status: int | None = None,
                 child_traceback: str = "") -> None:
        super().__init__(message)
        self.exit_status = exit_status
        self.child_traceback = child_traceback


@dataclass(frozen=True)
class TrainingRun:
    """A finished isolated training run: the model and how it was made.

    Attributes
    ----------
    model : the trained model, loaded back in the calling process.
    function : the training function's import path.
    mode : ``"stateless"`` or ``"stateful"``.
    params, seed : what the function was called with (``seed`` also seeds ``random`` and
        numpy's global generator in the child).
    n_rows, data_hash, data_range : the training rows: how many, their SHA-256 (as the
        registry records it) and their first/last timestamp (``None`` without a timestamp).
    packages : versions of the libraries installed in the child (numpy, pandas, scikit-learn,
        lightgbm, xgboost, river, python).
    duration_s : wall time of the whole run, process start included.
    exit_status : the child's exit status (0).
    pid, nice, threads : the child's process id, its niceness increment and thread cap. On a
        Dask cluster: the worker's process id, 0 (workers keep their own priority) and the
        thread cap.
    worker : the address of the Dask worker that trained (``None`` for a local process).

    Examples
    --------
    >>> run = TrainingRun(model=None, function="m:train", mode="stateless", params={}, seed=0,
    ...                   n_rows=3, data_hash="ab", data_range=None, packages={}, duration_s=1.0,
    ...                   exit_status=0, pid=1, nice=10, threads=1)
    >>> run.to_dict()["mode"], "model" in run.to_dict()
    ('stateless', False)
    """

    model: Any
    function: str
    mode: str
    params: dict[str, Any]
    seed: int
    n_rows: int
    data_hash: str
    data_range: tuple[Any, Any] | None
    packages: dict[str, str]
    duration_s: float
    exit_status: int
    pid: int
    nice: int
    threads: int
    worker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the record (the model itself is named by its type)."""
        span = None if self.data_range is None else [str(v) for v in self.data_range]
        return {"model_type": f"{type(self.model).__module__}.{type(self.model).__name__}",
                "function": self.function, "mode": self.mode,
                "params": {k: v if isinstance(v, (bool, int, float, str, type(None))) else repr(v)
                           for k, v in self.params.items()},
                "seed": self.seed, "n_rows": self.n_rows, "data_hash": self.data_hash,
                "data_range": span, "packages": dict(self.packages),
                "duration_s": self.duration_s, "exit_status": self.exit_status, "pid": self.pid,
                "nice": self.nice, "threads": self.threads, "worker": self.worker}


def _check_arguments(spec: str, mode: str, nice: int, threads: int, timeout: float) -> None:
    module, sep, attr = spec.partition(":")
    if not (module and sep and attr):
        raise ParameterError.invalid("train_fn_spec", spec, "an import path 'package.module:function'")
    if mode not in TRAINING_MODES:
        raise ParameterError.choice("mode", mode, TRAINING_MODES)
    if not isinstance(nice, int) or not 0 <= nice <= 19:
        raise ParameterError.invalid("nice", nice, "an int in [0, 19] (added to the niceness)")
    if not isinstance(threads, int) or threads < 1:
        raise ParameterError.invalid("threads", threads, "a positive int")
    if not timeout > 0:
        raise ParameterError.invalid("timeout", timeout, "a positive number of seconds")


def _child_env(threads: int) -> dict[str, str]:
    import driftline

    env = dict(os.environ)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    # the child imports this very copy of driftline, however the parent found it
    src = str(Path(driftline.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child's process group (the child and anything it started), then reap it."""
    killpg = getattr(os, "killpg", None)
    try:
        if killpg is not None:
            killpg(proc.pid, signal.SIGKILL)
        elif proc.poll() is None:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _wait_unreaped(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the child to exit without reaping it (so its pid, the group's id, cannot be
    reused before the group is killed); ``False`` on timeout."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:  # no waitid (macOS, Windows): reap, then kill what is left of the group
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline, pause = time.monotonic() + timeout, 0.005
    while waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
    return True


def _run_child(work: Path, project_dir: Path, nice: int, threads: int, timeout: float,
               ) -> tuple[int, int]:
    with open(work / "stdout.log", "wb") as out, open(work / "stderr.log", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(work), str(nice)],
                                cwd=project_dir, env=_child_env(threads), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, start_new_session=True)
        try:
            finished = _wait_unreaped(proc, timeout)
        finally:
            _kill_group(proc)  # on success too: a grandchild must not outlive the run
    if not finished:
        raise TrainingError(
            f"training did not finish within timeout={timeout:g} s; the training process "
            f"(pid {proc.pid}) and its children were killed. Raise the timeout or train on "
            "fewer rows.", exit_status=proc.returncode)
    return proc.returncode, proc.pid


def _failure(work: Path, status: int) -> TrainingError:
    report = work / "error.json"
    if report.is_file():
        err = json.loads(report.read_text(encoding="utf-8"))
        return TrainingError(f"training failed in the training process: {err['type']}: "
                             f"{err['message']}", exit_status=status,
                             child_traceback=err["traceback"])
    how = f"signal {signal.Signals(-status).name}" if status < 0 else f"status {status}"
    tail = (work / "stderr.log").read_bytes()[-2000:].decode("utf-8", "replace").strip()
    return TrainingError(f"the training process exited with {how} without reporting an error"
                         + (f"; its last output: {tail}" if tail else "."), exit_status=status)


@contextmanager
def _on_path(folder: Path) -> Iterator[None]:
    # the model may be an instance of a class from the project's own modules
    entry = str(folder)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)


def run_training(train_fn_spec: str, project_dir: str | Path, data: TrainingData | str | Path, *,
                 previous_artifact: Any = None, params: Mapping[str, Any] | None = None,
                 seed: int = 0, mode: str = "stateless", nice: int = 10, threads: int = 1,
                 timeout: float = 3600.0, target: str | None = None,
                 timestamp: str | None = None, client: Any = None) -> TrainingRun:
    """Train with ``train_fn_spec`` (``package.module:function`` in ``project_dir``) in a
    separate, niced, thread-capped process and return the model with its :class:`TrainingRun`.

    ``data`` is a :class:`~driftline.registry.TrainingData` or the path of a Parquet file
    (then ``target``, and optionally ``timestamp``, name its columns). ``previous_artifact``
    is the champion model, as loaded (and checked) by the registry; it is passed as
    ``previous`` in ``"stateful"`` mode only. The child's ``OMP_NUM_THREADS``,
    ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` (and the numexpr, Accelerate and joblib
    equivalents) are ``threads``; its niceness is raised by ``nice``. If ``train_fn_spec``
    names an estimator class instead of a function, :func:`default_trainer` wraps it and its
    ``n_jobs``-style parameter defaults to ``threads``.

    Raises :class:`TrainingError` with the child's error message when the function raises,
    the process dies or ``timeout`` seconds pass (the process and its children are killed).

    With ``client`` (a ``dask.distributed.Client``) the training runs on a worker of that
    cluster, in the worker's process, through the same code: the same seeds give the same
    model. The job and the result travel as bytes; BLAS/OpenMP threads are capped to
    ``threads`` with threadpoolctl (when installed), the worker's niceness is left alone, and
    :attr:`TrainingRun.worker` records the worker's address. The project folder (and a Parquet
    ``data`` path) must be readable at the same path on the workers, as on one machine or a
    shared volume. After ``timeout`` seconds the task is cancelled and the worker running it
    is restarted (through its nanny), since a running task cannot be interrupted otherwise.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> from driftline.registry import TrainingData
    >>> project = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (project / "mymodel.py").write_text(
    ...     "from sklearn.linear_model import LogisticRegression\\n"
    ...     "def train(data, *, previous=None, params):\\n"
    ...     "    return LogisticRegression(**params).fit(data.X, data.y)\\n")
    >>> data = TrainingData.from_frame(pd.DataFrame({"x": [0.0, 1, 2, 3], "y": [0, 0, 1, 1]}),
    ...                                target="y")
    >>> run = run_training("mymodel:train", project, data, params={"C": 1.0}, timeout=60)
    >>> run.model.predict(data.X).tolist(), run.exit_status, run.n_rows, run.threads
    ([0, 0, 1, 1], 0, 4, 1)
    """
    _check_arguments(train_fn_spec, mode, nice, threads, timeout)
    folder = Path(project_dir).resolve()
    if not folder.is_dir():
        raise ParameterError.invalid("project_dir", str(project_dir), "an existing folder")
    job = {"spec": train_fn_spec, "project_dir": str(folder),
           "data": _data_job(data, target, timestamp),
           "previous": previous_artifact if mode == "stateful" else None,
           "params": dict(params or {}), "seed": int(seed), "mode": mode, "threads": threads}
    started = time.perf_counter()
    if client is not None:
        result, pid, worker = _run_on_cluster(client, job, folder, threads, timeout)
        return TrainingRun(model=result["model"], function=train_fn_spec, mode=mode,
                           params=result["params"], seed=int(seed), n_rows=result["n_rows"],
                           data_hash=result["data_hash"], data_range=result["data_range"],
                           packages=result["packages"], duration_s=time.perf_counter() - started,
                           exit_status=0, pid=pid, nice=0, threads=threads, worker=worker)
    # mkdtemp makes a folder only this user can read: the pickles below never leave it.
    with tempfile.TemporaryDirectory(prefix="driftline-train-") as tmp:
        work = Path(tmp)
        # pickle is fine here: a transient hand-over between driftline's own processes,
        # written and read only by driftline in this private folder, deleted on return.
        with open(work / "job.pkl", "wb") as fh:
            pickle.dump(job, fh, protocol=pickle.HIGHEST_PROTOCOL)
        status, pid = _run_child(work, folder, nice, threads, timeout)
        if status != 0 or not (work / "result.pkl").is_file():
            raise _failure(work, status)
        with open(work / "result.pkl", "rb") as fh, _on_path(folder):
            result = pickle.load(fh)
    return TrainingRun(model=result["model"], function=train_fn_spec, mode=mode,
                       params=result["params"], seed=int(seed), n_rows=result["n_rows"],
                       data_hash=result["data_hash"], data_range=result["data_range"],
                       packages=result["packages"], duration_s=time.perf_counter() - started,
                       exit_status=status, pid=pid, nice=nice, threads=threads)


def _run_on_cluster(client: Any, job: dict[str, Any], folder: Path, threads: int,
                    timeout: float) -> tuple[dict[str, Any], int, str | None]:
    """Train on a worker of ``client``'s cluster: the result, the worker's pid and address."""
    if not (hasattr(client, "submit") and hasattr(client, "scatter")):
        raise ParameterError.invalid("client", type(client).__name__,
                                     "a dask.distributed.Client or None")
    from distributed import TimeoutError as DaskTimeoutError

    # pickle, as for the local child: a hand-over between driftline's own processes
    blob = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
    key = f"driftline-train-{uuid.uuid4().hex}"
    try:
        shipped = client.scatter(blob, hash=False)  # straight to a worker, not via the scheduler
        future = client.submit(_cluster_main, shipped, str(folder), threads, key=key, pure=False)
    except Exception as exc:
        raise TrainingError(f"could not submit the training to the Dask cluster: "
                            f"{type(exc).__name__}: {exc}") from exc
    try:
        payload = future.result(timeout=timeout)
    except (TimeoutError, DaskTimeoutError):
        shipped.release()  # before its worker may be restarted
        where = _stop(client, future)
        raise TrainingError(
            f"training did not finish within timeout={timeout:g} s on the Dask cluster; the task "
            "was cancelled" + (f" and its worker {where} restarted" if where else "")
            + ". Raise the timeout or train on fewer rows.") from None
    except Exception as exc:  # the worker died, the cluster went away, ...
        raise TrainingError(f"the training task failed on the Dask cluster: "
                            f"{type(exc).__name__}: {exc}") from exc
    finally:
        for f in (future, shipped):
            f.release()
    with _on_path(folder):
        answer = pickle.loads(payload)
    if "error" in answer:
        err = answer["error"]
        raise TrainingError(f"training failed on the Dask worker {answer['worker']}: "
                            f"{err['type']}: {err['message']}", exit_status=1,
                            child_traceback=err["traceback"])
    return answer["result"], answer["pid"], answer["worker"]


def _stop(client: Any, future: Any) -> str | None:
    """Cancel an overdue training task and restart the worker running it; its address."""
    try:
        running = client.processing()
    except Exception:  # best effort: the cluster may be going away
        running = {}
    where = next((w for w, keys in running.items() if future.key in keys), None)
    future.cancel()
    if where is None:
        return None
    try:
        client.restart_workers([where], raise_for_error=True)
    except Exception:  # a worker without a nanny cannot be restarted
        return None
    return str(where)


def _data_job(data: Any, target: str | None, timestamp: str | None) -> dict[str, Any]:
    from driftline.registry import TrainingData

    if isinstance(data, TrainingData):
        return {"data": data}
    if not isinstance(data, (str, Path)):
        raise ParameterError.invalid("data", type(data).__name__,
                                     "a TrainingData or the path of a Parquet file")
    path = Path(data).resolve()
    if not path.is_file():
        raise ParameterError.invalid("data", str(data), "an existing Parquet file")
    if target is None:
        raise ParameterError.invalid("target", None, "the label column's name",
                                     "It is needed when data is a Parquet path.")
    return {"path": str(path), "target": target, "timestamp": timestamp}


# ---------------------------------------------------------------------------- in the child


def _child_main(work: str) -> None:
    """The training process: load the job, train, write the result (or the error)."""
    import traceback

    folder = Path(work)
    try:
        with open(folder / "job.pkl", "rb") as fh:
            job = pickle.load(fh)
        result = _child_train(job)
        with open(folder / "result.tmp", "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(folder / "result.tmp", folder / "result.pkl")
    except BaseException as exc:  # everything, SystemExit included, is reported to the parent
        report = {"type": type(exc).__name__, "message": str(exc),
                  "traceback": traceback.format_exc()}
        (folder / "error.json").write_text(json.dumps(report), encoding="utf-8")
        sys.exit(1)


def _cluster_main(blob: bytes, project_dir: str, threads: int) -> bytes:
    """On a Dask worker: train in this process, as the child does, and return the pickled
    result (or the error) with the worker's pid and address. The project folder is on
    ``sys.path`` only meanwhile, and the project's modules are forgotten afterwards, so the
    next run imports the code as it is then."""
    import traceback

    saved, before = list(sys.path), set(sys.modules)
    sys.path.insert(0, project_dir)
    answer: dict[str, Any] = {"pid": os.getpid(), "worker": _worker_address()}
    try:
        job = pickle.loads(blob)
        with _thread_cap(threads):
            answer["result"] = _child_train(job)
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except (Exception, SystemExit) as exc:
        answer.pop("result", None)
        answer["error"] = {"type": type(exc).__name__, "message": str(exc),
                           "traceback": traceback.format_exc()}
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        sys.path[:] = saved
        _forget_modules(project_dir, before)


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):  # not on a worker (a local scheduler)
        return None


@contextmanager
def _thread_cap(threads: int) -> Iterator[None]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        yield
        return
    with threadpool_limits(limits=threads):
        yield


def _forget_modules(project_dir: str, before: set[str]) -> None:
    root = os.path.realpath(project_dir) + os.sep
    for name in set(sys.modules) - before:
        path = getattr(sys.modules.get(name), "__file__", None) or ""
        if path and os.path.realpath(path).startswith(root):
            del sys.modules[name]


def _child_data(spec: dict[str, Any]) -> TrainingData:
    if "data" in spec:
        return spec["data"]
    from driftline.errors import require
    from driftline.registry import TrainingData

    require("pyarrow", extra="io", feature="Reading Parquet training data")
    import pandas as pd

    frame = pd.read_parquet(spec["path"])
    return TrainingData.from_frame(frame, target=spec["target"], timestamp=spec["timestamp"])


def _child_function(job: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import importlib
    import inspect

    module_name, _, attr = job["spec"].partition(":")
    fn = getattr(importlib.import_module(module_name), attr)
    params = dict(job["params"])
    if inspect.isclass(fn):
        from driftline.retrain._stateful import default_trainer

        accepted = inspect.signature(fn).parameters
        params = {**{p: job["threads"] for p in _JOBS_PARAMS if p in accepted}, **params}
        fn = default_trainer(job["mode"], fn)
    return fn, params


def _child_train(job: dict[str, Any]) -> dict[str, Any]:
    import random

    import numpy as np

    from driftline.registry._handlers import library_version
    from driftline.retrain._register import _frame_hash

    sys.path.insert(0, job["project_dir"])
    random.seed(job["seed"])
    np.random.seed(job["seed"])  # noqa: NPY002 - legacy global state some training code reads
    data = _child_data(job["data"])
    fn, params = _child_function(job)
    model = fn(data, previous=job["previous"], params=params)
    if model is None or not hasattr(model, "predict"):
        raise TypeError(f"{job['spec']} returned {type(model).__name__}, not a model with "
                        "predict(); return the fitted model.")
    packages = {name: v for name in _PACKAGES if (v := library_version(name)) is not None}
    packages["python"] = ".".join(map(str, sys.version_info[:3]))
    return {"model": model, "params": params, "n_rows": len(data),
            "data_hash": _frame_hash(data.frame), "data_range": data.time_range,
            "packages": packages}
