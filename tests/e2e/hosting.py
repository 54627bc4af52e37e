"""Start the real function app behind the dev host for a test (shared by e2e and console).

``backend`` is ``embedded`` (SQLite + in-process queue: what ``make run`` starts) or
``azure-local`` (the Cosmos-protocol server + Azurite queues). The app's process-wide
singletons are reset around each host so every host gets a clean service built from
its own settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infra.devhost import DevHost
from shared.config import set_settings
from shared.pipeline import set_pipeline
from shared.secrets import set_secret_provider
from shared.service import set_service
from shared.stores import set_store

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "shared" / "detection" / "model"


def reset_singletons() -> None:
    store = None
    try:
        from shared import stores

        store = stores._store  # closing the previous test's store
    except AttributeError:
        pass
    # the secret provider too: it caches what it read (or did not find) for the last host
    for setter in (set_service, set_pipeline, set_store, set_settings, set_secret_provider):
        setter(None)
    if store is not None:
        store.close()


@contextmanager
def start_dev_host(
    backend: str, data_dir: Path, peers: Any = None, extra_env: dict[str, str] | None = None
) -> Iterator[DevHost]:
    """``peers`` is ``(cosmos, azurite)`` for ``azure-local``; unused for ``embedded``."""
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
        env.update({"PSS_STORE__BACKEND": "sqlite", "PSS_STORE__SQLITE_PATH": str(data_dir / "e2e.sqlite3")})
    else:
        cosmos, azurite = peers
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
    env.update(extra_env or {})
    reset_singletons()
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
        reset_singletons()
