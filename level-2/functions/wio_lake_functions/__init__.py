"""Lambda code of the level-2 analytics stack (pure Python; boto3 comes from the runtime).

Every handler module imports boto3 lazily (:mod:`wio_lake_functions.aws`), so the bundle
imports in an interpreter that has nothing but the bundle on ``sys.path`` (a unit test
checks that). ``WIO_SCHEMA_PATH`` may be relative: it is then taken relative to the bundle
root, because the working directory of a Lambda differs between AWS and the emulator.
"""

from __future__ import annotations

import os
from pathlib import Path

_BUNDLE_ROOT = Path(__file__).resolve().parent.parent
_schema = os.environ.get("WIO_SCHEMA_PATH")
if _schema and not os.path.isabs(_schema):
    os.environ["WIO_SCHEMA_PATH"] = str(_BUNDLE_ROOT / _schema)
