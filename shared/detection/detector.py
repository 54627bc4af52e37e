"""Detection of one text: everything that does not need the user's history.

``Detector.detect(text)`` normalises, decodes, matches the rules on every view and
decoded layer, runs the heuristics, scores the classifier and looks the text up in
the known-attack index. It returns findings whose spans point into ``text`` and the
raw signals; turning those into a decision is the agents' job (``shared/agents``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..findings import ATTACK_THREATS, Finding, Severity, ThreatType
from ._re import compile_re
from .decode import DecodedLayer, changed_offsets, decode_layers, english_score
from .ensemble import ModelEnsemble, ModelScores
from .heuristics import adversarial_suffix, planted_instruction
from .known_attacks import KnownAttackIndex, Neighbour
from .normalize import NormalizedText, normalize
from .rules import RuleEngine, RuleHit

if TYPE_CHECKING:
    import numpy as np

    from ..config import Settings
    from .classifier import Classifier

#: Encodings people use openly (links, markup, letter-spaced headings); text hidden in
#: them is not suspicious by itself, only what rules find inside it.
_TRANSPARENT = frozenset({"url", "html", "spaced"})
_INSTRUCTION_SHAPE = compile_re(
    r"(?i)^\W*(how|what|why|where|who|which|when|can|could|would|will|should|is|are|do|does|tell|give|show|list|"
    r"write|explain|describe|provide|create|generate|make|help|ignore|print|say|output|send|find|teach|detail|"
    r"outline|produce|draft|compose|develop|design|plan|suggest|offer|share|reveal|disregard|forget|pretend|"
    r"act|you are|you're|from now on)\b|\?\s*$"
)


@dataclass(slots=True)
class Detection:
    text: str
    normalized: NormalizedText
    layers: list[DecodedLayer] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    classifier_score: float | None = None
    #: Each trained model's own score when the transformer is on (``classifier_score`` is their blend).
    model_scores: ModelScores | None = None
    #: Span of ``text`` that the transformer found most attack-like (its best window).
    encoder_span: tuple[int, int] | None = None
    nearest: Neighbour | None = None
    embedding: np.ndarray | None = None  # of the normalised text (reused for the graph message)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def attack_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.threat_type in ATTACK_THREATS]


class Detector:
    """Stateless detection for one text, built once per process from the settings."""

    def __init__(
        self,
        settings: Settings,
        rules: RuleEngine,
        *,
        classifier: Classifier | ModelEnsemble | None = None,
        embed: Callable[[str], np.ndarray] | None = None,
        index: KnownAttackIndex | None = None,
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.classifier = classifier
        self.embed = embed
        self.index = index

    # ------------------------------------------------------------------ rules
    def _rule_findings(
        self, norm: NormalizedText, layer: str, span: tuple[int, int] | None, starts: list[int] | None = None
    ) -> list[Finding]:
        """Findings of the rules on one view; ``starts`` collects where the text-view hits begin."""
        text_hits = self.rules.match(norm.text, "text")
        if starts is not None:
            starts.extend(hit.span[0] for hit in text_hits)
        hits: list[RuleHit] = text_hits + self.rules.match(norm.plain, "plain")
        out = []
        for hit in hits:
            rule = hit.rule
            out.append(
                Finding(
                    rule.threat_type,
                    rule.id,
                    rule.severity,
                    rule.description,
                    span if span is not None else norm.original_span(*hit.span),
                    layer,
                )
            )
        return out

    def _layer_score(self, text: str, against: str, memo: dict[str, float]) -> float:
        """A decoded layer's model score, once per text per detection.

        A layer that repeats ``against`` (the text already scored) except where it was
        decoded, such as markup with a few entities, has the transformer read only the
        windows around the decoded parts: the rest was read with the text itself.
        """
        assert self.classifier is not None
        if text not in memo:
            changed = changed_offsets(against, text) if isinstance(self.classifier, ModelEnsemble) else None
            if changed is None:
                memo[text] = self.classifier.score(text)
            else:
                memo[text] = self.classifier.score(text, changed)
        return memo[text]

    def _layer_findings(
        self,
        layer: DecodedLayer,
        seen: frozenset[str],
        asked: bool,
        memo: dict[str, float],
        against: str,
    ) -> list[Finding]:
        """Findings inside one decoded layer.

        ``asked``: the user openly asked for a decoding ("decode this base64"). Text the
        user shows and names is not concealed: a decoded *statement* that the classifier
        finds ordinary (below its paranoid operating point) is only a low-severity note.
        A decoded request or question stays a hidden instruction (encoded harmful asks
        read as ordinary to an n-gram model), and rules firing inside count in full.
        """
        assert layer.normalized is not None
        inner = self._rule_findings(layer.normalized, f"decoded:{layer.encoding}", layer.span)
        if layer.speculative:
            # Blind ROT13 leaves letter-free text ("../../") unchanged: a rule that fires
            # on both the text and its rotation is not evidence of hidden content.
            inner = [f for f in inner if f.rule_id not in seen]
        attacks = [f for f in inner if f.threat_type in ATTACK_THREATS]
        out: list[Finding] = list(attacks)
        if attacks:
            worst = max(attacks, key=lambda f: f.severity.rank)
            severity = worst.severity if worst.severity.rank >= Severity.HIGH.rank else Severity.HIGH
            out.append(
                Finding(
                    ThreatType.ENCODING_BYPASS,
                    "enc.hidden_attack",
                    severity,
                    f"An attack ({worst.threat_type.value}: {worst.rule_id}) is hidden in "
                    f"{layer.encoding.replace('>', ' inside ')} encoding",
                    layer.span,
                    f"decoded:{layer.encoding}",
                )
            )
        elif not layer.speculative and layer.encoding.split(">")[-1] not in _TRANSPARENT:
            words = layer.normalized.text.split()
            if len(words) >= 3 and english_score(layer.normalized.text) >= 0.15:
                shaped = _INSTRUCTION_SHAPE.search(layer.normalized.text.strip()) is not None
                severity = Severity.HIGH if shaped else Severity.MEDIUM
                if asked and not shaped and self.classifier is not None:
                    inner_score = self._layer_score(layer.normalized.text, against, memo)
                    if inner_score < self.classifier.threshold("paranoid"):
                        severity = Severity.LOW
                out.append(
                    Finding(
                        ThreatType.ENCODING_BYPASS,
                        "enc.hidden_instruction" if shaped else "enc.hidden_text",
                        severity,
                        f"Readable {'instructions are' if shaped else 'text is'} hidden in "
                        f"{layer.encoding.replace('>', ' inside ')} encoding",
                        layer.span,
                        f"decoded:{layer.encoding}",
                    )
                )
        return out

    # --------------------------------------------------------------- detect
    def detect(self, text: str) -> Detection:
        cfg = self.settings.preprocessing
        t0 = time.perf_counter()
        norm = normalize(
            text,
            unicode_normalize=cfg.unicode_normalize,
            fold_homoglyphs=cfg.fold_homoglyphs,
            fold_leetspeak=cfg.fold_leetspeak,
        )
        t1 = time.perf_counter()
        det = Detection(text=text, normalized=norm)
        det.findings.extend(norm.findings)
        flagged: list[int] = []  # where rules fired: the transformer reads those windows early
        det.findings.extend(self._rule_findings(norm, "text", None, flagged))
        for heuristic in (adversarial_suffix, planted_instruction):
            found = heuristic(norm.plain)
            if found is not None:
                if found.span is not None:
                    flagged.append(found.span[0])  # a view of the same text: close enough to pick a window
                    found.span = norm.original_span(*found.span)
                det.findings.append(found)
        t2 = time.perf_counter()
        memo: dict[str, float] = {}  # model scores of decoded layers, by text
        if cfg.decode:
            det.layers = decode_layers(
                norm,
                max_depth=cfg.decode_max_depth,
                max_bytes=cfg.decode_max_bytes,
                max_segments=cfg.decode_max_segments,
            )
            seen = frozenset(f.rule_id for f in det.findings)
            asked = "enc.decode_request" in seen
            for layer in det.layers:
                det.findings.extend(self._layer_findings(layer, seen, asked, memo, norm.text))
        t3 = time.perf_counter()
        # Allowlisted phrases are known-good: the whole-text scorers do not see them.
        scored_text = self.rules.without_allowed(norm.text)
        encoder_ms = 0.0
        if self.classifier is not None:
            score = 0.0
            if scored_text and isinstance(self.classifier, ModelEnsemble):  # the linear model + the transformer
                models = self.classifier.scores(scored_text, flagged)
                det.model_scores = models
                encoder_ms = models.encoder_ms
                score = models.combined
                if models.window is not None and scored_text == norm.text:
                    det.encoder_span = norm.original_span(*models.window)
                memo.setdefault(scored_text, score)
            elif scored_text:
                score = self.classifier.score(scored_text)
            for layer in det.layers:
                # Decoded *language* is classified too (a hidden request); decoded data such
                # as a JWT's JSON header is not prose and only the rules look at it.
                if (
                    not layer.speculative
                    and layer.normalized is not None
                    and len(layer.text) >= 16
                    and english_score(layer.normalized.text) >= 0.15
                ):
                    score = max(score, self._layer_score(layer.normalized.text, norm.text, memo))
            if not any(f.severity.rank >= Severity.MEDIUM.rank for f in det.attack_findings):
                # Uncorroborated: a score on a text of a few words may not decide alone.
                score = min(score, self.classifier.ceiling(norm.text))
            det.classifier_score = score
        t4 = time.perf_counter()
        if self.embed is not None:
            det.embedding = self.embed(scored_text)
            if self.index is not None and len(self.index):
                neighbours = self.index.query(det.embedding, k=1)
                det.nearest = neighbours[0] if neighbours else None
        t5 = time.perf_counter()
        det.findings = _dedupe(det.findings)
        det.timings_ms = {
            "normalize": (t1 - t0) * 1e3,
            "rules": (t2 - t1) * 1e3,
            "decode": (t3 - t2) * 1e3,
            "classifier": (t4 - t3) * 1e3 - encoder_ms,
            "encoder": encoder_ms,
            "similarity": (t5 - t4) * 1e3,
        }
        return det


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per (rule, layer), keeping the most severe; stable order by span."""
    best: dict[tuple[str, str], Finding] = {}
    for f in findings:
        key = (f.rule_id, f.layer.split(":")[0])
        if key not in best or f.severity.rank > best[key].severity.rank:
            best[key] = f
    return sorted(best.values(), key=lambda f: (f.span[0] if f.span else -1, f.rule_id))
