"""Fixtures for the store contract suite.

``store`` is parameterised over both backends. The Cosmos side talks to the one
Cosmos-protocol server of the test session (``cosmos_server`` in ``tests/conftest.py``)
and gives every test its own database, so tests stay independent.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # the suite is runnable from any directory
    sys.path.insert(0, str(ROOT))

from infra.emulators import CosmosEmulator  # noqa: E402
from shared.config import StoreSettings  # noqa: E402
from shared.stores.base import Store  # noqa: E402
from shared.stores.cosmos import CosmosStore  # noqa: E402
from shared.stores.sqlite import SqliteStore  # noqa: E402

BACKENDS = ["sqlite", pytest.param("cosmos", marks=pytest.mark.emulator)]


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


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = SqliteStore(str(tmp_path / "store.sqlite3"))
        yield s
        s.close()
        return
    emu: CosmosEmulator = request.getfixturevalue("cosmos_server")
    if not emu.running:  # a fault-injection test left it stopped
        emu.start()
    c = CosmosStore(cosmos_settings(emu), embedding_dimensions=64)
    yield c
    drop_database(c)
