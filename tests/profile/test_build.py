"""Building profiles: kinds, missing values and labels as the exact path sees them; errors that
name the parameter, what is allowed and what was received."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from driftline import compare
from driftline.drift import Reference
from driftline.errors import DataError, MissingDependencyError, ParameterError, SchemaError
from driftline.profile import (
    DEFAULT_GRID,
    DEFAULT_K,
    DEFAULT_MAX_CATEGORIES,
    ProfileBuilder,
    TableProfile,
    compare_profiles,
    profile_frame,
)


def _mixed(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=n).astype(object)
    x[::7] = None
    x[1::11] = np.nan
    x[2::13] = np.inf
    x[3::17] = -np.inf
    text_numbers = rng.integers(0, 50, n).astype(str).astype(object)
    text_numbers[::9] = "oops"
    text_numbers[1::19] = None
    city = pd.Series(rng.choice(["a", "b", "c"], n), dtype="string")
    city[::5] = pd.NA
    return pd.DataFrame({
        "x": pd.to_numeric(pd.Series(x), errors="coerce"),
        "ints": pd.array(rng.integers(0, 100, n), dtype="Int64"),
        "text_numbers": text_numbers,
        "city": city,
        "flag": rng.integers(0, 2, n),
        "when": pd.date_range("2024-01-01", periods=n, freq="min"),
    })


def test_kinds_are_the_exact_paths_and_timestamps_are_left_out():
    frame = _mixed(np.random.default_rng(0), 600)
    profile = profile_frame(frame, kinds={"text_numbers": "numerical"})
    ref = Reference.fit(frame, schema=None)
    expected = {c: k for c, k in ref.kinds.items() if k in ("numerical", "categorical", "binary")}
    expected["text_numbers"] = "numerical"
    assert profile.kinds == expected
    assert "when" not in profile


def test_missing_values_are_counted_as_the_exact_path_counts_them():
    rng = np.random.default_rng(1)
    ref_frame, cur_frame = _mixed(rng, 800), _mixed(rng, 700)
    kinds = {"text_numbers": "numerical"}
    ref = profile_frame(ref_frame, kinds=kinds)
    cur = profile_frame(cur_frame, reference=ref)
    from driftline.drift import Schema

    exact = compare(ref_frame, cur_frame, schema=Schema(kinds=kinds))
    report = compare_profiles(ref, cur)
    for name, result in report.columns.items():
        e = exact.columns[name]
        assert (result.n_reference, result.n_current) == (e.n_reference, e.n_current), name
        assert (result.n_missing_reference, result.n_missing_current) == (
            e.n_missing_reference, e.n_missing_current), name
    x = ref["x"]
    finite = ref_frame["x"].to_numpy(dtype=float)
    assert x.n == np.isfinite(finite).sum() and x.n_missing == 800 - x.n
    assert ref["city"].n_missing == int(ref_frame["city"].isna().sum())


def test_labels_are_the_exact_paths_text():
    ref = profile_frame({"code": [1.0, 2.0, 2.0, 3.0, np.nan, 3.0]},
                        kinds={"code": "categorical"})
    assert ref["code"].labels.tolist() == ["1", "2", "3"]
    assert ref["code"].counts.tolist() == [1, 2, 2] and ref["code"].n_missing == 1
    cur = profile_frame({"code": ["1", "3", "4"]}, reference=ref)
    assert cur["code"].labels.tolist() == ["1", "3", "4"]
    flag = profile_frame({"f": [True, False, True]})["f"]
    assert flag.kind == "binary" and flag.labels.tolist() == ["False", "True"]


def test_numeric_summaries_are_exact():
    rng = np.random.default_rng(2)
    values = rng.lognormal(3, 1, 5_000)
    x = profile_frame({"x": values})["x"]
    assert (x.n, x.min, x.max) == (5_000, values.min(), values.max())
    assert math.isclose(x.sum, values.sum(), rel_tol=1e-12)
    assert x.std == np.std(values, ddof=1) and math.isclose(x.mean, values.mean(), rel_tol=1e-12)
    assert x.k == DEFAULT_K and x.counts.tolist() == [500] * 10
    assert x.grid_counts.sum() == 5_000 and x.grid_edges.size == DEFAULT_GRID - 1
    assert np.array_equal(x.edges, np.unique(np.quantile(values, np.linspace(0, 1, 11)[1:-1])))
    q = x.quantiles([0.0, 0.5, 1.0])
    assert q[0] == values.min() and q[-1] == values.max()
    assert abs(np.mean(values <= q[1]) - 0.5) <= x.rank_error


def test_discrete_columns_get_edges_on_both_sides_of_each_value():
    x = profile_frame({"x": np.repeat([1.0, 2.0, 5.0], [10, 20, 30])})["x"]
    below = np.nextafter(np.array([2.0, 5.0]), -np.inf)
    assert set(below.tolist()) <= set(x.grid_edges.tolist())


def test_empty_partitions_profile_against_a_reference():
    ref = profile_frame({"x": np.arange(100.0), "c": list("abc") * 33 + ["a"]})
    meta = pd.DataFrame({"x": pd.Series([], dtype=float), "c": pd.Series([], dtype=object)})
    empty = profile_frame(meta, reference=ref)
    assert empty.n_rows == 0 and empty["x"].counts.sum() == 0 and empty["c"].n == 0
    with pytest.raises(DataError, match=r"cannot infer the kind of column 'x'.*kinds="):
        profile_frame(meta)
    assert profile_frame(meta, kinds={"x": "numerical", "c": "categorical"}).n_rows == 0
    as_dict = profile_frame({"x": np.empty(0), "c": np.empty(0, dtype=object)}, reference=ref)
    assert as_dict.n_rows == 0 and as_dict["x"].n == 0


def test_to_dict_is_json():
    frame = _mixed(np.random.default_rng(3), 400)
    d = profile_frame(frame, kinds={"text_numbers": "numerical"}).to_dict()
    json.dumps(d, allow_nan=False)
    assert d["schema"] == "driftline.profile/1"
    assert d["columns"]["city"]["exact"] is True


def test_only_given_columns_are_profiled():
    p = profile_frame({"id": np.arange(50), "x": np.arange(50.0) % 7}, columns=["x"])
    assert p.columns == ("x",)
    with pytest.raises(SchemaError, match="column 'nope' given in columns"):
        profile_frame({"x": [1.0]}, columns=["nope"])


@pytest.mark.parametrize(("options", "message"), [
    ({"k": 4}, "k must be an integer from 8 to 65535; got 4."),
    ({"k": 2.5}, "k must be an integer from 8 to 65535; got 2.5."),
    ({"max_categories": 1}, "max_categories must be an integer from 2 to 16777216; got 1."),
    ({"bins": 1}, "bins must be an integer >= 2, or None for no histogram; got 1."),
    ({"grid": True}, "grid must be an integer >= 2, or None for no histogram; got True."),
    ({"kinds": {"x": "numeric"}}, "kinds['x'] must be one of 'numerical', 'categorical',"),
])
def test_parameter_errors_name_the_parameter_and_the_value(options, message):
    with pytest.raises(ParameterError) as err:
        profile_frame({"x": [1.0, 2.0, 3.0]}, **options)
    assert message in str(err.value)


def test_reference_errors():
    ref = profile_frame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "c"]})
    with pytest.raises(ParameterError, match="kinds cannot be given together with reference"):
        profile_frame({"x": [1.0], "c": ["a"]}, reference=ref, kinds={"x": "numerical"})
    with pytest.raises(SchemaError, match="column 'c' is in the reference profile but not"):
        profile_frame({"x": [1.0]}, reference=ref)
    with pytest.raises(ParameterError, match="reference must be a TableProfile"):
        ProfileBuilder({"x": [1.0]})  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="profiles must be at least one TableProfile"):
        TableProfile.merge_all([])
    with pytest.raises(ParameterError, match="column must be one of 'x', 'c'; got 'y'"):
        ref["y"]


def test_bytes_that_are_not_a_profile_are_refused():
    with pytest.raises(DataError, match="not a driftline profile"):
        TableProfile.from_bytes(b"\x80\x04pickle")
    blob = bytearray(profile_frame({"x": [1.0, 2.0, 3.0]}).to_bytes())
    blob[4] = 99
    with pytest.raises(DataError, match="format version 99 is not supported"):
        TableProfile.from_bytes(bytes(blob))
    with pytest.raises(DataError, match="truncated"):
        TableProfile.from_bytes(profile_frame({"x": [1.0, 2.0, 3.0]}).to_bytes()[:-20])


def test_a_missing_datasketches_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "datasketches", None)  # import now fails
    with pytest.raises(MissingDependencyError, match=r"pip install 'driftline\[profile\]'"):
        profile_frame({"x": [1.0, 2.0, 3.0]})


def test_defaults_are_exported():
    assert (DEFAULT_K, DEFAULT_GRID, DEFAULT_MAX_CATEGORIES) == (200, 1000, 10_000)
