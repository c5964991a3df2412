"""The docs agree with the code: docs/methods.md lists every registered method with its
threshold, the docs index links every page, and relative links resolve.

The code blocks of the README and docs are run by tests/docs/test_code_blocks.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from driftline import stats

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_method_is_documented():
    text = (DOCS / "methods.md").read_text(encoding="utf-8")
    missing = [m for m in stats.available() if f"| `{m}` |" not in text]
    assert missing == []


def test_documented_thresholds_match_the_registry():
    text = (DOCS / "methods.md").read_text(encoding="utf-8")
    for name in stats.available():
        spec = stats.get(name)
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        expected = "–" if spec.default_threshold is None else f"{spec.default_threshold:g}"
        assert cells[4] == expected, name
        assert cells[5] == str(spec.min_n), name
        assert cells[6] == spec.cost, name


ROOT = DOCS.parent
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1", flags=re.S | re.M)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _FENCED.sub("", path.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6} (.+)$", text, flags=re.M)
    return {_slug(h) for h in headings} | set(re.findall(r'<a id="([^"]+)"', text))


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def test_the_docs_index_links_every_page():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = {target.split("#")[0] for target in _LINK.findall(index)}
    pages = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
    assert sorted(pages - linked) == []


def _resolves(page: Path, target: str) -> bool:
    path, _, anchor = target.partition("#")
    file = (page.parent / path) if path else page
    if not file.exists():
        return False
    return not anchor or file.suffix != ".md" or anchor in _anchors(file)


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    text = _FENCED.sub("", page.read_text(encoding="utf-8"))
    targets = [t for t in _LINK.findall(text) if not t.startswith(("http://", "https://", "mailto:"))]
    assert [t for t in targets if not _resolves(page, t)] == []
