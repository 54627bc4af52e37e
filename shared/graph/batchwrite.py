"""Several graph nodes changed together: one read of all of them, one batch of writes.

The graph stage used to run a read-modify-write (``Store.update``) per node: two store
round trips for each of the prompt, user, pattern, input and bucket nodes of a message.
Here every node a step touches is read with one ``read_many``, changed locally by its
mutator, and written back with one ``Store.batch`` (replace with the etag it was read
with, or create). If any write loses a race the whole step is re-read and re-applied:
the mutators are idempotent (members and edges are sets, counters are guarded by the
message id), so a part that already landed (Cosmos applies partition groups
independently) is not applied twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

from ..stores.base import GRAPH, BatchOp, Conflict, Doc, Mutator, PreconditionFailed, Store, TooManyConflicts, _copy


def apply_nodes(
    store: Store,
    mutators: dict[str, Mutator],
    fresh: frozenset[str] = frozenset(),
    known: Mapping[str, Doc] | None = None,
    prepare: Callable[[Mapping[str, Doc]], None] | None = None,
) -> dict[str, Doc]:
    """Apply ``mutators`` (node id -> mutator) in one read and one batch; returns each
    node as written (with its new ``_etag`` when the store reports it), or as read when its
    mutator wrote nothing (``{}`` when absent).

    ``fresh``: nodes that almost surely do not exist yet (a new prompt's own node): the
    first attempt creates them without reading them; if one does exist (a redelivery),
    the create conflicts and the retry reads everything. ``known``: nodes the caller has
    just read or written (with their ``_etag``): the first attempt uses them instead of a
    read; a stale one fails its etag check and the retry reads everything. ``prepare`` sees
    every node of an attempt as read (not to be changed) before the mutators run."""
    if not mutators:
        return {}
    keys = [(nid, nid) for nid in mutators]
    known = {nid: doc for nid, doc in (known or {}).items() if nid in mutators and doc.get("_etag")}
    for attempt in range(store.max_update_attempts):
        if attempt:
            ceiling = min(store.update_backoff_cap_s, store.update_backoff_base_s * 2 ** (attempt - 1))
            time.sleep(random.random() * ceiling)  # noqa: S311 - jitter, not security
        wanted = keys if attempt else [k for k in keys if k[0] not in fresh and k[0] not in known]
        current = {doc["id"]: doc for doc in store.read_many(GRAPH, wanted)} if wanted else {}
        if not attempt:
            current.update({nid: _copy(doc) for nid, doc in known.items()})
        if prepare is not None:
            prepare(current)
        ops: list[BatchOp] = []
        result: dict[str, Doc] = {}
        for nid, mutate in mutators.items():
            doc = current.get(nid)
            etag = doc["_etag"] if doc is not None else None
            given = doc if doc is None or store.fresh_reads or (nid in known and not attempt) else _copy(doc)
            new = mutate(given)
            if new is None:
                result[nid] = doc or {}
                continue
            new = {k: v for k, v in new.items() if not k.startswith("_")}
            new["id"] = nid
            ops.append(BatchOp("create", GRAPH, new) if etag is None else BatchOp("replace", GRAPH, new, etag=etag))
            result[nid] = new
        try:
            stored = store.batch(ops)
        except (PreconditionFailed, Conflict):
            continue
        for op, doc in zip(ops, stored, strict=False):
            if doc is not None and op.doc is not None and doc.get("_etag"):
                result[op.doc["id"]] = doc
        return result
    raise TooManyConflicts(GRAPH, keys[0][1], store.max_update_attempts)
