"""The self-contained HTML drift report: structure, escaping, size, and a real browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.drift._html import render_html
from driftline.drift._report import ColumnDrift, Distribution, DriftReport
from driftline.drift._svg import MAX_BARS, MAX_LABELS
from driftline.errors import ParameterError
from tests._browser import launch

EVIL = "<script>alert(1)</script>"
MB = 1_000_000
_VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class _Parsed(HTMLParser):
    """Checks that tags nest and close, and collects the text a reader sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack[-1:] != ["style"]:
            self.text.append(data)


def parse(page: str) -> _Parsed:
    parser = _Parsed()
    parser.feed(page)
    parser.close()
    return parser


def text_of(page: str) -> str:
    """The page's text as a reader sees it, with runs of white space collapsed."""
    return re.sub(r"\s+", " ", "".join(parse(page).text))


def with_column(rep: DriftReport, col: ColumnDrift) -> DriftReport:
    return DriftReport(columns={**rep.columns, col.column: col}, quality=rep.quality,
                       rule=rep.rule, n_reference=rep.n_reference, n_current=rep.n_current,
                       warnings=rep.warnings)


def verdict_rows(page: str) -> list[str]:
    """Column names in the order of the verdict table."""
    table = page.split('class="verdicts"', 1)[1].split("</table>", 1)[0]
    names = re.findall(r'<th scope="row"><a [^>]*>(.*?)</a>', table)
    return [parse(name).text[0] for name in names]


# --- structure --------------------------------------------------------------------------------

def test_full_document_has_head_and_verdict(sample_report: DriftReport) -> None:
    page = render_html(sample_report.to_dict())
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert '<meta charset="utf-8">' in page
    assert "<title>Drift report: drift in 8 of 24 columns</title>" in page
    assert "Drift detected" in page
    assert "8 of 24 tested columns drifted (33.3%)" in page
    assert parse(page).errors == [] and parse(page).stack == []


def test_header_shows_rows_and_decision_rule(sample_report: DriftReport) -> None:
    text = text_of(render_html(sample_report.to_dict()))
    for fragment in ("10,000", "reference rows", "current rows", "method auto", "α = 0.05",
                     "correction holm", "numerical ≥ 0.1"):
        assert fragment in text


def test_no_drift_verdict(build: Any) -> None:
    page = render_html(build.report(drifted=False).to_dict())
    assert "No drift detected" in page and "Drift detected" not in page
    assert "0 of 24 tested columns drifted (0%)" in page
    assert "<title>Drift report: no drift</title>" in page


def test_verdict_table_sorted_by_severity(sample_report: DriftReport) -> None:
    expected = [c.column for c in sample_report.sorted_columns() if c.tested]
    rows = verdict_rows(render_html(sample_report.to_dict()))
    assert rows == expected
    assert rows[:8] == [c.column for c in sample_report.sorted_columns() if c.drifted]


def test_verdict_table_shows_every_field(sample_report: DriftReport) -> None:
    page = render_html(sample_report.to_dict())
    row = page.split('class="verdicts"', 1)[1].split("</tr>", 2)[1]  # first body row: num_04
    text = text_of(row)
    for fragment in ("num_04", "numerical", "ks", "1.0e-36", "2.5e-35", "0.5 ≥ 0.1",
                     "wasserstein_normed", "Drifted", "investigate feature generation"):
        assert fragment in text


def test_label_and_prediction_sections_with_action(sample_report: DriftReport) -> None:
    page = render_html(sample_report.to_dict())
    label = page.split("<h2>Label (target) drift</h2>", 1)[1].split("</section>", 1)[0]
    assert "investigate label generation; retrain" in label and ">Drifted<" in label
    prediction = page.split("<h2>Prediction drift</h2>", 1)[1].split("</section>", 1)[0]
    assert ">score<" in prediction and "No action needed" in prediction


def test_sections_absent_without_target_or_prediction(build: Any) -> None:
    rep = build.report()
    cols = {k: c for k, c in rep.columns.items() if c.role == "feature"}
    page = render_html(DriftReport(cols, rep.quality, rep.rule, 10, 10).to_dict())
    assert "Label (target) drift" not in page and "Prediction drift" not in page


