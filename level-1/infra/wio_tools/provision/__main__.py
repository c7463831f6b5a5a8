"""``python -m wio_tools.provision``: the same as ``wio-provision``."""

import sys

from wio_tools.provision.cli import main

sys.exit(main())
