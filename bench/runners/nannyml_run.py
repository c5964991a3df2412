"""NannyML ``UnivariateDriftCalculator``: default (Jensen–Shannon) or KS and χ².

Fitted on the reference and calculated on the current frame as one chunk; the timed phase
covers ``fit`` and ``calculate``. Run with ``NML_DISABLE_USAGE_LOGGING=1`` (bench/run.py sets
it), or importing NannyML sends usage analytics.
"""

from __future__ import annotations

import warnings

from _common import Timer, emit, load, parse_args, split_columns


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], ("default", "ks-chi2"))
    import nannyml as nml

    reference, current = load(args.data)
    numeric, categorical = split_columns(reference)
    methods = {} if args.variant == "default" else {
        "continuous_methods": ["kolmogorov_smirnov"], "categorical_methods": ["chi2"]}
    # One chunk per period is the comparison we want; NannyML warns that it is few chunks.
    warnings.filterwarnings("ignore", message="The resulting number of chunks is too low")
    with Timer() as timer:
        calculator = nml.UnivariateDriftCalculator(
            column_names=numeric + categorical, treat_as_categorical=categorical,
            chunk_number=1, **methods)
        calculator.fit(reference)
        result = calculator.calculate(current)
    alerts = result.filter(period="analysis").to_df().xs("alert", axis=1, level=2)
    emit(tool="nannyml", variant=args.variant, timer=timer,
         n_drifted=int(alerts.iloc[-1].astype(bool).sum()),
         n_columns=len(numeric) + len(categorical),
         packages=("nannyml", "pandas", "numpy", "scipy"))


if __name__ == "__main__":
    main()