def test_untested_columns_warnings_and_quality(sample_report: DriftReport) -> None:
    page = render_html(sample_report.to_dict())
    untested = page.split("<h2>Columns not tested</h2>", 1)[1].split("</section>", 1)[0]
    assert "notes" in untested and "all values are missing in the current data" in untested
    assert "notes" not in verdict_rows(page)
    warnings = page.split("<h2>Warnings</h2>", 1)[1].split("</section>", 1)[0]
    assert "3 levels unseen in the reference" in warnings
    dq = text_of(page.split("<h2>Data quality</h2>", 1)[1])
    assert "1 column failing, 1 with warnings, 23 passing every check." in dq
    assert re.search(r"cat_4 ?categorical ?Fail 0\.3 / limit 0\.05 ?30% missing", dq)
    for word in ("missing_share", "out_of_range_share", "Warning", "OK"):
        assert word in dq


def test_per_column_charts(sample_report: DriftReport) -> None:
    page = render_html(sample_report.to_dict())
    details = page.split("<h2>Column details</h2>", 1)[1]
    assert details.count('<details class="col"') == 24
    assert details.count('<details class="col" id=') == details.count("<svg class=\"chart\"")
    assert details.count(" open>") == 8  # drifted columns start expanded
    assert "reference (bars)" in details and "reference (upper bar)" in details
    assert "L19" in details  # frequencies labels are drawn


