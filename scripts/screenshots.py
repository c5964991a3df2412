"""Screenshots of every dashboard page into docs/img/ (``make screenshots``).

Seeds a throwaway project with a simulated day of history, serves it with ``driftline serve``
on a free local port, and drives Debian's Chromium headless through Playwright (never a
downloaded browser).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAX_HEIGHT = 2_600  # long pages (the timeline) are cut: the top tells the story
PAGES = ["serving", "drift", "performance", "training", "timeline", "alerts"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tracked_runs(project: Path) -> dict[str, tuple[str, str]]:
    """Run docs/tracking.md's training and tuning scripts against the project's store; returns
    the pages to shoot: name -> (query string, section id)."""
    from driftline.config import load_project
    from driftline.store import Store
    from driftline.tracking import list_runs

    url = load_project(project).store_url
    root = Path(__file__).resolve().parents[1] / "examples" / "tracking"
    for script, extra in (("train.py", []), ("tune.py", ["--trials", "40"])):
        subprocess.run([sys.executable, str(root / script), "--store", url, *extra], check=True)
    store = Store.open(url)
    run = next(r for r in list_runs(store, "credit") if r.name == "lightgbm baseline")
    study = next(r for r in list_runs(store, "credit", kind="study")
                 if r.tags.get("source") == "optuna")
    return {"training-runs": (f"run={run.id}", "runs"), "training-run": (f"run={run.id}", "run"),
            "training-study": (f"study={study.id}", "study")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/img", help="where the PNG files go")
    parser.add_argument("--hours", type=int, default=24, help="hours of simulated history")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from driftline.datasets import simulate_history

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        project = simulate_history(Path(tmp) / "demo", hours=args.hours)
        tracked = _tracked_runs(project)
        port = _port()
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 (lives as long as the server)
        exe = str(Path(sys.executable).parent / "driftline")
        server = subprocess.Popen([exe, "serve", str(project), "--port", str(port), "--no-worker"],
                                  stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(url + "/v2/health/live", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                shots = [("overview", "/ui/")] + [(s, f"/ui/models/credit/{s}") for s in PAGES]
                for name, path in shots:
                    page.goto(url + path)
                    page.wait_for_load_state("networkidle")
                    n = page.locator("figure.chart").count()
                    if n:
                        page.wait_for_function(
                            f"document.querySelectorAll('figure.chart[data-rendered]').length == {n}")
                    target = out / f"ui-{name}.png"
                    height = page.evaluate("document.documentElement.scrollHeight")
                    page.screenshot(path=str(target), full_page=True, clip={
                        "x": 0, "y": 0, "width": 1400, "height": min(max(height, 900), MAX_HEIGHT)})
                    print(target)
                for name, (query, section) in tracked.items():  # the sections of docs/tracking.md
                    page.goto(f"{url}/ui/models/credit/training?{query}")
                    page.wait_for_load_state("networkidle")
                    n = page.locator(f"#{section} figure.chart").count()
                    page.wait_for_function(
                        f"document.querySelectorAll('#{section} figure.chart[data-rendered]')"
                        f".length == {n}")
                    target = out / f"ui-{name}.png"
                    # from the section's heading to the next section with an id (its charts
                    # follow the heading's card)
                    top, bottom = page.evaluate(
                        f"""() => {{
                          const el = document.getElementById('{section}');
                          const top = el.getBoundingClientRect().top + window.scrollY;
                          const next = [...document.querySelectorAll('section[id]')]
                            .map(s => s.getBoundingClientRect().top + window.scrollY)
                            .filter(t => t > top + 1);
                          const end = next.length ? Math.min(...next)
                            : document.documentElement.scrollHeight;
                          return [top, end];
                        }}""")
                    page.screenshot(path=str(target), full_page=True, clip={
                        "x": 0, "y": top - 8, "width": 1400,
                        "height": min(bottom - top + 8, MAX_HEIGHT)})
                    print(target)
                browser.close()
        finally:
            server.terminate()
            server.wait(30)
            log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
