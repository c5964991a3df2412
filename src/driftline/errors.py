"""The errors and warnings driftline raises.

Every error derives from :class:`DriftlineError`, so ``except DriftlineError`` catches
anything driftline raises on purpose::

    DriftlineError
    ├── ParameterError      (also a ValueError)   a parameter outside its allowed values
    ├── ConfigError         (also a ValueError)   a project file that is missing or invalid
    ├── DataError           (also a ValueError)   input data that cannot be compared as given
    │   └── SchemaError                           columns missing, mismatched kinds or types
    └── MissingDependencyError (also ImportError) an optional extra is not installed

    DriftlineWarning
    └── SmallSampleWarning                        too few rows for a verdict; none is given

Messages name the parameter, the allowed values, what was received and the fix.

Examples
--------
>>> from driftline.errors import ParameterError
>>> try:
...     raise ParameterError.invalid("alpha", 2.0, "a float in (0, 1)")
... except ValueError as exc:
...     print(exc)
alpha must be a float in (0, 1); got 2.0.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

__all__ = [
    "ConfigError",
    "DataError",
    "DriftlineError",
    "DriftlineWarning",
    "MissingDependencyError",
    "ParameterError",
    "SchemaError",
    "SmallSampleWarning",
    "require",
]


class DriftlineError(Exception):
    """Base class of every error driftline raises on purpose."""


class ParameterError(DriftlineError, ValueError):
    """A parameter is outside its allowed values."""

    @classmethod
    def invalid(cls, name: str, value: object, allowed: str, fix: str = "") -> ParameterError:
        """Build the standard message: the parameter, what is allowed, what was received."""
        msg = f"{name} must be {allowed}; got {value!r}."
        return cls(f"{msg} {fix}".strip())

    @classmethod
    def choice(cls, name: str, value: object, choices: Iterable[str]) -> ParameterError:
        """Build the "expected one of" message for a named choice."""
        options = ", ".join(repr(c) for c in choices)
        return cls(f"{name} must be one of {options}; got {value!r}.")


class ConfigError(DriftlineError, ValueError):
    """A project file is missing, unreadable or invalid; the message names the key and the fix."""


class DataError(DriftlineError, ValueError):
    """Input data cannot be compared as given."""


class SchemaError(DataError):
    """Columns are missing, or their kinds or types do not match."""


class MissingDependencyError(DriftlineError, ImportError):
    """An optional dependency is needed for this feature and is not installed."""

    @classmethod
    def for_extra(cls, package: str, extra: str, feature: str) -> MissingDependencyError:
        """Build the message that gives the exact install command."""
        return cls(
            f"{feature} needs the optional dependency {package!r}, which is not installed. "
            f"Install it with: pip install 'driftline[{extra}]'"
        )


class DriftlineWarning(UserWarning):
    """Base class of driftline's warnings."""


class SmallSampleWarning(DriftlineWarning):
    """A sample is too small for the method to give a verdict; the result has none."""


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import an optional dependency, or raise :class:`MissingDependencyError` with the
    ``pip install 'driftline[extra]'`` command that provides it.

    Examples
    --------
    >>> require("math", extra="io", feature="maths").sqrt(4.0)
    2.0
    >>> require("no_such_module", extra="io", feature="Reading Parquet")
    Traceback (most recent call last):
    ...
    driftline.errors.MissingDependencyError: Reading Parquet needs ... pip install 'driftline[io]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError.for_extra(module.split(".")[0], extra, feature) from exc
