"""Text columns are compared through simple per-row descriptors.

Descriptors: ``length`` (characters), ``words`` (whitespace-separated tokens) and
``oov_share`` (share of a row's lower-cased tokens that are not in the reference vocabulary).

The vocabulary is built from every other reference row (the even rows) and the reference's own
``oov_share`` is measured on the odd rows, so both sides are scored against a vocabulary they
did not build: scoring the reference against its own vocabulary would give it zero
out-of-vocabulary tokens and make every current window look drifted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DESCRIPTORS", "build_vocabulary", "describe"]

DESCRIPTORS = ("length", "words", "oov_share")


def _texts(codes: np.ndarray, labels: np.ndarray) -> pd.Series:
    import pandas as pd

    present = codes >= 0
    return pd.Series(labels[codes[present]], dtype=object)


def build_vocabulary(codes: np.ndarray, labels: np.ndarray) -> frozenset[str]:
    """The lower-cased tokens of the even rows of a text column.

    Examples
    --------
    >>> labels = np.array(["the cat", "a dog", "the end"], dtype=object)
    >>> sorted(build_vocabulary(np.array([0, 1, 2]), labels))
    ['cat', 'end', 'the']
    """
    texts = _texts(codes, labels).iloc[::2]
    return frozenset(texts.str.lower().str.split().explode().dropna())


def describe(
    codes: np.ndarray, labels: np.ndarray, vocabulary: frozenset[str], *, odd_only: bool = False
) -> dict[str, np.ndarray]:
    """Per-row descriptors of a text column (missing rows left out).

    Examples
    --------
    >>> labels = np.array(["the cat", "a dog"], dtype=object)
    >>> d = describe(np.array([0, 1]), labels, frozenset({"the", "cat"}))
    >>> d["length"].tolist(), d["oov_share"].tolist()
    ([7.0, 5.0], [0.0, 1.0])
    """
    texts = _texts(codes, labels)
    if odd_only:
        texts = texts.iloc[1::2]
    tokens = texts.str.lower().str.split()
    words = tokens.str.len().fillna(0).to_numpy(dtype=np.float64)
    exploded = tokens.explode()
    oov = (~exploded.isin(vocabulary)) & exploded.notna()
    oov_count = oov.groupby(level=0).sum().reindex(texts.index, fill_value=0).to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(words > 0, oov_count / np.maximum(words, 1), 0.0)
    return {
        "length": texts.str.len().to_numpy(dtype=np.float64),
        "words": words,
        "oov_share": share,
    }
