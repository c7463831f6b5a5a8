import sys

from wio_tools.simbench.cli import main

sys.exit(main())
