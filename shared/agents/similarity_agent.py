"""SimilarityAgent: has this (or something like it) been seen before?

It weighs three relationships: closeness to a confirmed attack in the known-attack
index, membership of a coordinated campaign (near-duplicate attack prompts from
several users, found by the graph-update stage), and repeats of the same prompt by
this user that were judged attacks before.

Campaign membership is evidence about *others*: it only adds weight when the text
itself already carries rule evidence (its own attack rules reach
``learning.evidence_floor``, a medium finding by default; the classifier alone does not
count, as it rates many short greetings high). A text that is harmless on its own is
never blocked for resembling what other users sent, and the weight halves every
campaign window since the campaign was last active.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import AgentContext, AgentFinding

#: Looks up the graph context (campaign, repeats) for a context; None without a store.
GraphLookup = Callable[[AgentContext], object]


class SimilarityAgent:
    name = "similarity"

    def __init__(self, graph_lookup: GraphLookup | None = None) -> None:
        self.graph_lookup = graph_lookup
        self.needs_io = graph_lookup is not None

    #: Risk weight of a campaign member and of a repeat of an earlier attack.
    CAMPAIGN_WEIGHT = 0.75
    REPEAT_WEIGHT = 0.6

    def run(self, ctx: AgentContext) -> AgentFinding:
        if ctx.graph is None and self.graph_lookup is not None:
            ctx.graph = self.graph_lookup(ctx)  # type: ignore[assignment]
        threshold = ctx.settings.similarity.known_attack_threshold
        weights: list[float] = []
        reasons: list[str] = []
        details: dict[str, object] = {}
        nearest = ctx.detection.nearest
        if nearest is not None:
            details["nearest_known_attack"] = {
                "id": nearest.id,
                "similarity": round(nearest.similarity, 4),
                **{k: v for k, v in nearest.meta.items() if k != "text"},
            }
            if nearest.similarity >= threshold:
                # Scale from 0.5 at the threshold to 0.9 for an exact copy.
                span = max(1e-6, 1.0 - threshold)
                weights.append(0.5 + 0.4 * (nearest.similarity - threshold) / span)
                reasons.append(f"close to known attack {nearest.id} ({nearest.similarity:.2f})")
        graph = ctx.graph
        if graph is not None:
            details["graph"] = graph.to_dict()
            own = float(ctx.extra.get("rule_risk", 1.0))
            if graph.campaign_id and own >= ctx.settings.learning.evidence_floor:
                window = ctx.settings.graph.campaign_window_minutes * 60.0
                age = max(0.0, ctx.now - graph.campaign_last_at) if graph.campaign_last_at else 0.0
                weights.append(self.CAMPAIGN_WEIGHT * 0.5 ** (age / window))
                reasons.append(f"member of campaign {graph.campaign_id} ({graph.campaign_users} users)")
            elif graph.campaign_id:
                details["campaign_ignored"] = "no attack evidence in the text itself"
            if graph.repeat_attacks:
                weights.append(self.REPEAT_WEIGHT)
                reasons.append(f"repeats a prompt judged an attack {graph.repeat_attacks} time(s)")
        score = 1.0
        for w in weights:
            score *= 1.0 - w
        score = 1.0 - score
        if score >= 0.7:
            rec = "block"
        elif score > 0:
            rec = "review"
        else:
            rec = "allow"
        return AgentFinding(
            self.name,
            rec,
            score=score,
            confidence=0.9 if weights else 0.6,
            summary="; ".join(reasons) or "no relation to known attacks or campaigns",
            details=details,
        )
