"""The training page's tracked runs: the runs side by side, a run's per-step curves and
artifacts, a tuning study's charts, and a retrained challenger against its champion, built
from runs logged with the real tracking API."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest

from driftline.ui._charts import MAX_POINTS
from tests.serving.project import make_project
from tests.ui.test_pages import figures

EVIL = "<img src=x onerror=alert(1)>"
URL = "/ui/models/credit/training"


def _titled(page: str) -> dict[str, dict]:
    return {f["layout"]["title"]["text"]: f for f in figures(page)}


def _cell(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _table(page: str, cls: str) -> list[list[str]]:
    """The cells of the first table of class ``cls`` as text (tags stripped, unescaped)."""
    found = re.search(rf'<table class="{cls}">(.*?)</table>', page, re.S)
    assert found, f"no table.{cls}"
    return [[_cell(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)]


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """A project with two versions and tracked runs: two training runs with curves, one with a
    malicious name, two tuning studies with trials, and a retrain of v1 into v2."""
    from driftline.config import load_project
    from driftline.retrain import open_registry, register
    from driftline.tracking import track

    path = make_project(tmp_path_factory.mktemp("training") / "p", n=600)
    register(path, promote=True)
    register(path, promote=False)
    registry = open_registry(load_project(path))
    store = registry.store
    t0 = datetime.now(timezone.utc) - timedelta(hours=2)
    at = {k: t0 + timedelta(minutes=10 * k) for k in range(10)}
    ids: dict[str, str] = {}
    with track("credit", store=store, run_name="baseline", params={"C": 1.0, "penalty": "l2"},
               started_at=at[0]) as run:
        for step, loss in enumerate([0.9, 0.6, 0.45, 0.4]):
            run.log_metric("loss", loss, step=step)
        run.log_metrics({"auc": 0.71, "accuracy": 0.8})
        run.log_model_params({"family": "linear", "n_parameters": 9})
        run.log_dict("confusion_matrix.json", {"classes": [0, 1], "counts": [[50, 7], [9, 34]],
                                               "rows": "true", "columns": "predicted"})
        run.log_dict("classification_report.json", {
            "classes": [0, 1], "per_class": [
                {"label": 0, "precision": 0.85, "recall": 0.88, "f1": 0.86, "support": 57},
                {"label": 1, "precision": 0.83, "recall": 0.79, "f1": 0.81, "support": 43}],
            "macro": {"label": "macro", "precision": 0.84, "recall": 0.83, "f1": 0.83,
                      "support": 100}})
        run.log_dict("notes.json", {"why": "</pre><script>alert(2)</script>"})
        ids["baseline"] = run.id
    with track("credit", store=store, run_name="longer", params={"C": 0.5, "max_iter": 200},
               started_at=at[1]) as run:
        for step in range(6):
            run.log_metrics({"loss": 1.0 / (step + 1), "val_loss": 1.0 / (step + 1) + 0.125},
                            step=step)
        run.log_metric("auc", 0.74)
        ids["longer"] = run.id
    with track("credit", store=store, run_name=EVIL, params={"note": "<b>bold</b>"},
               started_at=at[2]) as run:
        run.log_metric("auc", 0.6)
        ids["evil"] = run.id
    ids["old_study"] = _study(track, store, "first search", at[3],
                              [({"C": 0.3, "kernel": "rbf"}, 0.61, "finished")])
    ids["study"] = _study(track, store, "tune C", at[4], [
        ({"C": 0.01, "kernel": "rbf"}, 0.62, "finished"),
        ({"C": 0.1, "kernel": "linear"}, 0.70, "finished"),
        ({"C": 1.0, "kernel": "rbf"}, 0.66, "pruned"),
        ({"C": 10.0, "kernel": "linear"}, 0.74, "finished"),
        ({"C": 3.0, "kernel": "rbf"}, 0.72, "finished")],
        importances={"C": 0.8, "kernel": 0.2})
    with track("credit", store=store, run_name="retrain after drift", kind="retrain",
               params={"C": 1.0}, started_at=at[5]) as run:
        run.log_metrics({"roc_auc": 0.65, "accuracy": 0.81})
        run.set_tags({"champion_version": 1, "validation.metric": "roc_auc",
                      "validation.value_a": 0.62, "validation.value_b": 0.65,
                      "validation.diff": 0.03, "validation.lower": -0.01,
                      "validation.upper": 0.07, "validation.margin": 0.01,
                      "validation.decision": "pass", "validation.n": 300,
                      "champion.roc_auc": 0.62, "champion.accuracy": 0.79})
        run.link(version=2)
        ids["retrain"] = run.id
    with track("other", store=store, run_name="another model's run", started_at=at[6]) as run:
        run.log_metric("loss", 0.5, step=0)
        ids["other"] = run.id
    return path, registry, ids


def _study(track, store, name, started, trials, importances=None) -> str:
    with track("credit", store=store, run_name=name, kind="study", started_at=started) as study:
        study.set_tags({"objective": "auc", "direction": "maximize", "source": "optuna"})
        best = None
        for number, (params, value, status) in enumerate(trials):
            with study.child(f"trial {number}", params=params,
                             started_at=started + timedelta(seconds=number)) as trial:
                trial.set_tag("trial_number", number)
                trial.log_metric("auc", value)
                trial.end(status)
            if status == "finished" and (best is None or value > best[1]):
                best = (trial.id, value)
        study.set_tags({"best_trial": best[0]})
        study.log_metric("best_value", best[1])
        if importances:
            study.log_dict("param_importances.json", importances)
    return study.id


def test_the_runs_are_side_by_side(tracked, client_for):
    path, _, ids = tracked
    page = client_for([path]).get(URL).text
    rows = _table(page, "runs")
    assert rows[0][:3] == ["run", "params", "metrics (latest)"]
    head = rows[1]
    assert head[:6] == ["name", "kind", "status", "started", "duration", "version"]
    body = {r[0]: dict(zip(head, r, strict=True)) for r in rows[2:]}
    # top-level runs only, newest first: trials sit in their study (registering v1 and v2
    # may have tracked their own training runs)
    mine = [n for n in body if not n.startswith("train (")]
    assert mine == ["retrain after drift", "tune C trials", "first search trials", EVIL,
                    "longer", "baseline"]
    assert {"C", "auc"} <= set(head) and "kernel" not in head
    assert body["baseline"]["C"] == "1" and body["longer"]["C"] == "0.5"
    assert body["baseline"]["auc"] == "0.71" and body["longer"]["auc"] == "0.74"
    assert body[EVIL]["C"] == "–"  # missing values
    assert body["retrain after drift"]["version"] == "v2"
    assert body["retrain after drift"]["kind"] == "retrain"
    assert body["tune C trials"]["kind"] == "study"
    assert "another model" not in page
    # each name links to its run in detail
    assert f'href="?run={ids["baseline"]}#run"' in page
    # the best value of each metric is in bold: the highest auc, the lowest loss
    assert "<strong>0.74</strong>" in page and "<strong>0.1667</strong>" in page
    assert "<strong>0.4</strong>" not in page


def test_the_newest_run_with_steps_is_shown_with_its_curves(tracked, client_for):
    path, _, _ = tracked
    page = client_for([path]).get(URL).text
    assert re.search(r'<section class="card" id="run"><h2>Run longer</h2>', page)
    figs = _titled(page)
    loss = figs["loss by step"]["data"][0]
    assert loss["x"] == [0, 1, 2, 3, 4, 5]
    assert loss["y"] == pytest.approx([1.0 / (s + 1) for s in range(6)], rel=1e-5)  # 6 digits
    val = figs["val_loss by step"]["data"][0]
    assert val["y"] == pytest.approx([1.0 / (s + 1) + 0.125 for s in range(6)], rel=1e-5)
    assert figs["loss by step"]["layout"]["xaxis"]["type"] == "linear"
    assert "auc by step" not in figs  # one value without a step is no curve


def test_a_chosen_run_shows_its_params_learned_parameters_and_artifacts(tracked, client_for):
    path, _, ids = tracked
    client = client_for([path])
    page = client.get(URL, params={"run": ids["baseline"]}).text
    assert '<h2>Run baseline</h2>' in page
    figs = _titled(page)
    assert figs["loss by step"]["data"][0]["y"] == pytest.approx([0.9, 0.6, 0.45, 0.4])
    assert "val_loss by step" not in figs
    learned = page.split("<h2>Learned parameters</h2>", 1)[1].split("</section>", 1)[0]
    assert "n_parameters" in learned and ">9<" in learned
    params = page.split("<h2>Params</h2>", 1)[1].split("</section>", 1)[0]
    assert "penalty" in params and "l2" in params and "family" not in params
    assert _table(page, "confusion") == [["true \\ predicted", "0", "1"], ["0", "50", "7"],
                                         ["1", "9", "34"]]
    report = _table(page, "report")
    assert report[1] == ["0", "0.85", "0.88", "0.86", "57"] and report[-1][0] == "macro"
    assert "notes.json" in page and "&lt;/pre&gt;&lt;script&gt;alert(2)" in page
    assert "<script>alert(2)" not in page
    # a trial in detail links back to its study
    trial = client.get(URL, params={"study": ids["study"]}).text
    trial_id = re.search(r'Best trial #3: <a href="\?run=([0-9a-f]+)', trial).group(1)
    detail = client.get(URL, params={"run": trial_id}).text
    assert f'part of study <a href="?study={ids["study"]}#study">tune C</a>' in detail


def test_an_unknown_run_falls_back_to_the_default(tracked, client_for):
    path, _, ids = tracked
    client = client_for([path])
    for bad in ("nope", "x" * 500, '"><script>alert(3)</script>', ids["other"]):
        page = client.get(URL, params={"run": bad}).text
        assert "That run was not found for this model" in page
        assert "<h2>Run longer</h2>" in page
        assert "<script>alert(3)" not in page


def test_the_newest_study_shows_its_trials_params_and_importances(tracked, client_for):
    path, _, _ = tracked
    page = client_for([path]).get(URL).text
    assert "<h2>Tuning study tune C</h2>" in page
    assert "from optuna" in page and "5 trials (4 finished, 1 pruned)" in page
    figs = _titled(page)
    trials = {t["name"]: t for t in figs["auc per trial (maximize), and the best so far"]["data"]}
    assert trials["finished trials"]["x"] == [0, 1, 3, 4]
    assert trials["finished trials"]["y"] == [0.62, 0.70, 0.74, 0.72]
    assert trials["pruned trials"]["x"] == [2] and trials["pruned trials"]["y"] == [0.66]
    assert trials["best so far"]["y"] == [0.62, 0.70, 0.74, 0.74]
    # one scatter per hyperparameter, with the trials' values
    c = figs["auc against C"]
    assert c["layout"]["xaxis"]["type"] == "log"  # 0.01 to 10: a wide positive range
    assert c["data"][0]["x"] == [0.01, 0.1, 10.0, 3.0] and c["data"][0]["y"] == [
        0.62, 0.70, 0.74, 0.72]
    assert c["data"][1]["name"] == "pruned trials" and c["data"][1]["x"] == [1.0]
    kernel = figs["auc against kernel"]
    assert kernel["layout"]["xaxis"]["type"] == "category"
    assert kernel["data"][0]["x"] == ["rbf", "linear", "linear", "rbf"]
    assert sum(len(t["x"]) for t in kernel["data"]) == 5
    imp = figs["Parameter importances for auc"]["data"][0]
    assert imp["y"] == ["C", "kernel"] and imp["x"] == [0.8, 0.2]
    # the best trial (the study's best_trial tag) and its params
    assert re.search(r"Best trial #3: <a [^>]+>trial 3</a> · auc 0.74", page)
    assert _table(page, "best") == [["param", "value"], ["C", "10"], ["kernel", "linear"]]


def test_the_study_selector_picks_another_study(tracked, client_for):
    path, _, ids = tracked
    client = client_for([path])
    page = client.get(URL).text
    picker = page.split("Studies:", 1)[1].split("</p>", 1)[0]
    assert f'href="?study={ids["old_study"]}#study"' in picker
    assert f'href="?study={ids["study"]}#study" class="on"' in picker
    old = client.get(URL, params={"study": ids["old_study"]}).text
    assert "<h2>Tuning study first search</h2>" in old and "1 trial (1 finished)" in old
    figs = _titled(old)
    assert figs["auc against C"]["data"][0]["x"] == [0.3]
    assert "Parameter importances for auc" not in figs
    assert "No parameter importances" in old
    # the run stays chosen while another study is picked, and the other way round
    both = client.get(URL, params={"study": ids["old_study"], "run": ids["baseline"]}).text
    assert "<h2>Run baseline</h2>" in both and "<h2>Tuning study first search</h2>" in both
    assert f'href="?run={ids["baseline"]}&amp;study={ids["study"]}#study"' in both
    # an id that is no study of this model: the newest study, and links do not carry it on
    for bad in (ids["longer"], '"><script>alert(4)</script>'):
        page = client.get(URL, params={"study": bad}).text
        assert "<h2>Tuning study tune C</h2>" in page
        assert "alert(4)" not in page and f"study={ids['longer']}" not in page


def test_a_retrain_compares_the_challenger_with_its_champion(tracked, client_for):
    path, registry, _ = tracked
    page = client_for([path]).get(URL).text
    rows = _table(page, "comparison")
    assert rows[0] == ["metric", "champion (v1)", "challenger (v2)", "difference", "decision"]
    gate = rows[1]
    assert gate[0].startswith("roc_auc validation gate, 300 labelled rows")
    assert gate[1:3] == ["0.62", "0.65"] and gate[3].startswith("+0.03 (better)")
    assert "CI [-0.01, 0.07]" in gate[3] and gate[4] == "pass"
    others = {r[0].split(" ")[0]: r for r in rows[2:]}
    # the champion on the same validation rows (its champion.<metric> tags) ...
    assert others["accuracy"][0] == "accuracy"
    assert others["accuracy"][1:4] == ["0.79", "0.81", "+0.02 (better)"]
    assert others["accuracy"][4] == "–"  # informs, did not decide
    # ... or, where the run has none, its holdout metric from the registry
    champion = registry.get("credit", 1).metrics
    assert others["log_loss"][0] == "log_loss champion's holdout"
    assert others["log_loss"][1] == f"{champion['log_loss']:.4g}"
    assert others["log_loss"][2:4] == ["–", "–"]  # the challenger logged no log loss


def test_run_names_and_values_are_escaped(tracked, client_for):
    path, _, ids = tracked
    page = client_for([path]).get(URL, params={"run": ids["evil"]}).text
    assert EVIL not in page and "<b>bold</b>" not in page
    assert html.escape(EVIL) in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert f"<h2>Run {html.escape(EVIL)}</h2>" in page


def test_a_model_without_runs_says_so(tmp_path, client_for):
    from driftline.store import Store

    (tmp_path / "driftline.yaml").write_text(
        "version: 1\nstore: {url: 'sqlite:///store.db'}\n"
        "model: {name: bare, task: binary, target: y}\n"
        "training: {function: m:train}\nreference: {path: ref.csv}\n")
    Store.open(f"sqlite:///{tmp_path / 'store.db'}").add_model("bare", "binary")
    page = client_for([tmp_path / "driftline.yaml"], serving=False, metrics=False).get(
        "/ui/models/bare/training").text
    assert "No tracked run yet" in page and "Tuning study" not in page


def test_a_long_run_ships_a_bounded_curve(tmp_path, client_for):
    from driftline.store import Store
    from driftline.tracking import track

    (tmp_path / "driftline.yaml").write_text(
        "version: 1\nstore: {url: 'sqlite:///store.db'}\n"
        "model: {name: long, task: regression, target: y}\n"
        "training: {function: m:train}\nreference: {path: ref.csv}\n")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.add_model("long", "regression")
    with track("long", store=store, run_name="epochs") as run:
        store.log_run_metrics(run.id, [("loss", 1.0 / (i + 1), i) for i in range(5_000)])
    page = client_for([tmp_path / "driftline.yaml"], serving=False, metrics=False).get(
        "/ui/models/long/training").text
    curve = _titled(page)["loss by step"]["data"][0]
    assert len(curve["y"]) == MAX_POINTS and curve["x"][0] == 0 and curve["x"][-1] == 4_990
    assert curve["y"][0] == pytest.approx(sum(1.0 / (i + 1) for i in range(10)) / 10)


@pytest.mark.browser
def test_the_training_page_in_chromium(tracked):
    from playwright.sync_api import sync_playwright

    from tests._browser import launch
    from tests.serving.server import Server

    path, _, ids = tracked
    console: list[str] = []
    outside: list[str] = []
    with Server([path], args=["--no-worker"]) as srv, sync_playwright() as p:
        origin = urlparse(srv.url).netloc
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: outside.append(r.url)
                    if urlparse(r.url).netloc not in (origin, "") else None)
            for query in ("", f"?run={ids['baseline']}&study={ids['old_study']}"):
                page.goto(srv.url + URL + query)
                page.wait_for_load_state("networkidle")
                expected = page.locator("figure.chart").count()
                assert expected >= 5
                page.wait_for_function(
                    f"document.querySelectorAll('figure.chart[data-rendered]').length == {expected}",
                    timeout=20_000)
                values = page.evaluate("""() => Array.from(document.querySelectorAll(
                    'figure.chart .js-plotly-plot')).map(gd => gd.data.reduce(
                    (n, t) => n + (t.y || []).length, 0))""")
                assert len(values) == expected and all(v > 0 for v in values)
            # pick a run from the table, as a user would
            page.click("table.runs a:text-is('longer')")
            page.wait_for_url(re.compile(r"[?]run=[0-9a-f]+"))
            assert page.locator("#run h2").inner_text() == "Run longer"
        finally:
            browser.close()
    assert console == []
    assert outside == []
