"""The document store: the interface, and the process-wide instance.

Importing this package is cheap: it loads neither SQLite work nor ``azure.cosmos``.
:func:`get_store` builds the configured backend on first use (``PSS_STORE__BACKEND``);
:func:`set_store` swaps it (tests, the dev host).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .base import (
    ATTACKS,
    AUDIT,
    CONTAINERS,
    GRAPH,
    PARTITION_KEYS,
    PATTERNS,
    PROCESSED,
    PROMPTS,
    USERS,
    BatchOp,
    BatchReport,
    Conflict,
    Doc,
    Filter,
    Mutator,
    Op,
    OrderBy,
    Page,
    PreconditionFailed,
    Store,
    StoreError,
    Throttled,
    TooManyConflicts,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Settings

__all__ = [
    "ATTACKS",
    "AUDIT",
    "CONTAINERS",
    "GRAPH",
    "PARTITION_KEYS",
    "PATTERNS",
    "PROCESSED",
    "PROMPTS",
    "USERS",
    "BatchOp",
    "BatchReport",
    "Conflict",
    "Doc",
    "Filter",
    "Mutator",
    "Op",
    "OrderBy",
    "Page",
    "PreconditionFailed",
    "Store",
    "StoreError",
    "Throttled",
    "TooManyConflicts",
    "build_store",
    "get_store",
    "set_store",
]

_store: Store | None = None
_lock = threading.Lock()


def build_store(settings: Settings) -> Store:
    """A new store for ``settings`` (the caller owns it; prefer :func:`get_store`)."""
    if settings.store.backend == "cosmos":
        from .cosmos import CosmosStore

        return CosmosStore(settings.store, embedding_dimensions=settings.semantic.embedding_dimensions)
    from .sqlite import SqliteStore

    return SqliteStore(settings.store.sqlite_path)


def get_store() -> Store:
    """The process-wide store, built from :func:`shared.config.get_settings` on first use."""
    global _store
    store = _store
    if store is None:
        with _lock:
            if _store is None:
                from ..config import get_settings

                _store = build_store(get_settings())
            store = _store
    return store


def set_store(store: Store | None) -> None:
    """Replace the process-wide store; ``None`` rebuilds it lazily. The old one is not closed."""
    global _store
    with _lock:
        _store = store
