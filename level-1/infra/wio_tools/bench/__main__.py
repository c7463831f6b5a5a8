"""``python -m wio_tools.bench`` (the ``make -C level-1 bench`` target)."""

import sys

from wio_tools.bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
