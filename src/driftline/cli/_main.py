"""The ``driftline`` command: argument parsing, the commands, and the exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import driftline
from driftline.cli._demo import add_demo_command
from driftline.cli._export import add_export_commands
from driftline.cli._output import Progress, format_report, format_suite, one_line
from driftline.cli._service import add_service_commands
from driftline.drift._io import check_no_empty_columns, read_table
from driftline.errors import DataError, DriftlineError

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator

    import pandas as pd

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "LARGE_INPUT_ROWS", "build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Inputs with more rows than this (both sides together) show progress on stderr.
LARGE_INPUT_ROWS = 100_000
_CORRECTIONS = ("holm", "bonferroni", "bh", "none")


class UsageError(Exception):
    """Bad command-line arguments (argparse's errors, raised instead of exiting)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print usage and exit
        raise UsageError(f"{message} (see '{self.prog} --help')")


class Console:
    """Where output goes: the summary to stdout (stderr when JSON takes stdout)."""

    def __init__(self, *, quiet: bool = False, json_to_stdout: bool = False) -> None:
        self.quiet = quiet
        self.summary_stream: TextIO = sys.stderr if json_to_stdout else sys.stdout
        self.warnings: list[str] = []

    def summary(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.summary_stream)

    def warn(self, message: str) -> None:
        if one_line(message) not in self.warnings:
            self.warnings.append(one_line(message))

    def flush_warnings(self) -> None:
        if not self.quiet:
            for message in self.warnings:
                print(f"driftline: warning: {message}", file=sys.stderr)
        self.warnings.clear()

    @contextmanager
    def progress(self, *frames: pd.DataFrame) -> Iterator[Progress | None]:
        """A progress indicator on stderr for large inputs, unless quiet."""
        if self.quiet or sum(len(f) for f in frames) <= LARGE_INPUT_ROWS:
            yield None
            return
        progress = Progress(sys.stderr)
        try:
            yield progress
        finally:
            progress.close()


@contextmanager
def _capture_warnings(console: Console) -> Iterator[None]:
    """Show library warnings as one ``driftline: warning:`` line each, not as source lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            yield
        finally:
            for w in caught:
                console.warn(str(w.message))


def _columns(text: str) -> list[str]:
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names; got {text!r}")
    return cols


def _metric(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER such as accuracy=0.93; "
                                         f"got {text!r}") from None


def _read_pair(reference: str, current: str, columns: Sequence[str | None] | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read both tables; refuse all-missing columns among ``columns`` (``None``: every one)."""
    selected = None if columns is None else [c for c in columns if c is not None]
    frames = read_table(reference, "reference"), read_table(current, "current")
    for frame, role in zip(frames, ("reference", "current"), strict=True):
        check_no_empty_columns(frame, role, selected)
    return frames


def _write(args: argparse.Namespace, console: Console, to_json: Callable[[], str],
           save_html: Callable[[Path], object]) -> None:
    """Write the --json and --html outputs."""
    if args.json == "-":
        print(to_json(), file=sys.stdout)
    elif args.json:
        Path(args.json).write_text(to_json() + "\n", encoding="utf-8")
    if args.html:
        save_html(Path(args.html))


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    """``driftline report``: compare two tables and summarise the drift."""
    selected = None if args.columns is None else [*args.columns, args.target, args.prediction]
    reference, current = _read_pair(args.reference, args.current, selected)
    with console.progress(reference, current) as progress:
        report = driftline.compare(
            reference, current, target=args.target, prediction=args.prediction,
            columns=args.columns, method=args.method, alpha=args.alpha,
            correction=args.correction, progress=progress)
    for message in report.warnings:
        console.warn(message)
    _write(args, console, report.to_json, report.save_html)
    console.summary(format_report(report))
    return EXIT_FAILED if args.fail_on_drift and report.drifted else EXIT_OK


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    """``driftline check``: compare two tables and judge a suite's conditions."""
    from driftline.drift._suite import Suite

    if not Path(args.suite).is_file():
        raise DataError(f"suite file {args.suite!r} does not exist.")
    suite = Suite.from_yaml(args.suite)
    settings = suite.compare
    selected = (None if settings.columns is None
                else [*settings.columns, settings.target, settings.prediction])
    reference, current = _read_pair(args.reference, args.current, selected)
    with console.progress(reference, current) as progress:
        result = suite.check(reference, current, metrics=dict(args.metric or []),
                             progress=progress)
    report = result.report
    assert report is not None  # check() always keeps the report it judged
    for message in report.warnings:
        console.warn(message)
    _write(args, console, lambda: result.to_json(include_report=True), report.save_html)
    console.summary(format_suite(result))
    return EXIT_OK if result.passed else EXIT_FAILED


def _add_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("reference", metavar="REFERENCE", help="reference table (.csv, .tsv, .parquet)")
    p.add_argument("current", metavar="CURRENT", help="current table (.csv, .tsv, .parquet)")


def _add_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write JSON to FILE ('-' for stdout)")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report to FILE")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print no summary, progress or warnings; only the exit code tells")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``driftline`` command."""
    parser = _Parser(prog="driftline", description="Detect drift, and train, serve and monitor models.",
                     epilog="Exit codes: 0 no drift / all conditions passed; 1 drift with "
                            "--fail-on-drift or a condition not passed; 2 usage or input error.")
    parser.add_argument("--version", action="version", version=f"driftline {driftline.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    rep = sub.add_parser("report", help="compare CURRENT with REFERENCE and report drift")
    _add_inputs(rep)
    _add_outputs(rep)
    rep.add_argument("--target", metavar="COL", help="the target (label) column")
    rep.add_argument("--prediction", metavar="COL", help="the prediction column")
    rep.add_argument("--columns", type=_columns, metavar="A,B,C", help="compare only these")
    rep.add_argument("--method", default="auto", help="test or distance (default: auto)")
    rep.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    rep.add_argument("--correction", choices=_CORRECTIONS, default="holm",
                     help="multiple-testing correction across columns (default: holm)")
    rep.add_argument("--fail-on-drift", action="store_true", help="exit 1 when drift is found")
    rep.set_defaults(func=cmd_report)

    chk = sub.add_parser("check", help="judge the conditions of a YAML suite")
    chk.add_argument("suite", metavar="SUITE.yaml", help="the suite (see docs/suites.md)")
    _add_inputs(chk)
    _add_outputs(chk)
    chk.add_argument("--metric", type=_metric, action="append", metavar="NAME=VALUE",
                     help="a performance metric for the suite's conditions (repeatable)")
    chk.set_defaults(func=cmd_check)
    add_service_commands(sub)
    add_export_commands(sub)
    add_demo_command(sub)
    return parser


def _error(message: str) -> int:
    print(f"driftline: error: {one_line(message)}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Examples
    --------
    >>> main(["--version"])
    driftline ...
    0
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except UsageError as exc:
        return _error(str(exc))
    console = Console(quiet=args.quiet, json_to_stdout=args.json == "-")
    if os.environ.get("MLFLOW_TRACKING_URI"):  # tracked runs (retrains) mirror to MLflow too
        from driftline.integrations import configure_tracking

        configure_tracking()
    try:
        with _capture_warnings(console):
            code: int = args.func(args, console)
    except (DriftlineError, ValueError, OSError, ImportError) as exc:
        return _error(str(exc) or type(exc).__name__)  # the error alone, no warnings
    except KeyboardInterrupt:
        print("driftline: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    console.flush_warnings()
    return code
