"""What the analyze stage asks the graph: is this prompt part of something bigger?

One point-read batch, whatever the size of the history: the LSH bucket documents of
the prompt's band keys (near-duplicates and the campaign they belong to) and the input
node of its keyed hash (exact repeats, per user). Written by the graph-update stage
(``shared/graph/update.py``).

Proportional cost (issue 14): each part is read only when it can matter. Campaign
membership weighs only on a text with its own rule evidence (``learning.evidence_floor``,
``SimilarityAgent``), so the buckets are read only for such a text; an exact repeat
counts only if the text was an attack on its own evidence before, and the same text
has the same own evidence, so the input node is read only when it reaches the block
threshold now. A plainly benign text (most traffic) costs no graph read at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..stores.base import GRAPH, Store

if TYPE_CHECKING:
    from ..agents.base import AgentContext
    from ..config import Settings

#: A prompt joins a campaign when at least this many of its band buckets point at it.
MIN_CAMPAIGN_BANDS = 2


def bucket_id(band_key: str) -> str:
    return f"bucket:{band_key}"


def input_id(input_hash: str) -> str:
    return f"input:{input_hash}"


def user_node_id(user_id: str) -> str:
    return f"user:{user_id}"


def prompt_node_id(prompt_id: str) -> str:
    return f"prompt:{prompt_id}"


def pattern_node_id(rule_id: str) -> str:
    return f"pattern:{rule_id}"


def campaign_node_id(campaign_id: str) -> str:
    return f"campaign:{campaign_id}"


@dataclass(slots=True)
class GraphContext:
    campaign_id: str | None = None
    campaign_users: int = 0
    campaign_last_at: float = 0.0
    repeat_attacks: int = 0  # times this user sent this exact prompt and it was an attack
    near_duplicate_attacks: int = 0  # attack prompts (any user) sharing a band with this one
    near_duplicate_users: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "campaign_users": self.campaign_users,
            "repeat_attacks": self.repeat_attacks,
            "near_duplicate_attacks": self.near_duplicate_attacks,
            "near_duplicate_users": self.near_duplicate_users,
        }


def lookup(
    store: Store, bands: list[str], input_hash: str, user_id: str, *, buckets: bool = True, repeats: bool = True
) -> GraphContext:
    """The graph context of a prompt (``buckets``/``repeats``: False skips that read)."""
    keys = [(bucket_id(b), bucket_id(b)) for b in bands] if buckets else []
    if repeats:
        keys.append((input_id(input_hash), input_id(input_hash)))
    docs = {d["id"]: d for d in store.read_many(GRAPH, keys)} if keys else {}
    if keys:
        from .readcache import remember

        remember(store, [k[1] for k in keys], docs.values())  # the graph stage writes these next
    ctx = GraphContext()
    votes: Counter[str] = Counter()
    sizes: dict[str, int] = {}
    last: dict[str, float] = {}
    attack_prompts: set[str] = set()
    attack_users: set[str] = set()
    for band in bands:
        doc = docs.get(bucket_id(band))
        if not doc:
            continue
        if doc.get("campaign_id"):
            votes[doc["campaign_id"]] += 1
            sizes[doc["campaign_id"]] = max(sizes.get(doc["campaign_id"], 0), int(doc.get("campaign_users", 0)))
            last[doc["campaign_id"]] = max(last.get(doc["campaign_id"], 0.0), float(doc.get("campaign_at", 0.0)))
        for member in doc.get("members", []):
            if member.get("attack"):
                attack_prompts.add(member.get("prompt_id", ""))
                attack_users.add(member.get("user", member.get("user_id", "")))
    if votes:
        campaign, count = votes.most_common(1)[0]
        if count >= MIN_CAMPAIGN_BANDS:
            ctx.campaign_id = campaign
            ctx.campaign_users = sizes.get(campaign, 0)
            ctx.campaign_last_at = last.get(campaign, 0.0)
    ctx.near_duplicate_attacks = len(attack_prompts)
    ctx.near_duplicate_users = len(attack_users)
    node = docs.get(input_id(input_hash))
    if node:
        ctx.repeat_attacks = int(node.get("attacks_by_user", {}).get(user_id, 0))
    return ctx


def graph_lookup_for(store: Store, settings: Settings) -> Callable[[AgentContext], GraphContext]:
    """The SimilarityAgent's graph lookup, bound to a store."""

    from ..detection.scoring import block_threshold

    def run(ctx: AgentContext) -> GraphContext:
        bands = ctx.extra.get("bands") or []
        input_hash = ctx.extra.get("input_hash") or ""
        # Missing evidence (a caller that did not compute it): read everything, as before.
        rule_risk = float(ctx.extra.get("rule_risk", 1.0))
        own_risk = round(float(ctx.extra.get("own_risk", 1.0)), 4)  # as the graph message carries it
        return lookup(
            store,
            bands,
            input_hash,
            ctx.user_id,
            buckets=rule_risk >= settings.learning.evidence_floor,
            repeats=own_risk >= block_threshold(settings.severity_level),
        )

    return run
