"""Search strategies: the :class:`Tuner` protocol they implement, what they return
(:class:`TrialResult`, :class:`TuningResult`), the built-in :class:`RandomSearchTuner`
(numpy only), and the tuners' registry (:func:`register_tuner`, :func:`make_tuner`,
:func:`available_tuners`).

The protocol lives here, in the retraining loop; an implementation that needs a library lives
above and plugs in through :func:`register_tuner` (``driftline.integrations._optuna``
registers ``"optuna"`` when imported), so this module never imports one.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from driftline.errors import ParameterError
from driftline.retrain._search_space import SearchSpace

__all__ = [
    "DIRECTIONS",
    "RandomSearchTuner",
    "TrialResult",
    "Tuner",
    "TuningResult",
    "available_tuners",
    "make_tuner",
    "register_tuner",
]

#: The directions a tuning optimises in.
DIRECTIONS = ("maximize", "minimize")
_STATUSES = ("finished", "failed", "pruned")


@dataclass(frozen=True)
class TrialResult:
    """One trial of a tuning: the params it tried, its objective value and how it ended.

    ``run_id`` is the trial's tracked run (set by :func:`tune_params`).

    Examples
    --------
    >>> TrialResult(0, {"C": 1.0}, 0.8, "finished").to_dict()["value"]
    0.8
    """

    number: int
    params: Mapping[str, Any]
    value: float | None
    status: str
    error: str | None = None
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"number": self.number, "params": dict(self.params), "value": self.value,
                "status": self.status, "error": self.error, "run_id": self.run_id}


@dataclass(frozen=True)
class TuningResult:
    """What a tuning found: its trials, and the best of them by ``direction``.

    The best trial is the finished one with the best value (the first of ties); there is none
    when no trial finished, and then :attr:`best_params` is ``{}``.

    Examples
    --------
    >>> res = TuningResult("maximize", (TrialResult(0, {"C": 0.1}, 0.7, "finished"),
    ...                                 TrialResult(1, {"C": 1.0}, 0.8, "finished"),
    ...                                 TrialResult(2, {"C": 9.0}, None, "failed", "boom")))
    >>> res.best_params, res.best_value, res.n_failed
    ({'C': 1.0}, 0.8, 1)
    """

    direction: str
    trials: tuple[TrialResult, ...]
    metric: str = "value"
    study_id: str | None = None

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ParameterError.choice("direction", self.direction, DIRECTIONS)

    @property
    def best(self) -> TrialResult | None:
        """The best finished trial, or ``None``."""
        done = [t for t in self.trials if t.status == "finished" and t.value is not None]
        if not done:
            return None
        sign = 1.0 if self.direction == "maximize" else -1.0
        return max(done, key=lambda t: (sign * float(t.value or 0.0), -t.number))

    @property
    def best_params(self) -> dict[str, Any]:
        """The best trial's params (``{}`` without one)."""
        best = self.best
        return {} if best is None else dict(best.params)

    @property
    def best_value(self) -> float | None:
        """The best trial's value (``None`` without one)."""
        best = self.best
        return None if best is None else best.value

    @property
    def n_failed(self) -> int:
        """How many trials failed."""
        return sum(t.status == "failed" for t in self.trials)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        best = self.best
        return {"direction": self.direction, "metric": self.metric, "study_id": self.study_id,
                "best_params": self.best_params, "best_value": self.best_value,
                "best_trial": None if best is None else best.number,
                "trials": [t.to_dict() for t in self.trials]}


@runtime_checkable
class Tuner(Protocol):
    """A search strategy: proposes params from ``space``, calls ``objective`` on each, and
    returns every trial.

    ``objective(params) -> float`` scores one set of params; a trial whose objective raises
    or returns a value that is not a finite number is a ``failed`` trial, and the search goes
    on. A tuner stops after ``n_trials`` trials, and starts none after ``timeout`` seconds.
    :class:`RandomSearchTuner` is built in; ``driftline.integrations.OptunaTuner`` uses
    Optuna's samplers.

    Examples
    --------
    >>> class FirstValues:
    ...     def tune(self, objective, space, *, n_trials, direction="maximize", timeout=None):
    ...         params = {n: getattr(s, "low", None) for n, s in space.params.items()}
    ...         return TuningResult(direction, (TrialResult(0, params, objective(params),
    ...                                                     "finished"),))
    >>> isinstance(FirstValues(), Tuner)
    True
    >>> FirstValues().tune(lambda p: -p["x"], SearchSpace.from_dict({"x": {"low": 1, "high": 2}}),
    ...                    n_trials=1).best_value
    -1.0
    """

    def tune(self, objective: Callable[[dict[str, Any]], float], space: SearchSpace, *,
             n_trials: int, direction: str = "maximize",
             timeout: float | None = None) -> TuningResult:
        """Run the search and return its trials."""


