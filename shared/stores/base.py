"""The one store interface: JSON documents in named containers.

Both implementations (``sqlite.py``, the embedded default, and ``cosmos.py``) pass the
same contract suite (``tests/stores/test_contract.py``). Domain code (reputation,
graph, audit, rules) talks to this interface only and never to a backend.

Model
-----
* A *container* holds JSON documents. Each document has a string ``id`` and a
  partition-key field named in :data:`PARTITION_KEYS` (``user_id`` for users...).
  ``(partition key, id)`` is unique.
* Every read returns the document with an ``_etag`` string. :meth:`Store.replace`
  with that etag succeeds only if nobody wrote the document since (optimistic
  concurrency); otherwise it raises :class:`PreconditionFailed`.
  :meth:`Store.update` wraps read-modify-write with retries on conflicts: that is
  the only way shared state (profiles, graph nodes, campaigns) is changed.
* A document with an integer ``ttl`` (seconds) expires ``ttl`` seconds after its
  last write; expired documents are never returned (Cosmos native TTL; SQLite filters
  on read and purges lazily).
* :meth:`Store.query` takes simple conjunctive filters on top-level fields, an
  optional order and a page size, and pages with an opaque continuation token.
  Comparisons are typed as in Cosmos SQL: a value only matches fields of the same
  JSON type (``!=`` matches any present field of another type); missing fields never
  match. With ``order_by``, only documents whose field is a bool, number or string
  are returned, sorted bool < number < string; without it, pages come in ``id`` order.
* Keys starting with ``_`` are reserved for the store: they are dropped on write,
  and reads expose exactly one, ``_etag``.
* A backend that is throttled beyond its retry budget raises :class:`Throttled`;
  one that cannot be reached raises :class:`~shared.errors.DependencyError`.
"""

from __future__ import annotations

import random
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ErrorCode, ServiceError

Doc = dict[str, Any]

PROMPTS = "prompts"
USERS = "users"
GRAPH = "graph"
PATTERNS = "patterns"
AUDIT = "audit"
PROCESSED = "processed"
ATTACKS = "attacks"

#: Container -> name of the partition-key field (Cosmos path ``/<field>``).
PARTITION_KEYS: dict[str, str] = {
    PROMPTS: "user_id",  # a user's prompts together: profile views, history
    USERS: "user_id",  # one profile per partition: point reads, ETag updates
    GRAPH: "id",  # node documents (with adjacency) read by id
    PATTERNS: "kind",  # rules / allowlist / campaigns listed by kind
    AUDIT: "user_id",  # writes spread over users; metrics query across partitions
    PROCESSED: "id",  # idempotency keys: point create / read
    ATTACKS: "id",  # known-attack vectors; nearest-neighbour query across partitions
}

CONTAINERS: tuple[str, ...] = tuple(PARTITION_KEYS)

