"""Suite-wide fixtures: a fixed HMAC key, no stray PSS_* settings from the caller's shell,
and the session's local peers (one Cosmos-protocol server, one Azurite), started on first use."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from infra.emulators import AzuriteEmulator, CosmosEmulator, start_azurite, start_cosmos

TEST_HMAC_KEY = "test-hmac-key-0123456789abcdef0123456789"


def pytest_configure(config: pytest.Config) -> None:
    for key in list(os.environ):
        if key.startswith("PSS_"):
            del os.environ[key]
    os.environ["PSS_SECRET_PROMPT_HMAC_KEY"] = TEST_HMAC_KEY
    os.environ.setdefault("PSS_GRAPH_QUEUE_NAME", "graph-updates")
    os.environ.setdefault("PSS_REPUTATION_DECAY_SCHEDULE", "0 */15 * * * *")
    # The local Cosmos server's self-signed certificate is expected; the warning is noise.
    config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture(scope="session")
def cosmos_server() -> Iterator[CosmosEmulator]:
    """One Cosmos-protocol server for the session; tests use their own databases."""
    emu = start_cosmos()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def azurite_server() -> Iterator[AzuriteEmulator]:
    """One Azurite (queues, in memory) for the session; tests use their own queue names."""
    emu = start_azurite()
    try:
        yield emu
    finally:
        emu.stop()
