"""Helpers shared by the store tests (a uniquely named module: pytest puts every test
folder on sys.path, so two folders' ``conftest`` modules cannot both be imported by name)."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

from infra.emulators import CosmosEmulator, start_cosmos
from shared.config import StoreSettings
from shared.stores.cosmos import CosmosStore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def cosmos_settings(emu: CosmosEmulator, **overrides: object) -> StoreSettings:
    values: dict[str, object] = {
        "backend": "cosmos",
        "cosmos_endpoint": emu.endpoint,
        "cosmos_key": emu.key,
        "cosmos_verify_tls": False,
        "cosmos_database": f"t{uuid.uuid4().hex[:16]}",
    }
    values.update(overrides)
    return StoreSettings(**values)  # type: ignore[arg-type]


def drop_database(store: CosmosStore) -> None:
    """Free the server's memory; the database name is unique to one test anyway."""
    with contextlib.suppress(Exception):
        store.client.delete_database(store.database_name)
    store.close()


def start_cosmos_keepalive() -> CosmosEmulator:
    """Kept for ``bench_update.py``: ``start_cosmos()`` now enables keep-alive itself."""
    return start_cosmos()
