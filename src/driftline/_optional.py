"""Import optional dependencies at the point of use, with an install hint on failure."""

from __future__ import annotations

import importlib
from types import ModuleType

from driftline.errors import MissingDependencyError


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install.

    Examples
    --------
    >>> require("math", extra="io", feature="maths").sqrt(4.0)
    2.0
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError.for_extra(module.split(".")[0], extra, feature) from exc
