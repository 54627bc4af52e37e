"""End-to-end fixtures: the real function app behind the dev host, on each backend pair.

``backend`` is ``embedded`` (SQLite + in-process queue: what ``make run`` starts) or
``azure-local`` (the Cosmos-protocol server + Azurite queues, the same SDKs and wire
protocols as in Azure). The app's process-wide singletons are reset around each host
so every test gets a clean service built from the host's settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.devhost import DevHost
from shared.config import set_settings
from shared.pipeline import set_pipeline
from shared.service import set_service
from shared.stores import get_store, set_store

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "shared" / "detection" / "model"


def _reset() -> None:
    store = None
    try:
        from shared import stores

        store = stores._store  # closing the previous test's store
    except AttributeError:
        pass
    for setter in (set_service, set_pipeline, set_store, set_settings):
        setter(None)
    if store is not None:
        store.close()


@pytest.fixture(params=["embedded", pytest.param("azure-local", marks=pytest.mark.emulator)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def host(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[DevHost]:
    env = {
        "PSS_GRAPH_QUEUE_NAME": f"graph-updates-{uuid.uuid4().hex[:8]}",
        "PSS_REPUTATION_DECAY_SCHEDULE": "0 0 0 1 1 *",  # fired on demand in tests
        "PSS_REPUTATION__HALF_LIFE_HOURS": "0.0005",  # ~1.8 s, so recovery is observable
        "PSS_CLASSIFIER__ENABLED": "true" if MODEL.exists() else "false",
        "PSS_LIMITS__RATE_LIMIT_PER_MINUTE": "1000",
    }
    queue_backend = "inprocess"
    storage = None
    if backend == "embedded":
        env.update({"PSS_STORE__BACKEND": "sqlite", "PSS_STORE__SQLITE_PATH": str(tmp_path / "e2e.sqlite3")})
    else:
        cosmos = request.getfixturevalue("cosmos_server")
        azurite = request.getfixturevalue("azurite_server")
        if not cosmos.running:
            cosmos.start()
        env.update(
            {
                "PSS_STORE__BACKEND": "cosmos",
                "PSS_STORE__COSMOS_ENDPOINT": cosmos.endpoint,
                "PSS_STORE__COSMOS_KEY": cosmos.key,
                "PSS_STORE__COSMOS_VERIFY_TLS": "false",
                "PSS_STORE__COSMOS_DATABASE": f"e2e{uuid.uuid4().hex[:12]}",
            }
        )
        queue_backend = "azurite"
        storage = azurite.connection_string
        env["AzureWebJobsStorage"] = storage
    _reset()
    dev = DevHost(
        "function_app:app",
        app_root=ROOT,
        port=0,
        queue_backend=queue_backend,
        storage_connection=storage,
        settings_file=False,
        env=env,
        timers=False,
    )
    dev.start()
    try:
        yield dev
    finally:
        dev.stop()
        _reset()


@pytest.fixture
def client(host: DevHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.base_url, headers={"x-functions-key": host.function_key}, timeout=30) as c:
        yield c


def store_of_host() -> object:
    return get_store()
