"""Merging, serialising and building profiles incrementally: the exact parts are identical
whatever the order, grouping or route, and the sketches stay within their bounds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from driftline.errors import DataError, SchemaError
from driftline.profile import (
    CategoricalProfile,
    NumericProfile,
    ProfileBuilder,
    TableProfile,
    compare_profiles,
    profile_frame,
)
from tests.profile._cases import merged, split


def _frame(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    x = rng.normal(shift, 1.0, n)
    x[rng.uniform(size=n) < 0.02] = np.nan
    counts = rng.poisson(3.0, n).astype(float)
    city = rng.choice(["a", "b", "c", "d", None], n, p=[0.4, 0.3, 0.2, 0.05, 0.05])
    flag = rng.choice([True, False], n)
    return pd.DataFrame({"x": x, "counts": counts, "city": city, "flag": flag})


@pytest.fixture(scope="module")
def reference() -> TableProfile:
    return profile_frame(_frame(np.random.default_rng(0), 5_000))


def _partitions(seed: int, n: int = 20_000, parts: int = 6) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frame = _frame(rng, n, 0.1)
    cuts = np.sort(rng.integers(0, n + 1, size=parts - 1))
    return [frame.iloc[lo:hi] for lo, hi in zip([0, *cuts], [*cuts, n], strict=True)]


def assert_exact_parts_equal(p: TableProfile, q: TableProfile) -> None:
    assert p.n_rows == q.n_rows and p.kinds == q.kinds
    for name in p.columns:
        a, b = p[name], q[name]
        assert (a.n, a.n_missing) == (b.n, b.n_missing), name
        if isinstance(a, NumericProfile):
            assert isinstance(b, NumericProfile)
            assert (a.min, a.max) == (b.min, b.max)
            for x, y in ((a.edges, b.edges), (a.counts, b.counts),
                         (a.grid_edges, b.grid_edges), (a.grid_counts, b.grid_counts)):
                assert np.array_equal(x, y), name
            assert np.isclose(a.sum, b.sum, rtol=1e-12, atol=1e-9)
            assert np.isclose(a.m2, b.m2, rtol=1e-9)
        else:
            assert isinstance(a, CategoricalProfile) and isinstance(b, CategoricalProfile)
            assert a.exact and b.exact
            assert np.array_equal(a.labels, b.labels) and np.array_equal(a.counts, b.counts)


def assert_sketch_within_bound(profile: NumericProfile, values: np.ndarray) -> None:
    points, cdf = profile.points
    data = np.sort(values[np.isfinite(values)])
    true = np.searchsorted(data, points, side="right") / data.size
    assert np.abs(true - cdf).max() <= profile.rank_error + 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_merge_is_associative_and_order_independent(reference, seed):
    parts = _partitions(seed)
    profiles = [profile_frame(p, reference=reference) for p in parts]
    rng = np.random.default_rng(seed)
    left = profiles[0]
    for p in profiles[1:]:
        left = left.merge(p)
    right = profiles[-1]
    for p in profiles[-2::-1]:
        right = p.merge(right)
    tree = TableProfile.merge_all(profiles)
    shuffled = merged(profiles, rng)
    whole = profile_frame(pd.concat(parts), reference=reference)
    values = pd.concat(parts)["x"].to_numpy()
    for result in (right, tree, shuffled, whole):
        assert_exact_parts_equal(left, result)
        x = result["x"]
        assert isinstance(x, NumericProfile)
        assert_sketch_within_bound(x, values)


def test_merging_an_empty_partition_changes_no_exact_part(reference):
    part = profile_frame(_partitions(7)[0], reference=reference)
    empty = profile_frame(_frame(np.random.default_rng(1), 10).iloc[:0], reference=reference)
    assert empty.n_rows == 0 and empty["x"].n == 0
    assert_exact_parts_equal(part, part.merge(empty))
    assert_exact_parts_equal(part, empty.merge(part))


def test_the_builder_equals_one_shot_profiling(reference):
    parts = _partitions(3, parts=8)
    builder = ProfileBuilder(reference)
    assert builder.profile().n_rows == 0
    for p in parts:
        builder.update(p)
    assert builder.n_rows == sum(len(p) for p in parts)
    assert_exact_parts_equal(builder.profile(), profile_frame(pd.concat(parts), reference=reference))
    builder.reset()
    assert builder.n_rows == 0 and builder.profile()["x"].n == 0


def test_an_empty_window_is_untested(reference):
    report = compare_profiles(reference, ProfileBuilder(reference).profile())
    assert {r.verdict for r in report.columns.values()} == {"untested"}
    assert report.columns["x"].reason == "no valid values in the current data"
    assert report.drifted is False


def test_round_trip_through_bytes(reference):
    window = TableProfile.merge_all(profile_frame(p, reference=reference) for p in _partitions(5))
    blob = window.to_bytes()
    back = TableProfile.from_bytes(blob)
    assert_exact_parts_equal(window, back)
    assert back.to_bytes() == blob
    for name in ("x", "counts"):
        assert np.array_equal(back[name].points[0], window[name].points[0])
        assert back[name].k == window[name].k
    assert compare_profiles(reference, back).to_dict() == compare_profiles(reference, window).to_dict()
    json.dumps(back.to_dict(), allow_nan=False)


def test_pickle_goes_through_the_bytes(reference):
    import pickle

    window = profile_frame(_partitions(6)[0], reference=reference)
    back = pickle.loads(pickle.dumps(window))
    assert_exact_parts_equal(window, back)
    assert back.to_bytes() == window.to_bytes()
    column = pickle.loads(pickle.dumps(window["x"]))
    assert column.k == window["x"].k and np.array_equal(column.counts, window["x"].counts)


def test_round_trip_keeps_heavy_hitters():
    rng = np.random.default_rng(0)
    labels = (rng.zipf(1.5, 20_000) % 3_000).astype(str)
    p = profile_frame({"c": labels}, max_categories=50)
    back = TableProfile.from_bytes(p.to_bytes())
    assert not back["c"].exact
    for x, y in zip(p["c"].table(), back["c"].table(), strict=True):
        assert np.array_equal(x, y)
    assert back["c"].max_error == p["c"].max_error


def test_exact_tables_switch_to_heavy_hitters_beyond_the_limit():
    a = profile_frame({"c": [f"a{i}" for i in range(30)]}, max_categories=40)
    b = profile_frame({"c": [f"b{i}" for i in range(30)]}, reference=a, max_categories=40)
    assert a["c"].exact and b["c"].exact
    both = a.merge(b)["c"]
    assert not both.exact and both.n == 60 and both.max_error == 0
    with pytest.raises(DataError, match="max_categories=40"):
        _ = both.labels
    labels, lower, upper = both.table()
    assert labels.size == 60 and (lower == 1).all() and (upper == 1).all()


def test_merge_refuses_different_edges_kinds_or_columns():
    rng = np.random.default_rng(0)
    a = profile_frame({"x": rng.normal(size=500)})
    b = profile_frame({"x": rng.normal(size=500)})
    with pytest.raises(DataError, match=r"different edges.*reference=ref"):
        a.merge(b)
    c = profile_frame({"x": ["u", "v", "w"]})
    with pytest.raises(SchemaError, match="it is numerical in one and categorical"):
        a.merge(c)
    with pytest.raises(SchemaError, match="different columns"):
        a.merge(profile_frame({"y": rng.normal(size=10)}))


def test_partitions_profiled_without_histograms_merge_into_a_two_pass_reference():
    rng = np.random.default_rng(4)
    values = rng.gamma(2.0, size=40_000)
    parts = split(values, 5, rng)
    draft = TableProfile.merge_all(profile_frame({"x": p}, kinds={"x": "numerical"}, bins=None,
                                                 grid=None) for p in parts)
    assert draft["x"].edges is None and draft["x"].n == values.size
    ref = TableProfile.merge_all(profile_frame({"x": p}, reference=draft) for p in parts)
    x = ref["x"]
    assert isinstance(x, NumericProfile) and x.edges is not None and x.counts is not None
    assert x.counts.sum() == values.size and x.edges.size == 9
    # the edges are the draft sketch's deciles: each bin holds about a tenth of the values
    assert np.abs(x.counts / values.size - 0.1).max() <= 2 * draft["x"].rank_error + 1e-9
    cur = profile_frame({"x": rng.gamma(2.0, size=5_000)}, reference=ref)
    assert compare_profiles(ref, cur, method="psi").columns["x"].bound == 0.0
