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
    real_aws = config.getoption("--aws")
    for item in items:
        if real_aws and "local" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="needs the local emulator; not run with --aws"))
        if not real_aws and "aws" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="real AWS only; pass --aws with credentials"))
