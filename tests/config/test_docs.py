"""docs/configuration.md documents every key of the project file."""

from __future__ import annotations

from pathlib import Path

from driftline.config import ProjectConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def _keys(model, prefix=""):
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        sub = field.annotation
        if hasattr(sub, "model_fields") and sub.model_fields:
            yield from _keys(sub, key + ".")
        else:
            yield key


def test_every_key_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [k for k in _keys(ProjectConfig) if f"| `{k}` |" not in text]
    assert missing == []
