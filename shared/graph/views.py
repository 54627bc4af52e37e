"""``GET /api/graph/...``: read-only views of the attack graph for investigators.

* ``users/{user_id}``: the user's node, recent prompts (metadata only) and the
  campaigns they took part in;
* ``campaigns``: recent campaigns with size and threat types;
* ``campaigns/{id}``: one campaign with its users and prompts;
* ``nodes/{node_id}``: any node with its adjacency (``prompt:<id>``, ``pattern:<rule>``...).

Everything is point reads or bounded queries; nothing loads the whole graph.

Every view is scoped to the caller's tenant (``shared/tenancy.py``): user ids are read
as ``<tenant>~<user>``, other tenants' nodes and campaigns are "not found", and shared
pattern nodes are shown without their edges (they point at every tenant's prompts).
Campaign detail (members and prompts) needs the operator role; operators see every
tenant (``?tenant=`` narrows the campaign list).
"""

from __future__ import annotations

from typing import Any

from ..errors import ErrorCode, ServiceError
from ..params import int_param
from ..stores.base import GRAPH, PATTERNS, PROMPTS, Filter, OrderBy, Store
from ..tenancy import LOCAL_CALLER, Caller, tenant_in_view, unscope
from .lookup import pattern_node_id, prompt_node_id, user_node_id
from .patterns import read_pattern

_PUBLIC_NODE_FIELDS = (
    "id",
    "kind",
    "user_id",
    "rule_id",
    "campaign_id",
    "at",
    "last_at",
    "attack",
    "risk",
    "risk_level",
    "decision",
    "threats",
    "rule_ids",
    "prompts",
    "attacks",
    "hits",
    "seen",
)
MAX_LIMIT = 200


def _public(node: dict[str, Any], caller: Caller = LOCAL_CALLER) -> dict[str, Any]:
    out = {k: node[k] for k in _PUBLIC_NODE_FIELDS if k in node}
    if "user_id" in out and not caller.is_operator:
        out["user_id"] = unscope(out["user_id"])
    shared = node.get("kind") == "pattern" and not caller.is_operator
    out["edges"] = (
        []
        if shared
        else [
            {"to": e["to"], "kind": e["kind"], "at": e.get("at"), "weight": e.get("weight")}
            for e in node.get("edges", [])
        ]
    )
    return out


def _visible(doc: dict[str, Any], caller: Caller) -> bool:
    """Operators see everything; a client only its own tenant's documents (and shared patterns)."""
    if caller.is_operator:
        return True
    if doc.get("kind") == "pattern":
        return True
    return doc.get("tenant", "default") == caller.tenant


def _limit(params: dict[str, str]) -> int:
    return int_param(params, "limit", 50, 1, MAX_LIMIT)


def _not_found(what: str) -> ServiceError:
    return ServiceError(ErrorCode.NOT_FOUND, f"no {what} with this id", status=404)


def view(
    store: Store, kind: str, ident: str | None, params: dict[str, str], caller: Caller = LOCAL_CALLER
) -> dict[str, Any]:
    if kind == "users" and ident:
        nid = user_node_id(caller.scope(ident))
        node = store.read(GRAPH, nid, nid)
        if node is None:
            raise _not_found("user node")
        campaigns = sorted(
            {c["campaign_id"] for c in _campaign_nodes_for(store, node, caller)} if node.get("attacks") else set()
        )
        return {"node": _public(node, caller), "campaigns": campaigns}
    if kind == "campaigns" and not ident:
        tenant = tenant_in_view(params, caller)
        where = (Filter("tenant", "=", tenant),) if tenant is not None else ()
        page = store.query(
            PATTERNS, pk="campaign", where=where, order_by=OrderBy("last_at", descending=True), limit=_limit(params)
        )
        return {"campaigns": [_campaign_summary(c) for c in page.items]}
    if kind == "campaigns" and ident:
        camp = store.read(PATTERNS, "campaign", ident)
        if camp is None or not _visible(camp, caller):
            raise _not_found("campaign")
        if not caller.is_operator:  # members are for investigators, not for every key holder
            return {"campaign": {**_campaign_summary(camp), "detail": "members need the operator role"}}
        return {
            "campaign": {
                **_campaign_summary(camp),
                "tenant": camp.get("tenant"),
                "users": camp.get("users", []),
                "prompts": camp.get("prompts", [])[-_limit(params) :],
            }
        }
    if kind == "nodes" and ident:
        node = _find_node(store, ident, caller)
        if node is None:
            raise ServiceError(
                ErrorCode.NOT_FOUND,
                "no graph node with this id; node ids are user:<user_id>, prompt:<prompt1_id from an analyze "
                "reply>, pattern:<rule_id> or campaign:<campaign_id>, and a plain user id or prompt id is "
                "looked up as one of the first two",
                status=404,
            )
        return {"node": _public(node, caller)}
    raise ServiceError(ErrorCode.NOT_FOUND, "unknown graph view", status=404)


#: Node kinds a caller may name; buckets and input hashes are internal.
NODE_PREFIXES = ("user:", "prompt:", "pattern:", "campaign:")


