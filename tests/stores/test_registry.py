"""``get_store`` / ``set_store`` and the promise that importing the package is cheap."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from stores_support import ROOT, drop_database

from infra.emulators import CosmosEmulator
from shared.config import load_settings, set_settings
from shared.stores import get_store, set_store
from shared.stores.cosmos import CosmosStore
from shared.stores.sqlite import SqliteStore


def test_importing_the_package_loads_no_backend() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import shared.stores; "
        "print(sorted(m for m in sys.modules if m.startswith(('azure', 'sqlite3', '_sqlite3'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_get_store_builds_the_configured_backend_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "deep" / "pss.sqlite3"
    monkeypatch.setenv("PSS_STORE__SQLITE_PATH", str(path))
    set_settings(load_settings())
    set_store(None)
    try:
        store = get_store()
        assert isinstance(store, SqliteStore) and store is get_store()
        store.create("users", {"id": "a", "user_id": "u"})
        assert path.exists()
        replacement = SqliteStore(":memory:")
        set_store(replacement)
        assert get_store() is replacement
        replacement.close()
        store.close()
    finally:
        set_store(None)
        set_settings(None)


@pytest.mark.emulator
def test_get_store_builds_a_cosmos_store_from_settings(cosmos_server: CosmosEmulator) -> None:
    if not cosmos_server.running:
        cosmos_server.start()
    database = f"reg{uuid.uuid4().hex[:10]}"
    settings = load_settings(
        store={
            "backend": "cosmos",
            "cosmos_endpoint": cosmos_server.endpoint,
            "cosmos_key": cosmos_server.key,
            "cosmos_verify_tls": False,
            "cosmos_database": database,
        },
        semantic={"embedding_dimensions": 32},
    )
    set_settings(settings)
    set_store(None)
    store = get_store()
    try:
        assert isinstance(store, CosmosStore) and store is get_store()
        assert store.database_name == database and store.embedding_dimensions == 32
        store.create("users", {"id": "a", "user_id": "u"})
        assert store.read("users", "u", "a") is not None
    finally:
        set_store(None)
        set_settings(None)
        drop_database(store)  # type: ignore[arg-type]
