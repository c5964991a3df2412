"""Column kinds, and how driftline infers them."""

from __future__ import annotations

from enum import Enum

__all__ = ["ColumnKind"]


class ColumnKind(str, Enum):
    """What a column holds, which decides how it is tested.

    * ``numerical``: numbers; tested on their distribution.
    * ``categorical``: labels (strings, pandas categories); tested on label shares.
    * ``binary``: exactly two labels (booleans, 0/1, two strings); tested on the share of one.
    * ``text``: free text; tested on descriptors (length, out-of-vocabulary share).
    * ``datetime``: timestamps; data quality checks only (range, freshness).

    Examples
    --------
    >>> ColumnKind("numerical") is ColumnKind.NUMERICAL
    True
    >>> ColumnKind.parse("Categorical").value
    'categorical'
    """

    NUMERICAL = "numerical"
    CATEGORICAL = "categorical"
    BINARY = "binary"
    TEXT = "text"
    DATETIME = "datetime"

    @classmethod
    def parse(cls, value: object, *, name: str = "kind") -> ColumnKind:
        """Parse a kind from a string (case-insensitive) or return it unchanged."""
        if isinstance(value, ColumnKind):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            from driftline.errors import ParameterError

            raise ParameterError.choice(name, value, [k.value for k in cls]) from None

    def __str__(self) -> str:
        return self.value
