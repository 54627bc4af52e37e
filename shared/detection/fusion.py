"""A fitted combiner of the detection layers (issue 9, item 4).

The layers (rules, heuristics, decoding, the linear classifier, known-attack
similarity) are summarised in a short, fixed vector of features (:func:`layer_features`)
and combined by a logistic regression whose weights were fitted on out-of-fold data
(``infra/training/train_fusion.py``: each source family scored by a combiner and a
classifier that never saw it). Its probability is mapped onto the risk scale
piecewise-linearly, so that each severity level's operating point (chosen on the same
out-of-fold data) lands exactly on that level's block threshold: the rest of the service
(reputation scrutiny, risk bands) is unchanged.

The artefact is plain JSON (``model/fusion.json``): feature names, coefficients,
intercept, per-level thresholds, provenance and a SHA-256 over the numbers, checked on
load. No pickle. It is loaded on first use and only when the classifier is on (the
classifier's score is one of its inputs).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..findings import ATTACK_THREATS, Finding, Severity, ThreatType
from .scoring import BLOCK_THRESHOLDS, Calibration, rule_risk

DEFAULT_PATH = Path(__file__).resolve().parent / "model" / "fusion.json"
LEVELS = ("low", "medium", "high", "paranoid")

#: Threat families, each summarised by the weight of its strongest attack finding.
FAMILIES: dict[str, frozenset[ThreatType]] = {
    "injection": frozenset({ThreatType.PROMPT_INJECTION, ThreatType.SYSTEM_PROMPT_LEAK}),
    "jailbreak": frozenset({ThreatType.JAILBREAK}),
    "exfiltration": frozenset({ThreatType.DATA_EXFILTRATION}),
    "payload": frozenset({ThreatType.SQL_INJECTION, ThreatType.XSS, ThreatType.COMMAND_INJECTION}),
    "encoding": frozenset({ThreatType.ENCODING_BYPASS}),
    "obfuscation": frozenset({ThreatType.OBFUSCATION}),
}

#: The feature vector, in order. Changing it means refitting the artefact.
FEATURES: tuple[str, ...] = (
    "classifier",  # calibrated classifier score (risk scale, after the short-text ceiling)
    "classifier_logit",  # the raw score as a logit, clipped to [-8, 8]
    "rules",  # noisy-OR of the rule findings (each rule once)
    *(f"max_{name}" for name in FAMILIES),
    "max_content",  # strongest content finding (PII, secrets, markup, URLs): weak evidence
    "n_attack_findings",  # log(1 + distinct attack rules)
    "n_critical",  # attack findings of critical severity
    "n_high",
    "heur_suffix",  # adversarial-suffix heuristic fired
    "heur_planted",  # planted-instruction heuristic fired
    "decoded",  # some attack or hidden text was found inside a decoded layer
    "turns",  # an attack finding came from the recent turns, not this text
    "similarity",  # SimilarityAgent's score (known attacks, campaign, repeats)
    "log_chars",  # log10(1 + characters)
    "short",  # a text of at most three words
    "capped",  # under 24 words without a medium-or-stronger attack finding: the classifier's short-text ceiling applies
)


def _max_weight(findings: Iterable[Finding]) -> float:
    return max((f.severity.weight * max(0.0, min(1.0, f.confidence)) for f in findings), default=0.0)


def layer_features(
    findings: Sequence[Finding],
    *,
    classifier_raw: float | None,
    classifier_cal: float,
    similarity: float,
    chars: int,
    units: float,
    corroborated: bool,
) -> dict[str, float]:
    """What each layer saw, as numbers (the same at training and at inference)."""
    attacks = [f for f in findings if f.threat_type in ATTACK_THREATS]
    raw = 0.0 if classifier_raw is None else min(1.0 - 1e-4, max(1e-4, classifier_raw))
    out: dict[str, float] = {
        "classifier": classifier_cal,
        "classifier_logit": max(-8.0, min(8.0, math.log(raw / (1.0 - raw)))) if classifier_raw is not None else -8.0,
        "rules": rule_risk(findings),
    }
    for name, threats in FAMILIES.items():
        out[f"max_{name}"] = _max_weight(f for f in attacks if f.threat_type in threats)
    out["max_content"] = _max_weight(f for f in findings if f.threat_type not in ATTACK_THREATS)
    out["n_attack_findings"] = math.log1p(len({f.rule_id for f in attacks}))
    out["n_critical"] = float(sum(1 for f in attacks if f.severity == Severity.CRITICAL))
    out["n_high"] = float(sum(1 for f in attacks if f.severity == Severity.HIGH))
    ids = {f.rule_id for f in findings}
    out["heur_suffix"] = float("heur.adversarial_suffix" in ids)
    out["heur_planted"] = float("heur.planted_instruction" in ids)
    out["decoded"] = float(any(f.layer.startswith("decoded:") for f in attacks))
    out["turns"] = float(any(f.layer == "turns" for f in attacks))
    out["similarity"] = max(0.0, min(1.0, similarity))
    out["log_chars"] = math.log10(1 + chars)
    out["short"] = float(units <= 3)
    out["capped"] = float(not corroborated and units < 24)
    return out


class FusionArtifactError(ValueError):
    """The fusion JSON is missing fields, malformed, or fails its checksum."""


def numbers_digest(
    features: Sequence[str], coef: Sequence[float], intercept: float, thresholds: Mapping[str, float]
) -> str:
    """SHA-256 over everything that changes a decision, in a canonical form."""
    body = {
        "features": list(features),
        "coef": [round(float(c), 10) for c in coef],
        "intercept": round(float(intercept), 10),
        "thresholds": {k: round(float(thresholds[k]), 10) for k in LEVELS},
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Fusion:
    """Logistic combiner over :data:`FEATURES`, with its per-level operating points."""

    coef: tuple[float, ...]
    intercept: float
    thresholds: dict[str, float]
    calibration: Calibration
    metadata: dict[str, Any]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fusion:
        try:
            names = list(data["features"])
            coef = [float(c) for c in data["coef"]]
            intercept = float(data["intercept"])
            thresholds = {k: float(data["thresholds"][k]) for k in LEVELS}
            digest = str(data["sha256"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FusionArtifactError(f"Fusion model is malformed: {exc.__class__.__name__}.") from None
        if names != list(FEATURES):
            raise FusionArtifactError("Fusion model was fitted on other features; refit it (make train).")
        if len(coef) != len(names) or not all(math.isfinite(c) for c in [*coef, intercept]):
            raise FusionArtifactError("Fusion model coefficients are invalid.")
        if not all(0.0 < t < 1.0 for t in thresholds.values()):
            raise FusionArtifactError("Fusion thresholds must lie strictly between 0 and 1.")
        if numbers_digest(names, coef, intercept, thresholds) != digest:
            raise FusionArtifactError("Fusion model does not match its checksum.")
        return cls(
            tuple(coef),
            intercept,
            thresholds,
            Calibration.from_thresholds(thresholds),
            dict(data.get("metadata", {})),
        )

    @classmethod
    def load(cls, path: Path | str = DEFAULT_PATH) -> Fusion:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FusionArtifactError(f"Fusion model cannot be read: {exc.__class__.__name__}.") from None
        return cls.from_dict(data)

    def probability(self, features: Mapping[str, float]) -> float:
        """The combiner's attack probability: a dot product and a sigmoid."""
        z = self.intercept + sum(c * features[name] for c, name in zip(self.coef, FEATURES, strict=True))
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def risk(self, features: Mapping[str, float]) -> float:
        """The probability on the risk scale (each level's threshold on its block threshold)."""
        return self.calibration(self.probability(features))

    def contributions(self, features: Mapping[str, float]) -> dict[str, float]:
        """Each feature's share of the logit (for operators: which layer moved the score)."""
        return {name: c * features[name] for c, name in zip(self.coef, FEATURES, strict=True) if c * features[name]}


