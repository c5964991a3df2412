"""The dashboards in a real browser (Debian's Chromium through Playwright) against a real
`driftline serve` seeded with a short history: every page loads, its charts render with data,
there are no console errors and no failed or outside requests, and navigation, sign-in and an
admin form work."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from driftline.ui._html import PAGES
from tests._browser import launch
from tests.serving.server import Server
from tests.ui.conftest import ADMIN, READ, seed

pytestmark = pytest.mark.browser

ENV = {"DL_READ": READ, "DL_ADMIN": ADMIN}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path, *_ = seed(tmp_path_factory.mktemp("browser") / "p",
                    extra="auth: {token_env: DL_READ, admin_token_env: DL_ADMIN}\n")
    with Server([path], env=ENV, args=["--no-worker"]) as srv:  # no retrain competes for CPU
        yield srv


def _charts(page) -> list[dict]:
    """Every chart on the page: whether it rendered, its traces and its plotted values."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('figure.chart')).map(f => {
        const gd = f.querySelector('.js-plotly-plot');
        const data = gd && gd.data ? gd.data : [];
        return {id: f.getAttribute('data-chart'), rendered: f.hasAttribute('data-rendered'),
                svg: !!f.querySelector('svg.main-svg'), traces: data.length,
                values: data.reduce((n, t) => n + (t.z ? t.z.flat().length : (t.y || []).length), 0)};
    })""")


def test_every_page_in_chromium(server):
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    failed: list[str] = []
    outside: list[str] = []
    origin = urlparse(server.url).netloc
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
            page.on("request", lambda r: outside.append(r.url)
                    if urlparse(r.url).netloc not in (origin, "") else None)
            # pages need a session: the sign-in form takes a token
            page.goto(server.url + "/ui/")
            assert page.url.endswith("/ui/login")
            page.fill("input[name=token]", READ)
            page.click("form.action button")
            page.wait_for_url("**/ui/")
            assert page.locator("table.overview tbody tr").count() == 1
            assert page.get_by_text("ready", exact=True).is_visible()
            for seg, title in PAGES:  # navigate through the bar, as a user would
                page.click(f"nav a[href='/ui/models/credit/{seg}']")
                page.wait_for_url(f"**/ui/models/credit/{seg}")
                page.wait_for_load_state("networkidle")
                assert page.locator("h1").inner_text().startswith(title)
                expected = page.locator("figure.chart").count()
                if expected:
                    page.wait_for_function(
                        f"document.querySelectorAll('figure.chart[data-rendered]').length == {expected}",
                        timeout=20_000)
                charts = _charts(page)
                assert all(c["rendered"] and c["svg"] and c["traces"] > 0 and c["values"] > 0
                           for c in charts), (seg, charts)
                if seg in ("serving", "drift", "performance", "timeline", "training"):
                    assert charts, f"the {seg} page shows no chart"
            # per-feature detail: pick a feature in the window table
            page.click("nav a[href='/ui/models/credit/drift']")
            page.click("table.features a:text-is('age')")
            page.wait_for_load_state("networkidle")
            page.wait_for_function("document.querySelector('figure[data-chart=chart-detail]')"
                                   " && document.querySelector('figure[data-chart=chart-detail]')"
                                   ".hasAttribute('data-rendered')")
            assert "age: reference against current" in page.locator(
                "figure[data-chart=chart-detail]").inner_text()
            # an admin action from the browser: the CSRF cookie and the admin token
            page.click("nav a[href='/ui/models/credit/timeline']")
            form = page.locator("form[action='/ui/models/credit/retrain']")
            form.locator("input[name=reason]").fill("from the browser test")
            form.locator("input[name=admin_token]").fill(ADMIN)
            form.locator("button").click()
            page.wait_for_url("**/timeline?done=retrain")
            assert page.get_by_role("status").inner_text().startswith("Retrain requested")
        finally:
            browser.close()
    assert console == []
    assert failed == []
    assert outside == []
