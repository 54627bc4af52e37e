"""DecisionAgent: one decision from all the evidence.

Risk combines the rule findings (current prompt and the recent turns), the calibrated
classifier score and the SimilarityAgent's score (known attacks, campaign, repeats).
With the classifier on and a fitted combiner shipped (:mod:`shared.detection.fusion`),
the layers' features go through that combiner (never below the rules' own risk, and
capped for uncorroborated short texts); otherwise risk is their noisy-OR. The prompt
is an *attack* when risk reaches the block threshold of the
configured severity level, lowered for senders with low reputation
(:mod:`shared.detection.scoring`).

What happens to an attack depends on the response strategy: ``block`` refuses it,
``sanitize`` returns the cleaned text, ``warn`` and ``allow_and_log`` let it through
with the findings attached. Content problems (PII, secrets, markup, profanity) that
the sanitizer repaired make the decision ``sanitize`` when nothing is blocked, and so
do code snippets (an XSS or SQL fragment in a developer's question) when they are the
only evidence and the sanitizer neutralised them: under ``block`` they are cleaned,
not refused. A temporarily blocked user is refused whatever the strategy.

The explanation is in words (no ids, no raw scores) so it can be shown to anyone;
the ids and numbers behind it go to :attr:`Verdict.evidence`, for operators.

Failing closed: when another agent failed or ran out of time, the missing evidence is
treated according to strictness: ``low`` decides on what it has, ``medium`` blocks
anything in the grey zone (risk of at least half the threshold), ``high`` and
``paranoid`` block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import ResponseStrategy, SeverityLevel
from ..detection.fusion import Fusion, fuse_risk, get_fusion, layer_features, short_text_cap
from ..detection.scoring import IDENTITY, Calibration, block_threshold, noisy_or, rule_risk
from ..findings import ATTACK_THREATS, Decision, Finding, RiskLevel, SanitizeResult, Severity, ThreatType
from .base import AgentContext, AgentFinding

if TYPE_CHECKING:
    from ..detection.ensemble import ModelScores

#: Attack types that are content in a developer's question: cleaned, not refused, when
#: nothing else points at an attack and the sanitizer changed the text.
CODE_SNIPPET_THREATS: frozenset[ThreatType] = frozenset({ThreatType.XSS, ThreatType.SQL_INJECTION})

_THREAT_WORDS = {
    ThreatType.PROMPT_INJECTION: "an attempt to override the assistant's instructions",
    ThreatType.JAILBREAK: "a jailbreak attempt",
    ThreatType.SYSTEM_PROMPT_LEAK: "an attempt to reveal the system prompt",
    ThreatType.DATA_EXFILTRATION: "an attempt to send data out",
    ThreatType.SQL_INJECTION: "an SQL injection fragment",
    ThreatType.XSS: "script or markup injection",
    ThreatType.COMMAND_INJECTION: "a shell command injection",
    ThreatType.ENCODING_BYPASS: "instructions hidden in an encoding",
}


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
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, object] = field(default_factory=dict)
    features: dict[str, float] = field(default_factory=dict)


class DecisionAgent:
    name = "decision"

    def __init__(
        self,
        calibration: Calibration | None = None,
        *,
        use_fusion: bool = True,
        fusion: Fusion | None = None,
        record_features: bool = False,
    ) -> None:
        """``use_fusion=False`` keeps the noisy-OR (the comparison baseline); ``fusion``
        overrides the shipped combiner; ``record_features`` fills :attr:`Verdict.features`
        even under the noisy-OR (the leave-out run fits the combiner on them; otherwise
        the noisy-OR path computes no features and costs nothing extra)."""
        self.calibration = calibration or IDENTITY
        self.use_fusion = use_fusion
        self._fusion = fusion
        self.record_features = record_features

    @property
    def fusion(self) -> Fusion | None:
        if not self.use_fusion:
            return None
        return self._fusion if self._fusion is not None else get_fusion()

    def _risk(
        self, ctx: AgentContext, findings: list[Finding], components: dict[str, float]
    ) -> tuple[float, dict[str, float]]:
        """Risk of this evidence: the fitted combiner when it applies, else the noisy-OR."""
        det = ctx.detection
        fusion = self.fusion
        if det.classifier_score is None or (fusion is None and not self.record_features):
            return noisy_or(components.values()), {}
        from ..detection.classifier import word_units

        units = word_units(det.normalized.text, limit=32)
        corroborated = any(f.severity.rank >= Severity.MEDIUM.rank for f in findings if f.threat_type in ATTACK_THREATS)
        feats = layer_features(
            findings,
            classifier_raw=det.classifier_score,
            classifier_cal=components.get("classifier", 0.0),
            similarity=components.get("similarity", 0.0),
            chars=len(det.text),
            units=units,
            corroborated=corroborated,
        )
        risk = (
            noisy_or(components.values())
            if fusion is None
            else fuse_risk(fusion, feats, components["rules"], short_text_cap(units, corroborated))
        )
        return risk, feats | {"units": units}

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
        risk, features = self._risk(ctx, findings, components)

        profile = ctx.profile
        reputation = profile.reputation if profile is not None else None
        threshold = block_threshold(level, reputation, settings.reputation.baseline)
        failed = [a for a in others if a.status in ("failed", "timeout")]
        attack = risk >= threshold
        # Risk without the code-snippet findings: when that alone stays below the threshold,
        # the snippets are the whole case and the sanitizer may clean them instead.
        core = {**components, "rules": rule_risk([f for f in findings if f.threat_type not in CODE_SNIPPET_THREATS])}
        core_findings = [f for f in findings if f.threat_type not in CODE_SNIPPET_THREATS]
        snippets_only = attack and self._risk(ctx, core_findings, core)[0] < threshold
        fail_closed = False
        strict = level in (SeverityLevel.HIGH, SeverityLevel.PARANOID)
        if failed and not attack and level != SeverityLevel.LOW and (strict or risk >= threshold / 2):
            attack = fail_closed = True

        safety = by_agent.get("safety")
        user_blocked = safety is not None and safety.status == "ok" and safety.recommendation == "block"
        changed = sanitized is not None and sanitized.changed
        strategy = settings.response_strategy
        snippet_repaired = snippets_only and changed and not fail_closed and _repaired_snippets(sanitized)
        if user_blocked or (attack and strategy == ResponseStrategy.BLOCK and not snippet_repaired):
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
        # The level always follows the documented bands; a user block is said in words.
        risk_level = RiskLevel.from_score(risk)
        reasons = _reasons(
            attack, findings, components, others, user_blocked, fail_closed, strategy, changed, decision,
            det.model_scores,
        )  # fmt: skip
        explanation = _head(decision, risk_level) + " " + " ".join(r[0].upper() + r[1:] + "." for r in reasons)
        evidence = _evidence(risk, threshold, findings, components, by_agent, det.model_scores, det.encoder_span)
        verdict = Verdict(
            decision,
            attack,
            risk,
            risk_level,
            confidence,
            threshold,
            explanation.strip(),
            findings,
            components,
            reasons,
            evidence,
            features,
        )
        finding = AgentFinding(
            self.name,
            "block" if decision == Decision.BLOCK else "sanitize" if decision == Decision.SANITIZE else "allow",
            score=risk,
            confidence=confidence,
            summary=_head(decision, risk_level),
            details={k: round(v, 4) for k, v in components.items()} | {"threshold": round(threshold, 4)},
        )
        return verdict, finding


#: Words of prose a cleaned text must keep to count as a question about code rather than
#: a bare payload (``<script>…</script>`` or ``DROP TABLE users; --`` alone stays blocked).
MIN_QUESTION_WORDS = 6


def _repaired_snippets(sanitized: SanitizeResult | None) -> bool:
    """Did the sanitizer neutralise markup or SQL inside a question that still reads as one?"""
    if sanitized is None or not any(i.threat_type in CODE_SNIPPET_THREATS for i in sanitized.issues):
        return False
    words = [w for w in sanitized.text.split() if any(c.isalpha() for c in w)]
    return len(words) >= MIN_QUESTION_WORDS


def _head(decision: Decision, level: RiskLevel) -> str:
    verb = {Decision.BLOCK: "Blocked", Decision.SANITIZE: "Sanitized", Decision.ALLOW: "Allowed"}[decision]
    return f"{verb} (risk level {level.value})."


def _reasons(
    attack: bool,
    findings: list[Finding],
    components: dict[str, float],
    others: list[AgentFinding],
    user_blocked: bool,
    fail_closed: bool,
    strategy: ResponseStrategy,
    changed: bool,
    decision: Decision,
    models: ModelScores | None = None,
) -> list[str]:
    """Why, in words a user understands: no rule ids, no attack ids, no thresholds."""
    reasons: list[str] = []
    if user_blocked:
        reasons.append("the sender is temporarily blocked after repeated critical findings")
    attack_findings = sorted((f for f in findings if f.threat_type in ATTACK_THREATS), key=lambda f: -f.severity.rank)
    seen: set[str] = set()
    for f in attack_findings:
        if f.description in seen:
            continue
        seen.add(f.description)
        if len(seen) > 3:
            reasons.append(f"and {len({g.description for g in attack_findings}) - 3} more signs of an attack")
            break
        what = _THREAT_WORDS.get(f.threat_type, f.threat_type.value.replace("_", " "))
        reasons.append(f"{what} ({f.severity.value} severity): {f.description[0].lower()}{f.description[1:]}")
    if components.get("classifier", 0.0) >= 0.45:
        reasons.append(_model_reason(models))
    for agent in others:
        if agent.status != "ok":
            reasons.append(f"the {agent.agent} check {'timed out' if agent.status == 'timeout' else 'failed'}")
        elif agent.agent == "similarity" and agent.score > 0:
            graph = agent.details.get("graph") if isinstance(agent.details, dict) else None
            graph = graph if isinstance(graph, dict) else {}
            if graph.get("campaign_id"):
                users = graph.get("campaign_users")
                reasons.append(f"it is part of a campaign of near-identical prompts from {users} senders")
            if graph.get("repeat_attacks"):
                reasons.append("it repeats a prompt already judged an attack")
            if "known attack" in agent.summary:
                reasons.append("it closely resembles a known attack")
        elif agent.agent == "safety" and agent.recommendation == "review":
            reasons.append("the sender has recent violations")
    if fail_closed:
        reasons.append("treated as an attack because part of the evidence was missing (fail closed)")
    if attack and decision == Decision.ALLOW:
        reasons.append(f"let through because the response strategy is '{strategy.value}'")
    if attack and decision == Decision.SANITIZE:
        reasons.append("the offending parts were removed or neutralised in sanitized_prompt")
    elif changed and decision != Decision.BLOCK:
        reasons.append("personal data, secrets, markup or other content was cleaned in sanitized_prompt")
    if not reasons:
        reasons.append("nothing suspicious was found")
    return reasons


def _model_reason(models: ModelScores | None) -> str:
    """Which trained model saw the attack: the transformer (meaning), the n-gram model (wording), or both."""
    if models is None:
        return "the wording resembles prompts the trained classifier learned as attacks"
    encoder, linear = models.encoder >= 0.5, models.linear >= 0.5
    if encoder and linear:
        return "both trained models read it as an attack: its meaning and its wording resemble known attacks"
    if encoder:
        return "the transformer model reads its meaning as an attack, though its wording is not that of known attacks"
    return "the wording resembles prompts the trained n-gram classifier learned as attacks"


def _evidence(
    risk: float,
    threshold: float,
    findings: list[Finding],
    components: dict[str, float],
    by_agent: dict[str, AgentFinding],
    models: ModelScores | None = None,
    encoder_span: tuple[int, int] | None = None,
) -> dict[str, object]:
    """The ids and numbers behind the explanation, for operators only."""
    out: dict[str, object] = {
        "risk": round(risk, 4),
        "threshold": round(threshold, 4),
        "components": {k: round(v, 4) for k, v in components.items()},
        "rule_ids": sorted({f.rule_id for f in findings}),
    }
    if models is not None:
        out["models"] = {
            "linear": round(models.linear, 4),
            "encoder": round(models.encoder, 4),
            "blend": round(models.combined, 4),
            "encoder_windows_read": models.windows_read,
            "encoder_windows_total": models.windows_total,
            "encoder_span": list(encoder_span) if encoder_span is not None else None,
        }
    sim = by_agent.get("similarity")
    if sim is not None and isinstance(sim.details, dict):
        nearest = sim.details.get("nearest_known_attack")
        if isinstance(nearest, dict):
            out["nearest_known_attack"] = {"id": nearest.get("id"), "similarity": nearest.get("similarity")}
        graph = sim.details.get("graph")
        if isinstance(graph, dict) and graph.get("campaign_id"):
            out["campaign_id"] = graph["campaign_id"]
    return out
