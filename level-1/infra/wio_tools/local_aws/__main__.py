"""``python -m wio_tools.local_aws``: the same as ``wio-local-aws``."""

import sys

from wio_tools.local_aws.cli import main

sys.exit(main())
