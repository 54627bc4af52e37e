"""The graph documents the analyze stage just read, kept for the graph stage of the same message.

An attack's analysis reads its LSH bucket documents and its input node (``lookup.py``);
its graph-update message, moments later, used to read the same documents again before
writing them (issue 14: eight of an attack's reads). When both stages run in one process
(the dev host; a Functions instance that takes the queue message it just sent) the graph
stage takes them from here instead, once, and writes with the etags they were read with.

Nothing here can make a write wrong: a document changed in between fails its etag check
(or, absent then and created since, its create conflicts) and ``batchwrite.apply_nodes``
reads everything again, as it does after any lost race. Entries are used once, kept
:data:`MAX_AGE_S` at most and :data:`MAX_ENTRIES` in all, and keyed by the store object,
so another store (a test's) never sees them. Another process simply finds nothing.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

from ..stores.base import Doc, Store

MAX_ENTRIES = 1024
MAX_AGE_S = 60.0

_lock = threading.Lock()
_entries: OrderedDict[tuple[int, str], tuple[float, Doc | None]] = OrderedDict()


def remember(store: Store, ids: Iterable[str], found: Iterable[Doc]) -> None:
    """Note what a read of ``ids`` returned (``found``; the others were absent)."""
    docs = {doc["id"]: doc for doc in found}
    now = time.monotonic()
    with _lock:
        for doc_id in ids:
            key = (id(store), doc_id)
            _entries.pop(key, None)
            _entries[key] = (now, docs.get(doc_id))
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def take(store: Store, ids: Iterable[str]) -> tuple[dict[str, Doc], set[str]]:
    """The remembered documents among ``ids`` (removed from here): ``(found, absent)``."""
    found: dict[str, Doc] = {}
    absent: set[str] = set()
    oldest = time.monotonic() - MAX_AGE_S
    with _lock:
        for doc_id in ids:
            entry = _entries.pop((id(store), doc_id), None)
            if entry is None or entry[0] < oldest:
                continue
            if entry[1] is None:
                absent.add(doc_id)
            else:
                found[doc_id] = entry[1]
    return found, absent


def clear() -> None:
    with _lock:
        _entries.clear()
