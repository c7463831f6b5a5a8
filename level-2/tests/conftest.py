"""Every level-2 test: the level-2 sources on sys.path (the package is installed editable)."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
