"""Who may teach the known-attack index, and how an operator oversees what it learned.

One caller's text alone never makes an entry live: anyone with a function key could
otherwise glue a known attack to a harmless text and have that text blocked for every
tenant (issue 11, probe 2). A learned entry starts as a *candidate* and becomes *active*
(served by the index) on evidence that does not rest on one caller alone:

* ``critical_rule``: critical rules cover at least ``min_critical_coverage`` of the text,
  so its embedding stands for the attack rather than for what was glued to it;
* ``judge``: the LLM judge called it an attack;
* ``tenants``: the same text (keyed hash) came as an attack from ``min_tenants`` tenants,
  with an attack rule firing on it (the classifier alone is not enough);
* ``operator``: confirmed through ``POST /manage/known-attacks/{id}/confirm``.

Every entry carries its provenance (sources, hashed tenants, counts) and expires after
``learned_ttl_days`` (``confirmed_ttl_days`` once confirmed). Each tenant may hold at
most ``max_learned_per_tenant`` entries at a time (candidates included), so a flood
from one key fills its own quota and nothing else; seeded entries are never evicted
(``LocalIndex``). A removed entry stays a tombstone for the TTL, so the same text
cannot be re-learned at once, and every instance's sync drops it.
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import TYPE_CHECKING, Any

from ..errors import ErrorCode, InputError, ServiceError
from ..params import int_param
from ..stores.base import ATTACKS, PATTERNS, Doc, Filter, Store

if TYPE_CHECKING:
    from ..config import Settings
    from .update import GraphMessage

QUOTA_KIND = "attack_quota"
MAX_APPLIED = 64
STATUSES = ("candidate", "active", "removed")
_PUBLIC = ("id", "status", "sources", "count", "first_at", "last_at", "expires_at", "threats", "rule_ids")


def _tenant_hash(tenant: str) -> str:
    from ..secrets import keyed_hash

    return keyed_hash("tenant:" + tenant)[:16]


def _quota_key(aid: str) -> str:
    """An entry's key in its tenant's quota document: 8 characters of a digest of its id (48
    bits: no collision among a quota's entries). The document is replaced on every new entry
    and holds up to ``max_learned_per_tenant`` of them: the full id and a float time made it
    more than twice as large (issue 14). A key that is no ``attack:`` id is already short."""
    if not aid.startswith("attack:"):
        return aid
    digest = hashlib.blake2b(aid.encode("utf-8"), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _within_quota(store: Store, settings: Settings, tenant_hash: str, aid: str, now: float) -> bool:
    """Charge ``aid`` to the tenant's quota of learned entries; False when it is full."""
    cfg = settings.learning
    ttl = cfg.learned_ttl_days * 86_400
    verdict = {"ok": False}

    def mut(doc: Doc | None) -> Doc | None:
        node = doc or {"id": f"quota:{tenant_hash}", "kind": QUOTA_KIND, "entries": {}}
        entries: dict[str, int] = {}
        for k, v in node.get("entries", {}).items():  # full ids and float times: older documents
            if v >= now - ttl:
                entries[_quota_key(k)] = max(entries.get(_quota_key(k), 0), int(v))
        key = _quota_key(aid)
        if key not in entries and len(entries) >= cfg.max_learned_per_tenant:
            verdict["ok"] = False
            return None
        verdict["ok"] = True
        entries[key] = int(now)
        node["entries"] = entries
        node["ttl"] = ttl
        return node

    store.update(PATTERNS, QUOTA_KIND, f"quota:{tenant_hash}", mut)
    return verdict["ok"]


def offer(store: Store, settings: Settings, msg: GraphMessage, message_id: str) -> bool:
    """Record an attack seen by the graph stage; True when it is (now) an active entry."""
    cfg = settings.learning
    now = time.time()
    aid = f"attack:{msg.input_hash}"
    tenant_hash = _tenant_hash(msg.tenant)
    if not _within_quota(store, settings, tenant_hash, aid, now):
        return False

    def mut(doc: Doc | None) -> Doc | None:
        if doc is not None and doc.get("status") == "removed":
            return None  # an operator removed it: only an operator brings it back
        node = doc or {"id": aid, "learned": True, "first_at": msg.at, "count": 0, "applied": [], "tenants": []}
        applied: list[str] = node.setdefault("applied", [])
        if message_id in applied:
            return None
        applied.append(message_id)
        del applied[:-MAX_APPLIED]
        tenants = sorted(set(node.get("tenants", [])) | {tenant_hash})
        sources = set(node.get("sources", []))
        if msg.critical_coverage >= cfg.min_critical_coverage:
            sources.add("critical_rule")
        if msg.judge_attack:
            sources.add("judge")
        if len(tenants) >= cfg.min_tenants and msg.rule_ids:
            # Rules, not the classifier alone: two tenants sending the same greeting that the
            # classifier over-rates must not make every text near it an attack.
            sources.add("tenants")
        status = "active" if sources else "candidate"
        days = cfg.confirmed_ttl_days if "operator" in sources else cfg.learned_ttl_days
        node.update(
            {
                "learned": True,
                "status": status,
                "sources": sorted(sources),
                "tenants": tenants[-1_000:],
                "count": int(node.get("count", 0)) + 1,
                "last_at": msg.at,
                "at": now,  # the sync watermark: every change moves it forward
                "expires_at": now + days * 86_400,
                "ttl": days * 86_400,
                "threats": sorted(set(node.get("threats", [])) | set(msg.threats)),
                "rule_ids": sorted(set(node.get("rule_ids", [])) | set(msg.rule_ids[:8]))[:16],
                "embedding": node.get("embedding") or msg.embedding,
                "meta": {"source": "learned", "sources": sorted(sources), "threats": msg.threats},
            }
        )
        return node

    stored = store.update(ATTACKS, aid, aid, mut)
    return bool(stored and stored.get("status") == "active")


def _public(doc: Doc) -> dict[str, Any]:
    out = {k: doc[k] for k in _PUBLIC if k in doc}
    out["tenants"] = len(doc.get("tenants", []))
    return out


def _entry(store: Store, attack_id: str) -> Doc:
    if not attack_id.startswith("attack:") or len(attack_id) > 200:
        raise InputError(ErrorCode.VALIDATION_FAILED, "not a learned known-attack id (attack:<hash>)")
    doc = store.read(ATTACKS, attack_id, attack_id)
    if doc is None or not doc.get("learned", doc.get("meta", {}).get("source") == "graph"):
        raise ServiceError(ErrorCode.NOT_FOUND, "no learned known attack with this id", status=404)
    return doc


def list_entries(store: Store, params: dict[str, str]) -> dict[str, Any]:
    """``GET /manage/known-attacks?status=&limit=``: learned entries, newest change first."""
    status = params.get("status")
    if status is not None and status not in STATUSES:
        raise InputError(ErrorCode.VALIDATION_FAILED, "status must be candidate, active or removed")
    limit = int_param(params, "limit", 100, 1, 1_000)
    where = (Filter("learned", "=", True),) + ((Filter("status", "=", status),) if status else ())
    entries = [_public(d) for d in store.query_all(ATTACKS, where=where, max_items=limit)]
    entries.sort(key=lambda e: -float(e.get("last_at") or 0.0))
    return {"entries": entries, "count": len(entries)}


def confirm(store: Store, settings: Settings, attack_id: str, now: float) -> dict[str, Any]:
    """Operator confirmation: active for ``confirmed_ttl_days``, also after a removal."""
    _entry(store, attack_id)
    ttl = settings.learning.confirmed_ttl_days * 86_400

    def mut(doc: Doc | None) -> Doc | None:
        if doc is None:
            return None
        doc.update(
            {
                "learned": True,
                "status": "active",
                "sources": sorted(set(doc.get("sources", [])) | {"operator"}),
                "at": now,
                "expires_at": now + ttl,
                "ttl": ttl,
            }
        )
        doc["meta"] = {**doc.get("meta", {}), "sources": doc["sources"]}
        return doc

    stored = store.update(ATTACKS, attack_id, attack_id, mut)
    if stored is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "no learned known attack with this id", status=404)
    return _public(stored)


def remove(store: Store, settings: Settings, attack_id: str, now: float) -> dict[str, Any]:
    """Operator removal: a tombstone kept for ``learned_ttl_days`` (the vector stays, so a
    mistaken removal can be undone by a confirmation; the index never serves it)."""
    _entry(store, attack_id)
    ttl = settings.learning.learned_ttl_days * 86_400

    def mut(doc: Doc | None) -> Doc | None:
        if doc is None:
            return None
        doc.update({"learned": True, "status": "removed", "at": now, "expires_at": now + ttl, "ttl": ttl})
        return doc

    stored = store.update(ATTACKS, attack_id, attack_id, mut)
    if stored is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "no learned known attack with this id", status=404)
    return _public(stored)
