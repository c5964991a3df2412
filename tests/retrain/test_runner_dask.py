"""Training on a Dask cluster (a LocalCluster of 2 worker processes): the same code, on a
worker, gives the model the local child process gives; errors and timeouts come back as
``TrainingError``, and an overdue task's worker is restarted."""

from __future__ import annotations

import json
import os
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ParameterError
from driftline.registry import TrainingData
from driftline.retrain import TrainingError, run_training
from driftline.retrain._register import _frame_hash

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask

USER_CODE = '''
import os, sys, time


class Threshold:
    """A model class of the project itself: the client must find it to read the model back."""

    def __init__(self, cut, pid):
        self.cut, self.pid_ = cut, pid

    def predict(self, X):
        return (X["a"].to_numpy() > self.cut).astype(int)


def train(data, *, previous=None, params):
    import numpy as np
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(**params).fit(data.X, data.y)  # seeded through numpy's global state
    model.pid_ = os.getpid()
    model.noise_ = float(np.random.uniform())
    model.had_previous_ = previous is not None
    return model


def threshold(data, *, previous=None, params):
    return Threshold(float(data.X["a"].median()), os.getpid())


def fail(data, *, previous=None, params):
    raise ValueError("the feature store is empty (boom 42)")


def hang(data, *, previous=None, params):
    time.sleep(120)
'''


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
            distributed.Client(cluster, set_as_default=False) as c:
        c.run(_warm)  # both workers import the training stack at once, not one after the other
        yield c


def _warm() -> None:
    import sklearn.linear_model  # noqa: F401

    from driftline.registry._handlers import library_version
    from driftline.retrain import _register, _runner  # noqa: F401

    for name in _runner._PACKAGES:  # each looks up its distribution once per process
        library_version(name)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    (folder / "usercode_dask.py").write_text(textwrap.dedent(USER_CODE))
    return folder, "usercode_dask"


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"t": pd.date_range("2025-01-01", periods=n, freq="h"),
                       "a": rng.normal(size=n), "b": rng.normal(size=n)})
    df = df.assign(y=(df.a + 0.3 * rng.normal(size=n) > 0).astype(int))
    return TrainingData.from_frame(df, target="y", features=["a", "b"], timestamp="t")


def test_a_worker_trains_the_model_the_local_process_trains(client, project):
    folder, name = project
    d = data()
    params = {"loss": "log_loss", "max_iter": 50, "tol": None}
    local = run_training(f"{name}:train", folder, d, params=params, seed=11, timeout=120)
    remote = run_training(f"{name}:train", folder, d, params=params, seed=11, timeout=120,
                          threads=2, client=client)
    workers = client.run(os.getpid)
    assert remote.worker in workers and remote.pid == workers[remote.worker] != os.getpid()
    assert remote.model.pid_ == remote.pid and local.worker is None
    assert np.array_equal(remote.model.predict(d.X), local.model.predict(d.X))
    assert np.array_equal(remote.model.coef_, local.model.coef_)
    assert remote.model.noise_ == local.model.noise_   # numpy's global seed, as in the child
    assert (remote.n_rows, remote.data_hash, remote.data_range) == (200, _frame_hash(d.frame),
                                                                      d.time_range)
    assert (remote.exit_status, remote.nice, remote.threads) == (0, 0, 2)
    record = json.loads(json.dumps(remote.to_dict()))
    assert record["worker"] == remote.worker and record["pid"] == remote.pid


def test_a_model_of_the_projects_own_class_comes_back(client, project):
    folder, name = project
    d = data(seed=1)
    run = run_training(f"{name}:threshold", folder, d, mode="stateful",
                       previous_artifact={"any": "previous model"}, timeout=60, client=client)
    assert type(run.model).__name__ == "Threshold" and run.model.pid_ == run.pid
    assert run.model.predict(d.X).tolist() == (d.X["a"] > d.X["a"].median()).astype(int).tolist()


def test_the_training_functions_error_comes_back(client, project):
    folder, name = project
    with pytest.raises(TrainingError, match=r"on the Dask worker tcp://127\.0\.0\.1:\d+: "
                                            r"ValueError: the feature store is empty \(boom 42\)"
                       ) as err:
        run_training(f"{name}:fail", folder, data(), timeout=60, client=client)
    assert "Traceback" in err.value.child_traceback and err.value.exit_status == 1


def test_an_overdue_training_is_stopped_and_its_worker_restarted(client, project):
    folder, name = project
    before = client.run(os.getpid)
    started = time.monotonic()
    with pytest.raises(TrainingError, match=r"did not finish within timeout=2 s on the Dask "
                                            r"cluster; the task was cancelled and its worker"):
        run_training(f"{name}:hang", folder, data(), timeout=2, client=client)
    assert time.monotonic() - started < 30
    client.wait_for_workers(2, timeout=30)
    after = client.run(os.getpid)
    assert len(after) == 2 and set(after.values()) != set(before.values())


def test_a_client_that_is_not_one_is_refused(project):
    folder, name = project
    with pytest.raises(ParameterError, match=r"client must be a dask\.distributed\.Client or None"):
        run_training(f"{name}:train", folder, data(), timeout=60, client="tcp://nowhere:8786")