def _check_budget(n_trials: Any, direction: Any, timeout: Any) -> None:
    if not isinstance(n_trials, int) or isinstance(n_trials, bool) or n_trials < 1:
        raise ParameterError.invalid("n_trials", n_trials, "a positive int")
    if direction not in DIRECTIONS:
        raise ParameterError.choice("direction", direction, DIRECTIONS)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise ParameterError.invalid("timeout", timeout, "a positive number of seconds or None")


def _run_trial(objective: Callable[[dict[str, Any]], float], number: int,
              params: dict[str, Any]) -> TrialResult:
    """Call ``objective`` once: a finished trial, or a failed one with its error."""
    try:
        value = float(objective(params))
    except Exception as exc:
        return TrialResult(number, params, None, "failed", f"{type(exc).__name__}: {exc}"[:500])
    if not math.isfinite(value):
        return TrialResult(number, params, None, "failed", f"objective returned {value}")
    return TrialResult(number, params, value, "finished")


class RandomSearchTuner:
    """Random search: each trial draws every parameter independently from its spec.

    numpy only, seeded (the same ``seed`` proposes the same params), and as good as a grid
    with far fewer trials when only a few parameters matter (Bergstra & Bengio, 2012).

    Examples
    --------
    >>> space = SearchSpace.from_dict({"x": {"low": -2.0, "high": 2.0}})
    >>> res = RandomSearchTuner(seed=0).tune(lambda p: -(p["x"] - 1) ** 2, space, n_trials=30)
    >>> len(res.trials), abs(res.best_params["x"] - 1) < 0.2
    (30, True)
    """

    name = "random"
    source = "driftline"

    def __init__(self, seed: int = 0) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ParameterError.invalid("seed", seed, "an int")
        self.seed = seed

    def __repr__(self) -> str:
        return f"RandomSearchTuner(seed={self.seed})"

    def tune(self, objective: Callable[[dict[str, Any]], float], space: SearchSpace, *,
             n_trials: int, direction: str = "maximize",
             timeout: float | None = None) -> TuningResult:
        """Try ``n_trials`` random params (fewer if ``timeout`` seconds pass first)."""
        _check_budget(n_trials, direction, timeout)
        space = SearchSpace.from_dict(space)
        rng = np.random.default_rng(self.seed)
        deadline = None if timeout is None else time.monotonic() + timeout
        trials = []
        for number in range(n_trials):
            if deadline is not None and time.monotonic() >= deadline:
                break
            trials.append(_run_trial(objective, number, space.sample(rng)))
        return TuningResult(direction, tuple(trials))


# -- registration: tuners that live above plug in here ---------------------------------------
_TUNERS: dict[str, Callable[..., Tuner]] = {"random": RandomSearchTuner}
_LOCK = threading.Lock()
_HINTS = {"optuna": "import driftline.integrations._optuna first, which registers it (the "
                    "driftline CLI and service do); it needs Optuna: "
                    "pip install 'driftline[optuna]'"}


def register_tuner(name: str, factory: Callable[..., Tuner]) -> None:
    """Make ``factory(seed=...)`` the tuner called ``name`` (``training.tuning.tuner``).

    ``driftline.integrations._optuna`` registers ``"optuna"`` when imported (the CLI and the
    service import it; so does using ``driftline.integrations.OptunaTuner``); registering a
    name again replaces it.

    Examples
    --------
    >>> register_tuner("random-7", lambda seed=0: RandomSearchTuner(seed + 7))
    >>> make_tuner("random-7", seed=1).seed
    8
    """
    if not isinstance(name, str) or not name:
        raise ParameterError.invalid("name", name, "a non-empty string")
    if not callable(factory):
        raise ParameterError.invalid("factory", factory, "a callable factory(seed=...) -> Tuner")
    with _LOCK:
        _TUNERS[name] = factory


def available_tuners() -> tuple[str, ...]:
    """The registered tuners' names, sorted.

    Examples
    --------
    >>> "random" in available_tuners()
    True
    """
    with _LOCK:
        return tuple(sorted(_TUNERS))


def make_tuner(name: str, *, seed: int = 0) -> Tuner:
    """The registered tuner ``name``, seeded.

    Examples
    --------
    >>> make_tuner("random", seed=3)
    RandomSearchTuner(seed=3)
    """
    with _LOCK:
        factory = _TUNERS.get(name)
    if factory is None:
        if name in _HINTS:
            raise ParameterError(f"tuner {name!r} is not registered: {_HINTS[name]}.")
        raise ParameterError.choice("tuner", name, available_tuners())
    return factory(seed=seed)


def _resolve(tuner: Tuner | str, seed: int) -> Tuner:
    if isinstance(tuner, str):
        return make_tuner(tuner, seed=seed)
    if not callable(getattr(tuner, "tune", None)):
        raise ParameterError.invalid("tuner", tuner, "a Tuner (with tune()) or a registered "
                                     f"name: {', '.join(available_tuners())}")
    return tuner
