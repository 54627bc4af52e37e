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

from reliability.reliability_support import dev_host  # one dev-host start-up for every suite

from infra.devhost import DevHost

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "shared" / "detection" / "model"


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
    env.update(extra_env or {})
    with dev_host(env, queue_backend=queue_backend, storage=storage) as dev:
        yield dev
