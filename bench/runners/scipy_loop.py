"""A plain SciPy loop: ``ks_2samp`` per numeric column, ``chi2_contingency`` per categorical."""

from __future__ import annotations

import numpy as np
from _common import Timer, emit, load, parse_args, split_columns
from scipy import stats

ALPHA = 0.05


def chi2_p_value(reference_codes: np.ndarray, current_codes: np.ndarray, n_levels: int) -> float:
    """χ² test of homogeneity on the 2 × levels table; levels absent from both are dropped."""
    table = np.vstack([np.bincount(reference_codes, minlength=n_levels),
                       np.bincount(current_codes, minlength=n_levels)])
    table = table[:, table.sum(axis=0) > 0]
    return float(stats.chi2_contingency(table).pvalue)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], ("ks-chi2",))
    reference, current = load(args.data)
    numeric, categorical = split_columns(reference)
    with Timer() as timer:
        p_values = [stats.ks_2samp(reference[c].to_numpy(), current[c].to_numpy()).pvalue
                    for c in numeric]
        for c in categorical:
            levels = len(reference[c].cat.categories)
            p_values.append(chi2_p_value(reference[c].cat.codes.to_numpy(),
                                         current[c].cat.codes.to_numpy(), levels))
    emit(tool="scipy", variant=args.variant, timer=timer,
         n_drifted=int(np.sum(np.asarray(p_values) < ALPHA)),
         n_columns=len(p_values), packages=("scipy", "numpy", "pandas"))


if __name__ == "__main__":
    main()
