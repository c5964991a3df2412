"""``compare(multivariate=…)``: whole-row tests as a dataset-level section of the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

import driftline as dl
from driftline.drift import DriftReport, Reference
from driftline.drift._html import render_html
from driftline.errors import ParameterError


def _correlated(rho: float, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=n)
    return {"a": xy[:, 0], "b": xy[:, 1], "c": rng.normal(size=n)}


@pytest.fixture(scope="module")
def broken() -> DriftReport:
    # The same marginals on both sides: only the correlation of a and b flips.
    return dl.compare(_correlated(0.9, 600, 0), _correlated(-0.9, 600, 1),
                      multivariate=("pca_reconstruction", "mmd"))


def test_broken_correlation_is_caught_by_whole_row_tests_only(broken: DriftReport) -> None:
    assert not any(c.drifted for c in broken.tested)
    assert broken.drifted is False  # the whole-row tests do not change the verdict
    assert broken.multivariate["pca_reconstruction"].drifted is True
    assert broken.multivariate["pca_reconstruction"].p_value is None
    mmd = broken.multivariate["mmd"]
    assert mmd.drifted is True and mmd.p_value is not None and mmd.p_value <= 0.05
    assert mmd.columns == ("a", "b", "c")


def test_stationary_rows_are_quiet() -> None:
    rep = dl.compare(_correlated(0.9, 600, 0), _correlated(0.9, 600, 1),
                     multivariate=("pca_reconstruction", "mmd"))
    assert [m.drifted for m in rep.multivariate.values()] == [False, False]


def test_default_output_has_no_multivariate_section() -> None:
    rep = dl.compare(_correlated(0.9, 300, 0), _correlated(-0.9, 300, 1))
    assert rep.multivariate == {}
    assert "multivariate" not in rep.to_dict()


def test_to_dict_round_trip(broken: DriftReport) -> None:
    data = json.loads(broken.to_json())
    assert data == broken.to_dict()
    section = data["multivariate"]
    assert list(section) == ["pca_reconstruction", "mmd"]
    for name, m in broken.multivariate.items():
        assert section[name] == m.to_dict()
        assert section[name]["drifted"] is True
    assert section["mmd"]["statistic"] == pytest.approx(broken.multivariate["mmd"].statistic)


def test_html_shows_the_section(broken: DriftReport) -> None:
    page = render_html(broken.to_dict())
    assert "Multivariate tests" in page and "pca_reconstruction" in page
    assert "Multivariate tests" not in render_html(dl.compare({"a": [1.0, 2.0]},
                                                              {"a": [1.0, 2.0]}).to_dict())


def test_target_and_prediction_are_left_out_and_bbsd_reads_scores() -> None:
    rng = np.random.default_rng(3)
    ref, cur = _correlated(0.5, 400, 0), _correlated(0.5, 400, 1)
    ref |= {"y": rng.integers(0, 2, 400), "p1": rng.beta(2, 2, 400)}
    cur |= {"y": rng.integers(0, 2, 400), "p1": rng.beta(5, 2, 400)}
    rep = dl.compare(ref, cur, target="y", prediction_scores={1: "p1"},
                     multivariate=("mmd", "bbsd_soft", "bbsd_hard"))
    assert rep.multivariate["mmd"].columns == ("a", "b", "c")
    soft = rep.multivariate["bbsd_soft"]
    assert soft.columns == ("p1",) and soft.drifted is True
    hard = rep.multivariate["bbsd_hard"]
    assert hard.drifted is None and "prediction" in (hard.reason or "")


def test_domain_classifier_names_the_separating_features() -> None:
    pytest.importorskip("sklearn")
    rep = dl.compare(_correlated(0.9, 400, 0), _correlated(-0.9, 400, 1),
                     multivariate="domain_classifier")
    d = rep.multivariate["domain_classifier"]
    assert d.drifted is True
    assert set(d.top_features[:2]) == {"a", "b"}


@pytest.mark.parametrize("bad", [("mmd", "pca"), ("kolmogorov",)], ids=["pca", "unknown"])
def test_unknown_method_names_the_parameter(bad: tuple[str, ...]) -> None:
    with pytest.raises(ParameterError, match=r"multivariate must be one of .*pca_reconstruction"):
        dl.compare({"a": [1.0, 2.0]}, {"a": [1.0, 2.0]}, multivariate=bad)


def test_fitted_reference_is_refused() -> None:
    fitted = Reference.fit(_correlated(0.9, 200, 0))
    with pytest.raises(ParameterError, match="raw reference rows"):
        dl.compare(fitted, _correlated(0.9, 200, 1), multivariate=("mmd",))


def test_too_few_numeric_features_gives_no_verdict() -> None:
    rng = np.random.default_rng(0)
    rep = dl.compare({"a": rng.normal(size=200), "s": rng.choice(["u", "v"], 200)},
                     {"a": rng.normal(size=200), "s": rng.choice(["u", "v"], 200)},
                     multivariate=("pca_reconstruction",))
    pca = rep.multivariate["pca_reconstruction"]
    assert pca.drifted is None and pca.columns == ("a",) and "two numeric" in (pca.reason or "")
    assert rep.to_dict()["multivariate"]["pca_reconstruction"]["statistic"] is None
