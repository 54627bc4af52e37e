"""Turning evidence into one risk score, and the score into a decision.

Risk is a *noisy-OR* over independent pieces of evidence: each rule finding
contributes its severity weight (low 0.25, medium 0.5, high 0.8, critical 0.97), the
classifier its calibrated probability, the known-attack index its similarity,
reputation and campaign membership their own weights:
``risk = 1 - prod(1 - w_i)``. Two medium findings (0.75) outweigh one (0.5); nothing
short of certainty reaches 1.

Severity levels are operating points on that score (``BLOCK_THRESHOLDS``): a prompt
is an *attack* when its risk reaches the level's threshold. At ``medium`` (the
default) one high-severity finding, two medium ones, or a classifier score above its
medium operating point suffices. Low reputation lowers the threshold (more scrutiny
for users who misbehaved): ``threshold - REPUTATION_SCRUTINY * (baseline - reputation)``.

The classifier's raw probability is mapped onto this scale piecewise-linearly so that
its own per-level thresholds (chosen on out-of-fold data, stored in the artefact)
land exactly on the matching block thresholds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..config import SeverityLevel
from ..findings import ATTACK_THREATS, Finding

BLOCK_THRESHOLDS: dict[SeverityLevel, float] = {
    SeverityLevel.LOW: 0.9,
    SeverityLevel.MEDIUM: 0.7,
    SeverityLevel.HIGH: 0.45,
    SeverityLevel.PARANOID: 0.2,
}
#: How much a fully lost reputation lowers the block threshold.
REPUTATION_SCRUTINY = 0.3
#: Floor below which reputation can never push the threshold.
MIN_THRESHOLD = 0.15


def noisy_or(weights: Iterable[float]) -> float:
    keep = 1.0
    for w in weights:
        keep *= 1.0 - max(0.0, min(1.0, w))
    return 1.0 - keep


def block_threshold(level: SeverityLevel, reputation: float | None = None, baseline: float = 1.0) -> float:
    base = BLOCK_THRESHOLDS[level]
    if reputation is None:
        return base
    penalty = REPUTATION_SCRUTINY * max(0.0, baseline - reputation)
    return max(MIN_THRESHOLD, base - penalty)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Piecewise-linear map from a model probability to the risk scale."""

    points: tuple[tuple[float, float], ...]

    @classmethod
    def from_thresholds(cls, thresholds: Mapping[str, float]) -> Calibration:
        """Anchor each level's model threshold on that level's block threshold."""
        pts = {0.0: 0.0, 1.0: 0.99}
        for level, risk in BLOCK_THRESHOLDS.items():
            t = thresholds.get(level.value)
            if t is not None and 0.0 < t < 1.0:
                pts[float(t)] = risk
        ordered = sorted(pts.items())
        # Keep it monotone even if thresholds arrive out of order.
        mono: list[tuple[float, float]] = []
        for x, y in ordered:
            if mono and y < mono[-1][1]:
                continue
            mono.append((x, y))
        return cls(tuple(mono))

    def __call__(self, p: float) -> float:
        pts = self.points
        if p <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if p <= x1:
                return y0 + (y1 - y0) * (p - x0) / (x1 - x0) if x1 > x0 else y1
        return pts[-1][1]


IDENTITY = Calibration(((0.0, 0.0), (1.0, 1.0)))


def attack_weight(finding: Finding) -> float:
    """A finding's contribution to the *attack* risk (content findings count little)."""
    w = finding.severity.weight * max(0.0, min(1.0, finding.confidence))
    return w if finding.threat_type in ATTACK_THREATS else w * 0.5


def rule_risk(findings: Iterable[Finding]) -> float:
    """Noisy-OR over findings, counting each rule once (its strongest occurrence)."""
    best: dict[str, float] = {}
    for f in findings:
        w = attack_weight(f)
        if w > best.get(f.rule_id, 0.0):
            best[f.rule_id] = w
    return noisy_or(best.values())
