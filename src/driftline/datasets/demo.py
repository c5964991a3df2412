"""``make demo``: generate a drifting data set, write a drift report, say where it is.

Run it with ``python -m driftline.datasets.demo --out demo-output``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Write the demo data and reports into ``--out`` and print a summary.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     main(["--out", d, "--rows", "2000", "--quiet"])
    0
    """
    import driftline as dl
    from driftline.datasets._credit import make_credit_frames

    parser = argparse.ArgumentParser(prog="driftline-demo", description=__doc__)
    parser.add_argument("--out", default="demo-output", help="output folder")
    parser.add_argument("--rows", type=int, default=200_000, help="rows on each side")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    say = (lambda *a: None) if args.quiet else print

    ref, cur = make_credit_frames(args.rows, seed=7)
    ref.to_csv(out / "reference.csv", index=False)
    cur.to_csv(out / "current.csv", index=False)
    t0 = time.perf_counter()
    report = dl.compare(ref, cur, target="default", prediction="score")
    elapsed = time.perf_counter() - t0
    html = report.save_html(out / "drift.html")
    report.to_json(out / "drift.json")

    say(f"Compared {len(ref):,} reference rows with {len(cur):,} current rows "
        f"in {elapsed:.2f} s.")
    say(f"Dataset drifted: {report.drifted}  "
        f"({report.n_drifted} of {len(report.tested)} columns)")
    for col in report.sorted_columns():
        if col.drifted:
            say(f"  {col.column:<18} {col.drift_type:<10} {col.effect_size_name} = "
                f"{col.effect_size:.3f}  ->  {col.action}")
    say(f"\nHTML report: {html.resolve()}")
    say(f"JSON report: {(out / 'drift.json').resolve()}")
    say(f"Try the CLI:  .venv/bin/driftline report {out}/reference.csv {out}/current.csv "
        f"--target default --prediction score --fail-on-drift")
    return 0


if __name__ == "__main__":
    sys.exit(main())
