"""DecisionAgent: one decision from all the evidence.

Risk = noisy-OR of the rule findings (current prompt and the recent turns), the
calibrated classifier score and the SimilarityAgent's score (known attacks, campaign,
repeats). The prompt is an *attack* when risk reaches the block threshold of the
configured severity level, lowered for senders with low reputation
(:mod:`shared.detection.scoring`).

What happens to an attack depends on the response strategy: ``block`` refuses it,
``sanitize`` returns the cleaned text, ``warn`` and ``allow_and_log`` let it through
with the findings attached. Content problems (PII, secrets, markup, profanity) that
the sanitizer repaired make the decision ``sanitize`` when nothing is blocked.
A temporarily blocked user is refused whatever the strategy.

Failing closed: when another agent failed or ran out of time, the missing evidence is
treated according to strictness: ``low`` decides on what it has, ``medium`` blocks
anything in the grey zone (risk of at least half the threshold), ``high`` and
``paranoid`` block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import ResponseStrategy, SeverityLevel
from ..detection.scoring import IDENTITY, Calibration, block_threshold, noisy_or, rule_risk
from ..findings import ATTACK_THREATS, Decision, Finding, RiskLevel, SanitizeResult
from .base import AgentContext, AgentFinding


@dataclass(slots=True)
class Verdict:
    decision: Decision
    attack: bool
    risk: float
    risk_level: RiskLevel
    confidence: float
    threshold: float
    explanation: str
    findings: list[Finding] = field(default_factory=list)
    components: dict[str, float] = field(default_factory=dict)


class DecisionAgent:
    name = "decision"

    def __init__(self, calibration: Calibration | None = None) -> None:
        self.calibration = calibration or IDENTITY

    def decide(
        self,
        ctx: AgentContext,
        others: list[AgentFinding],
        sanitized: SanitizeResult | None = None,
    ) -> tuple[Verdict, AgentFinding]:
        settings = ctx.settings
        level = settings.severity_level
        det = ctx.detection
        findings = list(det.findings)
        if ctx.turn_detection is not None:
            seen = {f.rule_id for f in findings}
            for f in ctx.turn_detection.findings:
                if f.rule_id not in seen and f.threat_type in ATTACK_THREATS:
                    f.layer = "turns"
                    f.span = None
                    findings.append(f)
        components: dict[str, float] = {"rules": rule_risk(findings)}
        if det.classifier_score is not None:
            components["classifier"] = self.calibration(det.classifier_score)
        by_agent = {a.agent: a for a in others}
        sim = by_agent.get("similarity")
        if sim is not None and sim.status == "ok":
            components["similarity"] = sim.score
        risk = noisy_or(components.values())

        profile = ctx.profile
        reputation = profile.reputation if profile is not None else None
        threshold = block_threshold(level, reputation, settings.reputation.baseline)
        failed = [a for a in others if a.status in ("failed", "timeout")]
        attack = risk >= threshold
        fail_closed = False
        strict = level in (SeverityLevel.HIGH, SeverityLevel.PARANOID)
        if failed and not attack and level != SeverityLevel.LOW and (strict or risk >= threshold / 2):
            attack = fail_closed = True

        safety = by_agent.get("safety")
        user_blocked = safety is not None and safety.status == "ok" and safety.recommendation == "block"
        changed = sanitized is not None and sanitized.changed
        strategy = settings.response_strategy
        if user_blocked or (attack and strategy == ResponseStrategy.BLOCK):
            decision = Decision.BLOCK
        elif (attack and strategy == ResponseStrategy.SANITIZE) or (
            changed and strategy in (ResponseStrategy.BLOCK, ResponseStrategy.SANITIZE)
        ):
            decision = Decision.SANITIZE
        else:
            decision = Decision.ALLOW

        if attack:
            margin = (risk - threshold) / max(1e-6, 1.0 - threshold)
        else:
            margin = (threshold - risk) / max(1e-6, threshold)
        confidence = 0.5 + 0.5 * max(0.0, min(1.0, margin))
        if failed:
            confidence *= 0.75
        risk_level = RiskLevel.from_score(risk)
        if user_blocked and risk_level.rank < RiskLevel.HIGH.rank:
            risk_level = RiskLevel.HIGH
        explanation = _explain(
            decision,
            attack,
            risk,
            threshold,
            findings,
            components,
            others,
            user_blocked,
            fail_closed,
            strategy,
            changed,
        )
        verdict = Verdict(decision, attack, risk, risk_level, confidence, threshold, explanation, findings, components)
        finding = AgentFinding(
            self.name,
            "block" if decision == Decision.BLOCK else "sanitize" if decision == Decision.SANITIZE else "allow",
            score=risk,
            confidence=confidence,
            summary=explanation.split(". ")[0],
            details={k: round(v, 4) for k, v in components.items()} | {"threshold": round(threshold, 4)},
        )
        return verdict, finding


def _explain(
    decision: Decision,
    attack: bool,
    risk: float,
    threshold: float,
    findings: list[Finding],
    components: dict[str, float],
    others: list[AgentFinding],
    user_blocked: bool,
    fail_closed: bool,
    strategy: ResponseStrategy,
    changed: bool,
) -> str:
    verb = {Decision.BLOCK: "Blocked", Decision.SANITIZE: "Sanitized", Decision.ALLOW: "Allowed"}[decision]
    head = f"{verb}: risk {risk:.2f} against a block threshold of {threshold:.2f}"
    parts = [head]
    if user_blocked:
        parts.append("the user is temporarily blocked after repeated critical findings")
    attack_findings = sorted((f for f in findings if f.threat_type in ATTACK_THREATS), key=lambda f: -f.severity.rank)
    if attack_findings:
        shown = ", ".join(f"{f.rule_id} ({f.threat_type.value}, {f.severity.value})" for f in attack_findings[:5])
        more = f" and {len(attack_findings) - 5} more" if len(attack_findings) > 5 else ""
        parts.append(f"rules fired: {shown}{more}")
    if "classifier" in components and components["classifier"] >= 0.2:
        parts.append(f"the classifier rates it {components['classifier']:.2f} on the risk scale")
    for agent in others:
        if agent.status != "ok":
            parts.append(f"the {agent.agent} agent {agent.status}")
        elif (agent.agent == "similarity" and agent.score > 0) or (
            agent.agent == "safety" and agent.recommendation == "review"
        ):
            parts.append(agent.summary)
    if fail_closed:
        parts.append("treated as an attack because evidence was missing (fail closed)")
    if attack and decision == Decision.ALLOW:
        parts.append(f"let through because the response strategy is '{strategy.value}'")
    if changed and decision != Decision.BLOCK:
        parts.append("content was sanitized")
    if not attack and not changed and not user_blocked and not attack_findings:
        parts.append("no rule fired")
    return ". ".join(parts) + "."