def fuse_risk(fusion: Fusion, features: Mapping[str, float], rules_floor: float, short_cap: float) -> float:
    """The fused risk, never below what the rules alone say, capped for bare short texts.

    ``rules_floor``: the rules' own noisy-OR, so a critical finding (or two high ones)
    still blocks at ``low`` as the README promises. ``short_cap``: without a corroborating
    finding, a text of a few words cannot block on the combiner alone.
    """
    return max(rules_floor, min(fusion.risk(features), short_cap))


def short_text_cap(units: float, corroborated: bool, min_units: float = 3.0, full_units: float = 24.0) -> float:
    """Highest fused risk an uncorroborated text of ``units`` words may get.

    The classifier's short-text rule on the risk scale: at three words or fewer, 0.9 x
    the paranoid block threshold (it cannot block at any level), rising linearly to no cap.
    """
    if corroborated:
        return 1.0
    low = 0.9 * BLOCK_THRESHOLDS[min(BLOCK_THRESHOLDS, key=lambda lv: BLOCK_THRESHOLDS[lv])]
    if units <= min_units:
        return low
    if units >= full_units:
        return 1.0
    return low + (1.0 - low) * (units - min_units) / (full_units - min_units)


_instance: Fusion | None = None
_loaded = False
_lock = threading.Lock()


def get_fusion() -> Fusion | None:
    """The shipped combiner, loaded on first use; ``None`` when no artefact is shipped."""
    global _instance, _loaded
    if not _loaded:
        with _lock:
            if not _loaded:
                _instance = Fusion.load(DEFAULT_PATH) if DEFAULT_PATH.exists() else None
                _loaded = True
    return _instance


def set_fusion(fusion: Fusion | None, *, loaded: bool = True) -> None:
    """Replace the shared combiner (tests, the leave-out evaluation); ``loaded=False`` reloads lazily."""
    global _instance, _loaded
    with _lock:
        _instance, _loaded = fusion, loaded
