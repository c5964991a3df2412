"""The served app in-process: the status-code table, error bodies, auth, readiness, replays,
feedback, ingestion and the admin endpoints."""

from __future__ import annotations

import json

import pytest

from tests.serving.conftest import ADMIN_TOKEN, PREDICT_TOKEN, instance, oip_body

pytest.importorskip("fastapi")


def client_for(project, env=None, **settings):
    from fastapi.testclient import TestClient

    from driftline.app import ServeSettings, create_app

    settings.setdefault("worker", False)  # the loop is tested in tests/loop
    return TestClient(create_app([project], ServeSettings(environ=env or {}, **settings)))


PREDICT = "/v1/models/credit/predict"


# -- the status table ---------------------------------------------------------------------
@pytest.mark.parametrize(("body", "headers", "status", "field"), [
    (b'{"instances": [', {}, 400, "body"),
    (b"\xff\xfe", {}, 400, "body"),
    (b'{"instances": [{"income": NaN}]}', {}, 422, "body"),
    (b'{"instances": [{"income": 1e999}]}', {}, 422, "body"),
    (json.dumps({"instances": [instance(income="high")]}).encode(), {}, 422,
     "instances[0].income"),
    (json.dumps({"instances": [instance(colour="red")]}).encode(), {}, 422,
     "instances[0].colour"),
    (json.dumps({"instances": [{"income": 1.0}]}).encode(), {}, 422, "instances[0].age"),
    (json.dumps({"instances": []}).encode(), {}, 422, "instances"),
    (json.dumps({"instances": [instance()] * 11}).encode(), {}, 422, "instances"),
    (json.dumps({"rows": [instance()]}).encode(), {}, 422, "rows"),
    (json.dumps([instance()]).encode(), {}, 422, "body"),
    (b'{"instances": []}', {"content-type": "text/plain"}, 415, "Content-Type"),
    (b'{"instances": []}', {"content-type": "application/x-www-form-urlencoded"}, 415,
     "Content-Type"),
    (b"{" + b" " * 5000 + b"}", {}, 413, "body"),
])
def test_bad_inputs_get_the_documented_status(project, body, headers, status, field):
    extra = "limits: {max_rows_per_request: 10, max_body_bytes: 4096}\n"
    project.write_text(project.read_text() + extra)
    with client_for(project) as client:
        h = {"content-type": "application/json", **headers}
        r = client.post(PREDICT, content=body, headers=h)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    err = r.json()
    assert set(err) == {"error", "field"} and err["field"] == field
    assert "Traceback" not in r.text and ".py" not in r.text and str(project.parent) not in r.text


def test_unknown_model_and_unknown_path_are_404_json(project):
    with client_for(project) as client:
        for r in (client.post("/v1/models/nope/predict", json={"instances": [instance()]}),
                  client.post("/v2/models/nope/infer", json=oip_body([instance()])),
                  client.get("/v2/models/nope/ready"), client.get("/no/such/path")):
            assert r.status_code == 404
            assert set(r.json()) == {"error", "field"}
        assert client.get(PREDICT).status_code == 405


def test_oip_infer_and_metadata(project):
    with client_for(project) as client:
        r = client.post("/v2/models/credit/infer", json={**oip_body([instance(), instance(
            age=23.0)]), "id": "req-1"})
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["model_name"] == "credit" and out["model_version"] == "1" and out["id"] == "req-1"
        predict = next(o for o in out["outputs"] if o["name"] == "predict")
        proba = next(o for o in out["outputs"] if o["name"] == "predict_proba")
        assert predict["shape"] == [2, 1] and proba["shape"] == [2, 2]
        meta = client.get("/v2/models/credit").json()
        assert [i["name"] for i in meta["inputs"]] == list(instance())
        assert client.get("/v2/models/credit/ready").json() == {"name": "credit", "ready": True}
        bad = oip_body([instance()])
        bad["inputs"][0]["datatype"] = "BYTES"
        bad["inputs"][0]["data"] = ["x"]
        assert client.post("/v2/models/credit/infer", json=bad).status_code == 422
        binary = oip_body([instance()])
        binary["inputs"][0]["parameters"] = {"binary_data_size": 8}
        r = client.post("/v2/models/credit/infer", json=binary)
        assert r.status_code == 400 and "binary-data" in r.json()["error"]


