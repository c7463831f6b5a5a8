"""Where the page's files are: this package's ``static`` folder and uPlot from ``node_modules``.

uPlot is pinned in ``level-1/infra/package.json`` (``npm ci`` installs it, as ``make setup``
does); the path is resolved relative to this package, so no CDN or external URL is involved.
``WIO_UPLOT_DIR`` points elsewhere (a folder holding ``uPlot.iife.min.js`` and
``uPlot.min.css``).
"""

from __future__ import annotations

import os
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
UPLOT_JS = "uPlot.iife.min.js"
UPLOT_CSS = "uPlot.min.css"


class AssetsMissing(RuntimeError):
    """uPlot is not installed where the dashboard looks for it."""


def uplot_dir() -> Path:
    """The folder with uPlot's built files; :class:`AssetsMissing` says how to install it."""
    override = os.environ.get("WIO_UPLOT_DIR")
    infra = Path(__file__).resolve().parents[2]
    folder = Path(override) if override else infra / "node_modules" / "uplot" / "dist"
    if not (folder / UPLOT_JS).is_file() or not (folder / UPLOT_CSS).is_file():
        raise AssetsMissing(
            f"uPlot not found in {folder}; install it with `npm ci` in {infra} "
            "(make -C level-1 setup does it)"
        )
    return folder


def read_text(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")
