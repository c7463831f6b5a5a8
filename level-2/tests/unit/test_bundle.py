"""The Lambda bundle: deterministic, and every handler imports with nothing but the bundle."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from analytics_infra.bundle import SCHEMA_IN_BUNDLE, build_bundle

pytestmark = pytest.mark.unit

HANDLERS = ["stream_writer", "partitioner", "detector", "baseline", "forecast"]


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def test_bundle_is_deterministic_and_small(tmp_path: Path) -> None:
    a = build_bundle(tmp_path / "a")
    b = build_bundle(tmp_path / "b")
    assert _digest(a) == _digest(b)
    top = sorted(p.name for p in a.iterdir())
    assert top == ["wio_analytics", "wio_contract", "wio_lake_functions"]
    assert (a / SCHEMA_IN_BUNDLE).is_file()
    assert not list(a.rglob("__pycache__"))
    assert not (a / "wio_analytics" / "cli.py").exists()
    size = sum(p.stat().st_size for p in a.rglob("*") if p.is_file())
    assert size < 300_000


def test_each_handler_imports_in_isolation(tmp_path: Path) -> None:
    bundle = build_bundle(tmp_path / "bundle")
    code = (
        "import sys, os, importlib\n"
        f"sys.path[:] = [{str(bundle)!r}] + [p for p in sys.path if 'site-packages' not in p"
        " and 'dist-packages' not in p]\n"
        "os.chdir('/')\n"
        f"os.environ['WIO_SCHEMA_PATH'] = {SCHEMA_IN_BUNDLE!r}\n"
        f"for name in {HANDLERS!r}:\n"
        "    module = importlib.import_module('wio_lake_functions.' + name)\n"
        "    assert callable(module.handler), name\n"
        "import wio_contract.fields as f\n"
        f"assert str(f.SCHEMA_PATH).startswith({str(bundle)!r}), f.SCHEMA_PATH\n"
        "assert 'boto3' not in sys.modules\n"
        "print('imported', len(f.CONTRACT.stored_fields))\n"
    )
    # -I: isolated (no user site, no PYTHON* variables, no cwd), -S: no site-packages at all.
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("imported")
