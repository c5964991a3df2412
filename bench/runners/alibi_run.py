"""alibi-detect: ``KSDrift`` on the numeric columns and ``ChiSquareDrift`` on the categorical.

The timed phase turns the frames into the arrays alibi-detect takes (float matrix, integer
category codes), builds both detectors on the reference and predicts on the current frame,
with per-feature verdicts at p < 0.05.
"""

from __future__ import annotations

import numpy as np
from _common import Timer, emit, load, parse_args, split_columns


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], ("ks-chi2",))
    from alibi_detect.cd import ChiSquareDrift, KSDrift

    reference, current = load(args.data)
    numeric, categorical = split_columns(reference)
    with Timer() as timer:
        ref_num = reference[numeric].to_numpy(dtype=np.float64)
        cur_num = current[numeric].to_numpy(dtype=np.float64)
        ref_cat = np.column_stack([reference[c].cat.codes.to_numpy() for c in categorical])
        cur_cat = np.column_stack([current[c].cat.codes.to_numpy() for c in categorical])
        ks = KSDrift(ref_num, p_val=0.05).predict(cur_num, drift_type="feature")
        chi2 = ChiSquareDrift(ref_cat, p_val=0.05).predict(cur_cat, drift_type="feature")
    flagged = np.concatenate([ks["data"]["is_drift"], chi2["data"]["is_drift"]])
    emit(tool="alibi", variant=args.variant, timer=timer, n_drifted=int(flagged.sum()),
         n_columns=len(numeric) + len(categorical),
         packages=("alibi-detect", "numpy", "scipy", "pandas", "torch"))


if __name__ == "__main__":
    main()
