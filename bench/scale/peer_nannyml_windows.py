"""NannyML 0.13 side of the monitor-windows benchmark (run in bench/.venv-nannyml; no driftline import).

    bench/.venv-nannyml/bin/python bench/scale/peer_nannyml_windows.py --data DIR --variant default --out FILE
    bench/.venv-nannyml/bin/python bench/scale/peer_nannyml_windows.py --data DIR --variant ks-chi2 --out FILE

The orchestrator, ``monitor_windows.py``, writes ``reference.parquet`` and ``analysis.parquet``
into DIR and runs this script once per repetition, pinned with ``taskset -c 1`` and one BLAS
thread. It reads both files (untimed), warms NannyML up on a few hundred rows (untimed, so that
nothing imported lazily lands in the timed phase), then times
``UnivariateDriftCalculator(chunk_size=...).fit(reference)`` and ``.calculate(analysis)`` in
process CPU time and wall time, and writes them to FILE as JSON together with each analysis
chunk's alert per column (any of the column's methods alerting) and the process's peak RSS.

``default`` leaves NannyML's methods alone (Jensen-Shannon for continuous and categorical
columns in 0.13); ``ks-chi2`` is ``continuous_methods=["kolmogorov_smirnov"],
categorical_methods=["chi2"]``. Categorical columns are the parquet's ``category`` columns.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # no usage analytics at import

import nannyml as nml
import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "ks-chi2": {"continuous_methods": ["kolmogorov_smirnov"], "categorical_methods": ["chi2"]},
}


def split_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return [c for c in frame.columns if c not in categorical], categorical


def calculator(variant: str, columns: list[str], categorical: list[str], chunk_size: int) -> Any:
    return nml.UnivariateDriftCalculator(
        column_names=columns, treat_as_categorical=categorical, chunk_size=chunk_size,
        **VARIANTS[variant])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--variant", choices=tuple(VARIANTS), required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chunk-size", type=int, default=10_000)
    args = parser.parse_args()

    reference = pd.read_parquet(args.data / "reference.parquet")
    analysis = pd.read_parquet(args.data / "analysis.parquet")
    numeric, categorical = split_columns(reference)
    columns = numeric + categorical

    # Untimed warm-up on a few hundred rows: whatever NannyML imports or builds lazily.
    warm = calculator(args.variant, columns, categorical, 100)
    warm.fit(reference.iloc[:500])
    warm.calculate(analysis.iloc[:300])

    calc = calculator(args.variant, columns, categorical, args.chunk_size)
    c0, w0 = time.process_time(), time.perf_counter()
    calc.fit(reference)
    c1, w1 = time.process_time(), time.perf_counter()
    result = calc.calculate(analysis)
    c2, w2 = time.process_time(), time.perf_counter()

    df = result.filter(period="analysis").to_df()
    alerts = df.xs("alert", axis=1, level=2)
    values = df.xs("value", axis=1, level=2)
    verdicts = []
    for _, row in alerts.iterrows():
        verdicts.append([bool(np.nan_to_num(row[c].astype(float)).any()) for c in columns])
    methods = {
        "continuous": list(calc.continuous_method_names),
        "categorical": list(calc.categorical_method_names),
    }
    # KS on a reference of 10,000 rows or more keeps a 10,000-bin histogram of it ("estimated").
    ks_modes = sorted({
        "estimated (binned reference)" if getattr(m, "_ref_rel_freqs", None) is not None
        else "exact"
        for models in calc._column_to_models_mapping.values() for m in models
        if type(m).__name__ == "KolmogorovSmirnovStatistic"
    })
    args.out.write_text(json.dumps({
        "tool": "nannyml",
        "variant": args.variant,
        "fit_cpu": c1 - c0,
        "fit_wall": w1 - w0,
        "windows_cpu": c2 - c1,
        "windows_wall": w2 - w1,
        "n_windows": len(df),
        "columns": columns,
        "verdicts": verdicts,
        "methods": methods,
        "ks_calculation_method": ks_modes,
        "nan_values": int(values.isna().to_numpy().sum()),
        "peak_rss_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "affinity": sorted(os.sched_getaffinity(0)),
        "versions": {"nannyml": nml.__version__, "pandas": pd.__version__, "numpy": np.__version__},
    }))


if __name__ == "__main__":
    main()
