"""The method reference in docs/methods.md lists every registered method."""

from __future__ import annotations

from pathlib import Path

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
