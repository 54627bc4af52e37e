"""Which fields each Cosmos DB container indexes: only the ones its queries filter or sort on.

By default Cosmos DB indexes every path of every document, and every indexed path adds to
the RU charge of each write (a replace pays for removing the old terms too). The graph
container is written on every analysed prompt and is never queried (point reads and
``read_items`` only), and a bucket document holds 64 members of four fields each: indexing
it all was most of the stage's write RU (issue 14). So containers that are written on the
hot path index only what the store's queries use:

* ``graph``, ``processed``: nothing (point operations only);
* ``prompts``: ``user_id`` (a user's history, by partition);
* ``audit``: ``user_id``, ``at`` (metrics window, console order), ``tenant`` (metrics per
  tenant), ``decision`` (console filter);
* ``users`` (profiles, replaced on every analysis): ``user_id``, ``away`` (the decay run)
  and ``last_seen`` (the console's list);
* ``patterns``: ``kind`` (its partition key: rules, campaigns...), ``tenant`` and ``last_at``
  (the campaign list). A campaign document, with up to 500 prompt ids and its users'
  hashes, is replaced on every prompt that joins it: indexing every entry was most of that.

``id`` (and ``_ts``) are always indexed by Cosmos DB under consistent indexing, so lookups
and the store's default ``ORDER BY id`` paging still work. ``attacks`` keeps the default
(every path but its vectors): it is rarely written and queried on several fields.

One source for the policy: ``cosmos.py`` creates containers with it, the Bicep template
declares the same (``tests/infra/test_bicep.py`` checks that they agree), and the RU
estimate (``tests/bench/store_cost.py``) counts indexed paths from it. A new query on a
field of a narrowed container must add the field here.
"""

from __future__ import annotations

from typing import Any

from .base import AUDIT, GRAPH, PATTERNS, PROCESSED, PROMPTS, USERS

#: Container -> the top-level fields it indexes; containers not listed index every path.
INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    GRAPH: (),
    PROCESSED: (),
    PROMPTS: ("user_id",),
    AUDIT: ("user_id", "at", "tenant", "decision"),
    PATTERNS: ("kind", "tenant", "last_at"),
    USERS: ("user_id", "away", "last_seen"),
}

_ETAG = '/"_etag"/?'


def indexing_policy(container: str) -> dict[str, Any]:
    """The Cosmos DB indexing policy (JSON) of ``container``, vector settings aside."""
    fields = INDEXED_FIELDS.get(container)
    if fields is None:
        return {
            "indexingMode": "consistent",
            "automatic": True,
            "includedPaths": [{"path": "/*"}],
            "excludedPaths": [{"path": _ETAG}],
        }
    return {
        "indexingMode": "consistent",
        "automatic": True,
        "includedPaths": [{"path": f"/{field}/?"} for field in fields],
        "excludedPaths": [{"path": "/*"}, {"path": _ETAG}],
    }


def indexed_fields(container: str) -> tuple[str, ...] | None:
    """The top-level fields ``container`` indexes, or ``None`` for every path."""
    return INDEXED_FIELDS.get(container)