Op = Literal["=", "!=", "<", "<=", ">", ">="]
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_OPS: frozenset[str] = frozenset({"=", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True, slots=True)
class Filter:
    """``doc[field] <op> value`` on a top-level field; ``value`` is str, int, float or bool."""

    field: str
    op: Op
    value: str | int | float | bool

    def __post_init__(self) -> None:
        if not _FIELD.match(self.field):
            raise ValueError(f"invalid field name {self.field!r}")
        if self.op not in _OPS:
            raise ValueError(f"invalid operator {self.op!r}")
        if not isinstance(self.value, str | int | float | bool):
            raise ValueError("filter values must be str, int, float or bool")


@dataclass(frozen=True, slots=True)
class OrderBy:
    field: str
    descending: bool = False

    def __post_init__(self) -> None:
        if not _FIELD.match(self.field):
            raise ValueError(f"invalid field name {self.field!r}")


@dataclass(slots=True)
class Page:
    items: list[Doc] = field(default_factory=list)
    continuation: str | None = None


class StoreError(ServiceError):
    status = 500


class Conflict(StoreError):
    """``create`` of a document that already exists."""

    status = 409

    def __init__(self, container: str, doc_id: str) -> None:
        super().__init__(ErrorCode.CONFLICT, f"{container}/{doc_id} already exists")


class PreconditionFailed(StoreError):
    """``replace`` lost a race: the etag no longer matches."""

    status = 412

    def __init__(self, container: str, doc_id: str) -> None:
        super().__init__(ErrorCode.CONFLICT, f"{container}/{doc_id} was modified concurrently")


class Throttled(StoreError):
    """The backend kept refusing for load (Cosmos 429) after its own retries; nothing was written."""

    status = 503

    def __init__(self, backend: str, retry_after_ms: int | None = None) -> None:
        super().__init__(
            ErrorCode.OVERLOADED,
            f"The {backend} store is throttling requests; try again later.",
            details={"dependency": backend, "retry_after_ms": retry_after_ms},
        )


class TooManyConflicts(StoreError):
    """``update`` kept losing races; the caller should retry later (nothing was written)."""

    status = 503

    def __init__(self, container: str, doc_id: str, attempts: int) -> None:
        super().__init__(
            ErrorCode.CONFLICT,
            f"{container}/{doc_id} is contended; gave up after {attempts} attempts",
        )


BatchKind = Literal["create", "upsert", "replace", "delete"]


@dataclass(frozen=True, slots=True)
class BatchOp:
    """One write of a :meth:`Store.batch`: ``create``/``upsert``/``replace`` carry ``doc``
    (``replace`` also the ``etag`` it read); ``delete`` carries ``pk`` and ``doc_id``
    (and optionally ``etag``)."""

    kind: BatchKind
    container: str
    doc: Doc | None = None
    etag: str | None = None
    pk: str | None = None
    doc_id: str | None = None

    def key(self) -> tuple[str, str, str]:
        """``(container, partition key, id)`` of the document this operation writes."""
        if self.doc is not None:
            field = PARTITION_KEYS[self.container]
            return self.container, str(self.doc.get(field, "")), str(self.doc.get("id", ""))
        return self.container, str(self.pk or ""), str(self.doc_id or "")


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What a failed :meth:`Store.batch` did, by operation index: ``applied`` (written and
    kept), ``failed`` (the operations whose own error it was) and ``not_applied`` (never
    written, or rolled back with a failed operation of their group). Every index is in
    exactly one of them: nothing of a failed batch is silently lost or silently kept."""

    applied: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()
    not_applied: tuple[int, ...] = ()


def report_batch_failure(exc: BaseException, n_ops: int, applied: set[int], failed: set[int]) -> BaseException:
    """Attach the :class:`BatchReport` of a failed batch of ``n_ops`` to ``exc`` (as
    ``exc.batch_report``) and return it."""
    rest = tuple(i for i in range(n_ops) if i not in applied and i not in failed)
    exc.batch_report = BatchReport(tuple(sorted(applied)), tuple(sorted(failed)), rest)  # type: ignore[attr-defined]
    return exc


#: ``update`` callback: receives the current document (or ``None`` if absent) and
#: returns the new document, or ``None`` to leave it unchanged. It may be called
#: several times (once per attempt), so it must not have side effects.
Mutator = Callable[[Doc | None], Doc | None]


class Store(ABC):
    """Document store over the containers in :data:`CONTAINERS`."""

    name: str = "abstract"
    max_update_attempts: int = 50
    #: ``read`` builds a new document each call (parsed from storage), so :meth:`update`
    #: can hand it to the mutator without copying it first (a copy per update was a
    #: large share of the graph stage's time). Wrappers that cache or share documents
    #: leave this False.
    fresh_reads: bool = False
    #: After a lost race ``update`` sleeps a random time in ``[0, min(cap, base * 2**n))``:
    #: many writers on one hot document (an attack burst on one profile) otherwise retry
    #: in lock-step and waste O(writers^2) reads and writes (RUs on Cosmos).
    update_backoff_base_s: float = 0.002
    update_backoff_cap_s: float = 0.1
    #: Whether :meth:`batch` applies each partition group all-or-nothing.
    atomic_batches: bool = False

    # ---- single documents -------------------------------------------------
    @abstractmethod
    def read(self, container: str, pk: str, doc_id: str) -> Doc | None:
        """The document with its ``_etag``, or ``None``."""

    @abstractmethod
    def create(self, container: str, doc: Doc) -> Doc:
        """Insert; raise :class:`Conflict` if ``(pk, id)`` exists. Returns it with ``_etag``."""

    @abstractmethod
    def upsert(self, container: str, doc: Doc) -> Doc:
        """Insert or overwrite unconditionally (only for documents nobody else writes)."""

    @abstractmethod
    def replace(self, container: str, doc: Doc, etag: str) -> Doc:
        """Overwrite if the stored etag is still ``etag``; else :class:`PreconditionFailed`
        (also when the document is gone or expired, so :meth:`update` re-reads)."""

    @abstractmethod
    def delete(self, container: str, pk: str, doc_id: str, etag: str | None = None) -> bool:
        """Delete; ``False`` if absent. With ``etag``, only if unchanged."""

    # ---- many documents ---------------------------------------------------
    @abstractmethod
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
        """One page of matching documents; pass ``continuation`` back for the next."""

    @abstractmethod
    def read_many(self, container: str, keys: list[tuple[str, str]]) -> list[Doc]:
        """Point-read several ``(pk, id)`` pairs; missing ones are skipped."""

    def batch(self, ops: list[BatchOp]) -> list[Doc | None]:
        """Apply several writes; returns what each wrote (``None`` for a delete).

        Atomicity is per *partition group* (same container and partition key): a group
        is all-or-nothing, and the first :class:`Conflict` / :class:`PreconditionFailed`
        of the batch is raised. SQLite applies the whole batch in one transaction (so one
        conflict rolls everything back); Cosmos DB runs a transactional batch per group
        and the groups concurrently, so groups other than the failed one may be applied:
        callers must make a batch idempotent and retry it as a whole. The raised error
        carries a :class:`BatchReport` (``batch_report``): which operations were applied,
        which failed, which were not applied. This base version (for wrappers) applies the
        operations one by one and stops at the first failure.
        """
        out: list[Doc | None] = []
        for i, op in enumerate(ops):
            try:
                out.append(self._apply_one(op))
            except Exception as exc:
                report_batch_failure(exc, len(ops), set(range(i)), {i})
                raise
        return out

    def _apply_one(self, op: BatchOp) -> Doc | None:
        if op.kind == "create":
            return self.create(op.container, op.doc or {})
        if op.kind == "upsert":
            return self.upsert(op.container, op.doc or {})
        if op.kind == "replace":
            return self.replace(op.container, op.doc or {}, op.etag or "")
        if op.kind == "delete":
            self.delete(op.container, op.pk or "", op.doc_id or "", op.etag)
            return None
        raise ValueError(f"unknown batch operation {op.kind!r}")

    # ---- lifecycle --------------------------------------------------------
    @abstractmethod
    def ping(self) -> None:
        """Raise :class:`~shared.errors.DependencyError` if the backend is unreachable."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends need nothing
        """Release connections."""

    # ---- derived operations (same for every backend) ----------------------
    def partition_key(self, container: str, doc: Doc) -> str:
        return str(doc[PARTITION_KEYS[container]])

    def update(self, container: str, pk: str, doc_id: str, mutate: Mutator) -> Doc | None:
        """Read-modify-write with optimistic concurrency.

        Retries on :class:`PreconditionFailed` / :class:`Conflict` (with jittered
        backoff) until it wins or :attr:`max_update_attempts` is spent (then
        :class:`TooManyConflicts`). Returns the stored document (``None`` if absent and
        left absent). ``mutate`` may change the document it is given and return it; a
        mutator that returns ``None`` (no write) must leave it as it found it.
        """
        for attempt in range(self.max_update_attempts):
            if attempt:
                ceiling = min(self.update_backoff_cap_s, self.update_backoff_base_s * 2 ** (attempt - 1))
                time.sleep(random.random() * ceiling)  # noqa: S311 - jitter, not security
            current = self.read(container, pk, doc_id)
            etag = current["_etag"] if current is not None else None
            given = current if current is None or self.fresh_reads else _copy(current)
            new = mutate(given)
            if new is None:
                return current
            new = {k: v for k, v in new.items() if not k.startswith("_")}
            new["id"] = doc_id
            new[PARTITION_KEYS[container]] = pk
            try:
                if etag is None:
                    return self.create(container, new)
                return self.replace(container, new, etag)
            except (PreconditionFailed, Conflict):
                continue
        raise TooManyConflicts(container, doc_id, self.max_update_attempts)

    def query_all(
        self,
        container: str,
        *,
        pk: str | None = None,
        where: tuple[Filter, ...] = (),
        order_by: OrderBy | None = None,
        page_size: int = 100,
        max_items: int | None = None,
    ) -> Iterator[Doc]:
        """Every matching document, page by page."""
        token: str | None = None
        seen = 0
        while True:
            page = self.query(container, pk=pk, where=where, order_by=order_by, limit=page_size, continuation=token)
            for item in page.items:
                yield item
                seen += 1
                if max_items is not None and seen >= max_items:
                    return
            token = page.continuation
            if not token:
                return


def _copy(doc: Doc) -> Doc:
    """An independent copy of a stored document. Stored documents are JSON by contract, so a
    JSON round trip is an exact copy, and several times cheaper than ``copy.deepcopy`` (which
    was 60% of the graph stage's time on documents with hundreds of edges)."""
    import json

    copied: Doc = json.loads(json.dumps(doc, ensure_ascii=False, allow_nan=False))
    return copied
