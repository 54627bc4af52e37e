"""Helpers for the reliability suite (a uniquely named module: pytest puts every test folder
on ``sys.path``, so helpers shared between files live here, never in ``conftest``).

``RELIABILITY_SCALE`` (an integer, default 1) multiplies every example count and load
size; CI runs the default, ``make soak`` is meant to run with ``RELIABILITY_SCALE=10``.
It is not a ``PSS_*`` variable on purpose: the service refuses unknown ``PSS_*`` settings.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from shared.errors import DependencyError, ErrorCode
from shared.stores.base import Doc, Filter, Mutator, OrderBy, Page, Store

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "shared" / "detection" / "model"

#: Every stable error code the service may answer with.
ERROR_CODES = frozenset(code.value for code in ErrorCode)
#: Substrings that would mean an internal detail escaped into a reply.
LEAK_MARKERS = ("Traceback", 'File "', '.py"', ".py:", "/work/", "site-packages", "sqlite3.", "azure.cosmos")


def scale() -> int:
    """The example-count multiplier (``RELIABILITY_SCALE``), at least 1."""
    raw = os.environ.get("RELIABILITY_SCALE", "1").strip()
    try:
        return max(1, int(raw))
    except ValueError:
        return 1


def examples(base: int) -> int:
    """Hypothesis ``max_examples`` for a test whose CI size is ``base``."""
    return base * scale()


def classifier_enabled() -> str:
    """Use the shipped classifier when its artefact exists (as the e2e suite does)."""
    return "true" if (MODEL / "model.npz").exists() or any(MODEL.glob("*.npz")) else "false"


# --------------------------------------------------------------------------- replies


def assert_coded_reply(status: int, body: Any, *, inputs: tuple[str, ...] = ()) -> None:
    """A reply is either a valid analysis-like success or a coded 4xx/503 error, never a 500.

    ``inputs`` are submitted strings that must not be echoed back inside an error.
    """
    assert status != 500, f"internal error: {body!r}"[:2000]
    assert isinstance(body, dict), f"reply body is not a JSON object: {body!r}"[:500]
    text = json.dumps(body, ensure_ascii=False)
    if status < 400:
        assert body.get("success") is True, text[:500]
        return
    assert status in (400, 401, 404, 405, 409, 413, 414, 415, 422, 429, 431, 503), (
        f"unexpected status {status}: {text[:500]}"
    )
    assert body.get("success") is False, text[:500]
    error = body.get("error")
    assert isinstance(error, dict) and error.get("code") in ERROR_CODES, text[:500]
    assert isinstance(error.get("message"), str) and error["message"], text[:500]
    for marker in LEAK_MARKERS:
        assert marker not in text, f"error reply leaks {marker!r}: {text[:500]}"
    for value in inputs:
        if isinstance(value, str) and len(value.strip()) >= 12:
            assert value not in text, f"an error reply echoes submitted text {value!r}: {text[:300]}"


# --------------------------------------------------------------------------- fault injection


class FaultyStore(Store):
    """A real store behind a switchboard of faults (not a mock: every call reaches the store
    unless a fault is armed for it).

    * ``fail_writes_after(n)``: the next ``n`` writes succeed, then every write raises
      :class:`DependencyError` (as an unreachable backend does) until ``heal()``;
    * ``fail_next_writes(k)``: the next ``k`` writes raise, later ones succeed.
    Reads and queries pass through unless ``down`` is set.
    """

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.name = inner.name
        self._lock = threading.Lock()
        self._writes_left: int | None = None
        self._fail_count = 0
        self._fail_at: int | None = None
        self.down = False
        self.read_delay_s = 0.0
        self.writes = 0
        self.injected = 0

    # switches -----------------------------------------------------------------------
    def fail_writes_after(self, n: int) -> None:
        with self._lock:
            self._writes_left = n

    def fail_next_writes(self, k: int) -> None:
        with self._lock:
            self._fail_count = k

    def fail_nth_write(self, n: int) -> None:
        """Only the ``n``-th write from now raises (a crash part-way through a unit of work)."""
        with self._lock:
            self._fail_at = self.writes + self.injected + n

    def heal(self) -> None:
        with self._lock:
            self._writes_left = None
            self._fail_count = 0
            self._fail_at = None
            self.down = False
            self.read_delay_s = 0.0

    def _write_gate(self) -> None:
        with self._lock:
            if self.down:
                self.injected += 1
                raise DependencyError(self.inner.name)
            if self._fail_count > 0:
                self._fail_count -= 1
                self.injected += 1
                raise DependencyError(self.inner.name)
            if self._fail_at is not None and self.writes + self.injected + 1 == self._fail_at:
                self._fail_at = None
                self.injected += 1
                raise DependencyError(self.inner.name)
            if self._writes_left is not None:
                if self._writes_left <= 0:
                    self.injected += 1
                    raise DependencyError(self.inner.name)
                self._writes_left -= 1
            self.writes += 1

    def _read_gate(self) -> None:
        if self.read_delay_s:
            time.sleep(self.read_delay_s)  # a slow dependency (agent time budgets)
        if self.down:
            with self._lock:
                self.injected += 1
            raise DependencyError(self.inner.name)

    # Store interface ----------------------------------------------------------------
    def read(self, container: str, pk: str, doc_id: str) -> Doc | None:
        self._read_gate()
        return self.inner.read(container, pk, doc_id)

    def create(self, container: str, doc: Doc) -> Doc:
        self._write_gate()
        return self.inner.create(container, doc)

    def upsert(self, container: str, doc: Doc) -> Doc:
        self._write_gate()
        return self.inner.upsert(container, doc)

    def replace(self, container: str, doc: Doc, etag: str) -> Doc:
        self._write_gate()
        return self.inner.replace(container, doc, etag)

    def delete(self, container: str, pk: str, doc_id: str, etag: str | None = None) -> bool:
        self._write_gate()
        return self.inner.delete(container, pk, doc_id, etag)

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
        self._read_gate()
        return self.inner.query(
            container, pk=pk, where=where, order_by=order_by, limit=limit, continuation=continuation
        )

    def read_many(self, container: str, keys: list[tuple[str, str]]) -> list[Doc]:
        self._read_gate()
        return self.inner.read_many(container, keys)

    def ping(self) -> None:
        self._read_gate()
        self.inner.ping()

    def update(self, container: str, pk: str, doc_id: str, mutate: Mutator) -> Doc | None:
        return super().update(container, pk, doc_id, mutate)

    def purge_expired(self) -> int:
        purge = getattr(self.inner, "purge_expired", None)
        return int(purge()) if callable(purge) else 0

    def close(self) -> None:
        self.inner.close()


# --------------------------------------------------------------------------- singletons


def reset_singletons() -> None:
    """Forget the app's process-wide objects (and close the store) between hosts/services."""
    from shared import stores
    from shared.config import set_settings
    from shared.llm import client as llm_client
    from shared.pipeline import set_pipeline
    from shared.secrets import set_secret_provider
    from shared.service import set_service

    store = stores._store
    for setter in (set_service, set_pipeline, stores.set_store, set_settings):
        setter(None)
    set_secret_provider(None)
    llm_client.set_client(None, explicit=False)
    if store is not None:
        with contextlib.suppress(Exception):
            store.close()