@pytest.mark.parametrize(("p", "shown"), [
    (0.5, "0.500"), (0.0123, "0.012"), (3.2e-12, "3.2e-12"), (0.0, "&lt; 1e-300"), (None, "—"),
], ids=["plain", "small", "scientific", "underflow", "distance-no-p"])
def test_p_value_formatting(p: float | None, shown: str, build: Any) -> None:
    rep = with_column(build.report(), build.column("pp", p=p, effect=9.0, drifted=True))
    row = render_html(rep.to_dict()).split(">pp</a>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="r num">(.*?)</td>', row)[1] == shown


def test_infinite_and_missing_numbers_render(build: Any) -> None:
    col = build.column("weird", effect=float("inf"), drifted=True, p=1e-5)
    col = ColumnDrift(**{**col.__dict__, "statistic": float("nan")})
    page = render_html(with_column(build.report(), col).to_dict())
    row = page.split(">weird</a>", 1)[1].split("</tr>", 1)[0]
    assert "∞ ≥ 0.1" in row and '<td class="r num">—</td>' in row


def test_no_verdict_and_text_descriptors(build: Any) -> None:
    small = build.column("tiny", drifted=None, p=None, effect=float("nan"),
                         warnings=("ks: needs at least 20 valid values on each side",))
    subs = (build.column("review.length", drifted=True, effect=0.4, p=1e-6),
            build.column("review.n_words", drifted=False, effect=0.02, p=0.7))
    text = build.column("review", kind="text", drifted=True, effect=0.4, p=1e-6, details=subs)
    rep = with_column(with_column(build.report(), small), text)
    page = render_html(rep.to_dict())
    row = page.split(">tiny</a>", 1)[1].split("</tr>", 1)[0]
    assert "No verdict" in row and "needs at least 20 valid values" in page
    detail = page.split("<b>review</b>", 1)[1].split("</details>", 1)[0]
    assert "review.length" in detail and "review.n_words" in detail
    assert detail.count("No drift") == 1 and detail.count(">Drifted<") == 1


# --- safety -----------------------------------------------------------------------------------

def test_user_strings_are_escaped(build: Any) -> None:
    rep = build.report()
    dist = build.frequencies([EVIL, "ok"], 1_000, 0.2)
    evil = build.column(EVIL, kind="categorical", drifted=True, effect=0.5, p=1e-8, dist=dist,
                        warnings=(EVIL,), reason=EVIL)
    untested = ColumnDrift(**{**evil.__dict__, "column": EVIL + "2", "tested": False})
    q = {**rep.quality, EVIL: build.quality(EVIL, "categorical", "fail")}
    rep = DriftReport({**rep.columns, EVIL: evil, EVIL + "2": untested}, q, rep.rule, 10, 10,
                      warnings=(EVIL,))
    for page in (render_html(rep.to_dict()), render_html(rep.to_dict(), fragment=True)):
        assert "<script" not in page.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        parsed = parse(page)
        assert parsed.errors == [] and "script" not in parsed.tags
        assert EVIL in verdict_rows(page)


@settings(max_examples=40, deadline=None)
@given(name=st.text(min_size=1, max_size=30), label=st.text(max_size=30))
def test_any_user_string_stays_text(name: str, label: str, build: Any) -> None:
    dist = Distribution("frequencies", (3, 1), (1, 3), labels=(label, "b"))
    col = build.column(name, kind="categorical", dist=dist)
    rep = DriftReport({name: col}, {}, build.report().rule, 4, 4)
    parsed = parse(render_html(rep.to_dict()))
    assert parsed.errors == [] and parsed.stack == []
    assert {"script", "iframe", "object", "embed", "img"}.isdisjoint(parsed.tags)


@pytest.mark.parametrize("fragment", [False, True], ids=["document", "fragment"])
def test_nothing_points_outside_the_file(sample_report: DriftReport, fragment: bool) -> None:
    page = render_html(sample_report.to_dict(), fragment=fragment).lower()
    for needle in ("http://", "https://", "<script", "<link", "<img", "<iframe", "@import",
                   "url(", "src=", "//cdn", "@font-face", "javascript:"):
        assert needle not in page


def test_document_forbids_network_by_policy(sample_report: DriftReport) -> None:
    page = render_html(sample_report.to_dict())
    csp = "default-src 'none'; style-src 'unsafe-inline'"
    assert f'<meta http-equiv="Content-Security-Policy" content="{csp}">' in page


def test_fragment_is_one_scoped_div(sample_report: DriftReport) -> None:
    frag = render_html(sample_report.to_dict(), fragment=True)
    assert frag.startswith('<div class="dl-report"><style>') and frag.endswith("</div>")
    assert "<html" not in frag and "<body" not in frag and "<!DOCTYPE" not in frag
    css = frag.split("<style>", 1)[1].split("</style>", 1)[0]
    rules = re.findall(r"([^{}]+)\{[^{}]*\}", re.sub(r"@media[^{]*\{", "", css))
    selectors = [s.strip() for rule in rules for s in rule.split(",") if s.strip()]
    assert selectors and all(s.startswith(".dl-report") for s in selectors), selectors
    assert sample_report._repr_html_() == frag
    assert parse(frag).errors == [] and parse(frag).stack == []


def test_rejects_other_schemas() -> None:
    with pytest.raises(ParameterError, match=r"driftline\.drift_report/1"):
        render_html({"schema": "driftline.drift_report/0"})
    with pytest.raises(ParameterError, match="report must be"):
        render_html([])  # type: ignore[arg-type]


def test_save_html_writes_utf8(sample_report: DriftReport, tmp_path: Path) -> None:
    out = sample_report.save_html(tmp_path / "r.html")
    assert out.read_text(encoding="utf-8") == render_html(sample_report.to_dict())


def test_rendering_is_deterministic(sample_report: DriftReport, build: Any) -> None:
    assert render_html(sample_report.to_dict()) == render_html(build.report().to_dict())


# --- size -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n_rows", [1_000, 10**6, 10**12],
                         ids=["1e3-rows", "1e6-rows", "1e12-rows"])
def test_size_under_1mb_for_25_columns(n_rows: int, build: Any) -> None:
    rep = build.report(25, n_rows, bins=200)
    assert len(rep.columns) == 25
    size = len(render_html(rep.to_dict()).encode())
    assert size < MB / 2, size


