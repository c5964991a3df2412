"""Pages stay light with 50 features and 1,000 windows: the server aggregates, and each page
ships a bounded number of points (checked by payload size and point counts, never by time)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from driftline.ui._charts import MAX_HEAT_COLUMNS, MAX_POINTS, count_points
from driftline.ui._html import PAGES
from tests.ui.test_pages import figures

N_FEATURES, N_WINDOWS = 50, 1_000
MAX_PAGE_BYTES = 400_000
MAX_PAGE_POINTS = 25_000


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    from driftline.store import Store

    folder = tmp_path_factory.mktemp("heavy")
    (folder / "driftline.yaml").write_text(
        "version: 1\nstore: {url: 'sqlite:///store.db'}\n"
        "model: {name: wide, task: binary, target: y}\n"
        "training: {function: m:train}\nreference: {path: ref.csv}\n")
    store = Store.open(f"sqlite:///{folder / 'store.db'}")
    store.add_model("wide", "binary")
    rng = np.random.default_rng(0)
    t0 = datetime.now(timezone.utc) - timedelta(hours=N_WINDOWS)
    feats = [f"x{j:02d}" for j in range(N_FEATURES)]
    edges = np.linspace(-3, 3, 41).tolist()
    for i in range(N_WINDOWS):
        end = (t0 + timedelta(hours=i + 1)).isoformat()
        scores = rng.gamma(1.0, 0.4, N_FEATURES) * (1 + (i > 600))
        features = {f: {"method": "ks", "statistic": float(s / 3), "p_value": float(math.exp(-s)),
                        "effect_size": float(s / 10), "effect_name": "wasserstein_normed",
                        "threshold": 0.1, "drifted": bool(s > 1), "tested": True,
                        "score": float(s), "action": None, "reason": None}
                    for f, s in zip(feats, scores, strict=True)}
        perf = {"roc_auc": 0.8 - 0.1 * (i > 600), "accuracy": 0.75,
                "bands": {"roc_auc": [0.75, 0.85], "accuracy": [0.7, 0.8]}}
        share = float(np.mean(scores > 1))
        result = {"version": 1, "start": end, "end": end, "n_rows": 500, "features": features,
                  "dataset_drift": share > 0.3, "drift_share": share, "performance": perf,
                  "label_coverage": 0.6, "drifted_features": [f for f in feats
                                                              if features[f]["drifted"]]}
        summary = {k: result[k] for k in ("version", "end", "n_rows", "dataset_drift",
                                           "drift_share", "performance", "label_coverage")}
        summary["label_drift"] = {"method": "z", "p_value": 0.5, "score": 0.1, "drifted": False}
        counts = rng.integers(0, 100, 40).tolist()
        detail = {f: {"kind": "histogram", "edges": edges, "reference": counts, "current": counts}
                  for f in feats}
        store.add_monitor_result("wide", result, [{"feature": f, **v} for f, v in features.items()],
                                 summary=summary, detail=detail)
        if i % 10 == 0:
            store.add_decision("wide", {"action": "none", "trigger": "", "reasons": ["quiet"],
                                        "at": end})
    return folder / "driftline.yaml"


@pytest.mark.parametrize("seg", ["/ui/"] + [f"/ui/models/wide/{s}" for s, _ in PAGES])
def test_each_page_stays_light(heavy, client_for, seg):
    client = client_for([heavy], serving=False, metrics=False)
    r = client.get(seg)
    assert r.status_code == 200
    assert len(r.content) <= MAX_PAGE_BYTES, (seg, len(r.content))
    figs = figures(r.text)
    assert sum(count_points(f) for f in figs) <= MAX_PAGE_POINTS
    for f in figs:
        for trace in f["data"]:
            if trace["type"] == "heatmap":
                assert len(trace["x"]) <= MAX_HEAT_COLUMNS and len(trace["y"]) <= 50
            else:
                assert len(trace["y"]) <= MAX_POINTS


def test_the_drift_page_summarises_all_windows_and_features(heavy, client_for):
    client = client_for([heavy], serving=False, metrics=False)
    figs = figures(client.get("/ui/models/wide/drift").text)
    heat = next(f for f in figs if f["data"][0]["type"] == "heatmap")["data"][0]
    assert len(heat["y"]) == N_FEATURES and len(heat["x"]) == MAX_HEAT_COLUMNS
    # each cell is the largest score of the windows it stands for: later windows drift more
    z = np.array([[np.nan if v is None else v for v in row] for row in heat["z"]])
    assert np.nanmean(z[:, -50:]) > 1.5 * np.nanmean(z[:, :50])
    share = next(f for f in figs if "drifted features" in f["layout"]["title"]["text"])
    assert len(share["data"][0]["y"]) == MAX_POINTS
