"""The docs harness itself: markers parse strictly, and a block that does not run fails."""

from __future__ import annotations

import uuid

import pytest

from tests.docs.blocks import Marker, MarkerError, parse
from tests.docs.runner import run_file_until


def run_all(text: str) -> list[tuple[str, str]]:
    path = f"fake-{uuid.uuid4().hex[:8]}.md"  # each call gets its own working directory
    blocks = [b for b in parse(text, path) if b.kind != "other"]
    return [(o.status, o.detail) for o in (run_file_until(path, blocks, i)
                                           for i in range(len(blocks)))]


def test_markers_parse():
    assert Marker.parse("skip (needs a server (driftline serve))").skip == \
        "needs a server (driftline serve)"
    m = Marker.parse(" run exit=2 timeout=5 ")
    assert (m.run, m.exit, m.timeout) == (True, 2, 5.0)
    assert Marker.parse("not-a-project (a Prometheus scrape config)").not_a_project


@pytest.mark.parametrize("text", [
    "<!-- doc: skip -->\n```bash\nls\n```\n",              # no reason
    "<!-- doc: skip () -->\n```bash\nls\n```\n",           # empty reason
    "<!-- doc: runn -->\n```bash\nls\n```\n",              # unknown word
    "<!-- doc: run -->\n\n```bash\nls\n```\n",             # not right before the fence
    "text\n<!-- doc: run -->\n",                           # no fence at all
], ids=["no-reason", "empty-reason", "unknown-word", "blank-line", "no-fence"])
def test_bad_markers_are_errors(text):
    with pytest.raises(MarkerError):
        parse(text, "x.md")


def test_fences_keep_their_language_line_and_indentation():
    text = "a\n\n1. step\n\n   ```Python\n   x = 1\n   ```\n\n````markdown\n```bash\n```\n````\n"
    first, second = parse(text, "x.md")
    assert (first.language, first.line, first.code) == ("python", 6, "x = 1\n")
    assert (second.language, second.kind, second.code) == ("markdown", "other", "```bash\n```\n")


def test_python_blocks_share_a_namespace_and_a_folder():
    text = ("```python\nx = 41\nopen('f.txt', 'w').write('hi')\n```\n"
            "```python\nassert x + 1 == 42\nassert open('f.txt').read() == 'hi'\n```\n")
    assert run_all(text) == [("ok", ""), ("ok", "")]


def test_a_failing_python_block_fails_with_its_markdown_line_and_stops_the_file():
    text = "# t\n\n```python\nx = 1\nraise ValueError('broken example')\n```\n```python\nx\n```\n"
    (status, detail), (after, why) = run_all(text)
    assert status == "failed" and "ValueError: broken example" in detail
    assert ".md\", line 5" in detail  # the line of the raise in the Markdown file
    assert after == "skipped" and "failed" in why


def test_shell_blocks_need_a_marker_and_their_exit_code():
    [(unmarked, why)] = run_all("```bash\ntrue\n```\n")
    assert unmarked == "failed" and "needs <!-- doc: run -->" in why
    text = "<!-- doc: run exit=3 -->\n```bash\necho out; exit 3\n```\n"
    assert run_all(text) == [("ok", "")]
    text = "<!-- doc: run -->\n```bash\nfalse\n```\n"
    [(status, detail)] = run_all(text)
    assert status == "failed" and "exit code 1, expected 0" in detail


def test_shell_blocks_time_out():
    [(status, detail)] = run_all("<!-- doc: run timeout=0.5 -->\n```bash\nsleep 5\n```\n")
    assert status == "failed" and "timed out" in detail


def test_shell_blocks_find_the_virtual_environment_first():
    text = ("<!-- doc: run -->\n```bash\n"
            "python -c 'import driftline' && command -v driftline | grep -q '/bin/driftline'\n```\n")
    assert run_all(text) == [("ok", "")]


def test_yaml_blocks_are_project_files_unless_marked():
    good = ("```yaml\nversion: 1\nmodel: {name: m, task: binary, target: y}\n"
            "training: {function: m:train}\nreference: {path: r.csv}\n```\n")
    assert run_all(good) == [("ok", "")]
    [(status, detail)] = run_all("```yaml\nscrape_configs: []\n```\n")
    assert status == "failed" and "ValidationError" in detail
    assert run_all("<!-- doc: not-a-project (a scrape config) -->\n```yaml\nscrape_configs: []\n```\n"
                   ) == [("ok", "")]
    [(status, _)] = run_all("<!-- doc: not-a-project (broken) -->\n```yaml\na: [b\n```\n")
    assert status == "failed"  # it must still parse


def test_project_fragments_and_suites_are_validated():
    assert run_all("<!-- doc: project-fragment -->\n```yaml\npolicies: {stage: 4}\n```\n") == [
        ("ok", "")]
    [(status, _)] = run_all("<!-- doc: project-fragment -->\n```yaml\npolicies: {stage: 9}\n```\n")
    assert status == "failed"
    suite = "version: 1\nconditions:\n  - drift_share: {max: 0.25}\n"
    assert run_all(f"<!-- doc: suite -->\n```yaml\n{suite}```\n") == [("ok", "")]
    [(status, detail)] = run_all("<!-- doc: suite -->\n```yaml\nversion: 1\nconditions: []\n```\n")
    assert status == "failed" and "conditions" in detail


def test_file_blocks_are_written_not_run():
    text = ("<!-- doc: file=pkg/mod.py -->\n```python\nVALUE = 42\nraise SystemExit('not run')\n```\n"
            "```python\nimport sys; sys.path.insert(0, '.')\nfrom pkg.mod import VALUE\n```\n")
    # the module raises when imported, which shows that writing it did not run it
    (written, _), (imported, detail) = run_all(text)
    assert written == "ok" and imported == "failed" and "not run" in detail


def test_json_blocks_parse():
    assert run_all('```json\n{"a": [1, 2]}\n```\n') == [("ok", "")]
    [(status, _)] = run_all('```json\n{"a": ...}\n```\n')
    assert status == "failed"


def test_skipped_blocks_are_not_run():
    assert run_all("<!-- doc: skip (would fail) -->\n```python\nraise SystemExit(1)\n```\n") == [
        ("skipped", "would fail")]
