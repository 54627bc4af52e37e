"""The known-attack index: "have we seen something like this before?"

A prompt close to a confirmed attack raises its risk even when no rule fires: this is
how a reworded jailbreak that slipped past the patterns once is caught the second
time. Vectors come from the configured embedder (Azure OpenAI in Azure, the local
hashed n-gram embedding otherwise).

Two implementations of one interface:

* :class:`LocalIndex`: in-process, exact nearest neighbours by a matrix-vector product
  over L2-normalised float32 rows; bounded by ``max_vectors`` and ``max_bytes``
  (the oldest *learned* entries are evicted first; seeded ones never). Seeded from the
  built-in rule examples and grown through the store's ``attacks`` container with the
  entries ``shared/graph/learning.py`` has made *active* (candidates, removed and
  expired entries are never served).
* :class:`CosmosVectorIndex`: the same queries answered by Cosmos DB vector search
  (``VectorDistance``) over the ``attacks`` container, for deployments where the
  index outgrows one process.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

Embed = Callable[[str], np.ndarray]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Neighbour:
    id: str
    similarity: float
    meta: dict[str, Any] = field(default_factory=dict)


class KnownAttackIndex(Protocol):
    dims: int

    def add(self, attack_id: str, vector: np.ndarray, meta: dict[str, Any] | None = None) -> None: ...

    def query(self, vector: np.ndarray, k: int = 3) -> list[Neighbour]: ...

    def __len__(self) -> int: ...


class LocalIndex:
    """Exact cosine nearest neighbours in memory, with a hard size budget.

    Entries whose meta says ``"source": "builtin"`` (seeded from the rule examples) are
    pinned: when the index is full a learned entry evicts the oldest *learned* entry,
    never a seeded one, and is refused when only seeded entries are left.
    """

    def __init__(self, dims: int, *, max_vectors: int = 50_000, max_bytes: int = 128 << 20) -> None:
        self.dims = dims
        self.capacity = max(0, min(max_vectors, max_bytes // (4 * dims) if dims else 0))
        self._lock = threading.Lock()
        self._matrix = np.zeros((min(self.capacity, 1024), dims), dtype=np.float32)
        self._ids: list[str] = []
        self._meta: list[dict[str, Any]] = []
        self._positions: dict[str, int] = {}
        self._learned: OrderedDict[str, None] = OrderedDict()  # eviction order, oldest first

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, attack_id: object) -> bool:
        return attack_id in self._positions

    @property
    def nbytes(self) -> int:
        return int(self._matrix.nbytes)

    @property
    def learned_count(self) -> int:
        return len(self._learned)

    def add(self, attack_id: str, vector: np.ndarray, meta: dict[str, Any] | None = None) -> None:
        if self.capacity == 0:
            return
        vec = _unit(vector, self.dims)
        pinned = (meta or {}).get("source") == "builtin"
        with self._lock:
            if attack_id in self._positions:
                pos = self._positions[attack_id]
                self._matrix[pos] = vec
                self._meta[pos] = dict(meta or {})
                if not pinned:
                    self._learned.pop(attack_id, None)
                    self._learned[attack_id] = None
                return
            if len(self._ids) >= self.capacity:
                if not self._learned:
                    return  # only seeded entries left: a learned one never displaces them
                self._remove_locked(next(iter(self._learned)))
            pos = len(self._ids)
            if pos >= self._matrix.shape[0]:
                grown = np.zeros((min(self.capacity, self._matrix.shape[0] * 2), self.dims), np.float32)
                grown[: self._matrix.shape[0]] = self._matrix
                self._matrix = grown
            self._ids.append(attack_id)
            self._meta.append(dict(meta or {}))
            self._matrix[pos] = vec
            self._positions[attack_id] = pos
            if not pinned:
                self._learned[attack_id] = None

    def remove(self, attack_id: str) -> bool:
        with self._lock:
            if attack_id not in self._positions:
                return False
            self._remove_locked(attack_id)
            return True

    def prune_expired(self, now: float) -> int:
        """Drop learned entries whose ``expires_at`` (meta) has passed."""
        expired = [
            i for i in list(self._learned) if float(self._meta[self._positions[i]].get("expires_at") or now) < now
        ]
        for attack_id in expired:
            self.remove(attack_id)
        return len(expired)

    def _remove_locked(self, attack_id: str) -> None:
        pos = self._positions.pop(attack_id)
        last = len(self._ids) - 1
        if pos != last:  # move the last row into the hole
            moved = self._ids[last]
            self._matrix[pos] = self._matrix[last]
            self._ids[pos] = moved
            self._meta[pos] = self._meta[last]
            self._positions[moved] = pos
        self._ids.pop()
        self._meta.pop()
        self._learned.pop(attack_id, None)

    def query(self, vector: np.ndarray, k: int = 3) -> list[Neighbour]:
        with self._lock:
            n = len(self._ids)
            if n == 0 or k <= 0:
                return []
            vec = _unit(vector, self.dims)
            sims = self._matrix[:n] @ vec
            k = min(k, n)
            top = np.argpartition(-sims, k - 1)[:k]
            top = top[np.argsort(-sims[top])]
            return [Neighbour(self._ids[i], float(max(0.0, min(1.0, sims[i]))), self._meta[i]) for i in top]


class CosmosVectorIndex:
    """Nearest neighbours through Cosmos DB vector search on the ``attacks`` container.

    ``container`` is an ``azure.cosmos`` ContainerProxy whose container has a vector
    embedding policy on ``/embedding`` (cosine) and a vector index (see
    ``bicep/modules/cosmos.bicep``). Cosine *distance* there is a similarity in
    [-1, 1] ordered descending, which is what we return.
    """

    QUERY = (
        "SELECT TOP @k c.id, c.meta, VectorDistance(c.embedding, @v) AS similarity "
        "FROM c WHERE c.meta.source = 'builtin' OR c.status = 'active' "
        "ORDER BY VectorDistance(c.embedding, @v)"
    )

    def __init__(self, container: Any, dims: int) -> None:
        self._container = container
        self.dims = dims

    def __len__(self) -> int:
        rows = list(self._container.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True))
        return int(rows[0]) if rows else 0

    def add(self, attack_id: str, vector: np.ndarray, meta: dict[str, Any] | None = None) -> None:
        self._container.upsert_item(
            {"id": attack_id, "embedding": _unit(vector, self.dims).tolist(), "meta": dict(meta or {})}
        )

    def query(self, vector: np.ndarray, k: int = 3) -> list[Neighbour]:
        params = [{"name": "@k", "value": int(k)}, {"name": "@v", "value": _unit(vector, self.dims).tolist()}]
        rows = self._container.query_items(self.QUERY, parameters=params, enable_cross_partition_query=True)
        return [
            Neighbour(str(r["id"]), float(max(0.0, min(1.0, r.get("similarity", 0.0)))), r.get("meta") or {})
            for r in rows
        ]


class FallbackIndex:
    """A remote index (Cosmos vector search) with an in-process index behind it.

    Additions go to both. Queries go to the remote index; when it fails (service
    unavailable, or a server without vector search such as the local emulator), the
    local index answers and :attr:`degraded` says so until the remote one recovers.
    """

    def __init__(self, remote: KnownAttackIndex, local: LocalIndex) -> None:
        self.remote = remote
        self.local = local
        self.dims = local.dims
        self.degraded: str | None = None

    def __len__(self) -> int:
        return len(self.local)

    def add(self, attack_id: str, vector: np.ndarray, meta: dict[str, Any] | None = None) -> None:
        self.local.add(attack_id, vector, meta)
        try:
            self.remote.add(attack_id, vector, meta)
        except Exception as exc:  # the local copy keeps the entry; the sync retries later
            self.degraded = type(exc).__name__

    def query(self, vector: np.ndarray, k: int = 3) -> list[Neighbour]:
        try:
            found = self.remote.query(vector, k)
        except Exception as exc:
            if self.degraded is None:
                log.warning("vector search unavailable (%s); using the in-process index", type(exc).__name__)
            self.degraded = type(exc).__name__
            return self.local.query(vector, k)
        self.degraded = None
        return found


class AttackSync:
    """Pulls the active learned attacks into an index, incrementally, and drops the rest.

    Every status change in ``learning.py`` moves the document's ``at`` forward, so the
    watermark sees confirmations, removals and demotions as well as new entries.
    """

    def __init__(self, store: Any, index: KnownAttackIndex, interval: float = 60.0) -> None:
        self.store = store
        self.index = index
        self.interval = interval
        self.watermark = 0.0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def maybe_sync(self, force: bool = False) -> int:
        import time

        from ..stores.base import ATTACKS, Filter, OrderBy

        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return 0
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            self._last = now
            added = 0
            # Behind a FallbackIndex the remote index *is* the attacks container: only the
            # in-process copy needs the entries (re-upserting would overwrite their status).
            target = getattr(self.index, "local", self.index)
            for doc in self.store.query_all(
                ATTACKS, where=(Filter("at", ">", self.watermark),), order_by=OrderBy("at"), max_items=5_000
            ):
                embedding = doc.get("embedding")
                live = doc.get("status") == "active" and float(doc.get("expires_at") or 0.0) > time.time()
                if live and isinstance(embedding, list) and len(embedding) == target.dims:
                    meta = {**(doc.get("meta") or {}), "expires_at": doc.get("expires_at")}
                    target.add(doc["id"], np.asarray(embedding, dtype=np.float32), meta)
                    added += 1
                elif not live and isinstance(target, LocalIndex):  # candidate, removed, expired or legacy
                    target.remove(doc["id"])
                self.watermark = max(self.watermark, float(doc.get("at", 0.0)))
            if isinstance(target, LocalIndex):
                target.prune_expired(time.time())
            return added
        finally:
            self._lock.release()


def _unit(vector: np.ndarray | Sequence[float], dims: int) -> np.ndarray:
    vec = np.asarray(vector, dtype=np.float32).reshape(-1)
    if vec.shape[0] != dims:
        raise ValueError(f"vector has {vec.shape[0]} dimensions, the index has {dims}")
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm else vec


def seed_from_rules(index: KnownAttackIndex, embed: Embed, rules: Sequence[Any]) -> int:
    """Add every built-in rule example to ``index``; returns how many were added."""
    added = 0
    for rule in rules:
        for i, example in enumerate(rule.examples):
            index.add(
                f"rule:{rule.id}:{i}",
                embed(example),
                {"source": "builtin", "rule_id": rule.id, "threat_type": rule.threat_type.value},
            )
            added += 1
    return added
