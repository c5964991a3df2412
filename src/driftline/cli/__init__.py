"""The ``driftline`` command line: ``driftline report`` and ``driftline check``.

Run ``driftline --help``, or ``python -m driftline --help``. Every command is a short function
over library code (:func:`driftline.compare`, :class:`driftline.drift.Suite`); :func:`main`
takes the arguments and returns the exit code, so it can be called in-process.

Exit codes: 0 no drift or every condition passed; 1 drift with ``--fail-on-drift``, or a
suite condition that did not pass; 2 a usage or input error (one line on stderr).
"""

from driftline.cli._main import main

__all__ = ["main"]
