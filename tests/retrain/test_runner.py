"""The isolated training runner: another process, niced, thread-capped, nothing left behind."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ParameterError
from driftline.registry import TrainingData
from driftline.retrain import TrainingError, TrainingRun, run_training
from driftline.retrain._register import _frame_hash

USER_CODE = '''
import os, subprocess, sys, time
from pathlib import Path


def train(data, *, previous=None, params):
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(random_state=0, **params).fit(data.X, data.y)
    model.pid_ = os.getpid()
    model.env_ = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                 "MKL_NUM_THREADS")}
    model.niceness_ = os.nice(0)
    model.had_previous_ = previous is not None
    return model


def fail(data, *, previous=None, params):
    raise ValueError("the feature store is empty (boom 42)")


def crash(data, *, previous=None, params):
    os._exit(3)


class Majority:
    def __init__(self, label, helper):
        self.label, self.helper = label, helper

    def predict(self, X):
        return [self.label] * len(X)


def leave_helper(data, *, previous=None, params):
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    return Majority(int(data.y.mode()[0]), helper.pid)


def hang(data, *, previous=None, params):
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    Path(params["pids"]).write_text(f"{os.getpid()} {helper.pid}")
    time.sleep(60)
'''


@pytest.fixture
def project(tmp_path, request):
    # one module name per test: the parent imports it to read a model back
    name = f"usercode_{request.node.name.replace('[', '_').replace(']', '').replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(USER_CODE))
    return tmp_path, name


def rows(n=120, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"t": pd.date_range("2025-01-01", periods=n, freq="h"),
                       "a": rng.normal(size=n), "b": rng.normal(size=n)})
    return df.assign(y=(df.a > 0).astype(int))


def data(n=120, seed=0):
    return TrainingData.from_frame(rows(n, seed), target="y", features=["a", "b"], timestamp="t")


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"  # a killed process waiting for init to reap it is gone


def gone(pid, timeout=10.0):
    """SIGKILL is delivered asynchronously: give the kernel a moment to finish the process."""
    import time

    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_trains_in_another_niced_thread_capped_process(project):
    folder, name = project
    d = data()
    run = run_training(f"{name}:train", folder, d, params={"alpha": 0.001}, seed=7, nice=3,
                       threads=2, timeout=120, previous_artifact="ignored when stateless")
    assert isinstance(run, TrainingRun) and run.exit_status == 0
    model = run.model
    assert model.pid_ == run.pid != os.getpid()
    assert model.env_ == {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    assert model.niceness_ == min(os.nice(0) + 3, 19)
    assert model.had_previous_ is False
    assert set(model.predict(d.X)) <= {0, 1}
    assert run.params == {"alpha": 0.001} and run.seed == 7 and run.mode == "stateless"
    assert run.n_rows == 120 and run.data_hash == _frame_hash(d.frame)
    assert run.data_range == d.time_range
    assert {"numpy", "pandas", "scikit-learn", "python"} <= set(run.packages)
    assert run.duration_s > 0 and (run.nice, run.threads) == (3, 2)
    record = json.loads(json.dumps(run.to_dict()))
    assert record["model_type"] == "sklearn.linear_model._stochastic_gradient.SGDClassifier"
    assert record["data_range"] == [str(v) for v in d.time_range]


def test_an_estimator_class_continues_the_champion_from_parquet(project, tmp_path):
    from sklearn.linear_model import SGDClassifier

    folder, _ = project
    path = tmp_path / "rows.parquet"
    rows(seed=1).to_parquet(path)
    champion = SGDClassifier(random_state=0).fit(data().X, data().y)
    run = run_training("sklearn.linear_model:SGDClassifier", folder, path, target="y",
                       timestamp="t", previous_artifact=champion, mode="stateful", nice=0,
                       timeout=120)
    assert run.params == {"n_jobs": 1}  # the n_jobs-style parameter defaults to `threads`
    assert run.model.t_ == champion.t_ + 120 and run.model.n_jobs == 1
    assert run.data_range == data(seed=1).time_range and run.mode == "stateful"


def test_a_raising_function_reports_its_message(project):
    folder, name = project
    with pytest.raises(TrainingError, match=r"ValueError: the feature store is empty \(boom 42\)") as info:
        run_training(f"{name}:fail", folder, data(), nice=0, timeout=120)
    assert info.value.exit_status == 1 and "boom 42" in info.value.child_traceback


def test_a_crashing_process_reports_its_exit_status(project):
    folder, name = project
    with pytest.raises(TrainingError, match="exited with status 3"):
        run_training(f"{name}:crash", folder, data(), nice=0, timeout=120)


def test_nothing_the_child_started_outlives_a_successful_run(project):
    folder, name = project
    run = run_training(f"{name}:leave_helper", folder, data(), nice=0, timeout=120)
    assert type(run.model).__name__ == "Majority"  # a class from the project's own module
    assert run.model.predict([1, 2]) == [run.model.label] * 2
    assert gone(run.model.helper)


def test_a_timeout_kills_the_process_and_its_children(project, tmp_path):
    folder, name = project
    pids = tmp_path / "pids.txt"
    with pytest.raises(TrainingError, match=r"timeout=5 s.*killed"):
        run_training(f"{name}:hang", folder, data(), params={"pids": str(pids)}, nice=0,
                     timeout=5)
    child, helper = map(int, pids.read_text().split())
    assert gone(child) and gone(helper)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"train_fn_spec": "no_colon"}, "train_fn_spec must be an import path"),
    ({"mode": "online"}, "mode must be one of 'stateless', 'stateful'"),
    ({"nice": 40}, r"nice must be an int in \[0, 19\]"),
    ({"threads": 0}, "threads must be a positive int"),
    ({"data": "missing.parquet"}, "data must be an existing Parquet file"),
], ids=["spec", "mode", "nice", "threads", "data"])
def test_arguments_are_checked_before_a_process_starts(project, kwargs, match):
    folder, name = project
    args = {"train_fn_spec": f"{name}:train", "data": data(), **kwargs}
    with pytest.raises(ParameterError, match=match):
        run_training(args.pop("train_fn_spec"), folder, args.pop("data"), **args)
