"""driftline.alerts' public surface: a sorted __all__ that resolves, and an example on every name."""

from __future__ import annotations

import inspect

from driftline import alerts


def test_all_is_sorted_and_resolves():
    key = lambda n: (not n.isupper(), not n[:1].isupper(), n)  # noqa: E731
    assert list(alerts.__all__) == sorted(alerts.__all__, key=key)
    assert all(getattr(alerts, name) is not None for name in alerts.__all__)


def test_public_classes_have_examples():
    classes = [name for name in alerts.__all__ if inspect.isclass(getattr(alerts, name))]
    missing = [name for name in classes if ">>>" not in (getattr(alerts, name).__doc__ or "")]
    assert missing == []

