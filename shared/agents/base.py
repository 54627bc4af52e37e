"""What every agent shares: its input (the context) and its report (a finding).

An agent looks at one aspect of a request and reports a recommendation with a
score and its reasons. Agents never raise into the orchestrator: a failure or a
blown time budget becomes an ``AgentFinding`` with ``status`` "failed"/"timeout", and
the decision fails closed on it (see ``decision_agent.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from ..config import Settings
    from ..detection.detector import Detection
    from ..graph.lookup import GraphContext
    from ..reputation import UserProfile

Recommendation = Literal["allow", "sanitize", "review", "block"]
Status = Literal["ok", "failed", "timeout", "skipped"]


@dataclass(slots=True)
class AgentContext:
    """Everything an agent may look at for one analysis."""

    user_id: str
    text: str
    detection: Detection
    settings: Settings
    now: float
    profile: UserProfile | None = None
    graph: GraphContext | None = None
    turn_detection: Detection | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AgentFinding:
    agent: str
    recommendation: Recommendation
    score: float = 0.0  # this agent's contribution to the risk (0..1)
    confidence: float = 1.0
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    status: Status = "ok"
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "recommendation": self.recommendation,
            "score": round(self.score, 4),
            "confidence": round(self.confidence, 4),
            "summary": self.summary,
            "details": self.details,
            "status": self.status,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


class Agent(Protocol):
    name: str
    #: True when run() does I/O (store reads): then it runs on the pool under its budget.
    needs_io: bool

    def run(self, ctx: AgentContext) -> AgentFinding: ...
