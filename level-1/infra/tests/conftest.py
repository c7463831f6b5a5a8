"""Suite-wide options: `--aws` points the integration tests at a real deployed stack."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wio-terminal-aws-connect")
    group.addoption(
        "--aws",
        action="store_true",
        default=False,
        help="run integration tests against the real AWS stack (needs credentials and a "
        "deployed stack; see README 'Tests against real AWS')",
    )
    group.addoption(
        "--prefix",
        action="store",
        default="attempt",
        help="resource-name prefix of the stack under test (context `prefix`)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The folder decides unit vs integration; --aws decides local_only vs aws_only."""
    real_aws = config.getoption("--aws")
    for item in items:
        parts = item.path.parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        elif "unit" in parts:
            item.add_marker(pytest.mark.unit)
        if real_aws and "mosquitto" in item.keywords:
            item.add_marker(
                pytest.mark.skip(reason="needs the local mosquitto; not run with --aws")
            )
        if real_aws and "local_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="needs the local emulator; not run with --aws"))
        if not real_aws and "aws_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="real AWS only; pass --aws with credentials"))
