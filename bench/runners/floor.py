"""The floor: the least work any exact per-column test must do.

``full``: sort both samples of every numeric column and take the integer codes of every
categorical column. ``fitted``: the same for the current window alone, which is what a
reference fitted in advance leaves to do per window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _common import Timer, emit, load, parse_args, split_columns


def codes(column: pd.Series) -> np.ndarray:
    """Integer codes of a categorical column (factorised when it is not ``category``)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy()
    return pd.factorize(column)[0]


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], ("full", "fitted"))
    reference, current = load(args.data)
    numeric, categorical = split_columns(reference)
    frames = (reference, current) if args.variant == "full" else (current,)
    kept = []  # keep the results alive, so nothing is freed early inside the timed phase
    with Timer() as timer:
        for frame in frames:
            kept.extend(np.sort(frame[c].to_numpy()) for c in numeric)
            kept.extend(codes(frame[c]) for c in categorical)
    emit(tool="floor", variant=args.variant, timer=timer, n_drifted=None,
         n_columns=len(numeric) + len(categorical), packages=("numpy", "pandas"))


if __name__ == "__main__":
    main()
