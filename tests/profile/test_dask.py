"""Profiles on Dask (a LocalCluster of 2 worker processes): every partition profiled on a worker,
merged in a tree. The exact parts equal ``profile_frame`` on the whole pandas frame, whatever
the partitioning; the sketches stay within their bounds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from driftline.errors import DataError, ParameterError, SchemaError
from driftline.profile import NumericProfile, TableProfile, profile_dask, profile_frame
from tests.profile.test_merge import assert_exact_parts_equal, assert_sketch_within_bound

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

pytestmark = pytest.mark.dask

N = 24_000
PARTITIONS = (1, 2, 3, 5, 8, 16)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _frame(seed: int, n: int = N, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    x[rng.uniform(size=n) < 0.02] = np.nan
    return pd.DataFrame({
        "x": x,
        "counts": rng.poisson(3.0, n).astype(float),        # ties: the fine grid's extra edges
        "income": rng.lognormal(10 + shift, 0.5, n),
        "city": rng.choice(["a", "b", "c", "d", None], n, p=[0.4, 0.3, 0.2, 0.05, 0.05]),
        "flag": rng.choice([True, False], n),
    })


@pytest.fixture(scope="module")
def reference_frame() -> pd.DataFrame:
    return _frame(0)


@pytest.fixture(scope="module")
def reference(reference_frame) -> TableProfile:
    return profile_frame(reference_frame)


@pytest.mark.parametrize("parts", PARTITIONS)
def test_a_window_on_dask_equals_profile_frame_on_the_whole_frame(client, reference, parts):
    frame = _frame(parts, shift=0.1)
    window = profile_dask(dd.from_pandas(frame, npartitions=parts), reference=reference,
                          client=client)
    assert_exact_parts_equal(window, profile_frame(frame, reference=reference))
    for name in ("x", "counts", "income"):
        col = window[name]
        assert isinstance(col, NumericProfile)
        assert_sketch_within_bound(col, frame[name].to_numpy())


@pytest.mark.parametrize("parts", PARTITIONS)
def test_a_reference_on_dask_has_the_exact_parts_of_the_whole_frame(client, reference_frame,
                                                                    reference, parts):
    ref = profile_dask(dd.from_pandas(reference_frame, npartitions=parts), client=client)
    assert ref.n_rows == N and ref.kinds == reference.kinds
    for name in ref.columns:
        a, b = ref[name], reference[name]
        assert (a.n, a.n_missing) == (b.n, b.n_missing), name
        if isinstance(a, NumericProfile):
            assert isinstance(b, NumericProfile)
            assert (a.min, a.max) == (b.min, b.max)
            assert np.isclose(a.sum, b.sum, rtol=1e-12) and np.isclose(a.m2, b.m2, rtol=1e-9)
            values = reference_frame[name].to_numpy()
            assert_sketch_within_bound(a, values)
            # the histograms are exact on the edges the reference uses
            data = np.sort(values[np.isfinite(values)])
            for edges, counts in ((a.edges, a.counts), (a.grid_edges, a.grid_counts)):
                cum = np.searchsorted(data, edges, side="right")
                assert np.array_equal(counts, np.diff(np.concatenate(([0], cum, [data.size]))))
        else:
            assert np.array_equal(a.labels, b.labels) and np.array_equal(a.counts, b.counts)
    if parts == 1:  # one partition: one pass, with the exact path's own edges
        assert_exact_parts_equal(ref, reference)
    else:  # two passes: deciles of the sketch, within its rank error of the exact ones
        x = ref["x"]
        assert isinstance(x, NumericProfile) and x.counts is not None
        share = x.counts / x.n
        assert np.abs(share - 0.1).max() <= 2 * x.rank_error


def test_windows_against_a_dask_reference_merge_and_compare(client, reference_frame):
    ref = profile_dask(dd.from_pandas(reference_frame, npartitions=4), client=client)
    frame = _frame(3, shift=0.5)
    window = profile_dask(dd.from_pandas(frame, npartitions=6), reference=ref, client=client)
    assert_exact_parts_equal(window, profile_frame(frame, reference=ref))


def test_the_default_scheduler_is_the_current_client(client, reference):
    frame = _frame(4)
    ddf = dd.from_pandas(frame, npartitions=3)
    assert_exact_parts_equal(profile_dask(ddf, reference=reference),
                             profile_frame(frame, reference=reference))


def test_empty_partitions_change_nothing(client, reference):
    frame = _frame(5).assign(i=np.arange(N))
    ddf = dd.from_pandas(frame, npartitions=6)
    early, late = ddf[ddf.i >= N // 2], ddf[ddf.i < N // 3]   # the first or the last ones empty
    for lazy, kept in ((early, frame[frame.i >= N // 2]), (late, frame[frame.i < N // 3])):
        lazy, kept = lazy.drop(columns="i"), kept.drop(columns="i")
        assert_exact_parts_equal(profile_dask(lazy, reference=reference, client=client),
                                 profile_frame(kept, reference=reference))
        ref = profile_dask(lazy, client=client)   # kinds from the first non-empty partition
        assert ref.n_rows == len(kept) and ref.kinds == reference.kinds


def test_parquet_folders_files_and_globs(client, tmp_path, reference):
    frame = _frame(6)
    folder = tmp_path / "window"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(N), 4)):
        frame.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    expected = profile_frame(frame, reference=reference)
    for source in (folder, str(folder), str(folder / "part-*.parquet")):
        assert_exact_parts_equal(profile_dask(source, reference=reference, client=client),
                                 expected)
    one = profile_dask(folder / "part-0.parquet", reference=reference, client=client)
    assert one.n_rows == N // 4
    ref = profile_dask(folder, columns=["x", "city"], client=client)
    assert ref.columns == ("x", "city") and ref.n_rows == N


def test_columns_and_kinds(client, reference_frame):
    ddf = dd.from_pandas(reference_frame, npartitions=3)
    ref = profile_dask(ddf, columns=["counts", "city"], kinds={"counts": "categorical"},
                       client=client)
    assert ref.kinds == {"counts": "categorical", "city": "categorical"}
    assert ref["counts"].n == N


def test_in_memory_tables_are_profiled_here(reference_frame, reference):
    assert_exact_parts_equal(profile_dask(reference_frame), reference)
    window = profile_dask(reference_frame.iloc[:100], reference=reference)
    assert window.n_rows == 100


def test_errors_name_the_parameter(client, reference, tmp_path):
    ddf = dd.from_pandas(_frame(7, n=200), npartitions=2)
    with pytest.raises(ParameterError, match="kinds cannot be given together with reference"):
        profile_dask(ddf, reference=reference, kinds={"x": "numerical"})
    with pytest.raises(ParameterError, match="reference must be a TableProfile or None"):
        profile_dask(ddf, reference="ref.profile")
    with pytest.raises(SchemaError, match="column 'x' is in the reference profile but not in"):
        profile_dask(ddf.drop(columns="x"), reference=reference, client=client)
    with pytest.raises(SchemaError, match="column 'nope' given in columns is not in the frame"):
        profile_dask(ddf, columns=["nope"])
    with pytest.raises(ParameterError, match=r"client must be a dask\.distributed\.Client or None"):
        profile_dask(ddf, reference=reference, client="tcp://nowhere:8786")
    with pytest.raises(DataError, match="does not exist"):
        profile_dask(tmp_path / "missing")
    (tmp_path / "table.csv").write_text("x\n1\n")
    with pytest.raises(ParameterError, match=r"data must be a Parquet file"):
        profile_dask(tmp_path / "table.csv")
    empty = ddf[ddf.x > 1e9]
    with pytest.raises(DataError, match="every partition is empty"):
        profile_dask(empty, client=client)


def test_profiles_travel_between_worker_processes(client, reference):
    """The workers are other processes: each profile crossed a process boundary as bytes."""
    import os

    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids
    blob = client.submit(lambda p: p.to_bytes(), reference).result()
    assert blob == reference.to_bytes()


def test_importing_the_profiles_does_not_import_dask():
    code = ("import sys, driftline.profile, driftline.drift; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
