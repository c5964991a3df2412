"""``compare()`` on Dask frames and Parquet paths (a LocalCluster of 2 worker processes): a
``ProfileReport`` whose verdicts equal the exact path's wherever it is not uncertain, with the
exact path's statistics for the histogram distances and the label tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import driftline as dl
from driftline.drift import DriftReport, Reference, Schema
from driftline.errors import DataError, ParameterError
from driftline.profile import ProfileReport

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

pytestmark = pytest.mark.dask

N = 20_000
NUMERIC_SHIFTS = {"steady": 0.0, "tiny": 0.03, "near_floor": 0.1, "clear": 0.4}


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
            distributed.Client(cluster) as c:   # the default scheduler while it is open
        yield c


def _frame(seed: int, n: int = N, drift: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {name: rng.normal(shift if drift else 0.0, 1.0, n)
                               for name, shift in NUMERIC_SHIFTS.items()}
    cols["counts"] = rng.poisson(4.0 + (0.5 if drift else 0.0), n).astype(float)
    p = [0.3, 0.3, 0.2, 0.2] if not drift else [0.4, 0.25, 0.2, 0.15]
    cols["city"] = rng.choice(["a", "b", "c", "d"], n, p=p)
    cols["tier"] = rng.choice(["gold", "silver", "bronze"], n)
    cols["flag"] = rng.choice([0, 1], n, p=[0.5, 0.5] if not drift else [0.47, 0.53])
    return pd.DataFrame(cols)


def _agree(profiled: ProfileReport, exact: DriftReport) -> int:
    """Assert every certain verdict is the exact one; return how many were certain."""
    assert set(profiled.columns) == set(exact.columns)
    certain = 0
    for name, r in profiled.columns.items():
        e = exact.columns[name]
        assert r.method == e.method, name
        if r.uncertain:
            assert r.drifted is None
            continue
        certain += 1
        assert r.drifted == e.drifted, (name, r, e)
        assert r.low - 1e-12 <= e.statistic <= r.high + 1e-12, name
    return certain


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_dask_window_against_a_pandas_reference(client, seed):
    ref, cur = _frame(seed), _frame(100 + seed, drift=True)
    exact = dl.compare(ref, cur)
    report = dl.compare(ref, dd.from_pandas(cur, npartitions=5))   # auto: Dask
    assert isinstance(report, ProfileReport) and report.n_current == N
    assert _agree(report, exact) >= len(exact.columns) - 2
    assert report.columns["clear"].drifted and report.columns["steady"].drifted is False


@pytest.mark.parametrize("method", ["psi", "jensen_shannon", "hellinger"])
def test_histogram_distances_equal_the_exact_path(client, method):
    ref, cur = _frame(4), _frame(5, drift=True)
    exact = dl.compare(ref, cur, method=method)
    report = dl.compare(ref, dd.from_pandas(cur, npartitions=4), method=method)
    for name, r in report.columns.items():
        e = exact.columns[name]
        assert r.bound == 0 and not r.uncertain, name
        assert r.statistic == pytest.approx(e.statistic, rel=1e-12, abs=1e-15), name
        assert r.drifted == e.drifted, name


def test_label_tests_equal_the_exact_path(client):
    ref, cur = _frame(6), _frame(7, drift=True)
    method = {"categorical": "chi_square", "binary": "chi_square", "numerical": "psi"}
    exact = dl.compare(dd.from_pandas(ref, npartitions=3), cur, method=method, engine="memory")
    report = dl.compare(dd.from_pandas(ref, npartitions=3), dd.from_pandas(cur, npartitions=2),
                        method=method)
    for name in ("city", "tier", "flag"):
        r, e = report.columns[name], exact.columns[name]
        assert (r.method, r.bound) == ("chi_square", 0)
        assert r.statistic == pytest.approx(e.statistic, rel=1e-12)
        assert r.p_value == pytest.approx(e.p_value, rel=1e-9)
        assert r.p_value_adjusted == pytest.approx(e.p_value_adjusted, rel=1e-9)
        assert r.drifted == e.drifted


@pytest.mark.parametrize("seed", [8, 9])
def test_both_sides_on_dask(client, seed):
    ref, cur = _frame(seed), _frame(50 + seed, drift=True)
    exact = dl.compare(ref, cur)
    report = dl.compare(dd.from_pandas(ref, npartitions=6), dd.from_pandas(cur, npartitions=3))
    assert report.n_reference == N
    assert _agree(report, exact) >= len(exact.columns) - 2


def test_parquet_paths(client, tmp_path):
    ref, cur = _frame(10), _frame(11, drift=True)
    for name, frame in (("reference", ref), ("current", cur)):
        (tmp_path / name).mkdir()
        for i, rows in enumerate(np.array_split(np.arange(N), 4)):
            frame.iloc[rows].to_parquet(tmp_path / name / f"part-{i}.parquet", index=False)
    ref_dir, cur_dir = tmp_path / "reference", tmp_path / "current"
    exact = dl.compare(ref, cur)
    on_dask = dl.compare(ref_dir, str(cur_dir), engine="dask")
    assert isinstance(on_dask, ProfileReport) and on_dask.n_reference == N
    _agree(on_dask, exact)
    globbed = dl.compare(ref, str(cur_dir / "part-*.parquet"), engine="dask")
    _agree(globbed, exact)
    # engine="memory" (and "auto" for paths): read into pandas, the exact path
    in_memory = dl.compare(ref_dir, cur_dir / "part-0.parquet")
    assert isinstance(in_memory, DriftReport) and in_memory.n_current == N // 4
    whole = dl.compare(str(ref_dir), str(cur_dir), engine="memory")
    assert whole.to_dict()["columns"] == exact.to_dict()["columns"]


def test_columns_roles_and_schema(client):
    ref, cur = _frame(12), _frame(13, drift=True)
    ddf = dd.from_pandas(cur, npartitions=2)
    report = dl.compare(ref, ddf, columns=["clear", "city"], target="flag")
    assert set(report.columns) == {"clear", "city", "flag"}
    schema = Schema(kinds={"counts": "categorical"}, ignore=("tiny",))
    report = dl.compare(ref, ddf, schema=schema)
    assert "tiny" not in report.columns and report.columns["counts"].kind == "categorical"


def test_what_profiles_cannot_do_is_refused(client, tmp_path):
    ref, cur = _frame(14, n=500), _frame(15, n=500)
    ddf = dd.from_pandas(cur, npartitions=2)
    with pytest.raises(ParameterError, match="engine must be one of 'auto', 'memory', 'dask'"):
        dl.compare(ref, cur, engine="spark")
    with pytest.raises(ParameterError, match="progress must be None with engine='dask'"):
        dl.compare(ref, ddf, progress=lambda *a: None)
    with pytest.raises(ParameterError, match=r"multivariate must be \(\) with engine='dask'"):
        dl.compare(ref, ddf, multivariate=["mmd"])
    with pytest.raises(ParameterError, match="reference must be a table, a Dask DataFrame"):
        dl.compare(Reference.fit(ref), ddf)
    (tmp_path / "cur.csv").write_text(cur.to_csv(index=False))
    with pytest.raises(ParameterError, match="current must be a Parquet file"):
        dl.compare(ref, tmp_path / "cur.csv", engine="dask")
    assert dl.compare(ref, tmp_path / "cur.csv").n_current == 500   # in memory, as the CLI reads
    with pytest.raises(DataError, match=r"current path .* does not exist"):
        dl.compare(ref, tmp_path / "missing.parquet", engine="dask")
    # engine="memory" computes a Dask frame into pandas: the exact path
    assert isinstance(dl.compare(ref, ddf, engine="memory"), DriftReport)
