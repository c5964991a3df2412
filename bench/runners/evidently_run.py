"""Evidently 0.7 ``DataDriftPreset``: default methods, or KS for numeric and χ² for categorical.

The default picks a method per column from its type and size (Wasserstein distance for
numeric and Jensen–Shannon for categorical columns above 1,000 rows). The timed phase builds
the two ``Dataset`` objects with an explicit ``DataDefinition`` and runs the report.
"""

from __future__ import annotations

from typing import Any

from _common import Timer, emit, load, parse_args, split_columns


def count_drifted(snapshot: Any) -> int | None:
    """Columns flagged, read from the preset's ``DriftedColumnsCount`` metric."""
    for metric in snapshot.dict()["metrics"]:
        if str(metric.get("metric_name", "")).startswith("DriftedColumnsCount"):
            return int(metric["value"]["count"])
    return None


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], ("default", "ks-chi2"))
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    reference, current = load(args.data)
    numeric, categorical = split_columns(reference)
    # 0.7 names these num_method / cat_method (the legacy API called them *_stattest).
    options = {} if args.variant == "default" else {"num_method": "ks", "cat_method": "chisquare"}
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    with Timer() as timer:
        ref_ds = Dataset.from_pandas(reference, data_definition=definition)
        cur_ds = Dataset.from_pandas(current, data_definition=definition)
        snapshot = Report([DataDriftPreset(**options)]).run(cur_ds, ref_ds)
    emit(tool="evidently", variant=args.variant, timer=timer, n_drifted=count_drifted(snapshot),
         n_columns=len(numeric) + len(categorical),
         packages=("evidently", "pandas", "numpy", "scipy"))


if __name__ == "__main__":
    main()
