"""Read-only views for the operator console (``GET /api/console/views/{view}``, master key).

The console needs three things the public routes do not give in one call:

* ``graph``: the neighbourhood of the most recent campaigns (campaign, user, prompt and
  pattern nodes with their edges), bounded by ``campaigns`` x ``prompts`` point reads;
* ``decisions``: the most recent analyses from the audit trail, metadata only (the audit
  trail never holds prompt text, so nothing here can leak it);
* ``users``: recently seen users with reputation, violations and block state.

Kept apart from ``service.py`` so the console can grow without touching the API routes.
"""

from __future__ import annotations

import time
from typing import Any

from .config import Settings
from .errors import ErrorCode, InputError, ServiceError
from .params import int_param
from .stores.base import AUDIT, GRAPH, PATTERNS, USERS, Filter, OrderBy, Store
from .tenancy import tenant_of, unscope

VIEWS = ("graph", "decisions", "users")
_DECISIONS = ("allow", "sanitize", "block", "warn", "allow_and_log")
_DECISION_FIELDS = (
    "at",
    "user_id",
    "prompt_id",
    "decision",
    "risk",
    "risk_level",
    "threats",
    "rule_ids",
    "duration_ms",
)
_PROMPT_FIELDS = ("risk", "risk_level", "decision", "threats", "rule_ids", "at", "attack")
_EDGE_KINDS = {"sent_by", "matched", "near_duplicate"}


def console_view(store: Store, settings: Settings, view: str, params: dict[str, str]) -> dict[str, Any]:
    """Dispatch one console view; unknown names are a 404 with the known ones listed."""
    if view == "graph":
        return graph_overview(store, params)
    if view == "decisions":
        return recent_decisions(store, params)
    if view == "users":
        return recent_users(store, settings, params)
    raise ServiceError(ErrorCode.NOT_FOUND, "unknown console view", status=404, details={"views": list(VIEWS)})


def graph_overview(store: Store, params: dict[str, str]) -> dict[str, Any]:
    """Nodes and edges around the latest campaigns (or one, with ``campaign=<id>``)."""
    limit = int_param(params, "campaigns", 10, 1, 50)
    per_campaign = int_param(params, "prompts", 40, 1, 200)
    wanted = params.get("campaign")
    if wanted:
        camp = store.read(PATTERNS, "campaign", wanted)
        if camp is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "no campaign with this id", status=404)
        campaigns = [camp]
    else:
        page = store.query(PATTERNS, pk="campaign", order_by=OrderBy("last_at", descending=True), limit=limit)
        campaigns = page.items
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}

    def edge(src: str, dst: str, kind: str) -> None:
        edges.setdefault((src, dst, kind), {"from": src, "to": dst, "kind": kind})

    prompt_ids: list[str] = []
    prompt_campaigns: dict[str, set[str]] = {}
    for camp in campaigns:
        cid = f"campaign:{camp['id']}"
        nodes[cid] = {
            "id": cid,
            "kind": "campaign",
            "label": f"campaign {camp['id'][:8]}",
            "users": int(camp.get("user_count", len(camp.get("users", [])))),  # the list is bounded
            "prompts": camp.get("size", len(camp.get("prompts", []))),
            "threats": camp.get("threats", []),
            "last_at": camp.get("last_at"),
        }
        # Campaign documents hold keyed user hashes, not ids: members are found through
        # the senders of the campaign's prompts below.
        for pid in camp.get("prompts", [])[-per_campaign:]:
            node_id = f"prompt:{pid}"
            prompt_ids.append(node_id)
            prompt_campaigns.setdefault(node_id, set()).add(cid)
            edge(node_id, cid, "in_campaign")
    stored = store.read_many(GRAPH, [(p, p) for p in dict.fromkeys(prompt_ids)])
    present = {doc["id"] for doc in stored}
    for doc in stored:
        nodes[doc["id"]] = {
            "id": doc["id"],
            "kind": "prompt",
            "label": f"prompt {doc['id'].split(':', 1)[-1][:8]}",
            **{k: doc[k] for k in _PROMPT_FIELDS if k in doc},
        }
    for doc in stored:
        for e in doc.get("edges", []):
            kind, dst = e.get("kind"), e.get("to", "")
            if kind not in _EDGE_KINDS:
                continue
            if kind == "matched":
                nodes.setdefault(dst, {"id": dst, "kind": "pattern", "label": dst.split(":", 1)[-1]})
            elif kind == "sent_by":
                scoped = dst.split(":", 1)[-1]
                nodes.setdefault(
                    dst, {"id": dst, "kind": "user", "label": unscope(scoped), "tenant": tenant_of(scoped)}
                )
                for cid in prompt_campaigns.get(doc["id"], ()):
                    edge(dst, cid, "member_of")
            elif dst not in present:
                continue  # a near-duplicate outside the view: no dangling edge
            if kind == "near_duplicate" and (dst, doc["id"], kind) in edges:
                continue  # the same similarity, seen from the other end
            edge(doc["id"], dst, kind)
    # Prompts listed by a campaign but already expired from the graph: drop their edges.
    kept = [e for e in edges.values() if e["from"] in nodes and e["to"] in nodes]
    return {"nodes": list(nodes.values()), "edges": kept, "campaigns": len(campaigns)}


def recent_decisions(store: Store, params: dict[str, str]) -> dict[str, Any]:
    """The latest analyses, newest first, optionally one decision only; never prompt text."""
    limit = int_param(params, "limit", 50, 1, 200)
    decision = params.get("decision")
    where: tuple[Filter, ...] = ()
    if decision:
        if decision not in _DECISIONS:
            raise InputError(
                ErrorCode.VALIDATION_FAILED,
                f"decision must be one of {', '.join(_DECISIONS)}",
                details={"field": "decision"},
            )
        where = (Filter("decision", "=", decision),)
    page = store.query(AUDIT, where=where, order_by=OrderBy("at", descending=True), limit=limit)
    return {"decisions": [_unscoped({k: ev[k] for k in _DECISION_FIELDS if k in ev}) for ev in page.items]}


def _unscoped(row: dict[str, Any]) -> dict[str, Any]:
    """Stored user ids are ``<tenant>~<user>``: show the user id and its tenant apart."""
    if "user_id" in row:
        scoped = row["user_id"]
        row["user_id"], row["tenant"] = unscope(scoped), tenant_of(scoped)
    return row


def recent_users(store: Store, settings: Settings, params: dict[str, str]) -> dict[str, Any]:
    """Recently seen users with their reputation as of now (decay applied, nothing written)."""
    from .reputation import UserProfile, apply_decay

    limit = int_param(params, "limit", 50, 1, 200)
    page = store.query(USERS, order_by=OrderBy("last_seen", descending=True), limit=limit)
    now = time.time()
    users = [
        _unscoped(apply_decay(UserProfile.from_doc(doc), now, settings.reputation).to_public(now)) for doc in page.items
    ]
    return {"users": users}
