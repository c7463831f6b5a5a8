"""``python -m wio_tools.query``: the same command as ``wio-query``."""

import sys

from wio_tools.query.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
