"""The demo's streaming part: concept-drift detectors and a model that adapts in real time, on a
SEA stream (``driftline.datasets``) whose concept changes at a known row."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DETECTORS", "run_streams"]

#: The detectors the demo runs on the error stream, with river's defaults (1 = error).
DETECTORS = ("ADWIN", "DDM", "HDDM_A", "HDDM_W", "PageHinkley")
_TRAIN = 2_000


def run_streams(say: Any, *, fast: bool = False, seed: int = 7) -> dict[str, Any]:
    """Stream SEA with 10% label noise, its concept changing abruptly from threshold 9.0 to
    7.0 halfway; run each detector on the errors of a model fitted on the first concept, and
    compare that model with :class:`~driftline.retrain.DriftAdaptive`. Returns the figures.

    Examples
    --------
    >>> from driftline.demo._run import _Say
    >>> out = run_streams(_Say(quiet=True), fast=True)
    >>> out["change_at"], out["detectors"]["ADWIN"]["first_alarm"] > out["change_at"]
    (5000, True)
    """
    from sklearn.naive_bayes import GaussianNB

    from driftline import streaming
    from driftline.datasets import SEA, drifting
    from driftline.retrain import DriftAdaptive

    n = 10_000 if fast else 20_000
    change = n // 2
    stream = drifting(SEA(9.0, noise=0.1, seed=seed), SEA(7.0, noise=0.1, seed=seed + 1),
                      position=_TRAIN + change, seed=seed)
    X, y = stream.take(_TRAIN + n)
    X_fit, y_fit = X.iloc[:_TRAIN], y.iloc[:_TRAIN]
    X_run, y_run = X.iloc[_TRAIN:].reset_index(drop=True), y.iloc[_TRAIN:].to_numpy()
    fixed = GaussianNB().fit(X_fit, y_fit)
    errors = (fixed.predict(X_run) != y_run).astype(np.int64)
    say(f"\nStreams: SEA ({n:,} rows after {_TRAIN:,} to fit, 10% label noise); its concept "
        f"changes at row {change:,} (threshold 9.0 -> 7.0).")
    say("  Concept-drift detectors on the errors of a model fitted on the first concept "
        "(driftline.streaming, river's defaults):")
    found: dict[str, Any] = {}
    rows = []
    for name in DETECTORS:
        det = getattr(streaming, name)()
        hits = det.update_many(errors).tolist()
        after = [h for h in hits if h >= change]
        first = after[0] if after else None
        early = sum(h < change for h in hits)
        found[name] = {"first_alarm": first, "delay": None if first is None else first - change,
                       "false_alarms": early}
        rows.append([name, "-" if first is None else f"{first:,}",
                     "-" if first is None else f"{first - change:,}", early])
    say.table(["detector", "first alarm", "delay", "alarms before the change"], rows)
    adaptive = DriftAdaptive(GaussianNB(), classes=[0, 1])
    adaptive.learn_many(X_fit, y_fit)  # the same start as the fixed model
    learned = adaptive.n_rows
    predicted = []
    for start in range(0, n, 100):  # prequential: predict a block, then learn it
        block = X_run.iloc[start:start + 100]
        predicted.append(np.asarray(adaptive.predict_many(block)))
        adaptive.learn_many(block, y_run[start:start + 100])
    adaptive_pred = np.concatenate(predicted)
    acc_fixed = float(1 - errors[change:].mean())
    acc_adaptive = float((adaptive_pred[change:] == y_run[change:]).mean())
    swaps = [s.index - learned for s in adaptive.swaps]
    say("  A model that adapts (DriftAdaptive: GaussianNB watched by HDDM_A; a background model "
        "learns from the warning on and replaces it on drift):")
    say(f"    accuracy after the change: fixed model {acc_fixed:.3f}, adaptive {acc_adaptive:.3f}"
        f"; swapped at row {', '.join(f'{s:,}' for s in swaps) or 'never'}")
    return {"rows": n, "change_at": change, "detectors": found,
            "accuracy_after": {"fixed": acc_fixed, "adaptive": acc_adaptive}, "swaps": swaps}
