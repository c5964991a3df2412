"""PCAReconstruction: a bounded false-alarm rate, and it sees correlation changes KS misses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.drift import PCAReconstruction
from driftline.errors import DataError, ParameterError, SmallSampleWarning
from driftline.stats import ks

ALPHA = 0.05


def equicorrelated(rho: float, d: int = 4) -> np.ndarray:
    cov = np.full((d, d), rho)
    np.fill_diagonal(cov, 1.0)
    return cov


def draw(rng: np.random.Generator, cov: np.ndarray, n: int) -> np.ndarray:
    return rng.multivariate_normal(np.zeros(len(cov)), cov, size=n)


@pytest.mark.parametrize("window", [50, 100, 300], ids=lambda m: f"pca-null-window-{m}")
def test_false_positive_rate_under_h0(window):
    replicates = 150
    alarms = 0
    for s in range(replicates):
        rng = np.random.default_rng(s)
        pca = PCAReconstruction().fit(draw(rng, equicorrelated(0.7), 1000))
        alarms += bool(pca.evaluate(draw(rng, equicorrelated(0.7), window)).drifted)
    assert alarms / replicates <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / replicates)


def test_flags_a_correlation_change_that_univariate_tests_miss():
    decoupled = equicorrelated(0.7)
    decoupled[0, 1:] = decoupled[1:, 0] = 0.0  # column 0 leaves the group; marginals unchanged
    pca_hits = ks_hits = 0
    for s in range(30):
        rng = np.random.default_rng(500 + s)
        ref, cur = draw(rng, equicorrelated(0.7), 1000), draw(rng, decoupled, 200)
        pca_hits += bool(PCAReconstruction().fit(ref).evaluate(cur).drifted)
        ks_hits += any(bool(ks(ref[:, j], cur[:, j], alpha=ALPHA / 4).drifted) for j in range(4))
    assert pca_hits == 30
    assert ks_hits <= 6


def test_result_and_fitted_state():
    rng = np.random.default_rng(0)
    pca = PCAReconstruction(chunk_size=100).fit(draw(rng, equicorrelated(0.7), 1000))
    assert pca.components_.shape == (4, 1) and pca.explained_variance_ >= 0.65
    r = pca.evaluate(draw(rng, equicorrelated(0.7), 400))
    assert r.lower_threshold < r.reconstruction_error < r.upper_threshold
    assert r.statistic == r.reconstruction_error and r.drifted is False
    # a window four times the chunk size gets a band half as wide
    half = (r.upper_threshold - r.lower_threshold) / 2
    assert half == pytest.approx(pca.k_sigma * pca.error_std_ / 2)
    d = r.to_dict()
    assert d["method"] == "pca_reconstruction" and d["n_current"] == 400 and d["chunk_size"] == 100
    assert "PCAReconstruction(variance=0.65" in repr(pca)


def test_frames_with_missing_values_and_categories():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    x = draw(rng, equicorrelated(0.8, 2), 1200)
    city = np.where(x[:, 0] > 0, "north", "south").astype(object)
    ref = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "city": city})
    ref.loc[:20, "a"] = np.nan
    pca = PCAReconstruction().fit(ref.iloc[:1000])
    assert pca.evaluate(ref.iloc[1000:]).drifted is False
    shuffled = ref.iloc[1000:].assign(city=rng.permutation(city[1000:]))
    assert pca.evaluate(shuffled).drifted is True


def test_seeded_data_gives_identical_results():
    ref = draw(np.random.default_rng(3), equicorrelated(0.5), 500)
    cur = draw(np.random.default_rng(4), equicorrelated(0.5), 100)
    assert PCAReconstruction().fit(ref).evaluate(cur) == PCAReconstruction().fit(ref).evaluate(cur)


def test_empty_window_gives_no_verdict():
    pca = PCAReconstruction().fit(draw(np.random.default_rng(0), equicorrelated(0.5), 200))
    with pytest.warns(SmallSampleWarning):
        r = pca.evaluate(np.empty((0, 4)))
    assert r.drifted is None and r.to_dict()["reconstruction_error"] is None


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"variance": 0.0}, "variance"), ({"variance": 1.5}, "variance"),
    ({"chunk_size": 1}, "chunk_size"), ({"k_sigma": -1.0}, "k_sigma"),
], ids=["variance-zero", "variance-high", "chunk-size", "k-sigma"])
def test_parameter_errors_name_the_parameter(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        PCAReconstruction(**kwargs)


def test_data_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(DataError, match="chunks"):
        PCAReconstruction(chunk_size=60).fit(rng.normal(size=(100, 3)))
    with pytest.raises(DataError, match="not fitted"):
        PCAReconstruction().evaluate(rng.normal(size=(10, 3)))
    pca = PCAReconstruction().fit(rng.normal(size=(100, 3)))
    with pytest.raises(DataError, match="columns"):
        pca.evaluate(rng.normal(size=(10, 2)))