def _find_node(store: Store, ident: str, caller: Caller) -> dict[str, Any] | None:
    """A node the caller may see, by its full id or by a plain user id or prompt id (tried
    in that order). User ids are the caller's own: ``user:alice`` and ``alice`` both mean
    alice of the caller's tenant."""
    if ident.startswith("user:"):
        candidates = [user_node_id(caller.scope(ident.removeprefix("user:"))), ident]
    elif ident.startswith(NODE_PREFIXES):
        candidates = [ident]
    else:
        candidates = [user_node_id(caller.scope(ident)), prompt_node_id(ident)]
    for node_id in candidates:
        node = read_pattern(store, node_id) if node_id.startswith("pattern:") else store.read(GRAPH, node_id, node_id)
        if node is None and node_id.startswith("prompt:"):
            node = _prompt_from_record(store, node_id)
        if node is None and node_id.startswith("campaign:"):
            node = _campaign_from_record(store, node_id)
        if node is not None and node.get("kind") not in ("bucket", "input") and _visible(node, caller):
            return node
    return None


def _prompt_from_record(store: Store, node_id: str) -> dict[str, Any] | None:
    """The node of a plain prompt, built from its ``prompts`` record: the graph stage
    writes no node for a text without attack or rule evidence (issue 14), since nothing
    but its sender links to it. One cross-partition query by id (the record's partition
    is its user, which the caller does not give); ``id`` is always indexed."""
    prompt_id = node_id.removeprefix("prompt:")
    page = store.query(PROMPTS, where=(Filter("id", "=", prompt_id),), limit=1)
    if not page.items:
        return None
    record = page.items[0]
    edges = [{"to": user_node_id(record["user_id"]), "kind": "sent_by", "at": record.get("at"), "weight": 1.0}]
    edges += [
        {"to": pattern_node_id(rule), "kind": "matched", "at": record.get("at"), "weight": 1.0}
        for rule in record.get("rule_ids", [])
    ]
    fields = ("user_id", "tenant", "at", "attack", "risk", "risk_level", "decision", "threats", "rule_ids")
    return {"id": node_id, "kind": "prompt", **{k: record[k] for k in fields if k in record}, "edges": edges}


#: Prompts of a campaign shown on its node (the most recent), each read for its sender.
CAMPAIGN_NODE_PROMPTS = 50


def _campaign_from_record(store: Store, node_id: str) -> dict[str, Any] | None:
    """The node of a campaign, built from its ``patterns`` document: the graph stage no
    longer keeps a ``campaign:<id>`` node (issue 14; rewriting it on every join cost as much
    as the document itself). It ``includes`` the campaign's recent prompts and ``involves``
    their senders, read from those prompts' nodes (one ``read_many``, bounded)."""
    camp = store.read(PATTERNS, "campaign", node_id.removeprefix("campaign:"))
    if camp is None:
        return None
    ids = [prompt_node_id(p) for p in camp.get("prompts", [])[-CAMPAIGN_NODE_PROMPTS:]]
    prompts = {d["id"]: d for d in store.read_many(GRAPH, [(i, i) for i in ids])} if ids else {}
    edges: list[dict[str, Any]] = []
    senders: dict[str, float] = {}
    for pid in ids:
        doc = prompts.get(pid)
        if doc is None:
            continue  # expired from the graph
        at = doc.get("at")
        edges.append({"to": pid, "kind": "includes", "at": at, "weight": 1.0})
        for e in doc.get("edges", []):
            if e.get("kind") == "sent_by":
                senders[e["to"]] = max(senders.get(e["to"], 0.0), float(e.get("at") or 0.0))
    edges += [{"to": u, "kind": "involves", "at": at, "weight": 1.0} for u, at in senders.items()]
    return {
        "id": node_id,
        "kind": "campaign",
        "campaign_id": camp["id"],
        "tenant": camp.get("tenant", "default"),
        "at": camp.get("first_at"),
        "last_at": camp.get("last_at"),
        "threats": camp.get("threats", []),
        "edges": edges,
    }


def _campaign_summary(camp: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": camp["id"],
        "users": int(camp.get("user_count", len(camp.get("users", [])))),
        "prompts": camp.get("size", len(camp.get("prompts", []))),
        "threats": camp.get("threats", []),
        "first_at": camp.get("first_at"),
        "last_at": camp.get("last_at"),
    }


def _campaign_nodes_for(store: Store, user_node: dict[str, Any], caller: Caller) -> list[dict[str, Any]]:
    """Campaign nodes adjacent to the user's recent prompts (bounded by the adjacency)."""
    prompt_ids = [e["to"] for e in user_node.get("edges", []) if e["kind"] == "sent"][-50:]
    prompts = store.read_many(GRAPH, [(p, p) for p in prompt_ids])
    found: list[dict[str, Any]] = []
    campaign_ids = {p.get("campaign_id") for p in prompts if p.get("campaign_id")}
    tenant = user_node.get("tenant", "default")
    where = (Filter("kind", "=", "campaign"), Filter("tenant", "=", tenant))
    for page_item in store.query_all(PATTERNS, pk="campaign", where=where, max_items=200):
        if page_item["id"] in campaign_ids or set(page_item.get("prompts", [])) & {
            p.split(":", 1)[1] for p in prompt_ids
        }:
            found.append({"campaign_id": page_item["id"]})
    return found
