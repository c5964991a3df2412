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
