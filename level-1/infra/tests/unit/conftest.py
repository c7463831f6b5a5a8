"""Session fixtures: synthesize the app once per context variant, in this one process.

jsii costs seconds to start, so every variant is built in the same Python process and the
Template objects are shared by all unit tests (see ``synth_helpers``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from synth_helpers import VARIANTS, Synth, synth_variant


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


@pytest.fixture(scope="session")
def no_connector(synths: dict[str, Synth]) -> Synth:
    return synths["no_connector"]


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto DynamoDB client that holds the sensor table (the dashboard's and report's tests)."""
    from moto import mock_aws

    from dashboard_fakes import create_table

    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield create_table()