def host_env(backend: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """App settings for a dev host on ``embedded`` (SQLite) or ``azure-local`` (filled in later)."""
    env = {
        "PSS_GRAPH_QUEUE_NAME": f"graph-updates-{uuid.uuid4().hex[:8]}",
        "PSS_REPUTATION_DECAY_SCHEDULE": "0 0 0 1 1 *",  # fired on demand only
        "PSS_CLASSIFIER__ENABLED": classifier_enabled(),
        "PSS_LIMITS__RATE_LIMIT_PER_MINUTE": "0",
        "PSS_TENANCY__TENANT_RATE_LIMIT_PER_MINUTE": "0",  # the soak scale must not meet the tenant quota
    }
    if backend == "embedded":
        env.update({"PSS_STORE__BACKEND": "sqlite", "PSS_STORE__SQLITE_PATH": str(tmp_path / "host.sqlite3")})
    env.update(extra)
    return env


def cosmos_env(emulator: Any, database: str | None = None) -> dict[str, str]:
    return {
        "PSS_STORE__BACKEND": "cosmos",
        "PSS_STORE__COSMOS_ENDPOINT": emulator.endpoint,
        "PSS_STORE__COSMOS_KEY": emulator.key,
        "PSS_STORE__COSMOS_VERIFY_TLS": "false",
        "PSS_STORE__COSMOS_DATABASE": database or f"rel{uuid.uuid4().hex[:12]}",
        "PSS_STORE__COSMOS_MAX_RETRIES": "2",
    }


#: host.json for the fault tests: the real file's settings except a short retry delay.
def fast_host_json(max_dequeue_count: int = 5) -> dict[str, Any]:
    real = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    queues = dict(real["extensions"]["queues"])
    queues.update({"visibilityTimeout": "00:00:00", "maxDequeueCount": max_dequeue_count})
    return {**real, "extensions": {**real["extensions"], "queues": queues}}


@contextlib.contextmanager
def dev_host(
    env: Mapping[str, str],
    *,
    queue_backend: str = "inprocess",
    storage: str | None = None,
    host_json: Mapping[str, Any] | None = None,
    reset: bool = True,
) -> Iterator[Any]:
    """The real function app behind the dev host, with clean singletons before and after."""
    from infra.devhost import DevHost

    full_env = dict(env)
    if storage:
        full_env["AzureWebJobsStorage"] = storage
    if reset:
        reset_singletons()
    host = DevHost(
        "function_app:app",
        app_root=ROOT,
        port=0,
        queue_backend=queue_backend,
        storage_connection=storage,
        settings_file=False,
        host_json=host_json,
        env=full_env,
        timers=False,
        drain_timeout=20.0,
    )
    host.start()
    try:
        yield host
    finally:
        host.stop()
        if reset:
            reset_singletons()


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class LogCapture(logging.Handler):
    """Collects every formatted record (message, arguments and traceback) at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a broken log call is itself worth seeing
            text = f"UNFORMATTABLE {record.name}: {record.msg!r} {record.args!r}"
        with self._guard:
            self.lines.append(text)

    def text(self) -> str:
        with self._guard:
            return "\n".join(self.lines)


@contextlib.contextmanager
def capture_all_logs() -> Iterator[LogCapture]:
    """The root logger at DEBUG with a capturing handler, as an operator turning on debug
    logging would: loggers the code caps on purpose (the OpenAI SDK's) stay capped."""
    handler = LogCapture()
    root = logging.getLogger()
    saved_root = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
