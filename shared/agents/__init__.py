"""The agents of SPEC §3.7: SimilarityAgent, SafetyAgent, DecisionAgent, and the orchestrator."""

from .base import AgentContext, AgentFinding
from .decision_agent import DecisionAgent, Verdict
from .orchestrator import Orchestrator
from .safety_agent import SafetyAgent
from .similarity_agent import SimilarityAgent

__all__ = [
    "AgentContext",
    "AgentFinding",
    "DecisionAgent",
    "Orchestrator",
    "SafetyAgent",
    "SimilarityAgent",
    "Verdict",
]
