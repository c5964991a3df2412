"""The tuning's trials trained one after another in one separate process
(:class:`_TrialProcess`), as :func:`~driftline.retrain.run_training` trains once; the
retraining loop's ``training.tuning`` uses it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError

if TYPE_CHECKING:
    from driftline.registry import TrainingData
    from driftline.retrain._runner import TrainingError

__all__ = ["_TrialProcess"]

_TRIALS_CHILD = ("import os, sys\n"
                 "if hasattr(os, 'nice'): os.nice(int(sys.argv[2]))\n"
                 "from driftline.retrain._trial_process import _trials_child_main\n"
                 "_trials_child_main(sys.argv[1])\n")


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the child exited, without reaping it (its pid, the group's id, stays taken
    until the group is killed)."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return proc.poll() is not None
    try:
        return waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


class _TrialProcess:
    """Trains trial after trial in one separate process, as :func:`run_training` trains once:
    niced, thread-capped, in its own process group, from the training function's import path.
    The interpreter, the libraries, the function and the data are loaded once, so a tuning
    pays for one process start rather than one per trial.

    The parent hands each trial's params over in the private temporary folder and waits for
    the model (or the error) with the trial's timeout. A trial past its timeout, or a crash,
    kills the process group; the next trial starts a new process. The group is killed on
    :meth:`close`.
    """

    def __init__(self, spec: str, project_dir: str | Path, *, previous: Any = None, seed: int = 0,
                 mode: str = "stateless", nice: int = 10, threads: int = 1) -> None:
        from driftline.retrain._runner import _check_arguments

        _check_arguments(spec, mode, nice, threads, 1.0)
        self.folder = Path(project_dir).resolve()
        if not self.folder.is_dir():
            raise ParameterError.invalid("project_dir", str(project_dir), "an existing folder")
        self.spec, self.previous, self.seed = spec, previous, int(seed)
        self.mode, self.nice, self.threads = mode, nice, threads
        self.starts = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._logs: list[IO[bytes]] = []
        self._data: Any = None
        self._work = Path()
        self._count = 0

    def __enter__(self) -> _TrialProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self, data: TrainingData) -> None:
        from driftline.retrain._runner import _child_env

        self._stop()
        if self._tmp is None:  # only this user can read it: the pickles never leave it
            self._tmp = tempfile.TemporaryDirectory(prefix="driftline-tune-")
        self.starts += 1
        self._work = Path(self._tmp.name) / f"process-{self.starts}"
        self._work.mkdir()
        job = {"spec": self.spec, "project_dir": str(self.folder), "data": data,
               "previous": self.previous if self.mode == "stateful" else None,
               "seed": self.seed, "mode": self.mode, "threads": self.threads}
        with open(self._work / "job.pkl", "wb") as fh:
            pickle.dump(job, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._logs = [open(self._work / "stdout.log", "wb"),  # noqa: SIM115 - closed in _stop
                      open(self._work / "stderr.log", "wb")]  # noqa: SIM115
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _TRIALS_CHILD, str(self._work), str(self.nice)],
            cwd=self.folder, env=_child_env(self.threads), stdin=subprocess.PIPE,
            stdout=self._logs[0], stderr=self._logs[1], start_new_session=True)
        self._data = data

    def _stop(self) -> None:
        from driftline.retrain._runner import _kill_group

        proc, self._proc, self._data = self._proc, None, None
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            _kill_group(proc)
        for log in self._logs:
            log.close()
        self._logs = []

    def _died(self) -> TrainingError:
        from driftline.retrain._runner import TrainingError

        tail = (self._work / "stderr.log").read_bytes()[-2000:].decode("utf-8", "replace").strip()
        self._stop()
        return TrainingError("the trial's training process exited without reporting an error"
                             + (f"; its last output: {tail}" if tail else "."))

    def fit(self, data: TrainingData, params: Mapping[str, Any], *, timeout: float) -> Any:
        """Train on ``data`` with ``params`` and return the model; raises
        :class:`~driftline.retrain.TrainingError` when the function raises, the process dies
        or ``timeout`` seconds pass."""
        from driftline.retrain._runner import TrainingError, _on_path

        if not timeout > 0:
            raise ParameterError.invalid("timeout", timeout, "a positive number of seconds")
        if self._proc is None or self._data is not data:
            self._start(data)
        assert self._proc is not None and self._proc.stdin is not None
        number = self._count
        self._count += 1
        with open(self._work / f"params-{number}.pkl", "wb") as fh:
            pickle.dump(dict(params), fh, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._proc.stdin.write(f"{number}\n".encode())
            self._proc.stdin.flush()
        except OSError:
            raise self._died() from None
        model_file = self._work / f"model-{number}.pkl"
        error_file = self._work / f"error-{number}.json"
        deadline, pause = time.monotonic() + timeout, 0.002
        while not (model_file.is_file() or error_file.is_file()):
            if _exited(self._proc) and not (model_file.is_file() or error_file.is_file()):
                raise self._died()
            if time.monotonic() >= deadline:
                self._stop()
                raise TrainingError(
                    f"the trial's training did not finish within timeout={timeout:g} s; its "
                    "process and its children were killed (the next trial starts a new one).")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        if error_file.is_file():
            err = json.loads(error_file.read_text(encoding="utf-8"))
            raise TrainingError(f"training failed in the training process: {err['type']}: "
                                f"{err['message']}", child_traceback=err["traceback"])
        with open(model_file, "rb") as fh, _on_path(self.folder):
            model = pickle.load(fh)
        model_file.unlink()
        return model

    def close(self) -> None:
        """Kill the process group and delete the temporary folder."""
        self._stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _trials_child_main(work: str) -> None:
    """The trials' process: load the job once, then train each trial named on stdin and
    write its model (or its error) next to the job; exit at the end of stdin."""
    import random
    import traceback

    from driftline.retrain._runner import _child_function

    folder = Path(work)
    with open(folder / "job.pkl", "rb") as fh:
        job = pickle.load(fh)
    sys.path.insert(0, job["project_dir"])
    for line in sys.stdin:
        number = line.strip()
        if not number:
            continue
        try:
            with open(folder / f"params-{number}.pkl", "rb") as fh:
                params = pickle.load(fh)
            random.seed(job["seed"])
            np.random.seed(job["seed"])  # noqa: NPY002 - legacy global state some code reads
            fn, merged = _child_function({**job, "params": params})
            model = fn(job["data"], previous=job["previous"], params=merged)
            if model is None or not hasattr(model, "predict"):
                raise TypeError(f"{job['spec']} returned {type(model).__name__}, not a model "
                                "with predict(); return the fitted model.")
            with open(folder / f"model-{number}.tmp", "wb") as fh:
                pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(folder / f"model-{number}.tmp", folder / f"model-{number}.pkl")
        except BaseException as exc:  # reported to the parent; the next trial goes on
            report = {"type": type(exc).__name__, "message": str(exc),
                      "traceback": traceback.format_exc()}
            (folder / f"error-{number}.tmp").write_text(json.dumps(report), encoding="utf-8")
            os.replace(folder / f"error-{number}.tmp", folder / f"error-{number}.json")
