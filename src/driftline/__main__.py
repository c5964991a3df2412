"""``python -m driftline``: the same command line as the ``driftline`` script."""

import sys

from driftline.cli import main

if __name__ == "__main__":
    sys.exit(main())
