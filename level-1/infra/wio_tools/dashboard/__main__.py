"""``python -m wio_tools.dashboard``: the same as ``wio-dashboard``."""

import sys

from wio_tools.dashboard.cli import main

sys.exit(main())
