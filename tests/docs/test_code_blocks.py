"""The code in README.md and docs/ runs: every Python block executes, every YAML block is a valid
project file (or says what else it is and is checked by its own means), every JSON block parses,
and every shell block either runs through the harness or carries a skip marker with a reason.

The rules and the marker syntax are in docs/README.md ("Code blocks in the docs"). Each block is
one test, named by its file and line, e.g. ``docs/serving.md:42-python``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.blocks import CODE_LANGUAGES, Block, MarkerError, parse
from tests.docs.runner import run_file_until

ROOT = Path(__file__).resolve().parents[2]

# Every skip marker, counted per file: adding (or removing) one is a visible change to this table.
EXPECTED_SKIPS = {
    "README.md": 2,
    "docs/README.md": 1,
    "docs/alerts.md": 1,
    "docs/dashboards.md": 1,
    "docs/getting-started.md": 4,
    "docs/scaling.md": 3,
    "docs/serving.md": 1,
}


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _parse_all() -> tuple[dict[str, list[Block]], list[str]]:
    blocks, errors = {}, []
    for path in doc_files():
        rel = path.relative_to(ROOT).as_posix()
        try:
            blocks[rel] = parse(path.read_text(encoding="utf-8"), rel)
        except MarkerError as exc:
            blocks[rel], errors = [], [*errors, str(exc)]
    return blocks, errors


BLOCKS, MARKER_ERRORS = _parse_all()
# The blocks that are code, per file, in order: what the runner executes.
CODE = {path: [b for b in blocks if b.kind != "other"] for path, blocks in BLOCKS.items()}
CASES = [(path, i, block) for path, blocks in CODE.items() for i, block in enumerate(blocks)]


@pytest.mark.parametrize(("path", "index", "block"), CASES, ids=[c[2].id for c in CASES])
def test_code_block(path, index, block):
    outcome = run_file_until(path, CODE[path], index)
    if outcome.status == "skipped":
        pytest.skip(outcome.detail)
    assert outcome.status == "ok", f"{block.id}:\n{outcome.detail}"


def test_every_marker_parses_and_sits_on_a_fence():
    assert MARKER_ERRORS == []


def test_every_fence_has_a_language():
    missing = [b.id for blocks in BLOCKS.values() for b in blocks if not b.language]
    assert missing == [], "give these fences a language (text for output, see docs/README.md)"


def test_markers_fit_their_blocks():
    wrong = []
    for blocks in BLOCKS.values():
        for b in blocks:
            m = b.marker
            if (m.run or m.exit or m.timeout != 60.0) and b.kind != "shell":
                wrong.append(f"{b.id}: run, exit= and timeout= are for shell blocks")
            if (m.not_a_project or m.suite or m.project_fragment) and b.kind != "yaml":
                wrong.append(f"{b.id}: not-a-project, suite and project-fragment are for yaml blocks")
            if m.file and b.kind not in ("python", "yaml"):
                wrong.append(f"{b.id}: file= is for python and yaml blocks")
            if m.skip and (m.run or m.file):
                wrong.append(f"{b.id}: a skipped block is neither run nor written")
            if b.language not in CODE_LANGUAGES and m != type(m)():
                wrong.append(f"{b.id}: {b.language!r} blocks are not code; they take no marker")
    assert wrong == []


def test_the_skips_are_counted():
    found = {path: [b.marker.skip for b in blocks if b.marker.skip]
             for path, blocks in CODE.items()}
    counts = {path: len(reasons) for path, reasons in found.items() if reasons}
    reasons = "\n".join(f"  {p}: {r}" for p, rs in found.items() for r in rs)
    assert counts == EXPECTED_SKIPS, f"skip markers changed; the current ones:\n{reasons}"


def test_at_least_one_serving_example_runs():
    serving = [b for b in CODE["README.md"] if b.kind == "python" and "TestClient" in b.code]
    assert serving and not any(b.marker.skip for b in serving)
