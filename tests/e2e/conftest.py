"""End-to-end fixtures: the real function app behind the dev host, on each backend pair.

``backend`` is ``embedded`` (SQLite + in-process queue: what ``make run`` starts) or
``azure-local`` (the Cosmos-protocol server + Azurite queues, the same SDKs and wire
protocols as in Azure). The app's process-wide singletons are reset around each host
so every test gets a clean service built from the host's settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e.hosting import start_dev_host

from infra.devhost import DevHost
from shared.stores import get_store


@pytest.fixture(params=["embedded", pytest.param("azure-local", marks=pytest.mark.emulator)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def host(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[DevHost]:
    peers = None
    if backend != "embedded":
        peers = (request.getfixturevalue("cosmos_server"), request.getfixturevalue("azurite_server"))
    # The flows read the agents' findings, which callers without the operator role do not
    # get by default (the shaping per role is tested in tests/app).
    with start_dev_host(backend, tmp_path, peers, {"PSS_REPLY_DETAIL": "operator"}) as dev:
        yield dev


@pytest.fixture
def client(host: DevHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.base_url, headers={"x-functions-key": host.function_key}, timeout=30) as c:
        yield c


def store_of_host() -> object:
    return get_store()
