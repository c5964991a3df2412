"""``driftline demo``: the four stages of continuous learning, end to end (see
:mod:`driftline.demo`)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_demo_command"]


def cmd_demo(args: argparse.Namespace, console: Any) -> int:
    """Run the demo; exit 0 when it ran through."""
    from driftline.demo import run_demo

    stages = [args.stage] if args.stage else [1, 2, 3, 4]
    run_demo(args.out, stages=stages, fast=args.fast, keep_running=args.keep_running,
             with_prometheus=args.with_prometheus, port=args.port, quiet=args.quiet)
    return 0


def add_demo_command(sub: Any) -> None:
    """Add ``demo`` to the ``driftline`` parser."""
    p = sub.add_parser("demo", help="the whole product on synthetic loan data: serving, drift, "
                                    "the four stages of retraining, dashboards")
    p.add_argument("--out", default="demo-output", help="where the throwaway project goes "
                                                         "(default demo-output/)")
    p.add_argument("--stage", type=int, choices=[1, 2, 3, 4],
                   help="run one stage: 1 on demand (stateless), 2 on a schedule (stateless), "
                        "3 on a schedule (stateful), 4 the triggers decide")
    p.add_argument("--fast", action="store_true", help="smaller phases (under a minute)")
    p.add_argument("--keep-running", action="store_true",
                   help="keep the service and dashboards up at the end (Ctrl-C stops)")
    p.add_argument("--with-prometheus", action="store_true",
                   help="also start a local Prometheus (if installed) that scrapes the demo, "
                        "with the exported alert rules")
    p.add_argument("--port", type=int, help="the service's port (default: a free one)")
    p.add_argument("--quiet", "-q", action="store_true", help="no narration")
    p.set_defaults(func=cmd_demo, json=None)
