"""The false-alarm budget of a k-of-m persistence rule, computed exactly."""

from __future__ import annotations

import math

from driftline.errors import ParameterError

__all__ = ["MAX_PERSISTENCE_WINDOWS", "expected_windows_between_false_alarms"]

#: The largest ``m`` accepted: the chain has up to ``2 ** (m - 1)`` states.
MAX_PERSISTENCE_WINDOWS = 16


def expected_windows_between_false_alarms(alpha: float, k: int, m: int) -> float:
    """Expected number of windows between false alarms of the rule "drift in at least ``k``
    of the last ``m`` windows", when each window is a false alarm with probability ``alpha``,
    independently.

    Notes
    -----
    This is the average run length of the rule from a clean history. After a retrain decision
    the policy only counts windows that end later (:attr:`PolicyContext.evidence_since`), so
    the history starts clean after every alarm and the times between false alarms are
    independent copies of this run length (a renewal process): the long-run rate of false
    retrains is one over this value.

    It is computed exactly with a Markov chain whose state is the outcomes of the last
    ``m - 1`` windows (only states with fewer than ``k`` drifted windows can be reached
    without an alarm). With ``Q`` the transitions between those states and ``t`` the expected
    windows to the alarm from each, ``(I - Q) t = 1``; the answer is ``t`` at the all-clear
    state. Special cases check it: 1 of 1 gives ``1 / alpha``, and ``m`` of ``m`` gives the
    classic run length ``(1 - alpha**m) / ((1 - alpha) * alpha**m)``.

    Examples
    --------
    >>> round(expected_windows_between_false_alarms(0.05, 1, 1), 6)
    20.0
    >>> round(expected_windows_between_false_alarms(0.05, 2, 3), 1)
    225.1
    >>> expected_windows_between_false_alarms(0.0, 2, 3)
    inf
    """
    if not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
        raise ParameterError.invalid("alpha", alpha, "a probability in [0, 1]")
    if not (isinstance(m, int) and 1 <= m <= MAX_PERSISTENCE_WINDOWS):
        raise ParameterError.invalid("m", m, f"an integer in [1, {MAX_PERSISTENCE_WINDOWS}]")
    if not (isinstance(k, int) and 1 <= k <= m):
        raise ParameterError.invalid("k", k, f"an integer in [1, m={m}]")
    if alpha == 0.0:
        return math.inf
    return _run_length(float(alpha), k, m)


def _run_length(alpha: float, k: int, m: int) -> float:
    import numpy as np
    from scipy.sparse import csr_matrix, identity
    from scipy.sparse.linalg import spsolve

    mask = (1 << (m - 1)) - 1
    states = [s for s in range(mask + 1) if s.bit_count() < k]
    index = {s: i for i, s in enumerate(states)}
    moves: list[tuple[int, int, float]] = []
    for s in states:
        quiet = (s << 1) & mask  # this window clear: the oldest outcome drops off
        moves.append((index[s], index[quiet], 1.0 - alpha))
        if s.bit_count() + 1 < k:  # this window drifted, still short of k: no alarm yet
            moves.append((index[s], index[quiet | 1], alpha))
    n = len(states)
    rows, cols, probs = zip(*moves, strict=True)
    q = csr_matrix((probs, (rows, cols)), shape=(n, n))
    t = spsolve((identity(n, format="csc") - q).tocsc(), np.ones(n))
    return float(np.atleast_1d(t)[index[0]])
