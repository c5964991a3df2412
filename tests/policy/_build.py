"""Builders for synthetic window summaries and contexts on a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from driftline.policy import PolicyContext, WindowSummary

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def window(i: int, drift: bool | None = False, **kw) -> WindowSummary:
    """The i-th hourly window (ending at T0 + (i + 1) h)."""
    kw.setdefault("n_features", 20)
    if drift and "drifted_features" not in kw:
        kw["drifted_features"] = tuple(f"f{j}" for j in range(7))
    if drift and "drift_share" not in kw:
        kw["drift_share"] = len(kw["drifted_features"]) / kw["n_features"]
    return WindowSummary(T0 + (i + 1) * HOUR, kw.pop("n_rows", 500), drift, **kw)


def windows(pattern: str, **kw) -> list[WindowSummary]:
    """Windows from a pattern: 'D' drifted, '.' not drifted, '?' too small to judge."""
    verdict = {"D": True, ".": False, "?": None}
    return [window(i, verdict[c], **kw) for i, c in enumerate(pattern)]


def ctx(now: datetime | None = None, **kw) -> PolicyContext:
    """A context for model 'credit'; ``now`` defaults to just after the last window."""
    ws = kw.get("windows", ())
    if now is None:
        now = ws[-1].end if ws else T0
    return PolicyContext(now, kw.pop("model", "credit"), **kw)
