"""driftline.telemetry's public surface, and its imports (STYLE §1, §2, §13)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import driftline.telemetry as telemetry


def test_all_is_sorted_and_resolves():
    key = lambda n: (not n.isupper(), not n[:1].isupper(), n)  # noqa: E731
    assert list(telemetry.__all__) == sorted(telemetry.__all__, key=key)
    assert all(getattr(telemetry, name) is not None for name in telemetry.__all__)


def test_public_functions_and_classes_have_examples():
    missing = [name for name in telemetry.__all__
               if (inspect.isfunction(getattr(telemetry, name)) or inspect.isclass(getattr(telemetry, name)))
               and ">>>" not in (inspect.getdoc(getattr(telemetry, name)) or "")]
    assert missing == []


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_nvml_is_imported_only_to_look_for_gpus():
    out = _run("import sys, driftline.telemetry as t; t.ServingMetrics(gpu=False); "
               "print('pynvml' in sys.modules)")
    assert out.stdout.strip() == "False", out.stderr


def test_a_missing_prometheus_client_names_the_extra():
    out = _run("import sys; sys.modules['prometheus_client'] = None; import driftline.telemetry")
    assert out.returncode != 0
    assert "MissingDependencyError" in out.stderr and "pip install 'driftline[serve]'" in out.stderr