def test_size_worst_case_labels_under_1mb(build: Any) -> None:
    """25 columns of 500 levels with 1,000-character labels, every one drifted and warned."""
    labels = [f"{i:03d}" + "<&>" * 333 for i in range(500)]
    dist = build.frequencies(labels, 10**9, 0.3)
    cols = {f"c{j}": build.column(f"c{j}", kind="categorical", drifted=True, effect=0.5, p=1e-9,
                                  dist=dist, warnings=("long warning " * 20,)) for j in range(25)}
    rep = DriftReport(cols, {k: build.quality(k, "categorical", "fail") for k in cols},
                      build.report().rule, 10**9, 10**9)
    size = len(render_html(rep.to_dict()).encode())
    assert size < MB, size


def test_charts_have_at_most_max_bars(build: Any) -> None:
    rep = build.report(25, 10_000, bins=500)
    page = render_html(rep.to_dict())
    charts = re.findall(r'<svg class="chart".*?</svg>', page)
    assert charts
    assert max(c.count('<rect class="h"') for c in charts) <= MAX_BARS
    many = build.frequencies([f"level {i}" for i in range(500)], 10**6, 0.1)
    rep = DriftReport({"c": build.column("c", kind="categorical", dist=many)}, {}, rep.rule, 1, 1)
    chart = re.findall(r'<svg class="chart".*?</svg>', render_html(rep.to_dict()))[0]
    labels = re.findall(r'class="ya">([^<]*)</text>', chart)
    assert len(labels) == MAX_LABELS and labels[-1] == "(other)"
    assert not re.search(r"\d\.\d{2,}", "".join(re.findall(r' d="([^"]*)"', page)))  # 0.1 px


def test_quality_without_checks_and_empty_report(build: Any) -> None:
    rule = build.report().rule
    page = render_html(DriftReport({}, {}, rule, 0, 0).to_dict())
    assert "No drift detected" in page and "No column was tested." in page
    assert "No data quality checks ran." in page


# --- against compare() --------------------------------------------------------------------------

def _real_report(n_rows: int) -> DriftReport:
    from driftline.datasets import make_drift_frames
    from driftline.drift import compare

    ref, cur = make_drift_frames(n_rows, seed=3)
    ref[EVIL], cur[EVIL] = ref["num_18"], cur["num_18"]
    return compare(ref, cur, target="cat_0", prediction="num_19")


def test_renders_real_compare_output() -> None:
    rep = _real_report(2_000)
    page = render_html(rep.to_dict())
    assert verdict_rows(page) == [c.column for c in rep.sorted_columns() if c.tested]
    assert ("Drift detected" if rep.drifted else "No drift detected") in page
    assert "<h2>Label (target) drift</h2>" in page and "<h2>Prediction drift</h2>" in page
    assert "<script" not in page and parse(page).errors == []


def test_real_report_size_does_not_grow_with_rows() -> None:
    small = len(render_html(_real_report(1_000).to_dict()).encode())
    large = len(render_html(_real_report(200_000).to_dict()).encode())
    assert large < MB and large < 1.1 * small, (small, large)


# --- a real browser ---------------------------------------------------------------------------

@pytest.mark.browser
def test_report_in_chromium_without_javascript_or_network(tmp_path: Path, build: Any) -> None:
    from playwright.sync_api import sync_playwright

    report = build.report()
    path = report.save_html(tmp_path / "report.html")
    requests: list[str] = []
    console: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(java_script_enabled=False, offline=True,
                                          viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.goto(path.as_uri())
            assert page.get_by_text("Drift detected", exact=True).is_visible()
            assert page.get_by_text("8 of 24 tested columns drifted (33.3%).").is_visible()
            table = page.locator("table.verdicts")
            assert table.is_visible()
            assert table.locator("tbody tr").count() == 24
            assert table.locator("tbody tr").first.locator("th").inner_text() == "num_04"
            chart = page.locator("details.col").first.locator("svg.chart")
            assert chart.is_visible() and chart.bounding_box()["height"] > 100  # type: ignore[index]
            closed_id = page.locator("details.col:not([open])").first.get_attribute("id")
            closed = page.locator(f"#{closed_id}")
            assert not closed.locator("svg.chart").is_visible()
            closed.locator("> summary").click()  # native <details>: works without JavaScript
            assert closed.locator("svg.chart").is_visible()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert requests == [path.as_uri()]
    assert console == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
