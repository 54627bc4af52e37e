"""The reputation-decay stage (timer): bring every non-baseline profile up to now.

Pages through the ``users`` container with a keyset query on ``away = true`` (users
below baseline or blocked), ordered by id, ``decay_page_size`` at a time, so its cost
follows the number of users who misbehaved, not the number of users. Each profile is
moved with :func:`shared.reputation.decay_profile` (ETag read-modify-write; writes
only if something changed), which makes the job idempotent: run it twice for the
same instant and the second run writes nothing; interrupt it and the next run picks
up where the data says, not where the job was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .config import Settings
from .reputation import decay_profile
from .stores.base import USERS, Filter, OrderBy, Store


@dataclass(slots=True)
class DecayReport:
    pages: int = 0
    examined: int = 0
    updated: int = 0
    unblocked: int = 0
    back_to_baseline: int = 0
    purged: int = 0
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def run_decay(
    store: Store, settings: Settings, now: float | None = None, *, max_pages: int | None = None
) -> DecayReport:
    started = time.perf_counter()
    now = time.time() if now is None else now
    cfg = settings.reputation
    report = DecayReport()
    last_id = ""
    while max_pages is None or report.pages < max_pages:
        where = (Filter("away", "=", True), Filter("id", ">", last_id))
        page = store.query(USERS, where=where, order_by=OrderBy("id"), limit=cfg.decay_page_size)
        report.pages += 1
        if not page.items:
            break
        for doc in page.items:
            last_id = doc["id"]
            report.examined += 1
            was_blocked = doc.get("blocked_until") is not None
            updated = decay_profile(store, doc["user_id"], cfg, now)
            if updated is None:
                continue
            if updated.to_doc() != {k: v for k, v in doc.items() if not k.startswith("_")}:
                report.updated += 1
            if was_blocked and updated.blocked_until is None:
                report.unblocked += 1
            if not updated.away:
                report.back_to_baseline += 1
        if len(page.items) < cfg.decay_page_size:
            break
    purge = getattr(store, "purge_expired", None)
    if callable(purge):  # SQLite hides expired documents; this reclaims their space
        report.purged = int(purge())
    report.elapsed_ms = (time.perf_counter() - started) * 1e3
    return report
