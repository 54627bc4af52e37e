"""What a text proves about itself, before anyone else's behaviour is weighed.

The self-learning loop (campaigns, the known-attack index) must not let one caller's
text decide how other texts are judged. Both therefore look at the *own* evidence of
a text: its rule findings and classifier score, without the similarity to known
attacks, campaigns or the sender's history.
"""

from __future__ import annotations

from collections.abc import Callable

from ..detection.detector import Detection
from ..detection.scoring import noisy_or, rule_risk
from ..findings import Severity


def own_text_risk(detection: Detection, calibration: Callable[[float], float] | None = None) -> float:
    """Risk from the text alone: rules and the (calibrated) classifier."""
    parts = [rule_risk(detection.attack_findings)]
    if detection.classifier_score is not None:
        score = detection.classifier_score
        parts.append(calibration(score) if calibration is not None else score)
    return noisy_or(parts)


def own_rule_risk(detection: Detection) -> float:
    """Risk from the text's own rule findings only: precise evidence, unlike the classifier,
    which rates many short greetings high and so cannot vouch that a text is an attack."""
    return rule_risk(detection.attack_findings)


def critical_coverage(detection: Detection) -> float:
    """Share of the text under critical attack findings (0 when none has a span).

    A learned known-attack entry is the embedding of the *whole* text; it stands for the
    attack only when the attack is most of the text, not a prefix glued to something else.
    """
    length = len(detection.text)
    spans = sorted(f.span for f in detection.attack_findings if f.severity == Severity.CRITICAL and f.span is not None)
    if not length or not spans:
        return 0.0
    covered = 0
    end = 0
    for start, stop in spans:
        start = max(start, end)
        if stop > start:
            covered += stop - start
            end = stop
    return min(1.0, covered / length)
