"""What the CLI prints: short human summaries, warnings and a progress indicator."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # pragma: no cover
    from driftline.drift._report import ColumnDrift, DriftReport
    from driftline.drift._suite import SuiteResult

__all__ = ["MAX_LISTED", "Progress", "format_report", "format_suite", "one_line"]

#: Drifted columns listed in the summary; the rest are counted.
MAX_LISTED = 10


def one_line(text: str) -> str:
    """Collapse whitespace and newlines so an error message fits on one line.

    Examples
    --------
    >>> one_line("bad value\\n  at line 3 ")
    'bad value at line 3'
    """
    return " ".join(str(text).split())


def _column_line(c: ColumnDrift) -> str:
    p = c.p_value_adjusted if c.p_value_adjusted is not None else c.p_value
    parts = [f"  {c.column}", c.method]
    if p is not None:
        parts.append(f"p={p:.3g}" if p > 0 else "p<1e-300")  # underflowed to zero
    if c.effect_size is not None:
        floor = "" if c.effect_threshold is None else f" (floor {c.effect_threshold:g})"
        parts.append(f"{c.effect_size_name or 'effect'}={c.effect_size:.3g}{floor}")
    return "  ".join(parts)


def format_report(report: DriftReport) -> str:
    """The verdict, the drifted columns (most severe first) and failing quality checks."""
    n_tested = len(report.tested)
    verdict = "DRIFT DETECTED" if report.drifted else "no drift"
    lines = [f"{verdict}: {report.n_drifted} of {n_tested} columns drifted "
             f"({100 * report.drift_share:.1f}%); reference {report.n_reference:,} rows, "
             f"current {report.n_current:,} rows"]
    drifted = [c for c in report.sorted_columns() if c.tested and c.drifted]
    lines += [_column_line(c) for c in drifted[:MAX_LISTED]]
    if len(drifted) > MAX_LISTED:
        lines.append(f"  ... and {len(drifted) - MAX_LISTED} more (see --json or --html)")
    failing = [q.column for q in report.quality.values() if q.status == "fail"]
    if failing:
        noun = "column" if len(failing) == 1 else "columns"
        lines.append(f"data quality failing in {len(failing)} {noun}: {', '.join(failing)}")
    return "\n".join(lines)


def format_suite(result: SuiteResult) -> str:
    """The suite verdict, then one line per condition."""
    title = f"suite {result.name!r}" if result.name else "suite"
    n = len(result)
    if result.passed:
        head = f"{title}: PASSED ({n} of {n} conditions passed)"
    else:
        head = (f"{title}: FAILED ({len(result.failed)} failed, {len(result.errors)} errors, "
                f"{n - len(result.failed) - len(result.errors)} passed)")
    rows = [f"  {r.verdict.upper():<5}  {r.name}: {r.message}" for r in result]
    return "\n".join([head, *rows])


class Progress:
    """``progress(done, total, column)`` for :func:`driftline.compare`, written to ``stream``.

    On a terminal one line is rewritten in place (``\\r``); otherwise plain lines are
    written, about ten per run.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> p = Progress(out)
    >>> for i in range(1, 4):
    ...     p(i, 3, f"c{i}")
    >>> print(out.getvalue().strip())
    comparing columns 1/3
    comparing columns 2/3
    comparing columns 3/3
    """

    def __init__(self, stream: TextIO, *, tty: bool | None = None) -> None:
        self.stream = stream
        self.tty = bool(stream.isatty()) if tty is None else tty
        self._open = False  # a \r line is on screen without its newline

    def __call__(self, done: int, total: int, column: str = "") -> None:
        text = f"comparing columns {done}/{total}"
        if self.tty:
            self.stream.write(f"\r{text}")
            self._open = True
            if done >= total:
                self.close()
        elif done >= total or done % max(1, total // 10) == 0:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End a line left open on a terminal (after the last column, or on an error)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
