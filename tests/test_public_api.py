"""The public surface: sorted ``__all__`` that resolves, in every public package (STYLE §13)."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = ["driftline", "driftline.stats", "driftline.drift", "driftline.errors", "driftline.config",
            "driftline.registry", "driftline.serving", "driftline.store", "driftline.retrain",
            "driftline.app", "driftline.telemetry", "driftline.metrics", "driftline.monitor",
            "driftline.policy", "driftline.alerts", "driftline.integrations", "driftline.ui",
            "driftline.demo", "driftline.streaming", "driftline.estimation", "driftline.tracking",
            "driftline.profile"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_resolves(name):
    mod = importlib.import_module(name)
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    key = lambda n: (not n.isupper(), not n[:1].isupper(), n)  # noqa: E731
    assert list(mod.__all__) == sorted(mod.__all__, key=key), f"{name}.__all__ is not sorted"
    for attr in mod.__all__:
        assert getattr(mod, attr) is not None, f"{name}.{attr} does not resolve"


@pytest.mark.parametrize("name", ["driftline.stats", "driftline.drift", "driftline.config",
                                  "driftline.registry", "driftline.serving", "driftline.store",
                                  "driftline.retrain", "driftline.app", "driftline.telemetry",
                                  "driftline.metrics", "driftline.monitor", "driftline.policy",
                                  "driftline.alerts", "driftline.integrations", "driftline.ui",
                                  "driftline.demo", "driftline.streaming", "driftline.estimation",
                                  "driftline.tracking", "driftline.profile"])
def test_public_functions_have_examples(name):
    mod = importlib.import_module(name)
    missing = []
    for attr in mod.__all__:
        obj = getattr(mod, attr)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            doc = inspect.getdoc(obj) or ""
            if ">>>" not in doc and not attr.isupper():
                missing.append(attr)
    assert missing == [], f"public names without a runnable example: {missing}"


def test_registry_and_exports_agree():
    from driftline import stats

    for name in stats.available():
        assert getattr(stats, stats.get(name).func.__name__) is stats.get(name).func
