"""Unit fixtures: the app synthesized once per variant, in this one process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "infra"))

from synth_support import VARIANTS, Synth, synth_variant  # noqa: E402


@pytest.fixture(scope="session")
def synths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Synth]]:
    root = tmp_path_factory.mktemp("cdk-out")
    yield {name: synth_variant(name, ctx, root / name) for name, ctx in VARIANTS.items()}


@pytest.fixture(scope="session")
def default(synths: dict[str, Synth]) -> Synth:
    return synths["default"]


@pytest.fixture(scope="session")
def local(synths: dict[str, Synth]) -> Synth:
    return synths["local"]


@pytest.fixture(scope="session")
def custom(synths: dict[str, Synth]) -> Synth:
    return synths["custom"]
