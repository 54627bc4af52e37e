"""Pattern (rule) nodes, split into shards so that no one document takes every hit.

Every analysed prompt that fires a rule used to update ``pattern:<rule_id>``: one
document that all graph handlers wrote, with a counter, recent edges and the message ids
applied. Under load it was the stage's ETag hot spot (and, with its applied-id list, one
of its largest documents). Now each message writes one of :data:`SHARDS` shard documents
(``pattern:<rule_id>~<k>``, ``k`` from a hash of the message id, so a redelivery meets the
same shard and its applied-id guard). Readers get the node summed over the shards (and
any ``pattern:<rule_id>`` document written before the split) with one ``read_many``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..stores.base import GRAPH, Doc, Store
from .lookup import pattern_node_id

SHARDS = 8
MAX_EDGES = 50  # most recent matched_by edges in the summed view (and per shard)


def shard_id(rule_id: str, message_id: str) -> str:
    k = int.from_bytes(hashlib.blake2b(message_id.encode("utf-8"), digest_size=2).digest(), "big") % SHARDS
    return f"{pattern_node_id(rule_id)}~{k}"


def read_pattern(store: Store, node_id: str) -> Doc | None:
    """The pattern node ``pattern:<rule_id>`` summed over its shards; ``None`` if never hit."""
    keys = [(node_id, node_id)] + [(f"{node_id}~{k}", f"{node_id}~{k}") for k in range(SHARDS)]
    docs = store.read_many(GRAPH, keys)
    if not docs:
        return None
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in docs:
        for edge in doc.get("edges", []):
            key = (edge["to"], edge["kind"])
            if key not in edges or edge.get("at", 0.0) > edges[key].get("at", 0.0):
                edges[key] = edge
    recent = sorted(edges.values(), key=lambda e: e.get("at", 0.0))[-MAX_EDGES:]
    rule_id = next((d["rule_id"] for d in docs if d.get("rule_id")), node_id.removeprefix("pattern:"))
    return {
        "id": node_id,
        "kind": "pattern",
        "rule_id": rule_id,
        "hits": sum(int(d.get("hits", 0)) for d in docs),
        "last_at": max(float(d.get("last_at", 0.0)) for d in docs),
        "edges": recent,
    }
