"""The Agrawal et al. (1993) loan applicants and their ten classification functions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from driftline.datasets._streams_base import BLOCK, Block, Columns, Stream, balanced, check_float, check_int
from driftline.errors import ParameterError

__all__ = ["Agrawal"]

_FEATURES = ("salary", "commission", "age", "elevel", "car", "zipcode", "hvalue", "hyears", "loan")
# Per age group (< 40, 40-59, >= 60): the salary band of functions 2 and 6 ...
_SALARY = np.array([[50e3, 100e3], [75e3, 125e3], [25e3, 75e3]])
# ... the lowest and highest education level of function 3 ...
_ELEVEL = np.array([[0, 1], [1, 3], [2, 4]])
# ... function 4's salary band for those inside, and outside, the elevel range ...
_SALARY_IN = np.array([[25e3, 75e3], [50e3, 100e3], [50e3, 100e3]])
_SALARY_OUT = np.array([[50e3, 100e3], [75e3, 125e3], [25e3, 75e3]])
# ... and function 5's loan band for those inside, and outside, the salary band.
_LOAN_IN = np.array([[100e3, 300e3], [200e3, 400e3], [300e3, 500e3]])
_LOAN_OUT = np.array([[200e3, 400e3], [300e3, 500e3], [100e3, 300e3]])


def _within(value: np.ndarray, bands: np.ndarray, row: np.ndarray) -> np.ndarray:
    return (bands[row, 0] <= value) & (value <= bands[row, 1])


def _disposable(x: Columns, elevel: float, loan: float, offset: float) -> np.ndarray:
    return 2.0 * (x["salary"] + x["commission"]) / 3.0 - elevel * x["elevel"] - loan * x["loan"] - offset


def _f4(x: Columns, g: np.ndarray) -> np.ndarray:
    inside = _within(x["elevel"], _ELEVEL, g)
    return np.where(inside, _within(x["salary"], _SALARY_IN, g), _within(x["salary"], _SALARY_OUT, g))


def _f5(x: Columns, g: np.ndarray) -> np.ndarray:
    inside = _within(x["salary"], _SALARY, g)
    return np.where(inside, _within(x["loan"], _LOAN_IN, g), _within(x["loan"], _LOAN_OUT, g))


def _f10(x: Columns, g: np.ndarray) -> np.ndarray:
    equity = 0.1 * x["hvalue"] * np.maximum(x["hyears"] - 20, 0)
    return _disposable(x, 5000.0, 0.0, 10e3) + 0.2 * equity > 0


# Each function is True for the paper's group A; x is the features, g the age group.
_GROUP_A: dict[int, Callable[[Columns, np.ndarray], np.ndarray]] = {
    1: lambda x, g: g != 1,
    2: lambda x, g: _within(x["salary"], _SALARY, g),
    3: lambda x, g: _within(x["elevel"], _ELEVEL, g),
    4: _f4,
    5: _f5,
    6: lambda x, g: _within(x["salary"] + x["commission"], _SALARY, g),
    7: lambda x, g: _disposable(x, 0.0, 0.2, 20e3) > 0,
    8: lambda x, g: _disposable(x, 5000.0, 0.0, 20e3) > 0,
    9: lambda x, g: _disposable(x, 5000.0, 0.2, 10e3) > 0,
    10: _f10,
}


@dataclass(frozen=True)
class Agrawal(Stream):
    """Loan applicants (Agrawal et al. 1993) labelled by one of the paper's ten functions.

    Parameters
    ----------
    function : the classification function, 1 to 10, numbered as in the paper (river's
        ``classification_function`` is this minus one).
    perturbation : the fraction of each numeric feature's range by which values are moved
        at random after labelling (label noise through the features); 0 for none.
    balance_classes : alternate the labels 1, 0, 1, 0, … (MOA's ``balanceClasses``).
    seed : seed of the samples.

    Notes
    -----
    salary ~ U[20k, 150k]; commission = 0 if salary >= 75k else U[10k, 75k];
    age ~ U{20..80}; elevel ~ U{0..4}; car ~ U{1..20}; zipcode ~ U{0..8};
    hvalue ~ U[0.5 k, 1.5 k] x 100k with k = 9 - zipcode; hyears ~ U{1..30}; loan ~ U[0, 500k].
    The label is 0 for the paper's group A and 1 for group B, as in MOA. The functions
    (ages in years, amounts in dollars, A when true):

    1. age < 40 or age >= 60;
    2. salary in [50k, 100k], [75k, 125k], [25k, 75k] for age < 40, 40-59, >= 60;
    3. elevel in [0, 1], [1, 3], [2, 4] by the same age groups;
    4. by age group, salary in [25k, 75k], [50k, 100k], [50k, 100k] when elevel is in the
       range of 3, else in [50k, 100k], [75k, 125k], [25k, 75k];
    5. by age group, loan in [100k, 300k], [200k, 400k], [300k, 500k] when salary is in the
       band of 2, else in [200k, 400k], [300k, 500k], [100k, 300k];
    6. salary + commission in the bands of 2;
    7. 2/3 (salary + commission) - 0.2 loan - 20k > 0;
    8. 2/3 (salary + commission) - 5000 elevel - 20k > 0;
    9. 2/3 (salary + commission) - 5000 elevel - 0.2 loan - 10k > 0;
    10. as 9 with + 0.2 equity instead of the loan, equity = 0.1 hvalue max(hyears - 20, 0).

    Perturbation moves salary, a non-zero commission, age, hvalue, hyears and loan by
    ``perturbation * range * U(-1, 1)``, clipped to the range (age and hyears rounded); the
    range of hvalue is the one of its zipcode.

    Examples
    --------
    >>> from driftline.datasets import Agrawal
    >>> X, y = Agrawal(function=1, seed=0).take(61_000)
    >>> group_a = (X["age"] < 40) | (X["age"] >= 60)
    >>> bool((y == (~group_a).astype(int)).all()), bool(abs(y.mean() - 20 / 61) < 0.01)  # 20 ages in 61
    (True, True)
    >>> list(X.columns)
    ['salary', 'commission', 'age', 'elevel', 'car', 'zipcode', 'hvalue', 'hyears', 'loan']
    >>> Agrawal(function=0)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: function must be an integer in [1, 10]; got 0. ...

    References
    ----------
    Agrawal, R., Imielinski, T. and Swami, A. (1993). Database mining: a performance
    perspective. IEEE Transactions on Knowledge and Data Engineering, 5(6), 914-925.
    """

    function: int = 1
    perturbation: float = 0.0
    balance_classes: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.function, bool) or self.function not in _GROUP_A:
            raise ParameterError.invalid("function", self.function, "an integer in [1, 10]",
                                         "The functions are numbered as in the paper (F1 to F10).")
        object.__setattr__(self, "perturbation", check_float("perturbation", self.perturbation, 0.0, 1.0))
        if not isinstance(self.balance_classes, bool):
            raise ParameterError.invalid("balance_classes", self.balance_classes, "True or False")
        check_int("seed", self.seed, 0)

    @property
    def features(self) -> tuple[str, ...]:
        return _FEATURES

    def _blocks(self) -> Iterator[Block]:
        rng = np.random.default_rng(self.seed)
        blocks = self._candidates(rng)
        if self.balance_classes:
            blocks = balanced(blocks)
        for x, y in blocks:
            if self.perturbation:
                x = self._perturbed(x, rng)
            yield x, y

    def _candidates(self, rng: np.random.Generator) -> Iterator[Block]:
        while True:
            salary = 20e3 + 130e3 * rng.random(BLOCK)
            commission = np.where(salary >= 75e3, 0.0, 10e3 + 65e3 * rng.random(BLOCK))
            ranges = ((20, 80), (0, 4), (1, 20), (0, 8), (1, 30))
            age, elevel, car, zipcode, hyears = (rng.integers(low, high + 1, BLOCK) for low, high in ranges)
            hvalue = (9 - zipcode) * 100e3 * (0.5 + rng.random(BLOCK))
            loan = 500e3 * rng.random(BLOCK)
            x = {"salary": salary, "commission": commission, "age": age, "elevel": elevel, "car": car,
                 "zipcode": zipcode, "hvalue": hvalue, "hyears": hyears, "loan": loan}
            group = np.where(age < 40, 0, np.where(age < 60, 1, 2))
            yield x, (~_GROUP_A[self.function](x, group)).astype(np.int64)

    def _perturbed(self, x: Columns, rng: np.random.Generator) -> Columns:
        n = len(x["salary"])
        k = 9 - x["zipcode"]

        def move(value: np.ndarray, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
            step = self.perturbation * (np.asarray(high) - low) * rng.uniform(-1.0, 1.0, n)
            return np.clip(value + step, low, high)

        out = dict(x)
        out["salary"] = move(x["salary"], 20e3, 150e3)
        out["commission"] = np.where(x["commission"] > 0, move(x["commission"], 10e3, 75e3), 0.0)
        out["age"] = np.rint(move(x["age"], 20, 80)).astype(np.int64)
        out["hvalue"] = move(x["hvalue"], 0.5e5 * k, 1.5e5 * k)
        out["hyears"] = np.rint(move(x["hyears"], 1, 30)).astype(np.int64)
        out["loan"] = move(x["loan"], 0.0, 500e3)
        return out
