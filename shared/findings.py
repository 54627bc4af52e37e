"""Vocabulary shared by every stage: threat types, severities, risk levels, findings.

These are plain enums and dataclasses so the detection code stays fast and
import-light; pydantic models live only at the edges (``shared/api_models.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ThreatType(StrEnum):
    PROMPT_INJECTION = "prompt_injection"
    JAILBREAK = "jailbreak"
    SYSTEM_PROMPT_LEAK = "system_prompt_leak"
    DATA_EXFILTRATION = "data_exfiltration"
    SQL_INJECTION = "sql_injection"
    XSS = "xss"
    COMMAND_INJECTION = "command_injection"
    ENCODING_BYPASS = "encoding_bypass"
    OBFUSCATION = "obfuscation"
    PII = "pii"
    SECRET = "secret"
    PROFANITY = "profanity"
    SUSPICIOUS_URL = "suspicious_url"


#: Threats that make a prompt an *attack* (as opposed to content that only needs cleaning).
ATTACK_THREATS: frozenset[ThreatType] = frozenset(
    {
        ThreatType.PROMPT_INJECTION,
        ThreatType.JAILBREAK,
        ThreatType.SYSTEM_PROMPT_LEAK,
        ThreatType.DATA_EXFILTRATION,
        ThreatType.SQL_INJECTION,
        ThreatType.XSS,
        ThreatType.COMMAND_INJECTION,
        ThreatType.ENCODING_BYPASS,
    }
)

#: Threats a sanitizer can repair in place.
CONTENT_THREATS: frozenset[ThreatType] = frozenset(
    {
        ThreatType.PII,
        ThreatType.SECRET,
        ThreatType.PROFANITY,
        ThreatType.SUSPICIOUS_URL,
        ThreatType.OBFUSCATION,
    }
)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def weight(self) -> float:
        """Contribution of one finding of this severity to the risk score (0..1)."""
        return _SEVERITY_WEIGHT[self]


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}
_SEVERITY_WEIGHT = {Severity.LOW: 0.25, Severity.MEDIUM: 0.5, Severity.HIGH: 0.8, Severity.CRITICAL: 0.97}


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RISK_RANK[self]

    @classmethod
    def from_score(cls, score: float) -> RiskLevel:
        """Map a 0..1 risk score to a level with fixed cut points (documented in README)."""
        if score >= 0.9:
            return cls.CRITICAL
        if score >= 0.7:
            return cls.HIGH
        if score >= 0.45:
            return cls.MEDIUM
        if score >= 0.2:
            return cls.LOW
        return cls.NONE


_RISK_RANK = {
    RiskLevel.NONE: 0,
    RiskLevel.LOW: 1,
    RiskLevel.MEDIUM: 2,
    RiskLevel.HIGH: 3,
    RiskLevel.CRITICAL: 4,
}


class Decision(StrEnum):
    ALLOW = "allow"
    SANITIZE = "sanitize"
    BLOCK = "block"


@dataclass(slots=True)
class Finding:
    """One reason to worry, pointing back into the caller's original text.

    ``span`` is a half-open ``(start, end)`` range of the *original* prompt, or ``None``
    when the finding is about the text as a whole (classifier, similarity, reputation).
    ``layer`` says where it was seen: ``"text"``, ``"decoded:base64"``, ``"turn:-1"``...
    """

    threat_type: ThreatType
    rule_id: str
    severity: Severity
    description: str
    span: tuple[int, int] | None = None
    layer: str = "text"
    confidence: float = 1.0

    def to_dict(self) -> dict[str, object]:
        return {
            "type": self.threat_type.value,
            "rule_id": self.rule_id,
            "severity": self.severity.value,
            "description": self.description,
            "span": list(self.span) if self.span is not None else None,
            "layer": self.layer,
            "confidence": round(self.confidence, 4),
        }


@dataclass(slots=True)
class SanitizeIssue:
    """Something a sanitizer changed; ``span`` is into the text the sanitizer received."""

    threat_type: ThreatType
    kind: str
    span: tuple[int, int]
    replacement: str

    def to_dict(self) -> dict[str, object]:
        return {
            "type": self.threat_type.value,
            "kind": self.kind,
            "span": list(self.span),
            "replacement": self.replacement,
        }


@dataclass(slots=True)
class SanitizeResult:
    text: str
    issues: list[SanitizeIssue] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.issues)
