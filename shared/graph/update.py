"""The graph-update stage: one queue message, one prompt added to the attack graph.

For each analysed prompt it

1. adds the prompt node and links it to its user and to the pattern (rule) nodes
   that fired;
2. files an attack (on its own evidence) in its LSH band buckets and reads back the
   other prompts in those buckets: its near-duplicate candidates, found without
   scanning history. A prompt that is not an attack is not filed: it could join no
   campaign, and only texts with rule evidence look buckets up (``lookup.py``);
3. builds the neighbourhood (this prompt, its candidates, their users) as a small
   NetworkX graph, links near-duplicates, and looks for a *coordinated campaign*:
   near-duplicate attack prompts from at least ``campaign_min_users`` distinct users
   inside ``campaign_window_minutes``. A campaign is stamped on its band buckets so
   the analyze stage sees membership with a few point reads;
4. offers attacks to the known-attack index (``attacks`` container) through
   ``learning.py``, which decides whether the evidence is strong enough to go live;
5. counts exact repeats of attacks per user (input node keyed by the prompt's HMAC).

Cost (issue 14): each step reads every node it touches with one ``read_many`` and
writes them with one ``Store.batch`` (``batchwrite.py``); a text its sender already sent
within half the campaign window only bumps counters (input, user, pattern); rule hits go
to pattern shard documents (``patterns.py``). Proportional cost: a prompt that is not an
attack on its own evidence (most traffic) costs one read and one write, its user node
(plus a prompt node and pattern shards only if a rule fired: no input node, no buckets,
no processed marker); an attack's prompt node is created without a read, its
near-duplicate edges go into that same write, and a first delivery does not read the
processed marker. An attack's own cost (fourth round): its buckets and input node come from
its analysis's read when both ran in this process (``readcache.py``); a bucket is not
rewritten when the prompt is already in it or when it already names an active campaign
with enough recent senders (``_settled_bucket``), and one it files anyway takes the stamp of
the campaign it joins in that write; the campaign document is bounded and the campaign has
no graph node of its own (its view is built from the document); a near-duplicate hub takes
no more back links past ``MAX_NEAR_LINKS``.

Idempotent by message id: every counter update carries the message id and is
skipped if already applied, edges and members are sets. A message whose work is one
batch (not an attack) needs nothing more: its user node's applied-id guard, written in
that batch, tells a redelivery it was applied ("duplicate"; the guard remembers the
node's last ``MAX_APPLIED`` messages and the host redelivers within minutes, so only a
sender of more than that many prompts in between could be counted twice). An attack's
work takes several steps, so it is marked processed (``processed`` container) only after
everything else succeeded. A crash part-way leaves the message on the queue; the redelivery
completes the work without double counting. After ``maxDequeueCount`` failures
(host.json) the host moves it to the poison queue.

Tenancy and evidence: ``user_id`` is tenant-scoped and band keys are keyed per tenant,
so buckets and campaigns never mix tenants; bucket members hold a keyed hash of the
user, not the id. A prompt counts as an attack here only when its *own* text (rules
and classifier, ``evidence``) reaches the block threshold: a prompt blocked merely for
resembling a campaign or a known attack does not join it, so a campaign cannot feed itself.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..config import Settings
from ..stores.base import PATTERNS, PROCESSED, Conflict, Doc, Store
from .batchwrite import apply_nodes
from .lookup import bucket_id, input_id, pattern_node_id, prompt_node_id, user_node_id
from .patterns import shard_id as pattern_shard_id

log = logging.getLogger(__name__)

MAX_EDGES = 200  # adjacency kept per node (most recent)
MAX_USER_EDGES = 50  # a user node is replaced on every prompt it sends: keep it small
MAX_PATTERN_EDGES = 50  # pattern nodes are hot (every hit updates them): keep them small
MAX_NEAR_LINKS = 8  # near-duplicate edges written per message (the most similar)
MAX_BACK_LINKS = 1  # of those, how many also get the edge written on their own node
MAX_MEMBERS = 64  # prompts kept per LSH bucket
MAX_FILED = 200  # senders remembered per input node (repeats within half a window)
MAX_APPLIED = 256  # message ids remembered per node for idempotency
MAX_CAMPAIGN_PROMPTS = 200  # the most any view shows (views.MAX_LIMIT)
MAX_CAMPAIGN_USERS = 200  # sender hashes kept per campaign (user_count goes on)
#: Risk at which an attack is "confirmed" and fed to the known-attack index.
CONFIRMED_RISK = 0.9


class GraphMessage(BaseModel):
    """The queue message the analyze stage emits (``Pipeline._graph_message``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: int = Field(ge=1, le=1)
    request_id: str = Field(min_length=1, max_length=128)
    prompt_id: str = Field(min_length=1, max_length=128)
    user_id: str = Field(min_length=1, max_length=256)
    input_hash: str = Field(min_length=8, max_length=128)
    at: float = Field(gt=0)
    attack: bool
    decision: str
    risk: float = Field(ge=0, le=1)
    risk_level: str
    threats: list[str] = Field(default_factory=list, max_length=32)
    rule_ids: list[str] = Field(default_factory=list, max_length=64)
    bands: list[str] = Field(default_factory=list, max_length=128)
    embedding: list[float] | None = Field(default=None, max_length=4096)
    tenant: str = Field(default="default", min_length=1, max_length=64)
    evidence: float | None = Field(default=None, ge=0, le=1)  # own-text risk; None: older message
    critical_coverage: float = Field(default=0.0, ge=0, le=1)
    judge_attack: bool = False

    def own_attack(self, threshold: float) -> bool:
        """An attack on the strength of its own text (rules and classifier reach the block
        threshold), not of its resemblance to others."""
        return self.attack and (self.evidence is None or self.evidence >= threshold)


@dataclass(slots=True)
class UpdateResult:
    outcome: str  # "processed" | "duplicate"
    near_duplicates: list[str] = field(default_factory=list)
    campaign_id: str | None = None
    campaign_users: int = 0
    new_campaign: bool = False
    known_attack_added: bool = False
    repeat_of: str | None = None  # the sender's earlier prompt of the same text (a repeat)
    elapsed_ms: float = 0.0


def _applied_token(message_id: str) -> str:
    """A short stand-in for a message id (48 bits: no collision among a node's last 256)."""
    digest = hashlib.blake2b(message_id.encode("utf-8"), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _guarded(doc: Doc, message_id: str) -> bool:
    """Record ``message_id`` on ``doc``; False if it was already applied.

    The ids are kept as one string of 8-character tokens, not a list of queue ids: on a
    busy node the list was most of the document, and each entry an indexed path (RU on
    every replace). A list written by older code is read as well."""
    stored = doc.get("applied") or ""
    tokens = [_applied_token(m) for m in stored] if isinstance(stored, list) else stored.split()
    token = _applied_token(message_id)
    if token in tokens:
        return False
    tokens.append(token)
    doc["applied"] = " ".join(tokens[-MAX_APPLIED:])
    return True


def _add_edge(doc: Doc, to: str, kind: str, at: float, weight: float = 1.0, limit: int = MAX_EDGES) -> None:
    edges: list[dict[str, Any]] = doc.setdefault("edges", [])
    for edge in edges:
        if edge["to"] == to and edge["kind"] == kind:
            edge["at"] = max(edge.get("at", 0.0), at)
            edge["weight"] = max(edge.get("weight", 0.0), weight)
            return
    edges.append({"to": to, "kind": kind, "at": at, "weight": round(weight, 4)})
    if len(edges) > limit:
        edges.sort(key=lambda e: e["at"])
        del edges[: len(edges) - limit]


def _node(doc: Doc | None, node_id: str, kind: str, ttl: int) -> Doc:
    node = doc or {"id": node_id, "kind": kind, "edges": [], "applied": ""}
    node["ttl"] = ttl
    return node


def process_message(
    store: Store, settings: Settings, raw: dict[str, Any], message_id: str, first_delivery: bool = False
) -> UpdateResult:
    """Apply one graph-update message (see module docstring). Raises on store failure.

    ``first_delivery``: the queue says no earlier delivery of this message began (dequeue
    count 1), so the processed marker cannot exist yet and is not read; the marker is
    still written last (attacks only), and its create conflicting still reports a
    duplicate."""
    started = time.perf_counter()
    msg = GraphMessage.model_validate(raw)
    from ..detection.scoring import block_threshold

    attack = msg.own_attack(block_threshold(settings.severity_level))
    # A message that is not an attack on its own evidence has no step after the first
    # batch (no buckets, so no links; no campaign; nothing for the known-attack index):
    # that batch is all its work, and the user node's applied-id guard, written in it,
    # is its idempotency record. Only multi-step messages need the processed marker.
    one_step = not attack
    if not first_delivery and not one_step and store.read(PROCESSED, message_id, message_id) is not None:
        return UpdateResult("duplicate")
    g = settings.graph
    ttl = g.node_ttl_days * 86_400
    window = g.campaign_window_minutes * 60.0
    pid = prompt_node_id(msg.prompt_id)
    uid = user_node_id(msg.user_id)
    from ..secrets import keyed_hash

    user_hash = keyed_hash("user:" + msg.user_id)[:16]

    # 1. prompt, user and pattern nodes -------------------------------------
    # A text this user already sent lately (input node, below) is a repeat: it costs
    # counter increments on existing nodes, not a new prompt node and bucket memberships.
    # The mutators run input first in every attempt, so ``repeat`` is current for the rest.
    repeat: dict[str, str | None] = {"of": None}

    def target() -> str:
        """The prompt node this message's edges point at (the original on a repeat)."""
        return prompt_node_id(repeat["of"]) if repeat["of"] else pid

    def prompt_mut(doc: Doc | None) -> Doc | None:
        if repeat["of"]:
            return None
        node = _node(doc, pid, "prompt", ttl)
        node.update(
            {
                "user_id": msg.user_id,
                "tenant": msg.tenant,
                "input_hash": msg.input_hash,
                "at": msg.at,
                "attack": msg.attack,
                "risk": msg.risk,
                "risk_level": msg.risk_level,
                "decision": msg.decision,
                "threats": msg.threats,
                "rule_ids": msg.rule_ids,
                "bands": msg.bands,
            }
        )
        _add_edge(node, uid, "sent_by", msg.at)
        for rule_id in msg.rule_ids:
            _add_edge(node, pattern_node_id(rule_id), "matched", msg.at)
        return node

    # A plain text (no attack, no rule hit) gets no prompt node: nothing links to it but
    # its sender's ``sent`` edge, and its metadata is already the ``prompts`` record
    # (recording.py), which the node view shows in its place (views.py).
    mutators: dict[str, Any] = {pid: prompt_mut} if attack or msg.rule_ids else {}
    applied_before = {"user": False}

    def user_mut(doc: Doc | None) -> Doc | None:
        node = _node(doc, uid, "user", ttl)
        node["user_id"] = msg.user_id
        node["tenant"] = msg.tenant
        if not _guarded(node, message_id):
            # An earlier delivery wrote this node, its counters and its edge in one write.
            applied_before["user"] = True
            return None
        node["prompts"] = node.get("prompts", 0) + 1
        node["attacks"] = node.get("attacks", 0) + (1 if msg.attack else 0)
        node["last_at"] = max(node.get("last_at", 0.0), msg.at)
        _add_edge(node, target(), "sent", msg.at, limit=MAX_USER_EDGES)
        return node

    mutators[uid] = user_mut

    for rule_id in msg.rule_ids:
        nid = pattern_shard_id(rule_id, message_id)  # hits spread over shards (patterns.py)

        def pattern_mut(doc: Doc | None, nid: str = nid, rule_id: str = rule_id) -> Doc | None:
            node = _node(doc, nid, "pattern_shard", ttl)
            node["rule_id"] = rule_id
            if not _guarded(node, message_id):
                return None  # counted, with its edge, by an earlier delivery
            node["hits"] = node.get("hits", 0) + 1
            node["last_at"] = max(node.get("last_at", 0.0), msg.at)
            _add_edge(node, target(), "matched_by", msg.at, limit=MAX_PATTERN_EDGES)
            return node

        mutators[nid] = pattern_mut

    # exact repeats per user ---------------------------------------------------
    iid = input_id(msg.input_hash)

    def input_mut(doc: Doc | None) -> Doc:
        node = _node(doc, iid, "input", ttl)
        filed: dict[str, list[Any]] = node.setdefault("filed", {})  # user hash -> [prompt id, at]
        last = filed.get(user_hash)
        fresh = last is not None and last[0] != msg.prompt_id and float(last[1]) >= msg.at - window / 2
        repeat["of"] = str(last[0]) if fresh and last is not None else None
        if not fresh:
            filed[user_hash] = [msg.prompt_id, msg.at]
            if len(filed) > MAX_FILED:
                for key in sorted(filed, key=lambda k: float(filed[k][1]))[: len(filed) - MAX_FILED]:
                    del filed[key]
        if _guarded(node, message_id):
            node["seen"] = node.get("seen", 0) + 1
            if attack:
                by_user = node.setdefault("attacks_by_user", {})
                by_user[msg.user_id] = by_user.get(msg.user_id, 0) + 1
        return node

    # Only an attack on its own evidence needs the input node: repeats of it are what
    # the analyze stage looks up (``attacks_by_user``), and only an attack is filed in
    # buckets (the ``filed`` map spares its repeats that). A benign repeat costs a new
    # prompt node instead of an input node: the same one write, and one read less.
    if attack:
        mutators[iid] = input_mut

    # 2. LSH buckets: file this prompt, collect candidates ------------------------
    member = {"prompt_id": msg.prompt_id, "user": user_hash, "at": msg.at, "attack": attack}
    shared_bands: dict[str, int] = {}
    candidates: dict[str, dict[str, Any]] = {}
    bucket_campaigns: set[str] = set()
    buckets: dict[str, Doc] = {}  # as just written: lets the campaign step skip settled ones
    # Proportional cost: only an attack on its own evidence can join or form a campaign,
    # and the analyze stage reads buckets only for texts with rule evidence (lookup.py),
    # so a text that is not an attack is not filed. Most traffic is benign: this is most
    # of the saving.
    bucket_ids = [bucket_id(band) for band in msg.bands] if attack else []
    for bid in bucket_ids:

        def bucket_mut(doc: Doc | None, bid: str = bid) -> Doc | None:
            if repeat["of"]:
                return None  # filed by the original within the window: nothing new to add
            if doc is not None and _settled_bucket(doc, msg, window, g.campaign_min_users):
                filing[bid] = doc  # its members are still this prompt's candidates (links below)
                return None  # already filed (a redelivery), or a campaign's bucket with enough senders
            node = _node(doc, bid, "bucket", ttl)
            members = [m for m in node.get("members", []) if m["prompt_id"] != msg.prompt_id]
            members = [m for m in members if m["at"] >= msg.at - window or m.get("attack")]
            members.append(member)
            members.sort(key=lambda m: m["at"])
            node["members"] = members[-MAX_MEMBERS:]
            stamp = joining["stamp"]
            if stamp is not None and node.get("campaign_id") != stamp["campaign_id"]:
                node.update(stamp)  # this prompt joins that campaign: stamped in this same write
            filing[bid] = node
            return node

        mutators[bid] = bucket_mut

    def near_of(docs: Mapping[str, Doc]) -> dict[str, float]:
        """Near-duplicates (prompt id -> estimated Jaccard) among the members of ``docs``."""
        shared_bands.clear()
        candidates.clear()
        for doc in docs.values():
            for m in doc.get("members", []):
                if m["prompt_id"] in (msg.prompt_id, repeat["of"]):
                    continue
                shared_bands[m["prompt_id"]] = shared_bands.get(m["prompt_id"], 0) + 1
                candidates[m["prompt_id"]] = m
        n_bands = max(1, len(msg.bands))
        near: dict[str, float] = {}
        for other, count in shared_bands.items():
            # P(band agrees) = J ** rows, so J ~ (share of agreeing bands) ** (1 / rows).
            est = (count / n_bands) ** (1.0 / g.lsh_rows)
            if est >= g.near_duplicate_threshold:
                near[other] = est
        return near

    def linked_of(near: Mapping[str, float]) -> dict[str, float]:
        """Link only the closest few: a prompt repeated thousands of times must not cost
        thousands of writes (campaign detection still sees every candidate)."""
        return dict(sorted(near.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_NEAR_LINKS])

    filing: dict[str, Doc] = {}  # buckets as this attempt files them (the mutators run in order)
    joining: dict[str, dict[str, Any] | None] = {"stamp": None}

    def see_buckets(current: Mapping[str, Doc]) -> None:
        """The active campaign this prompt will join (the one ``_campaign`` picks from its
        buckets' stamps), so that a bucket it files anyway (a new one, most often) carries
        the stamp at once instead of a second replace in ``_record_campaign``."""
        active: dict[str, dict[str, Any]] = {}
        for bid in bucket_ids:
            doc = current.get(bid) or {}
            cid = doc.get("campaign_id")
            if cid and float(doc.get("campaign_at", 0.0)) >= msg.at - window:
                seen = active.setdefault(cid, {"campaign_id": cid, "campaign_users": 0, "campaign_at": 0.0})
                seen["campaign_users"] = max(seen["campaign_users"], int(doc.get("campaign_users", 0)))
                seen["campaign_at"] = max(seen["campaign_at"], float(doc.get("campaign_at", 0.0)))
        joining["stamp"] = active[sorted(active)[0]] if active else None

    def prompt_links_mut(doc: Doc | None) -> Doc | None:
        # Runs after the bucket mutators: the near-duplicate edges go into the same write.
        node = prompt_mut(doc)
        if node is not None:
            for other, sim in linked_of(near_of(filing)).items():
                _add_edge(node, prompt_node_id(other), "near_duplicate", msg.at, sim)
            if joining["stamp"] is not None:
                # The campaign it joins, in this same write: the user view finds it here once
                # the campaign document's bounded prompt list has moved on.
                node["campaign_id"] = joining["stamp"]["campaign_id"]
        return node

    # One read of every node above and one batch of writes (batchwrite.py): input first,
    # then the buckets, then the prompt node (created without a read: its id is new).
    mutators_cached = {iid, *bucket_ids}
    ordered: dict[str, Any] = {iid: mutators.pop(iid)} if iid in mutators else {}
    ordered.update({bid: mutators.pop(bid) for bid in bucket_ids})
    if pid in mutators:
        mutators[pid] = prompt_links_mut
    ordered.update(mutators)
    # The buckets and input node this message's analysis just read (same process) need no
    # second read: they are written with the etags they were read with (readcache.py).
    from .readcache import take

    known, absent = take(store, [nid for nid in ordered if nid in mutators_cached])
    written = apply_nodes(store, ordered, fresh=frozenset({pid}) | absent, known=known, prepare=see_buckets)
    if one_step:
        result = UpdateResult("duplicate" if applied_before["user"] else "processed")
        result.repeat_of = repeat["of"]
        result.elapsed_ms = (time.perf_counter() - started) * 1e3
        return result
    for bid in bucket_ids:
        stored = written.get(bid) or {}
        buckets[bid] = stored
        if stored.get("campaign_id") and float(stored.get("campaign_at", msg.at)) >= msg.at - window:
            bucket_campaigns.add(stored["campaign_id"])  # only a campaign still active is joined

    # 3. neighbourhood analysis ---------------------------------------------------
    result = UpdateResult("processed")
    near = near_of(buckets)
    result.near_duplicates = sorted(near)
    linked = linked_of(near)
    if repeat["of"]:
        result.repeat_of = repeat["of"]
        linked = {}  # the original was linked when it was filed
    if linked:
        links: dict[str, Any] = {}
        # The edge is stored on both ends only for the closest prompt: a back edge on each
        # of them was a replace of a large document per link (most of the stage's RU on
        # repetitive traffic); views treat near_duplicate as undirected.
        for other, sim in list(linked.items())[:MAX_BACK_LINKS]:
            oid = prompt_node_id(other)

            def back_mut(doc: Doc | None, sim: float = sim) -> Doc | None:
                if doc is None:
                    return None  # expired meanwhile: nothing to link
                near = [e for e in doc.get("edges", []) if e["kind"] == "near_duplicate"]
                if any(e["to"] == pid for e in near) or len(near) >= MAX_NEAR_LINKS:
                    # Linked already (a redelivery), or a hub of a repeated text that every new
                    # copy picks as its closest: this prompt's own edge shows the link, and the
                    # hub's replace (a large document) is what the cap saves.
                    return None
                _add_edge(doc, pid, "near_duplicate", msg.at, sim)
                return doc

            links[oid] = back_mut
        apply_nodes(store, links)

    if attack and not repeat["of"]:  # a repeat adds no user to a campaign
        campaign = _campaign(msg, user_hash, candidates, near, window, g.campaign_min_users, bucket_campaigns)
        if campaign is not None:
            cid, members = campaign
            result.campaign_id = cid
            result.new_campaign, result.campaign_users = _record_campaign(
                store, settings, cid, members, msg, message_id, ttl, buckets
            )

    # 4. known-attack index: learning.py decides whether this is evidence enough -----
    if attack and msg.embedding and msg.risk >= CONFIRMED_RISK:
        from .learning import offer

        result.known_attack_added = offer(store, settings, msg, message_id)

    # 5. done: mark processed last (crash before this = safe redelivery) ----------
    try:
        store.create(PROCESSED, {"id": message_id, "at": time.time(), "ttl": 7 * 86_400})
    except Conflict:
        result.outcome = "duplicate"  # a concurrent delivery finished first; all writes were idempotent
    result.elapsed_ms = (time.perf_counter() - started) * 1e3
    return result


def campaign_users(camp: Mapping[str, Any]) -> int:
    """Senders of a campaign document (``user_count``; older documents: their full list)."""
    return int(camp.get("user_count", len(camp.get("users", []))))


def _settled_bucket(doc: Mapping[str, Any], msg: GraphMessage, window: float, min_users: int) -> bool:
    """True when filing ``msg`` in this bucket would tell nobody anything new, so the bucket
    is not rewritten (a replace of up to 64 members: the largest write of an attack):

    * the prompt is already a member (a redelivery, or a retry after a lost race);
    * the bucket names a campaign still active and holds attacks from at least ``min_users``
      senders within the last half window: a prompt sharing this band joins that campaign
      through the stamp whatever the members, the campaign document records this prompt and
      its sender, and later prompts still find candidates here. Once its members age past
      half a window the bucket is filed again, so it never goes stale."""
    members = doc.get("members", [])
    if any(m.get("prompt_id") == msg.prompt_id for m in members):
        return True
    if not doc.get("campaign_id") or float(doc.get("campaign_at", 0.0)) < msg.at - window:
        return False
    recent = {m.get("user", "") for m in members if m.get("attack") and float(m.get("at", 0.0)) >= msg.at - window / 2}
    return len(recent) >= min_users


def _campaign(
    msg: GraphMessage,
    user_hash: str,
    candidates: dict[str, dict[str, Any]],
    near: dict[str, float],
    window: float,
    min_users: int,
    bucket_campaigns: set[str],
) -> tuple[str, list[dict[str, Any]]] | None:
    """Find the campaign this attack belongs to, using NetworkX on the neighbourhood only."""
    import networkx as nx

    graph = nx.Graph()
    me = msg.prompt_id
    graph.add_node(me, user=user_hash, at=msg.at)
    for other, sim in near.items():
        m = candidates[other]
        if m.get("attack") and abs(m["at"] - msg.at) <= window:
            graph.add_node(other, user=m.get("user", m.get("user_id", "")), at=m["at"])
            graph.add_edge(me, other, weight=sim)
    component = nx.node_connected_component(graph, me)
    users = {graph.nodes[n]["user"] for n in component}
    if len(users) < min_users and not bucket_campaigns:
        return None
    if bucket_campaigns:
        cid = sorted(bucket_campaigns)[0]  # join the existing campaign
    else:
        # Deterministic id from the earliest member other than this message: two handlers
        # that see the same earlier attacks at once (each without the other's new prompt)
        # name the same campaign and meet on its document instead of splitting it in two.
        others = [n for n in component if n != me] or [me]
        seed = min(others, key=lambda n: (graph.nodes[n]["at"], n))
        cid = "c-" + hashlib.blake2b(seed.encode(), digest_size=8).hexdigest()
    members = [{"prompt_id": n, "user": graph.nodes[n]["user"], "at": graph.nodes[n]["at"]} for n in component]
    return cid, members


def _record_campaign(
    store: Store,
    settings: Settings,
    cid: str,
    members: Iterable[dict[str, Any]],
    msg: GraphMessage,
    message_id: str,
    ttl: int,
    buckets: Mapping[str, Doc],
) -> tuple[bool, int]:
    created = {"new": False}
    members = list(members)

    def campaign_mut(doc: Doc | None) -> Doc | None:
        camp = doc or {
            "id": cid,
            "kind": "campaign",
            "tenant": msg.tenant,
            "first_at": msg.at,
            "users": [],
            "prompts": [],
            "threats": [],
        }
        created["new"] = doc is None
        # Bounded (issue 14): the document is replaced on every join, so it lists the most
        # recent senders and prompts (a returning sender moves to the end) and counts them in
        # ``user_count`` and ``size``. Idempotent without an applied-id guard: what is listed
        # is not counted again. Exact while the lists have room; once one is full only this
        # message's own sender and prompt can be added to it (the other members of its
        # neighbourhood were recorded when they joined), so a sender returning after that
        # many others is counted again: an upper bound, past the cap only.
        users = list(camp.get("users", []))
        user_count = int(camp.get("user_count", len(users)))
        prompts = list(camp.get("prompts", []))
        size = int(camp.get("size", len(prompts)))
        before = (set(users), set(prompts))
        for m in members:
            own = m["prompt_id"] == msg.prompt_id
            if m["user"] in users:
                if own:
                    users.remove(m["user"])
                    users.append(m["user"])
            elif own or len(users) < MAX_CAMPAIGN_USERS:
                users.append(m["user"])
                user_count += 1
            if m["prompt_id"] not in prompts and (own or len(prompts) < MAX_CAMPAIGN_PROMPTS):
                prompts.append(m["prompt_id"])
                size += 1
        threats = sorted(set(camp.get("threats", [])) | set(msg.threats))
        last_at = max(float(camp.get("last_at", 0.0)), msg.at)
        unchanged = (
            doc is not None
            and (set(users), set(prompts)) == before
            and threats == camp.get("threats")
            and last_at == camp.get("last_at")
            and "applied" not in camp
        )
        if unchanged:
            return None  # a redelivery: nothing to write
        camp["users"] = users[-MAX_CAMPAIGN_USERS:]
        camp["user_count"] = max(user_count, len(camp["users"]))
        camp["prompts"] = prompts[-MAX_CAMPAIGN_PROMPTS:]
        camp["size"] = size
        camp["threats"] = threats
        camp.pop("bands", None)  # up to 512 band keys nobody read, rewritten on every join
        camp.pop("applied", None)  # 256 message ids nobody needed (see above)
        camp["last_at"] = last_at
        camp["ttl"] = ttl
        return camp

    stored = store.update(PATTERNS, "campaign", cid, campaign_mut) or {}
    n_users = campaign_users(stored)

    def settled(doc: Mapping[str, Any]) -> bool:
        stamped = int(doc.get("campaign_users", 0))
        return (
            doc.get("campaign_id") == cid
            # The sender count is a lower bound refreshed when it grows by a quarter (exact up
            # to five senders): a campaign gaining a sender per message would otherwise cost a
            # bucket write per band for each of them. It only words the verdict's reason.
            and (n_users <= stamped or 4 * (n_users - stamped) < stamped)
            # Refreshed at most every quarter window: decay needs no finer clock, and a fresh
            # stamp on every message would cost a bucket write per band for each member.
            and float(doc.get("campaign_at", 0.0)) >= msg.at - settings.graph.campaign_window_minutes * 15.0
        )

    stamps: dict[str, Any] = {}
    for band in msg.bands:
        bid = bucket_id(band)
        if bid in buckets and settled(buckets[bid]):
            continue  # stamped when this message filed itself there: no read needed

        def stamp(doc: Doc | None) -> Doc | None:
            if doc is None or settled(doc):
                return None
            doc["campaign_id"] = cid
            doc["campaign_users"] = n_users
            doc["campaign_at"] = max(float(doc.get("campaign_at", 0.0)), msg.at)  # membership decays from here
            return doc

        stamps[bid] = stamp
    # No ``campaign:<id>`` graph node: its view is built from the campaign document and its
    # prompts' nodes (views.py), so a join no longer rewrites a second growing document.
    if stamps:
        # The buckets as this message just read or filed them need no second read (a stale
        # one fails its etag check and is read again).
        apply_nodes(store, stamps, known={bid: buckets[bid] for bid in stamps if bid in buckets})
    if created["new"]:
        from .. import telemetry

        telemetry.record_campaign(cid, users=n_users, prompts=len(stored.get("prompts", [])), threat_types=msg.threats)
    return created["new"], n_users
