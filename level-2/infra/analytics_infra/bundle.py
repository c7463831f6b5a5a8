"""Assemble the Lambda bundle: our pure-Python packages and the payload schema, nothing else.

The bundle is built from this checkout's sources (the versions ``uv.lock`` pins), never from an
installed environment, so a missing module fails the isolated-import unit test instead of being
hidden by the emulator's own virtualenv. boto3 is provided by the Lambda runtime. The copy is
deterministic (sorted, fixed file times, no ``__pycache__``), so the asset hash changes only
when the code does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

LEVEL2_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = LEVEL2_DIR.parent
DEFAULT_BUNDLE_DIR = LEVEL2_DIR / "build" / "lambda-bundle"
SCHEMA_NAME = "sensor-payload.schema.json"
#: Relative to the bundle root; ``wio_lake_functions`` makes it absolute at import.
SCHEMA_IN_BUNDLE = f"wio_contract/{SCHEMA_NAME}"
PACKAGES: dict[str, Path] = {
    "wio_lake_functions": LEVEL2_DIR / "functions" / "wio_lake_functions",
    "wio_analytics": LEVEL2_DIR / "analytics" / "wio_analytics",
    "wio_contract": REPO_DIR / "level-1" / "contract" / "wio_contract",
}
SCHEMA_SOURCE = REPO_DIR / "level-1" / "schema" / SCHEMA_NAME
#: Modules of the packages that the Lambda never imports (CLIs, evaluation tools).
EXCLUDED = {("wio_analytics", "cli.py"), ("wio_analytics", "nab_eval.py")}
FIXED_MTIME = 315532800  # 1980-01-01, the zip epoch


def build_bundle(out_dir: Path = DEFAULT_BUNDLE_DIR) -> Path:
    """(Re)build the bundle directory and return it."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for package, source in sorted(PACKAGES.items()):
        if not source.is_dir():
            raise FileNotFoundError(f"Lambda bundle: package {package} not found at {source}")
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            if "__pycache__" in rel.parts or not path.is_file():
                continue
            if path.suffix not in (".py", ".typed") or (package, str(rel)) in EXCLUDED:
                continue
            _copy(path, out_dir / package / rel)
    _copy(SCHEMA_SOURCE, out_dir / SCHEMA_IN_BUNDLE)
    for path in sorted(out_dir.rglob("*"), reverse=True):
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    return out_dir


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o644)
