"""The web UI over HTTP: every page, its security headers and checks, the admin forms, the
sign-in, and the static files (plotly.js from the installed package, never a CDN)."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from driftline.ui import plotly_js
from driftline.ui._html import PAGES
from tests.ui.conftest import ADMIN, READ, seed

PAGE_PATHS = ["/ui/"] + [f"/ui/models/credit/{seg}" for seg, _ in PAGES]


def figures(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(
        r'<script type="application/json" id="chart-[^"]+">(.*?)</script>', page, re.S)]


def csrf_of(client, path="/ui/models/credit/timeline") -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    return found.group(1) if found else client.cookies["dl_csrf"]


def login(client, token: str) -> None:
    page = client.get("/ui/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/ui/login", data={"csrf": csrf, "token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_page_loads_with_navigation_and_security_headers(seeded, client_for, path):
    client = client_for([seeded[0]])
    r = client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["x-frame-options"] == "DENY"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    for seg, _ in PAGES:  # the navigation bar reaches every page
        assert f'href="/ui/models/credit/{seg}"' in r.text
    assert 'href="/ui/"' in r.text
    # nothing is loaded from elsewhere, and no inline script runs
    assert not re.search(r'(src|href)="(https?:)?//', r.text)
    assert not re.search(r"<script(?![^>]*(type=\"application/json\"|src=))", r.text)


def test_pages_show_the_seeded_history(seeded, client_for):
    client = client_for([seeded[0]])
    overview = client.get("/ui/").text
    assert "v1" in overview and "ready" in overview and "drift" in overview
    drift = client.get("/ui/models/credit/drift").text
    names = {f["layout"]["title"]["text"] for f in figures(drift)}
    assert any("drifted features" in n for n in names) and any("Drift score" in n for n in names)
    heat = next(f for f in figures(drift) if f["data"][0]["type"] == "heatmap")
    assert set(heat["data"][0]["y"]) == {"income", "age", "debt_ratio", "region", "purpose",
                                         "has_mortgage"}
    assert "recommended action" in drift and "Label drift" in drift and "Prediction drift" in drift
    assert any(n.startswith("Share of outlier rows") for n in names)
    whole = next(f for f in figures(drift) if f["layout"]["title"]["text"].startswith("Whole-row"))
    assert {t["name"] for t in whole["data"]} == {"pca_reconstruction", "bbsd_hard"}
    # the seeded traffic drifts in its second half: some window is flagged, and only 0/1 shows
    flags = [y for t in whole["data"] for y in t["y"] if y is not None]
    assert set(flags) <= {0.0, 1.0} and 1.0 in flags
    perf = client.get("/ui/models/credit/performance").text
    # the labels of the drifted half are flipped: the detector on the errors found it
    assert "Concept drift on the labelled errors" in perf and "ADWIN has seen 1,800" in perf
    perf_names = {f["layout"]["title"]["text"] for f in figures(perf)}
    assert any(n.startswith("Class priors per window") for n in perf_names)
    assert any("and estimated)" in n for n in perf_names)  # CBPE beside the realized line
    assert "assumes no concept drift" in perf and "never promotes" in perf  # the blind spot
    assert "No concept drift found." not in perf
    roc = next(f for f in figures(perf) if f["layout"]["title"]["text"].startswith("roc_auc"))
    band_lower, band_upper, realized = roc["data"][1]["y"], roc["data"][0]["y"], roc["data"][2]["y"]
    assert all(lo <= v <= hi for lo, v, hi in zip(band_lower, realized, band_upper, strict=True))
    training = client.get("/ui/models/credit/training").text
    assert "v2" in training and "challenger" in training and "&quot;C&quot;: 1.0" in training
    timeline = client.get("/ui/models/credit/timeline").text
    assert "v1 → champion" in timeline
    alerts = client.get("/ui/models/credit/alerts").text
    assert "&lt;b&gt;drift&lt;/b&gt; in income" in alerts and "no route" in alerts


def test_serving_series_come_from_the_log_and_the_samples(seeded, client_for):
    client = client_for([seeded[0]])
    figs = {f["layout"]["title"]["text"]: f for f in figures(
        client.get("/ui/models/credit/serving?range=1h").text)}
    rate = figs["Predictions per second, by version"]["data"][0]
    width = 3600 / 120
    logged = sum(y * width for y in rate["y"] if y)
    assert logged == pytest.approx(1_800)  # every logged row, in its bucket
    lat = figs["Latency (logged per prediction)"]["data"]
    p99 = [y for y in lat[2]["y"] if y is not None]
    assert p99 and all(5.0 <= y <= 14.0 for y in p99)
    status = {t["name"]: t for t in figs["Requests per second, by version and status class"]["data"]}
    ok = [y for y in status["v1 2xx"]["y"] if y is not None]
    # each replica counts 100 requests a minute; host:1 restarts before its fifth sample, whose
    # 400 then all count (a fresh process counts from zero); the first samples give no rate
    assert ok == pytest.approx([200 / 60] * 3 + [500 / 60, 200 / 60], rel=1e-4)
    assert [y for y in status["v1 5xx"]["y"] if y is not None] == pytest.approx([4 / 60] * 5,
                                                                            rel=1e-4)
    assert "other" not in json.dumps(figs)  # another model's requests are not counted here


def test_an_unknown_host_is_refused_and_an_allowed_one_served(seeded, client_for):
    client = client_for([seeded[0]], allowed_hosts=("dash.example.com",))
    assert client.get("/ui/", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/ui/", headers={"host": "dash.example.com:8000"}).status_code == 200
    assert client.get("/ui/", headers={"host": "[::1]:8000"}).status_code == 200


def test_admin_forms_need_csrf_and_the_admin_token(tmp_path, client_for):
    path, _, registry, _ = seed(tmp_path / "p", extra="auth: {admin_token_env: DL_ADMIN}\n")
    client = client_for([path], environ={"DL_ADMIN": ADMIN})
    assert client.get("/ui/", follow_redirects=False).status_code == 303  # any token locks pages
    login(client, ADMIN)
    token = csrf_of(client)
    url = "/ui/models/credit/promote"
    form = {"csrf": token, "admin_token": ADMIN, "version": "2", "reason": "ui test"}
    # no CSRF field, a wrong one, a cross-site origin: refused before anything happens
    assert client.post(url, data={**form, "csrf": ""}).status_code == 403
    assert client.post(url, data={**form, "csrf": "x" * 43}).status_code == 403
    assert client.post(url, data=form, headers={"origin": "http://evil.example"}).status_code == 403
    # the wrong admin token
    r = client.post(url, data={**form, "admin_token": "nope"})
    assert r.status_code == 403 and "admin token is not valid" in r.text
    assert registry.champion("credit").version == 1
    r = client.post(url, data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/training?done=promote")
    assert registry.champion("credit").version == 2
    assert "Promoted" in client.get(r.headers["location"]).text
    again = client.post(url, data=form)  # already the champion: the page says why
    assert again.status_code == 409 and "already the champion" in again.text
    r = client.post("/ui/models/credit/rollback", data={"csrf": token, "admin_token": ADMIN,
                                                        "reason": "back"}, follow_redirects=False)
    assert r.status_code == 303 and registry.champion("credit").version == 1
    r = client.post("/ui/models/credit/retrain", data={**form, "reason": "now"},
                    follow_redirects=False)
    assert r.status_code == 303
    asked = registry.store.events("credit", "retrain_requested")
    assert asked[-1]["payload"] == {"reason": "now", "via": "ui"}


def test_admin_actions_are_off_without_an_admin_token(seeded, client_for):
    client = client_for([seeded[0]])
    page = client.get("/ui/models/credit/timeline").text
    assert "turned off" in page and 'name="admin_token"' not in page
    r = client.post("/ui/models/credit/retrain", data={
        "csrf": csrf_of(client), "admin_token": "anything", "reason": "x"})
    assert r.status_code == 403 and "turned off" in r.text


def test_pages_need_a_session_when_tokens_are_set(tmp_path, client_for):
    path, *_ = seed(tmp_path / "p", extra="auth: {token_env: DL_READ, admin_token_env: DL_ADMIN}\n")
    client = client_for([path], environ={"DL_READ": READ, "DL_ADMIN": ADMIN})
    r = client.get("/ui/models/credit/drift", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
    login = client.get("/ui/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
    assert client.post("/ui/login", data={"csrf": token, "token": "wrong"}).status_code == 401
    client.cookies.set("dl_session", "MTk5OTk5OTk5OQ.forged", path="/ui")
    assert client.get("/ui/", follow_redirects=False).status_code == 303
    r = client.post("/ui/login", data={"csrf": token, "token": READ}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert client.get("/ui/models/credit/drift").status_code == 200


def test_plotly_is_served_from_the_installed_package(seeded, client_for):
    client = client_for([seeded[0]])
    page = client.get("/ui/models/credit/drift").text
    src = re.search(r'<script src="(/ui/static/plotly-[^"]+)"', page).group(1)
    path, _ = plotly_js()
    raw = client.get(src, headers={"accept-encoding": "identity"})
    assert raw.content == path.read_bytes()
    assert "immutable" in raw.headers["cache-control"]
    packed = client.get(src, headers={"accept-encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert client.get("/ui/static/../app.py").status_code == 404
    assert client.get("/ui/static/nope.js").status_code == 404
    assert gzip.compress(b"") is not None


def test_the_ui_alone_loads_no_model(seeded, client_for):
    client = client_for([seeded[0]], serving=False, metrics=False)
    assert client.app.state.serving.services == {}
    assert client.get("/ui/").status_code == 200
    assert "not served here" in client.get("/ui/").text
    assert client.post("/v1/models/credit/predict", json={"records": []}).status_code == 404
