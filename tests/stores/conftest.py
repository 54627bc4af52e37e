"""Fixtures for the store contract suite.

``store`` is parameterised over both backends. The Cosmos side talks to the one
Cosmos-protocol server of the test session (``cosmos_server`` in ``tests/conftest.py``)
and gives every test its own database, so tests stay independent.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # the suite is runnable from any directory
    sys.path.insert(0, str(ROOT))

from stores_support import cosmos_settings, drop_database  # noqa: E402

from infra.emulators import CosmosEmulator  # noqa: E402
from shared.stores.base import Store  # noqa: E402
from shared.stores.cosmos import CosmosStore  # noqa: E402
from shared.stores.sqlite import SqliteStore  # noqa: E402

BACKENDS = ["sqlite", pytest.param("cosmos", marks=pytest.mark.emulator)]


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