def test_predictions_are_logged_and_replays_are_idempotent(project):
    from driftline.store import Store

    with client_for(project) as client:
        first = client.post(PREDICT, json={"instances": [instance(), instance(age=30.0)],
                                           "ids": ["a", "b"]}).json()
        again = client.post(PREDICT, json={"instances": [instance(), instance(age=55.0)],
                                           "ids": ["a", "c"]}).json()
        assert again["replayed"] == ["a"] and again["predictions"][0] == first["predictions"][0]
        assert again["scores"][0] == first["scores"][0]
        clash = client.post(PREDICT, json={"instances": [instance(age=99.0)], "ids": ["a"]})
        assert clash.status_code == 409 and clash.json()["field"] == "ids"
        assert client.post("/v1/models/credit/feedback", json={"id": "a", "label": 1}).json() == {
            "accepted": 1}
        batch = {"feedback": [{"id": "b", "label": 0}, {"id": "c", "label": 1}]}
        assert client.post("/v1/models/credit/feedback", json=batch).json() == {"accepted": 2}
        assert client.post("/v1/models/credit/feedback", json={"id": "d"}).status_code == 422
    store = Store.open(f"sqlite:///{project.parent / 'driftline.db'}")
    window = store.read_window("credit").set_index("id")
    assert sorted(window.index) == ["a", "b", "c"]
    assert window.loc["a", "label"] == 1 and window.loc["c", "label"] == 1
    assert window.loc["b", "age"] == 30.0 and (window["version"] == 1).all()


def test_log_endpoint_follows_the_same_rules(project):
    from driftline.store import Store

    rec = {"id": "e1", "timestamp": "2026-11-01T10:00:00Z", "features": instance(),
           "prediction": 1, "scores": {"0": 0.2, "1": 0.8}}
    with client_for(project) as client:
        r = client.post("/v1/models/credit/log", json={"records": [rec]})
        assert r.status_code == 200 and r.json()["written"] == 1
        assert client.post("/v1/models/credit/log", json={"records": [rec]}).json()[
            "replayed"] == ["e1"]
        changed = {**rec, "prediction": 0}
        assert client.post("/v1/models/credit/log", json={"records": [changed]}).status_code == 409
        wrong = {**rec, "id": "e2", "features": instance(age="old")}
        r = client.post("/v1/models/credit/log", json={"records": [wrong]})
        assert r.status_code == 422 and r.json()["field"] == "age"
    window = Store.open(f"sqlite:///{project.parent / 'driftline.db'}").read_window("credit")
    assert window["id"].tolist() == ["e1"] and window["score_1"].tolist() == [0.8]


# -- auth ---------------------------------------------------------------------------------
ENDPOINTS = [
    ("POST", "/v2/models/credit/infer", "predict", lambda: oip_body([instance()])),
    ("GET", "/v2/models/credit", "predict", None),
    ("POST", PREDICT, "predict", lambda: {"instances": [instance()]}),
    ("POST", "/v1/models/credit/feedback", "predict", lambda: {"id": "x", "label": 1}),
    ("POST", "/v1/models/credit/log", "predict",
     lambda: {"records": [{"features": instance(), "prediction": 1}]}),
    ("POST", "/v1/models/credit/retrain", "admin", lambda: {"reason": "test"}),
    ("POST", "/v1/models/credit/promote", "admin", lambda: {"version": 2}),
    ("POST", "/v1/models/credit/rollback", "admin", lambda: {}),
]
TOKENS = {"predict": PREDICT_TOKEN, "admin": ADMIN_TOKEN}


@pytest.mark.parametrize(("method", "path", "role", "body"), ENDPOINTS,
                         ids=[e[1].rsplit("/", 1)[-1] for e in ENDPOINTS])
def test_security_matrix(project, method, path, role, body):
    env = {"DRIFTLINE_TOKEN": PREDICT_TOKEN, "DRIFTLINE_ADMIN_TOKEN": ADMIN_TOKEN}
    wrong = "admin" if role == "predict" else "predict"
    with client_for(project, env) as client:
        def call(token):
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            kw = {"json": body()} if body else {}
            return client.request(method, path, headers=headers, **kw)

        for token, status in ((None, 401), ("not-a-token", 401), (TOKENS[wrong], 403)):
            r = call(token)
            assert r.status_code == status, (token, r.text)
            assert PREDICT_TOKEN not in r.text and ADMIN_TOKEN not in r.text
        if path.endswith("rollback"):  # needs an earlier champion: promote first
            assert call_admin(client, "/v1/models/credit/promote", {"version": 2}).status_code == 200
        r = call(TOKENS[role])
        assert 200 <= r.status_code < 300, r.text
    # open endpoints stay open
    with client_for(project, env) as client:
        assert client.get("/v2/health/ready").status_code == 200
        assert client.get("/v2/models/credit/ready").status_code == 200
        assert client.get("/metrics").status_code == 200


