"""Whole-row drift signals in the monitor (opt-in), and OnDataDrift acting on them: a change of
the joint distribution that no single feature shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ParameterError
from driftline.monitor import Monitor
from driftline.monitor._multivariate import MultivariateWatch
from driftline.policy import OnDataDrift, PolicyContext, WindowSummary

COLS = ["a", "b", "c", "d"]


def _correlated(rng, n, rho):
    cov = np.full((4, 4), rho) + np.eye(4) * (1 - rho)
    return pd.DataFrame(rng.multivariate_normal(np.zeros(4), cov, size=n), columns=COLS)


def test_a_broken_correlation_is_seen_by_pca_and_mmd_not_by_the_features():
    rng = np.random.default_rng(5)
    ref = _correlated(rng, 2_000, 0.8).assign(y=rng.integers(0, 2, 2_000), prediction=0)
    mon = Monitor("m", 1, ref, features=COLS, target="y", task="binary", min_rows=100,
                  multivariate=("pca_reconstruction", "mmd"))
    quiet = mon.compute(_correlated(rng, 500, 0.8).assign(prediction=0), "t0", "t1")
    broken = mon.compute(_correlated(rng, 500, 0.0).assign(prediction=0), "t1", "t2")
    assert not quiet.multivariate["pca_reconstruction"]["drifted"]
    assert not quiet.multivariate["mmd"]["drifted"]
    assert broken.multivariate["pca_reconstruction"]["drifted"]
    assert broken.multivariate["mmd"]["drifted"]
    assert not broken.drifted_features  # every feature is still N(0, 1) on its own
    assert broken.summary()["multivariate"]["mmd"]["drifted"] is True
    gauges = {(g["name"], g["labels"].get("method")): g["value"] for g in broken.gauges()}
    assert gauges[("driftline_multivariate_drift", "mmd")] == 1.0
    assert gauges[("driftline_multivariate_drift", "pca_reconstruction")] == 1.0
    plain = Monitor("m", 1, ref, features=COLS, target="y", task="binary", min_rows=100)
    assert plain.compute(_correlated(rng, 500, 0.0).assign(prediction=0), "t", "u").multivariate == {}


def test_the_domain_classifier_names_the_shifted_feature():
    rng = np.random.default_rng(6)
    ref = _correlated(rng, 600, 0.0)
    cur = _correlated(rng, 400, 0.0).assign(b=lambda f: f["b"] + 1.5)
    out = MultivariateWatch(ref, COLS, methods=("domain_classifier",)).evaluate(cur)
    assert out["domain_classifier"]["drifted"] and out["domain_classifier"]["top_features"][0] == "b"
    with pytest.raises(ParameterError, match="methods"):
        MultivariateWatch(ref, COLS, methods=("umap",))


def test_on_data_drift_counts_windows_a_chosen_method_flagged():
    from datetime import datetime, timedelta, timezone

    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    ws = [WindowSummary(t0 + timedelta(hours=i), 500, False, n_features=4,
                        multivariate_drift=("mmd",) if i else ()) for i in range(3)]
    ctx = PolicyContext(t0 + timedelta(hours=3), "m", ws)
    assert not OnDataDrift(persistence=(2, 3)).evaluate(ctx).fired
    r = OnDataDrift(persistence=(2, 3), methods=("mmd", "pca_reconstruction")).evaluate(ctx)
    assert r.fired and r.reason == "multivariate drift (mmd), 2 of last 3 windows"
    assert not OnDataDrift(persistence=(2, 3), methods=("domain_classifier",)).evaluate(ctx).fired
    with pytest.raises(ParameterError, match="methods"):
        OnDataDrift(methods="mmd")


def _scored(rng, n, share):
    """Rows of a model's log: the positive class is ``share`` of the traffic, and the scores
    and predicted labels follow it (the features do not matter to BBSD)."""
    y = (rng.random(n) < share).astype(int)
    p = np.clip(rng.normal(0.3 + 0.4 * y, 0.15), 0, 1)
    frame = _correlated(rng, n, 0.5)
    return frame.assign(y=y, score_0=1 - p, score_1=p, prediction=(p >= 0.5).astype(int))


def test_bbsd_reads_the_logged_scores_and_predicted_labels():
    rng = np.random.default_rng(8)
    ref = _scored(rng, 2_000, 0.3)
    mon = Monitor("m", 1, ref, features=COLS, target="y", task="binary", min_rows=100,
                  multivariate=("bbsd_soft", "bbsd_hard"), estimate=False)
    quiet = mon.compute(_scored(rng, 500, 0.3).drop(columns="y"), "t0", "t1")
    shifted = mon.compute(_scored(rng, 500, 0.6).drop(columns="y"), "t1", "t2")
    assert set(quiet.multivariate) == {"bbsd_soft", "bbsd_hard"}
    for m in ("bbsd_soft", "bbsd_hard"):
        # one quiet window may be a false alarm at alpha (the next test counts them); twice
        # the share of the positive class is not a close call
        assert quiet.multivariate[m]["p_value"] > 1e-3
        assert shifted.multivariate[m]["drifted"] and shifted.multivariate[m]["p_value"] < 1e-6
    # a log without scores (or a regressor's) leaves bbsd_soft out instead of failing
    bare = mon.compute(_scored(rng, 500, 0.6).drop(columns=["y", "score_0", "score_1"]),
                       "t2", "t3")
    assert set(bare.multivariate) == {"bbsd_hard"}


def test_bbsd_false_alarms_stay_near_alpha():
    # 40 quiet windows on unchosen seeds: each test flags about alpha = 5% of them
    flags = {"bbsd_soft": 0, "bbsd_hard": 0}
    rng = np.random.default_rng(9)
    mon = Monitor("m", 1, _scored(rng, 2_000, 0.3), features=COLS, target="y", task="binary",
                  min_rows=100, multivariate=tuple(flags), estimate=False, outliers=False)
    for _ in range(40):
        r = mon.compute(_scored(rng, 300, 0.3).drop(columns="y"), "t0", "t1")
        for m in flags:
            flags[m] += bool(r.multivariate[m]["drifted"])
    assert all(v <= 6 for v in flags.values()), flags  # P(Binomial(40, 0.05) > 6) < 0.01


def test_the_project_file_the_monitor_and_compare_accept_the_same_methods():
    from typing import get_args

    from driftline.config._model import MultivariateMethod
    from driftline.drift._multivariate import MULTIVARIATE_METHODS as IN_COMPARE
    from driftline.monitor._multivariate import MULTIVARIATE_METHODS as IN_MONITOR

    assert get_args(MultivariateMethod) == IN_MONITOR == IN_COMPARE
