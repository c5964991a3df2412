"""docs/policies.md: its false-alarm table is what the function computes; every trigger, stage
and public name is documented; the public surface is sorted and has examples."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import driftline.policy as policy
from driftline.policy import STAGES, TRIGGER_TYPES, expected_windows_between_false_alarms

DOC = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text(encoding="utf-8")
ALPHAS = (0.01, 0.05, 0.1)


def test_false_alarm_table_matches_the_function():
    rows = re.findall(r"^\| (\d+) of (\d+) \| (.+) \|$", DOC, flags=re.M)
    assert len(rows) >= 5
    for k, m, cells in rows:
        numbers = [int(c.split(" (")[0].replace(",", "")) for c in cells.split(" | ")]
        expected = [round(expected_windows_between_false_alarms(a, int(k), int(m))) for a in ALPHAS]
        assert numbers == expected, f"{k} of {m}"


def test_every_trigger_and_stage_is_documented():
    for kind in TRIGGER_TYPES:
        assert f"`{kind}`" in DOC
    for stage in STAGES:
        assert re.search(rf"^\| {stage}, ", DOC, flags=re.M)


def test_all_is_sorted_and_every_public_object_has_an_example():
    key = lambda n: (not n.isupper(), not n[:1].isupper(), n)  # noqa: E731
    assert list(policy.__all__) == sorted(policy.__all__, key=key)
    missing = [n for n in policy.__all__ if (inspect.isclass(getattr(policy, n))
                                            or inspect.isfunction(getattr(policy, n)))
               and ">>>" not in (inspect.getdoc(getattr(policy, n)) or "")]
    assert missing == []


@pytest.mark.parametrize("name", [n for n in policy.__all__ if not n.isupper()])
def test_public_names_appear_in_the_docs(name):
    assert name in DOC