def call_admin(client, path, body):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def test_tokens_are_not_in_the_environment_names_but_in_the_variables(project):
    project.write_text(project.read_text()
                       + "auth: {token_env: CREDIT_TOKEN, admin_token_env: CREDIT_ADMIN}\n")
    env = {"CREDIT_TOKEN": "t1", "CREDIT_ADMIN": "t2"}
    with client_for(project, env) as client:
        ok = client.post(PREDICT, json={"instances": [instance()]},
                         headers={"Authorization": "Bearer t1"})
        assert ok.status_code == 200
        assert client.post(PREDICT, json={"instances": [instance()]}).status_code == 401


def test_non_loopback_bind_needs_tokens_or_insecure():
    from driftline.app import check_bind
    from driftline.errors import ConfigError

    check_bind("127.0.0.1", False, False)
    check_bind("::1", False, False)
    check_bind("0.0.0.0", True, False)
    check_bind("0.0.0.0", False, True)
    with pytest.raises(ConfigError, match="--insecure"):
        check_bind("0.0.0.0", False, False)
    with pytest.raises(ConfigError):
        check_bind("192.168.1.10", False, False)


# -- readiness and stages ------------------------------------------------------------------
def test_readiness_is_503_without_a_champion_and_200_once_promoted(tmp_path):
    from driftline.retrain import register
    from tests.serving.project import make_project

    path = make_project(tmp_path / "p", n=600)
    with client_for(path, poll_seconds=0.1) as client:
        r = client.get("/v2/health/ready")
        assert r.status_code == 503 and r.json()["ready"] is False
        assert client.get("/v2/models/credit/ready").status_code == 503
        r = client.post(PREDICT, json={"instances": [instance()]})
        assert r.status_code == 503 and "no champion" in r.json()["error"]
        register(path, promote=True)  # another process (the CLI) promotes a first version
        import time

        deadline = time.monotonic() + 20
        while client.get("/v2/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "the server never picked up the champion"
            time.sleep(0.1)
        assert client.post(PREDICT, json={"instances": [instance()]}).status_code == 200


def test_readiness_with_no_models_is_never_200():
    from fastapi.testclient import TestClient

    from driftline.app import create_app
    from driftline.errors import ConfigError

    with pytest.raises(ConfigError):
        TestClient(create_app([]))


def test_promote_rollback_and_a_corrupt_challenger(project):
    from driftline.config import load_project
    from driftline.retrain import open_registry

    with client_for(project) as client:
        assert client.post("/v1/models/credit/promote", json={"version": 2}).json()["version"] == 2
        assert client.post(PREDICT, json={"instances": [instance()]}).json()["model_version"] == 2
        back = client.post("/v1/models/credit/rollback", json={"reason": "worse"}).json()
        assert back == {"model": "credit", "version": 1, "stage": "champion", "previous": 2}
        # corrupt version 2's artifact: promoting it must fail and leave v1 serving
        registry = open_registry(load_project(project))
        art = registry.root / registry.get("credit", 2).artifact.path
        art.write_bytes(art.read_bytes()[:-10] + b"0123456789")
        r = client.post("/v1/models/credit/promote", json={"version": 2})
        assert r.status_code == 409 and "SHA-256" in r.json()["error"]
        assert client.post(PREDICT, json={"instances": [instance()]}).json()["model_version"] == 1
        assert client.get("/v2/health/ready").status_code == 200
        assert client.post("/v1/models/credit/promote", json={"version": 9}).status_code == 404
        assert client.post("/v1/models/credit/retrain", json={}).status_code == 202
    history = [(h.version, h.stage) for h in registry.history("credit")]
    assert history[-3:] == [(2, "champion"), (2, "archived"), (1, "champion")]
    assert registry.champion("credit").version == 1
    kinds = [e["kind"] for e in registry.store.events("credit")]
    assert "promote_refused" in kinds and "retrain_requested" in kinds


def test_pii_columns_are_hashed_or_dropped_in_the_log(project):
    from driftline.store import Store

    project.write_text(project.read_text()
                       + "privacy: {pii_columns: {region: hash, purpose: drop}}\n")
    with client_for(project, {"DRIFTLINE_PII_SALT": "pepper"}) as client:
        r = client.post(PREDICT, json={"instances": [instance()], "ids": ["p1"]})
        assert r.status_code == 200, r.text
    window = Store.open(f"sqlite:///{project.parent / 'driftline.db'}").read_window("credit")
    assert "purpose" not in window.columns
    assert window["region"].iloc[0] not in ("north", None) and len(window["region"].iloc[0]) >= 16


def test_request_metrics_have_bounded_labels(project):
    with client_for(project) as client:
        client.post(PREDICT, json={"instances": [instance()]})
        before = _series(client.get("/metrics").text)
        for k in range(5):
            client.post(f"/v1/models/m{k}/predict", json={})
            client.get(f"/random/{k}")
        after = _series(client.get("/metrics").text)
        text = client.get("/metrics").text
    assert after == before
    assert 'driftline_requests_total{code="2xx",endpoint="predict",model="credit",version="1"} 1.0' \
        in text
    assert 'driftline_predictions_total{model="credit",version="1"} 1.0' in text


def _series(text):
    return {line.rsplit(" ", 1)[0] for line in text.splitlines()
            if line.startswith("driftline_") and "_created" not in line}


def test_served_rows_read_back_the_same_before_and_after_compaction(project):
    from driftline.store import Store

    with client_for(project) as client:
        for k in range(12):
            r = client.post(PREDICT, json={"instances": [instance(age=20.0 + k)] * (1 + k % 3)})
            assert r.status_code == 200
    store = Store.open(f"sqlite:///{project.parent / 'driftline.db'}")
    before = store.read_window("credit").sort_values("id").reset_index(drop=True)
    assert len(before) == sum(1 + k % 3 for k in range(12))
    assert store.compact("credit").batches_merged == 12
    after = store.read_window("credit").sort_values("id").reset_index(drop=True)
    import pandas as pd

    pd.testing.assert_frame_equal(before, after)
    assert before["ts"].dt.tz is not None and before["score_1"].between(0, 1).all()


def test_model_state_gauges_are_read_from_the_store_at_scrape_time(project):
    from datetime import datetime, timezone

    from driftline.store._tables import monitor_results

    with client_for(project) as client:
        assert "driftline_dataset_drift_share{" not in client.get("/metrics").text
        store = client.app.state.serving.services["credit"].registry.store
        with store.engine.begin() as conn:
            conn.execute(monitor_results.insert().values(
                model_id=store.model_id("credit"), version=1, computed_at=datetime.now(timezone.utc),
                result={"gauges": [
                    {"name": "driftline_dataset_drift_share", "labels": {"model": "credit"},
                     "value": 0.25},
                    {"name": "driftline_feature_drift_score",
                     "labels": {"model": "credit", "feature": "income"}, "value": 0.4}]}))
        text = client.get("/metrics").text
    assert 'driftline_dataset_drift_share{model="credit"} 0.25' in text
    assert 'driftline_feature_drift_score{feature="income",model="credit"} 0.4' in text


def test_several_project_files_serve_several_models(tmp_path, trained):
    import shutil

    from fastapi.testclient import TestClient

    from driftline.app import ServeSettings, create_app

    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(trained, a)
    shutil.copytree(trained, b)
    text = (b / "driftline.yaml").read_text().replace("name: credit", "name: churn")
    (b / "driftline.yaml").write_text(text)
    from driftline.retrain import register

    register(b / "driftline.yaml", promote=True)
    app = create_app([a / "driftline.yaml", b / "driftline.yaml"], ServeSettings(environ={}))
    with TestClient(app) as client:
        for name in ("credit", "churn"):
            r = client.post(f"/v1/models/{name}/predict", json={"instances": [instance()]})
            assert r.status_code == 200 and r.json()["model"] == name
        assert client.get("/v2/health/ready").json()["models"] == {"credit": True, "churn": True}
        paths = client.get("/openapi.json").json()["paths"]
        assert "/v1/models/churn/predict" in paths and "/v1/models/credit/predict" in paths


def test_a_challenger_with_other_features_is_refused_and_the_champion_keeps_serving(project):
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from driftline.retrain import register

    data = pd.read_csv(project.parent / "reference.csv").drop(columns=["purpose"])
    prep = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["region"])],
                             remainder="passthrough")
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=300))]).fit(
        data.drop(columns=["default"]), data["default"])
    mv = register(project, model=model, data=data).version
    assert "purpose" not in mv.inputs
    with client_for(project) as client:
        r = client.post("/v1/models/credit/promote", json={"version": mv.version})
        assert r.status_code == 409 and "features" in r.json()["error"]
        ok = client.post(PREDICT, json={"instances": [instance()]})
        assert ok.status_code == 200 and ok.json()["model_version"] == 1


def test_the_api_promotes_a_rejected_version_only_with_force_and_a_reason(project):
    from driftline.config import load_project
    from driftline.retrain import open_registry

    registry = open_registry(load_project(project))
    registry.store.set_stage("credit", 2, "archived", reason="rejected: roc_auc worse")
    with client_for(project) as client:
        r = client.post("/v1/models/credit/promote", json={"version": 2})
        assert r.status_code == 409 and "failed validation" in r.json()["error"]
        r = client.post("/v1/models/credit/promote", json={"version": 2, "force": True})
        assert r.status_code == 422 and r.json()["field"] == "reason"
        r = client.post("/v1/models/credit/promote",
                        json={"version": 2, "force": True, "reason": "approved by risk"})
        assert r.status_code == 200 and r.json()["version"] == 2
    assert registry.store.decisions("credit")[-1]["action"] == "force_promote"
