"""driftline: ``dl.compare`` one-shot, or a fitted ``Reference`` comparing one window.

``oneshot`` times ``dl.compare(reference, current)``. ``fitted`` fits
``dl.drift.Reference.fit(reference)`` outside the timed phase, then times
``reference.compare(current)``: the per-window cost of monitoring.
"""

from __future__ import annotations

from _common import Timer, emit, load, parse_args, split_columns


def count_drifted(report: object) -> int | None:
    """How many columns the report flags, or None when the report does not say."""
    columns = getattr(report, "columns", None)
    if columns is None:
        return None
    items = columns.values() if hasattr(columns, "values") else columns
    return sum(bool(getattr(c, "drifted", False)) for c in items)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], ("oneshot", "fitted"))
    # Imports are excluded for every tool. driftline loads SciPy's stats module lazily on its
    # first p-value, so import it here, untimed, as the peers import theirs.
    import scipy.stats  # noqa: F401

    import driftline as dl

    reference, current = load(args.data)
    numeric, categorical = split_columns(reference)
    if args.variant == "oneshot":
        with Timer() as timer:
            report = dl.compare(reference, current)
    else:
        fitted = dl.drift.Reference.fit(reference)
        with Timer() as timer:
            report = fitted.compare(current)
    emit(tool="driftline", variant=args.variant, timer=timer, n_drifted=count_drifted(report),
         n_columns=len(numeric) + len(categorical),
         packages=("driftline", "numpy", "scipy", "pandas"))


if __name__ == "__main__":
    main()
