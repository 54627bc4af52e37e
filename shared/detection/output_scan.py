"""Scanning what the model says back (SPEC §3.9).

An injection that got through shows up in the answer: the system prompt's canary
token, a markdown image that would send data to someone's server when rendered, a
``<script>`` the client would run, or personal data and secrets the model should not
repeat. The scan reports each, and the redacted answer replaces PII and secrets with
placeholders; an answer that leaks the canary or carries active exfiltration is
withheld entirely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..findings import Finding, Severity, ThreatType
from .normalize import normalize
from .rules import RuleEngine

if TYPE_CHECKING:
    from ..sanitize import Sanitizer

#: Rules that mean "the answer is doing something to the reader".
OUTPUT_RULE_PREFIXES = ("ex.markdown_image", "xss.", "cmd.reverse_shell", "cmd.download_execute")


@dataclass(slots=True)
class OutputScan:
    findings: list[Finding] = field(default_factory=list)
    redacted: str = ""
    withheld: bool = False
    canary_leaked: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, object]:
        return {
            "clean": self.clean,
            "withheld": self.withheld,
            "canary_leaked": self.canary_leaked,
            "findings": [f.to_dict() for f in self.findings],
        }


def scan_output(
    answer: str,
    *,
    rules: RuleEngine,
    sanitizer: Sanitizer,
    canary: str | None = None,
) -> OutputScan:
    scan = OutputScan(redacted=answer)
    if canary:
        from ..llm.canary import leaked

        if leaked(canary, answer):
            scan.canary_leaked = True
            scan.findings.append(
                Finding(
                    ThreatType.SYSTEM_PROMPT_LEAK,
                    "out.canary_leak",
                    Severity.CRITICAL,
                    "The answer contains the system prompt's canary token: the prompt was leaked",
                )
            )
    norm = normalize(answer)
    for view in ("text", "plain"):
        for hit in rules.match(norm.text if view == "text" else norm.plain, view):  # type: ignore[arg-type]
            if hit.rule.id.startswith(OUTPUT_RULE_PREFIXES):
                scan.findings.append(
                    Finding(
                        hit.rule.threat_type,
                        f"out.{hit.rule.id}",
                        hit.rule.severity,
                        hit.rule.description,
                        norm.original_span(*hit.span),
                        "output",
                    )
                )
    issues = sanitizer.find(answer)
    for issue in issues:
        if issue.threat_type in (
            ThreatType.PII,
            ThreatType.SECRET,
            ThreatType.XSS,
            ThreatType.SUSPICIOUS_URL,
        ):
            scan.findings.append(
                Finding(
                    issue.threat_type,
                    f"out.{issue.kind}",
                    Severity.HIGH if issue.threat_type == ThreatType.SECRET else Severity.MEDIUM,
                    f"The answer contains {issue.kind}",
                    issue.span,
                    "output",
                )
            )
    if issues:
        scan.redacted = sanitizer.sanitize(answer).text
    # A markdown image in an answer is fetched by the client as soon as it renders: any
    # image with data in its URL, or active exfiltration/command payload, withholds it.
    scan.withheld = scan.canary_leaked or any(
        f.rule_id.startswith("out.ex.markdown_image")
        or (f.severity.rank >= Severity.HIGH.rank and f.rule_id.startswith(("out.ex.", "out.cmd.")))
        for f in scan.findings
    )
    if scan.withheld:
        scan.redacted = ""
    return scan
