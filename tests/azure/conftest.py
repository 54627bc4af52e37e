"""Fixtures for the Azure-integration tests: fake servers and clean process-wide state."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from shared import secrets as secrets_module  # noqa: E402
from shared.config import Settings, set_settings  # noqa: E402
from shared.llm import client as llm_client  # noqa: E402
from tests.fakes.openai_server import FakeAzureOpenAI  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_singletons() -> Iterator[None]:
    """Every test starts and ends with default settings and no cached clients."""
    set_settings(Settings())
    secrets_module.set_secret_provider(None)
    secrets_module.set_credential(None)
    llm_client.set_client(None, explicit=False)
    yield
    set_settings(None)
    secrets_module.set_secret_provider(None)
    secrets_module.set_credential(None)
    llm_client.set_client(None, explicit=False)


@pytest.fixture(scope="module")
def openai_server() -> Iterator[FakeAzureOpenAI]:
    with FakeAzureOpenAI(bearer_token="fake-entra-token") as server:
        yield server


@pytest.fixture
def fake_openai(openai_server: FakeAzureOpenAI) -> Iterator[FakeAzureOpenAI]:
    openai_server.reset()
    yield openai_server
    openai_server.reset()
