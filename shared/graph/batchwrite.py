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

from ..stores.base import GRAPH, BatchOp, Conflict, Doc, Mutator, PreconditionFailed, Store, TooManyConflicts, _copy


def apply_nodes(store: Store, mutators: dict[str, Mutator], fresh: frozenset[str] = frozenset()) -> dict[str, Doc]:
    """Apply ``mutators`` (node id -> mutator) in one read and one batch; returns each
    node as written (or as read when its mutator wrote nothing; ``{}`` when absent).

    ``fresh``: nodes that almost surely do not exist yet (a new prompt's own node): the
    first attempt creates them without reading them; if one does exist (a redelivery),
    the create conflicts and the retry reads everything."""
    if not mutators:
        return {}
    keys = [(nid, nid) for nid in mutators]
    for attempt in range(store.max_update_attempts):
        if attempt:
            ceiling = min(store.update_backoff_cap_s, store.update_backoff_base_s * 2 ** (attempt - 1))
            time.sleep(random.random() * ceiling)  # noqa: S311 - jitter, not security
        wanted = keys if attempt else [k for k in keys if k[0] not in fresh]
        current = {doc["id"]: doc for doc in store.read_many(GRAPH, wanted)} if wanted else {}
        ops: list[BatchOp] = []
        result: dict[str, Doc] = {}
        for nid, mutate in mutators.items():
            doc = current.get(nid)
            etag = doc["_etag"] if doc is not None else None
            given = doc if doc is None or store.fresh_reads else _copy(doc)
            new = mutate(given)
            if new is None:
                result[nid] = doc or {}
                continue
            new = {k: v for k, v in new.items() if not k.startswith("_")}
            new["id"] = nid
            ops.append(BatchOp("create", GRAPH, new) if etag is None else BatchOp("replace", GRAPH, new, etag=etag))
            result[nid] = new
        try:
            store.batch(ops)
        except (PreconditionFailed, Conflict):
            continue
        return result
    raise TooManyConflicts(GRAPH, keys[0][1], store.max_update_attempts)
