"""SQLite-only behaviour: several processes on one file, ``:memory:``, lazy purge."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from stores_support import ROOT

from shared.stores import AUDIT, USERS
from shared.stores.sqlite import SqliteStore

_WORKER = """
import sys
sys.path.insert(0, sys.argv[3])
from shared.stores.sqlite import SqliteStore

store = SqliteStore(sys.argv[1])
tag = sys.argv[2]

def bump(doc):
    doc = doc or {"count": 0, "by": {}}
    doc["count"] += 1
    doc["by"][tag] = doc["by"].get(tag, 0) + 1
    return doc

print("ready", flush=True)
sys.stdin.readline()  # start together
for _ in range(100):
    store.update("users", "shared", "shared", bump)
store.close()
print("done", flush=True)
"""


def test_two_processes_updating_one_document(tmp_path: Path) -> None:
    path = str(tmp_path / "multi.sqlite3")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, path, tag, str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for tag in ("p1", "p2")
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0 and out.strip() == "done"
    store = SqliteStore(path)
    doc = store.read(USERS, "shared", "shared")
    store.close()
    assert doc is not None and doc["count"] == 200 and doc["by"] == {"p1": 100, "p2": 100}


def test_memory_database_is_shared_by_threads() -> None:
    store = SqliteStore(":memory:")
    store.create(USERS, {"id": "a", "user_id": "u"})
    seen: list[object] = []
    t = threading.Thread(target=lambda: seen.append(store.read(USERS, "u", "a")))
    t.start()
    t.join()
    assert seen and seen[0] is not None
    store.close()


def test_parent_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "store.sqlite3"
    store = SqliteStore(str(path))
    store.ping()
    store.close()
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_expired_rows_are_purged(tmp_path: Path) -> None:
    path = tmp_path / "ttl.sqlite3"
    store = SqliteStore(str(path))
    store.create(AUDIT, {"id": "gone", "user_id": "u", "ttl": 1})
    store.create(AUDIT, {"id": "kept", "user_id": "u"})
    time.sleep(1.1)
    assert store.purge_expired() == 1
    store.close()
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute('SELECT id FROM "audit"')] == ["kept"]


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    from shared.errors import DependencyError

    store = SqliteStore(str(tmp_path / "c.sqlite3"))
    store.ping()
    store.close()
    try:
        store.ping()
    except DependencyError as exc:
        assert exc.details == {"dependency": "sqlite"}
    else:  # pragma: no cover
        raise AssertionError("ping on a closed store must fail")


def test_ttl_restarts_on_every_write(tmp_path: Path) -> None:
    """SQLite only: the local Cosmos server never expires documents (see test_contract.test_ttl)."""
    store = SqliteStore(str(tmp_path / "ttl2.sqlite3"))
    doc = store.create(AUDIT, {"id": "d", "user_id": "u1", "ttl": 2})
    time.sleep(1.2)
    store.replace(AUDIT, {"id": "d", "user_id": "u1", "ttl": 2, "v": 1}, doc["_etag"])
    time.sleep(1.2)  # 2.4 s after creation, 1.2 s after the last write
    assert store.read(AUDIT, "u1", "d") is not None
    time.sleep(1.0)
    assert store.read(AUDIT, "u1", "d") is None
    store.close()


def test_a_corrupt_file_is_a_dependency_error(tmp_path: Path) -> None:
    from shared.errors import DependencyError

    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = SqliteStore(str(path))
    try:
        store.read(USERS, "u", "a")
    except DependencyError as exc:
        assert exc.details == {"dependency": "sqlite"} and "NOTADB" in exc.message
    else:  # pragma: no cover
        raise AssertionError("a corrupt file must not look like an empty store")
