"""The embedded store: one SQLite file, one table per container, documents as JSON text.

Why it is safe under load: WAL mode lets readers run beside the single writer, every
write is one statement (atomic without explicit transactions), ``replace`` is a
compare-and-swap on the etag column (``UPDATE ... WHERE etag = ?``), and
``busy_timeout`` makes concurrent writers from other threads or processes wait for
the lock instead of failing. Each thread gets its own connection; ``":memory:"``
databases are shared by all threads of the process through one connection and a lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import DependencyError, ErrorCode
from . import _common as common
from .base import (
    CONTAINERS,
    BatchOp,
    Conflict,
    Doc,
    Filter,
    OrderBy,
    Page,
    PreconditionFailed,
    Store,
    StoreError,
    report_batch_failure,
)

SCHEMA_VERSION = "1"
_RETRYABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}

#: SQLite's ``json_type`` names for each kind of filter value (Cosmos compares typed values).
_BOOL_TYPES = ("true", "false")
_NUM_TYPES = ("integer", "real")
_TEXT_TYPES = ("text",)
#: Sort rank of a field's JSON type, mirroring Cosmos: bool < number < string; others excluded.
_RANK_SQL = (
    "CASE json_type(body, ?) WHEN 'true' THEN 1 WHEN 'false' THEN 1 "
    "WHEN 'integer' THEN 2 WHEN 'real' THEN 2 WHEN 'text' THEN 3 END"
)


def _types_for(value: str | int | float | bool) -> tuple[str, ...]:
    if isinstance(value, bool):
        return _BOOL_TYPES
    if isinstance(value, int | float):
        return _NUM_TYPES
    return _TEXT_TYPES


def _in_list(types: tuple[str, ...]) -> str:
    # Only the literal constants above ever get here.
    return "(" + ",".join(f"'{t}'" for t in types) + ")"


def _filter_sql(f: Filter) -> tuple[str, list[Any]]:
    path = "$." + f.field
    types = _in_list(_types_for(f.value))
    value = int(f.value) if isinstance(f.value, bool) else f.value
    if f.op == "!=":
        # Cosmos: a present field of another type is "not equal"; a missing one never matches.
        sql = f"(json_type(body, ?) IS NOT NULL AND (json_type(body, ?) NOT IN {types} OR json_extract(body, ?) != ?))"
        return sql, [path, path, path, value]
    sql = f"(json_type(body, ?) IN {types} AND json_extract(body, ?) {f.op} ?)"
    return sql, [path, path, value]


class SqliteStore(Store):
    """:class:`~shared.stores.base.Store` over SQLite (the default backend)."""

    name = "sqlite"
    fresh_reads = True
    atomic_batches = True

    def __init__(
        self,
        path: str = ":memory:",
        *,
        busy_timeout_ms: int = 30_000,
        purge_interval_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._memory = path == ":memory:"
        self.path = path if self._memory else str(Path(path).expanduser())
        self._busy_timeout_ms = busy_timeout_ms
        self._purge_interval_s = purge_interval_s
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.RLock()  # guards the shared connection (memory) and the registry
        self._conns: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._shared: sqlite3.Connection | None = None
        self._last_purge: dict[str, float] = {}
        self._closed = False
        self._writer: threading.Lock | None = None
        if not self._memory:
            Path(self.path).resolve().parent.mkdir(parents=True, exist_ok=True)
            self._writer = _write_lock(self.path)

    # ---- connections ------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout_ms / 1000,
                isolation_level=None,  # autocommit: every statement is its own transaction
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            self._setup(conn)
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            message = f"The sqlite store cannot be opened ({exc.sqlite_errorname})."
            raise DependencyError("sqlite", message) from None
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        """WAL mode and tables, retried: processes opening a fresh file together can get
        SQLITE_BUSY from the journal-mode switch without the busy handler being asked."""
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        while True:
            try:
                if not self._memory:
                    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                        conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("BEGIN IMMEDIATE")
                try:
                    self._create_schema(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in _RETRYABLE or time.monotonic() > deadline:
                    raise
                time.sleep(0.005 + random.random() * 0.02)  # noqa: S311 - jitter

    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS _meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        conn.execute("INSERT OR IGNORE INTO _meta (k, v) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        for name in CONTAINERS:
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{name}" ('
                "pk TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, etag TEXT NOT NULL, "
                "ts REAL NOT NULL, expires_at REAL, PRIMARY KEY (pk, id)) WITHOUT ROWID"
            )
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{name}_by_id" ON "{name}" (id, pk)')
            conn.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}_expiry" ON "{name}" (expires_at) WHERE expires_at IS NOT NULL'
            )

    @contextlib.contextmanager
    def _db(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for this thread; maps SQLite failures to stable errors.

        Writers of one process take turns on a mutex per database file before asking
        SQLite for its write lock: SQLite's own busy handler waits by sleeping (up to
        100 ms a try), which under many threads turned milliseconds into hundreds of them.
        Other processes still meet at SQLite's lock, with ``busy_timeout``.
        """
        if self._closed:
            raise DependencyError("sqlite", "The sqlite store is closed.")
        turn = self._writer if write and self._writer is not None else contextlib.nullcontext()
        try:
            with turn:
                yield from self._connection()
        except sqlite3.IntegrityError as exc:  # pragma: no cover - every write handles its own
            raise StoreError(ErrorCode.INTERNAL, "store integrity error") from exc
        except sqlite3.Error as exc:
            # Locked past busy_timeout, disk full, I/O errors, a corrupt file, a closed handle...
            name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
            raise DependencyError("sqlite", f"The sqlite store failed ({name}).") from None

    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (``:memory:``: the shared one, held under the lock)."""
        if self._memory:
            with self._lock:
                if self._shared is None:
                    self._shared = self._open()
                yield self._shared
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
            with self._lock:
                self._conns = [(t, c) for t, c in self._conns if _alive(t, c)]
                self._conns.append((weakref.ref(threading.current_thread()), conn))
        yield conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for _thread, conn in self._conns:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._conns.clear()
            if self._shared is not None:
                self._shared.close()
                self._shared = None

    # ---- helpers ----------------------------------------------------------
    def _now(self) -> float:
        return float(self._clock())

    @staticmethod
    def _row_doc(body: str, etag: str) -> Doc:
        doc: Doc = json.loads(body)
        doc["_etag"] = etag
        return doc

    def _maybe_purge(self, conn: sqlite3.Connection, container: str, now: float) -> None:
        """Delete expired rows now and then (they are already invisible to every read)."""
        last = self._last_purge.get(container, 0.0)
        if now - last < self._purge_interval_s:
            return
        self._last_purge[container] = now
        conn.execute(
            f'DELETE FROM "{container}" WHERE expires_at IS NOT NULL AND expires_at <= ?',  # noqa: S608
            (now,),
        )

    def purge_expired(self) -> int:
        """Delete every expired document now; returns how many (for a maintenance timer)."""
        now = self._now()
        total = 0
        with self._db(write=True) as conn:
            for name in CONTAINERS:
                cur = conn.execute(
                    f'DELETE FROM "{name}" WHERE expires_at IS NOT NULL AND expires_at <= ?',  # noqa: S608
                    (now,),
                )
                total += cur.rowcount
                self._last_purge[name] = now
        return total

    def _prepare(self, container: str, doc: Doc) -> tuple[str, str, str, float, float | None]:
        _clean, pk, doc_id, text = common.clean(container, doc)
        now = self._now()
        ttl = common.ttl_of(_clean)
        return pk, doc_id, text, now, (now + ttl if ttl is not None else None)

    # ---- single documents -------------------------------------------------
    def read(self, container: str, pk: str, doc_id: str) -> Doc | None:
        common.pk_field(container)
        common.check_key(pk, doc_id)
        with self._db() as conn:
            row = conn.execute(
                f'SELECT body, etag FROM "{container}" WHERE pk = ? AND id = ? '  # noqa: S608
                "AND (expires_at IS NULL OR expires_at > ?)",
                (pk, doc_id, self._now()),
            ).fetchone()
        return None if row is None else self._row_doc(row[0], row[1])

    def create(self, container: str, doc: Doc) -> Doc:
        pk, doc_id, text, now, expires = self._prepare(container, doc)
        etag = uuid.uuid4().hex
        with self._db(write=True) as conn:
            # An expired row counts as absent: take its place in the same statement.
            cur = conn.execute(
                f'INSERT INTO "{container}" (pk, id, body, etag, ts, expires_at) '  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pk, id) DO UPDATE SET "
                "body = excluded.body, etag = excluded.etag, ts = excluded.ts, "
                "expires_at = excluded.expires_at "
                f'WHERE "{container}".expires_at IS NOT NULL AND "{container}".expires_at <= ?',
                (pk, doc_id, text, etag, now, expires, now),
            )
            if cur.rowcount != 1:
                raise Conflict(container, doc_id)
            self._maybe_purge(conn, container, now)
        return self._row_doc(text, etag)

    def upsert(self, container: str, doc: Doc) -> Doc:
        pk, doc_id, text, now, expires = self._prepare(container, doc)
        etag = uuid.uuid4().hex
        with self._db(write=True) as conn:
            conn.execute(
                f'INSERT INTO "{container}" (pk, id, body, etag, ts, expires_at) '  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pk, id) DO UPDATE SET "
                "body = excluded.body, etag = excluded.etag, ts = excluded.ts, "
                "expires_at = excluded.expires_at",
                (pk, doc_id, text, etag, now, expires),
            )
            self._maybe_purge(conn, container, now)
        return self._row_doc(text, etag)

    def replace(self, container: str, doc: Doc, etag: str) -> Doc:
        pk, doc_id, text, now, expires = self._prepare(container, doc)
        if not isinstance(etag, str) or not etag:
            raise PreconditionFailed(container, doc_id)
        new_etag = uuid.uuid4().hex
        with self._db(write=True) as conn:
            cur = conn.execute(
                f'UPDATE "{container}" SET body = ?, etag = ?, ts = ?, expires_at = ? '  # noqa: S608
                "WHERE pk = ? AND id = ? AND etag = ? AND (expires_at IS NULL OR expires_at > ?)",
                (text, new_etag, now, expires, pk, doc_id, etag, now),
            )
            if cur.rowcount != 1:
                raise PreconditionFailed(container, doc_id)
        return self._row_doc(text, new_etag)

    def delete(self, container: str, pk: str, doc_id: str, etag: str | None = None) -> bool:
        common.pk_field(container)
        common.check_key(pk, doc_id)
        now = self._now()
        with self._db(write=True) as conn:
            if etag is None:
                cur = conn.execute(
                    f'DELETE FROM "{container}" WHERE pk = ? AND id = ? '  # noqa: S608
                    "RETURNING expires_at",
                    (pk, doc_id),
                )
                rows = cur.fetchall()
                return any(exp is None or exp > now for (exp,) in rows)
            cur = conn.execute(
                f'DELETE FROM "{container}" WHERE pk = ? AND id = ? AND etag = ? '  # noqa: S608
                "AND (expires_at IS NULL OR expires_at > ?)",
                (pk, doc_id, etag, now),
            )
            if cur.rowcount == 1:
                return True
            exists = conn.execute(
                f'SELECT 1 FROM "{container}" WHERE pk = ? AND id = ? '  # noqa: S608
                "AND (expires_at IS NULL OR expires_at > ?)",
                (pk, doc_id, now),
            ).fetchone()
        if exists:
            raise PreconditionFailed(container, doc_id)
        return False

    # ---- several writes -----------------------------------------------------
    def batch(self, ops: list[BatchOp]) -> list[Doc | None]:
        """Every operation in one transaction: one turn at the write lock and one commit
        (one fsync in WAL mode) instead of one per document; a conflict rolls all back."""
        prepared = []
        for op in ops:
            if op.kind == "delete":
                common.pk_field(op.container)
                common.check_key(op.pk or "", op.doc_id or "")
                prepared.append((op, op.pk or "", op.doc_id or "", "", 0.0, None))
            elif op.kind in ("create", "upsert", "replace"):
                prepared.append((op, *self._prepare(op.container, op.doc or {})))
            else:
                raise ValueError(f"unknown batch operation {op.kind!r}")
        if not prepared:
            return []
        out: list[Doc | None] = []
        with self._db(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for op, pk, doc_id, text, now, expires in prepared:
                    out.append(self._batch_one(conn, op, pk, doc_id, text, now, expires))
            except BaseException as exc:
                conn.execute("ROLLBACK")
                if isinstance(exc, Exception):  # all rolled back: only the failing one is "failed"
                    report_batch_failure(exc, len(prepared), set(), {len(out)})
                raise
            conn.execute("COMMIT")
        return out

    def _batch_one(
        self,
        conn: sqlite3.Connection,
        op: BatchOp,
        pk: str,
        doc_id: str,
        text: str,
        now: float,
        expires: float | None,
    ) -> Doc | None:
        c = op.container
        etag = uuid.uuid4().hex
        if op.kind == "delete":
            if op.etag is None:
                conn.execute(f'DELETE FROM "{c}" WHERE pk = ? AND id = ?', (pk, doc_id))  # noqa: S608
                return None
            cur = conn.execute(
                f'DELETE FROM "{c}" WHERE pk = ? AND id = ? AND etag = ? '  # noqa: S608
                "AND (expires_at IS NULL OR expires_at > ?)",
                (pk, doc_id, op.etag, now or self._now()),
            )
            if cur.rowcount != 1:
                raise PreconditionFailed(c, doc_id)
            return None
        if op.kind == "replace":
            if not isinstance(op.etag, str) or not op.etag:
                raise PreconditionFailed(c, doc_id)
            cur = conn.execute(
                f'UPDATE "{c}" SET body = ?, etag = ?, ts = ?, expires_at = ? '  # noqa: S608
                "WHERE pk = ? AND id = ? AND etag = ? AND (expires_at IS NULL OR expires_at > ?)",
                (text, etag, now, expires, pk, doc_id, op.etag, now),
            )
            if cur.rowcount != 1:
                raise PreconditionFailed(c, doc_id)
            return self._row_doc(text, etag)
        guard = f'WHERE "{c}".expires_at IS NOT NULL AND "{c}".expires_at <= ?' if op.kind == "create" else ""
        cur = conn.execute(
            f'INSERT INTO "{c}" (pk, id, body, etag, ts, expires_at) '  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pk, id) DO UPDATE SET "
            "body = excluded.body, etag = excluded.etag, ts = excluded.ts, "
            f"expires_at = excluded.expires_at {guard}",
            (pk, doc_id, text, etag, now, expires, *((now,) if guard else ())),
        )
        if cur.rowcount != 1:
            raise Conflict(c, doc_id)
        return self._row_doc(text, etag)

    # ---- many documents ---------------------------------------------------
    def query(
        self,
        container: str,
        *,
        pk: str | None = None,
        where: tuple[Filter, ...] = (),
        order_by: OrderBy | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> Page:
        common.pk_field(container)
        where = tuple(where)
        common.check_query(where, order_by, limit)
        qid = common.fingerprint(self.name, container, pk, where, order_by)
        now = self._now()
        clauses = ["(expires_at IS NULL OR expires_at > ?)"]
        params: list[Any] = [now]
        if pk is not None:
            common.check_pk(pk)
            clauses.append("pk = ?")
            params.append(pk)
        for f in where:
            sql, values = _filter_sql(f)
            clauses.append(sql)
            params.extend(values)

        if order_by is None:
            # Pages in (id, pk) order; the keyset is the last row's key.
            select = "SELECT body, etag, id, pk"
            order = "ORDER BY id, pk"
            if continuation:
                key = common.decode_token(continuation, qid)
                if not (isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key)):
                    raise common.InvalidContinuation()
                clauses.append("(id, pk) > (?, ?)")
                params.extend(key)
            order_params: list[Any] = []
        else:
            path = "$." + order_by.field
            direction = "DESC" if order_by.descending else "ASC"
            select = f"SELECT body, etag, {_RANK_SQL} AS r, json_extract(body, ?) AS v, id, pk"
            order_params = [path, path]
            clauses.append(f"({_RANK_SQL}) IS NOT NULL")
            params.append(path)
            order = f"ORDER BY r {direction}, v {direction}, id {direction}, pk {direction}"
            if continuation:
                key = common.decode_token(continuation, qid)
                if not (isinstance(key, list) and len(key) == 4 and isinstance(key[0], int)):
                    raise common.InvalidContinuation()
                cmp = "<" if order_by.descending else ">"
                clauses.append(f"(({_RANK_SQL}), json_extract(body, ?), id, pk) {cmp} (?, ?, ?, ?)")
                params.extend([path, path, *key])

        sql = f'{select} FROM "{container}" WHERE {" AND ".join(clauses)} {order} LIMIT ?'
        with self._db() as conn:
            rows = conn.execute(sql, [*order_params, *params, limit + 1]).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        items = [self._row_doc(r[0], r[1]) for r in rows]
        token = None
        if more and rows:
            last = rows[-1]
            token = common.encode_token(qid, list(last[2:]))
        return Page(items=items, continuation=token)

    def read_many(self, container: str, keys: list[tuple[str, str]]) -> list[Doc]:
        common.pk_field(container)
        wanted: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for pk, doc_id in keys:
            common.check_key(pk, doc_id)
            if (pk, doc_id) not in seen:
                seen.add((pk, doc_id))
                wanted.append((pk, doc_id))
        found: dict[tuple[str, str], Doc] = {}
        now = self._now()
        with self._db() as conn:
            for start in range(0, len(wanted), 200):
                chunk = wanted[start : start + 200]
                values = ",".join("(?, ?)" for _ in chunk)
                flat = [part for key in chunk for part in key]
                # A join from the key list, not ``(pk, id) IN (VALUES ...)``: SQLite answers
                # the latter with a scan of the whole table (graph reads grew with history).
                for pk, doc_id, body, etag in conn.execute(
                    f"WITH k(kp, ki) AS (VALUES {values}) "  # noqa: S608
                    f'SELECT t.pk, t.id, t.body, t.etag FROM k CROSS JOIN "{container}" AS t '
                    "ON t.pk = k.kp AND t.id = k.ki WHERE (t.expires_at IS NULL OR t.expires_at > ?)",
                    [*flat, now],
                ):
                    found[(pk, doc_id)] = self._row_doc(body, etag)
        return [found[k] for k in wanted if k in found]

    # ---- lifecycle --------------------------------------------------------
    def ping(self) -> None:
        with self._db() as conn:
            conn.execute("SELECT v FROM _meta WHERE k = 'schema'").fetchone()

    def __repr__(self) -> str:
        return f"SqliteStore({os.fspath(self.path)!r})"


_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: str) -> threading.Lock:
    """The process-wide writer mutex of one database file (shared by every store on it)."""
    key = str(Path(path).resolve())
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


def _alive(ref: weakref.ref[threading.Thread], conn: sqlite3.Connection) -> bool:
    """Close connections whose thread has ended (thread pools come and go)."""
    thread = ref()
    if thread is not None and thread.is_alive():
        return True
    with contextlib.suppress(sqlite3.Error):
        conn.close()
    return False
