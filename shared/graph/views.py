"""``GET /api/graph/...``: read-only views of the attack graph for investigators.

* ``users/{user_id}``: the user's node, recent prompts (metadata only) and the
  campaigns they took part in;
* ``campaigns``: recent campaigns with size and threat types;
* ``campaigns/{id}``: one campaign with its users and prompts;
* ``nodes/{node_id}``: any node with its adjacency (``prompt:<id>``, ``pattern:<rule>``...).

Everything is point reads or bounded queries; nothing loads the whole graph.
"""

from __future__ import annotations

from typing import Any

from ..errors import ErrorCode, InputError, ServiceError
from ..stores.base import GRAPH, PATTERNS, Filter, OrderBy, Store
from .lookup import prompt_node_id, user_node_id

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


def _public(node: dict[str, Any]) -> dict[str, Any]:
    out = {k: node[k] for k in _PUBLIC_NODE_FIELDS if k in node}
    out["edges"] = [
        {"to": e["to"], "kind": e["kind"], "at": e.get("at"), "weight": e.get("weight")} for e in node.get("edges", [])
    ]
    return out


def _limit(params: dict[str, str]) -> int:
    raw = params.get("limit", "50")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InputError(ErrorCode.VALIDATION_FAILED, f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _not_found(what: str) -> ServiceError:
    return ServiceError(ErrorCode.NOT_FOUND, f"no {what} with this id", status=404)


def view(store: Store, kind: str, ident: str | None, params: dict[str, str]) -> dict[str, Any]:
    if kind == "users" and ident:
        node = store.read(GRAPH, user_node_id(ident), user_node_id(ident))
        if node is None:
            raise _not_found("user node")
        campaigns = sorted(
            {c["campaign_id"] for c in _campaign_nodes_for(store, node)} if node.get("attacks") else set()
        )
        return {"node": _public(node), "campaigns": campaigns}
    if kind == "campaigns" and not ident:
        page = store.query(PATTERNS, pk="campaign", order_by=OrderBy("last_at", descending=True), limit=_limit(params))
        return {"campaigns": [_campaign_summary(c) for c in page.items]}
    if kind == "campaigns" and ident:
        camp = store.read(PATTERNS, "campaign", ident)
        if camp is None:
            raise _not_found("campaign")
        return {
            "campaign": {
                **_campaign_summary(camp),
                "users": camp.get("users", []),
                "prompts": camp.get("prompts", [])[-_limit(params) :],
            }
        }
    if kind == "nodes" and ident:
        node = _find_node(store, ident)
        if node is None:
            raise ServiceError(
                ErrorCode.NOT_FOUND,
                "no graph node with this id; node ids are user:<user_id>, prompt:<prompt1_id from an analyze "
                "reply>, pattern:<rule_id> or campaign:<campaign_id>, and a plain user id or prompt id is "
                "looked up as one of the first two",
                status=404,
            )
        return {"node": _public(node)}
    raise ServiceError(ErrorCode.NOT_FOUND, "unknown graph view", status=404)


#: Node kinds a caller may name; buckets and input hashes are internal.
NODE_PREFIXES = ("user:", "prompt:", "pattern:", "campaign:")


def _find_node(store: Store, ident: str) -> dict[str, Any] | None:
    """A node by its full id, or by a plain user id or prompt id (tried in that order)."""
    candidates = [ident] if ident.startswith(NODE_PREFIXES) else [user_node_id(ident), prompt_node_id(ident)]
    for node_id in candidates:
        node = store.read(GRAPH, node_id, node_id)
        if node is not None and node.get("kind") not in ("bucket", "input"):
            return node
    return None


def _campaign_summary(camp: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": camp["id"],
        "users": len(camp.get("users", [])),
        "prompts": camp.get("size", len(camp.get("prompts", []))),
        "threats": camp.get("threats", []),
        "first_at": camp.get("first_at"),
        "last_at": camp.get("last_at"),
    }


def _campaign_nodes_for(store: Store, user_node: dict[str, Any]) -> list[dict[str, Any]]:
    """Campaign nodes adjacent to the user's recent prompts (bounded by the adjacency)."""
    prompt_ids = [e["to"] for e in user_node.get("edges", []) if e["kind"] == "sent"][-50:]
    prompts = store.read_many(GRAPH, [(p, p) for p in prompt_ids])
    found: list[dict[str, Any]] = []
    campaign_ids = {p.get("campaign_id") for p in prompts if p.get("campaign_id")}
    for page_item in store.query_all(PATTERNS, pk="campaign", where=(Filter("kind", "=", "campaign"),), max_items=200):
        if page_item["id"] in campaign_ids or set(page_item.get("prompts", [])) & {
            p.split(":", 1)[1] for p in prompt_ids
        }:
            found.append({"campaign_id": page_item["id"]})
    return found
