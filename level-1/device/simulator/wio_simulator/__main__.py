"""``python -m wio_simulator`` = ``wio-sim``."""

import sys

from .cli import main

sys.exit(main())
