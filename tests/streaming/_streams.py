"""Helpers the detector tests share: seeded streams, and a loop that records where a
detector fired and warned."""

from __future__ import annotations

import numpy as np

__all__ = ["_drifts", "_run", "_steps", "_stream"]


def _stream(seed: int, kind: str, reals: bool, down: bool = False, n: int = 2_500) -> list[float]:
    """Values in [0, 1] whose mean stays put ("none"), jumps ("abrupt") or ramps ("gradual"),
    up or ``down``: error bits, or Beta values when ``reals``."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.05, 0.5)
    delta = rng.uniform(0.05, 0.4) if kind != "none" else 0.0
    p1 = float(np.clip(p0 - delta if down else p0 + delta, 0.01, 0.95))
    at, width = int(rng.integers(n // 5, 3 * n // 5)), int(rng.integers(100, 800))
    ramp = np.clip((np.arange(n) - at) / (width if kind == "gradual" else 1), 0, 1)
    p = p0 + (p1 - p0) * ramp
    if reals:
        return rng.beta(p * 8, (1 - p) * 8).tolist()
    return (rng.random(n) < p).astype(float).tolist()


def _steps(seed: int, n: int = 6_000) -> list[float]:
    """Beta values whose mean alternates between 0.1 and 0.5 every 750 values."""
    rng = np.random.default_rng(seed)
    p = np.where((np.arange(n) // 750) % 2 == 0, 0.1, 0.5)
    return rng.beta(p * 8, (1 - p) * 8).tolist()


def _run(det, xs) -> tuple[list[int], list[int]]:
    drifts, warnings = [], []
    for i, x in enumerate(xs):
        det.update(x)
        if det.drift_detected:
            drifts.append(i)
        if det.warning_detected:
            warnings.append(i)
    return drifts, warnings


def _drifts(det, xs) -> list[int]:
    """Where ``det`` fired (for detectors, such as some of river's, without a warning zone)."""
    hits = []
    for i, x in enumerate(xs):
        det.update(x)
        if det.drift_detected:
            hits.append(i)
    return hits
