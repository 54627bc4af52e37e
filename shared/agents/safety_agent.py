"""SafetyAgent: who is asking, and how have they behaved?

Reads the sender's reputation, violation history and temporary-block state. A user
on a temporary block is refused outright; a user with low reputation gets a lower
block threshold (more scrutiny) rather than an extra risk weight, so reputation
never turns a clean prompt into an attack by itself.
"""

from __future__ import annotations

from ..detection.scoring import block_threshold
from ..reputation import read_profile
from ..stores.base import Store
from .base import AgentContext, AgentFinding


class SafetyAgent:
    name = "safety"

    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self.needs_io = store is not None

    def run(self, ctx: AgentContext) -> AgentFinding:
        rep_cfg = ctx.settings.reputation
        if ctx.profile is None and self.store is not None:
            # Kept for recording: the profile update then starts from this read.
            ctx.profile, ctx.extra["profile_snapshot"] = read_profile(self.store, ctx.user_id, rep_cfg, ctx.now)
        profile = ctx.profile
        if profile is None:
            return AgentFinding(
                self.name,
                "allow",
                summary="no history for this user (baseline reputation)",
                details={"reputation": rep_cfg.baseline},
                confidence=0.5,
            )
        threshold = block_threshold(ctx.settings.severity_level, profile.reputation, rep_cfg.baseline)
        details = {
            "reputation": round(profile.reputation, 4),
            "violations": profile.violations,
            "total_requests": profile.total_requests,
            "blocked_until": profile.blocked_until if profile.is_blocked(ctx.now) else None,
            "block_threshold": round(threshold, 4),
        }
        if profile.is_blocked(ctx.now):
            return AgentFinding(
                self.name,
                "block",
                score=1.0,
                summary="user is temporarily blocked after repeated critical findings",
                details=details,
            )
        if profile.reputation < rep_cfg.low_reputation:
            return AgentFinding(
                self.name,
                "review",
                summary=f"low reputation ({profile.reputation:.2f}): block threshold lowered to {threshold:.2f}",
                details=details,
            )
        return AgentFinding(self.name, "allow", summary=f"reputation {profile.reputation:.2f}", details=details)
