"""docs/metrics.md documents every metric family the serving metrics produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftline.telemetry import LOOP_METRICS, MODEL_STATE_METRICS, ServingMetrics

from .conftest import model_state, two_gpus

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
# The name as it appears in a scrape, by prometheus_client's family type.
SUFFIX = {"counter": "_total", "info": "_info", "gauge": "", "histogram": ""}


def _families() -> dict[str, tuple[str, set[str]]]:
    metrics = ServingMetrics(gpu=two_gpus, model_state=model_state)  # every family present
    metrics.add_model("credit", "1")
    metrics.loop.source = lambda: [
        (name, dict.fromkeys(labels, "x"), 1.0) for name, (_, _, labels) in LOOP_METRICS.items()]
    out = {}
    for family in metrics.registry.collect():
        labels = set().union(*(set(s.labels) - {"le"} for s in family.samples))
        out[family.name + SUFFIX[family.type]] = (family.type, labels)
    return out


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0].strip("`")] = cells
    return rows


FAMILIES = _families()
DRIFTLINE = sorted(name for name in FAMILIES if name.startswith("driftline_"))


def test_every_family_is_a_driftline_process_or_python_one():
    assert all(name.startswith(("driftline_", "process_", "python_")) for name in FAMILIES)
    assert set(MODEL_STATE_METRICS) <= set(FAMILIES)


@pytest.mark.parametrize("name", DRIFTLINE)
def test_every_driftline_family_has_a_row(name):
    rows = _rows()
    assert name in rows, f"{name} is missing from docs/metrics.md"
    kind, labels = FAMILIES[name]
    cells = rows[name]
    assert cells[1] == kind
    documented = set() if cells[2] == "–" else {c.strip(" `") for c in cells[2].split(",")}
    assert documented == labels


def test_no_row_documents_a_family_that_does_not_exist():
    rows = [name for name in _rows() if name.startswith("driftline_")]
    assert sorted(rows) == DRIFTLINE


def test_process_and_python_families_are_mentioned():
    text = DOC.read_text(encoding="utf-8")
    assert "`process_*`" in text and "`python_*`" in text
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes"):
        assert name in FAMILIES and f"`{name}`" in text
