"""The base of every section of the project file: unknown keys are errors, values are frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Section"]


class Section(BaseModel):
    """A section of the project file (pydantic, ``extra="forbid"``, frozen)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
