"""Runs the agents with time budgets and isolates their failures.

Agents that do I/O (store reads) run concurrently on a shared thread pool, each with
``limits.agent_budget_ms``; whatever does not answer in time is reported as
``timeout`` and whatever raises as ``failed`` (the exception is logged, not returned).
Agents without I/O (no store configured) run inline: a thread hand-off would cost more
than their work, and they are still isolated from failures.
The DecisionAgent then decides on what arrived and fails closed on what did not.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
import time
from collections.abc import Sequence

from ..findings import SanitizeResult
from .base import Agent, AgentContext, AgentFinding
from .decision_agent import DecisionAgent, Verdict

log = logging.getLogger(__name__)

_pool: cf.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor(workers: int) -> cf.ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pss-agent")
    return _pool


class Orchestrator:
    def __init__(self, agents: Sequence[Agent], decision: DecisionAgent, *, budget_ms: float, workers: int = 16):
        self.agents = list(agents)
        self.decision = decision
        self.budget_s = budget_ms / 1000.0
        self.workers = workers

    def _guarded(self, agent: Agent, ctx: AgentContext) -> AgentFinding:
        start = time.perf_counter()
        try:
            finding = agent.run(ctx)
        except Exception as exc:  # an agent must never take the analysis down
            log.warning("agent %s failed: %s", agent.name, type(exc).__name__)
            finding = AgentFinding(
                agent.name,
                "review",
                status="failed",
                summary=f"{agent.name} agent failed ({type(exc).__name__})",
            )
        finding.elapsed_ms = (time.perf_counter() - start) * 1e3
        return finding

    def run(self, ctx: AgentContext, sanitized: SanitizeResult | None = None) -> tuple[Verdict, list[AgentFinding]]:
        pooled = [a for a in self.agents if getattr(a, "needs_io", True)]
        futures = {}
        if pooled:
            pool = _executor(self.workers)
            futures = {agent.name: pool.submit(self._guarded, agent, ctx) for agent in pooled}
        deadline = time.perf_counter() + self.budget_s
        findings: list[AgentFinding] = []
        for agent in self.agents:
            if agent.name not in futures:
                findings.append(self._guarded(agent, ctx))
                continue
            future = futures[agent.name]
            try:
                findings.append(future.result(timeout=max(0.0, deadline - time.perf_counter())))
            except cf.TimeoutError:
                findings.append(
                    AgentFinding(
                        agent.name,
                        "review",
                        status="timeout",
                        summary=f"{agent.name} agent exceeded its {self.budget_s * 1000:.0f} ms budget",
                        elapsed_ms=self.budget_s * 1000,
                    )
                )
        verdict, decision = self.decision.decide(ctx, findings, sanitized)
        return verdict, [*findings, decision]
