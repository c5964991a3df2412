"""Write the benchmark's reference/current parquet files into bench/out/data/<size>/.

    .venv/bin/python bench/data.py                 # both sizes
    .venv/bin/python bench/data.py --sizes 100k    # one size
    .venv/bin/python bench/data.py --force         # rebuild even when present

Frames come from :func:`driftline.datasets.make_drift_frames` with its defaults (20 numeric and
5 categorical columns, 20 levels; 5 numeric and 2 categorical columns drift), seed 0. The
categorical columns are written as parquet dictionaries, so they read back as ``category``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
SIZES = {"100k": 100_000, "1m": 1_000_000}
SEED = 0


def data_dir(size: str) -> Path:
    """Folder holding ``reference.parquet`` and ``current.parquet`` for one size."""
    return OUT / "data" / size


def write(size: str, *, force: bool = False) -> Path:
    """Write one size's two files unless they are already there; return their folder."""
    folder = data_dir(size)
    ref_path, cur_path = folder / "reference.parquet", folder / "current.parquet"
    if ref_path.exists() and cur_path.exists() and not force:
        return folder
    from driftline.datasets import make_drift_frames

    folder.mkdir(parents=True, exist_ok=True)
    reference, current = make_drift_frames(SIZES[size], seed=SEED)
    # Write to a temporary name first, so an interrupted run never leaves half a data set.
    for frame, path in ((reference, ref_path), (current, cur_path)):
        tmp = path.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
    return folder


def parse_sizes(text: str) -> list[str]:
    """Split ``"100k,1m"`` into known size names, with a clear error for an unknown one."""
    sizes = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or not sizes:
        known = ", ".join(SIZES)
        raise SystemExit(f"--sizes must be a comma-separated list of {known}; got {text!r}")
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m", help="comma-separated: 100k,1m")
    parser.add_argument("--force", action="store_true", help="rewrite existing files")
    args = parser.parse_args()
    for size in parse_sizes(args.sizes):
        print(f"{size}: {write(size, force=args.force)}")


if __name__ == "__main__":
    main()
