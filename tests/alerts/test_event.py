"""Events: validation at the boundary, the versioned dict, the fingerprint."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from driftline.alerts import EVENT_KINDS, Event
from driftline.errors import ParameterError

AT = datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)


def drift(**overrides):
    kwargs = {"kind": "drift_detected", "model": "credit", "at": AT, "severity": "warning",
              "summary": "drift in 2/5 features", "details": {"features": ["age", "income"]},
              "action": "retrain on the last 30 days", "version": 3}
    return Event(**{**kwargs, **overrides})


def test_to_dict_is_versioned_json_and_round_trips():
    d = drift().to_dict()
    assert d["schema"] == "driftline.event/1"
    assert d["at"] == "2024-05-01T12:30:00Z"
    assert json.loads(json.dumps(d)) == d
    assert Event.from_dict(d) == drift()


def test_at_is_stored_in_utc():
    paris = timezone(timedelta(hours=2))
    assert drift(at=datetime(2024, 5, 1, 14, 30, tzinfo=paris)).at == AT


@pytest.mark.parametrize(("overrides", "parameter"), [
    pytest.param({"kind": "drifted"}, "kind", id="unknown-kind"),
    pytest.param({"severity": "error"}, "severity", id="unknown-severity"),
    pytest.param({"action": None}, "action", id="drift-without-action"),
    pytest.param({"action": "  "}, "action", id="blank-action"),
    pytest.param({"summary": "two\nlines"}, "summary", id="multiline-summary"),
    pytest.param({"at": datetime(2024, 5, 1)}, "at", id="naive-time"),
    pytest.param({"version": -1}, "version", id="negative-version"),
    pytest.param({"model": ""}, "model", id="empty-model"),
    pytest.param({"details": {"x": object()}}, "details['x']", id="details-not-json"),
])
def test_invalid_events_name_the_parameter(overrides, parameter):
    with pytest.raises(ParameterError, match="^" + re.escape(parameter) + " must be .*; got "):
        drift(**overrides)


def test_only_drift_events_require_an_action():
    for kind in EVENT_KINDS:
        if kind != "drift_detected":
            Event(kind, "credit", AT, "info", f"{kind} happened")


def test_details_are_made_json_ready_and_read_only():
    e = drift(details={"p": np.float64(0.01), "n": np.int64(5), "nan": float("nan"),
                       "arr": np.array([1, 2]), "when": AT, "tags": {"b", "a"}})
    assert dict(e.details) == {"p": 0.01, "n": 5, "nan": None, "arr": [1, 2],
                               "when": "2024-05-01T12:30:00+00:00", "tags": ["a", "b"]}
    with pytest.raises(TypeError):
        e.details["p"] = 1  # type: ignore[index]


def test_fingerprint_is_kind_model_and_key():
    base = drift()
    assert base.fingerprint == drift(summary="other", severity="critical", at=AT + timedelta(days=1),
                                     details={}).fingerprint
    assert base.fingerprint != drift(version=4).fingerprint  # the key defaults to the version
    assert base.fingerprint != drift(model="fraud").fingerprint
    assert base.fingerprint != drift(kind="performance_degraded").fingerprint
    assert drift(key="age").fingerprint == drift(key="age", version=9).fingerprint
    assert base.fingerprint != drift(resolved=True).fingerprint
    # Stable across processes and releases: a restarted worker must recognise its own events.
    assert base.fingerprint == "5493a59ccdd567d6"
