"""The one pipeline entry point: ``get_pipeline().analyze(request)``.

The HTTP function, the CLI and the benchmarks all call this, so what is measured is
what is served. One analysis:

1. validate the prompt (and the optional second prompt and conversation turns);
2. detect: normalise, decode, rules, heuristics, classifier, known-attack lookup;
3. detect on the recent conversation turns joined with the prompt (split attacks);
4. sanitize the prompt (PII, secrets, markup, SQL fragments, URLs, profanity);
5. agents: similarity and safety in parallel under time budgets, then the decision;
6. optionally forward the allowed, sanitized prompt to Azure OpenAI with a canary in
   the system prompt and scan the answer;
7. record (prompt metadata, audit event, profile update) and build the graph-update
   message for the queue; emit telemetry. Prompt text is stored only when the
   privacy settings allow it; everything else carries a keyed HMAC of it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .agents import AgentContext, AgentFinding, DecisionAgent, Orchestrator, SafetyAgent, SimilarityAgent
from .config import Settings, get_settings
from .detection.builtin_rules import builtin_rules
from .detection.detector import Detection, Detector
from .detection.known_attacks import KnownAttackIndex, LocalIndex, seed_from_rules
from .detection.output_scan import OutputScan, scan_output
from .detection.rules import RuleEngine
from .detection.scoring import Calibration
from .detection.similarity import METRICS, all_scores
from .detection.validate import validate_text
from .errors import ErrorCode, InputError, ServiceError
from .findings import ATTACK_THREATS, Decision, Finding, RiskLevel, SanitizeResult, Severity, ThreatType

if TYPE_CHECKING:
    import numpy as np

    from .detection.classifier import Classifier
    from .detection.ensemble import ModelEnsemble
    from .sanitize import Sanitizer
    from .stores.base import Store

log = logging.getLogger(__name__)

GRAPH_MESSAGE_VERSION = 1
#: Threat fields a client reply keeps (no rule ids, no confidences).
CLIENT_THREAT_KEYS = frozenset({"type", "severity", "description", "span", "layer"})


@dataclass(slots=True)
class AnalysisRequest:
    """One prompt to analyse (the HTTP edge validates the JSON into this)."""

    user_id: str
    prompt: str
    prompt2: str | None = None
    similarity_metric: str | None = None
    similarity_threshold: float | None = None
    forward_to_llm: bool = False
    turns: Sequence[str] = ()
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(slots=True)
class AnalysisResult:
    request_id: str
    user_id: str
    prompt_id: str
    prompt2_id: str | None
    decision: Decision
    attack: bool
    risk: float
    risk_level: RiskLevel
    confidence: float
    threats: list[Finding]
    sanitized: SanitizeResult
    explanation: str
    agent_findings: list[AgentFinding]
    similarity_scores: dict[str, float] | None
    is_similar: bool | None
    similarity_metric: str | None
    llm_response: str | None
    llm_output: OutputScan | None
    classifier_score: float | None
    input_hash: str
    timestamp: str
    analysis_ms: float
    stage_ms: dict[str, float]
    graph_message: dict[str, Any] | None = None
    degraded: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def to_api(self, detail: Literal["operator", "client"] = "operator") -> dict[str, Any]:
        """The response body of ``POST /api/analyze`` (seed-compatible plus extras).

        ``operator`` is everything: scores, threshold, rule / attack / campaign ids and the
        agents' findings. ``client`` is what any caller may see: the decision, the level, a
        coarse risk and the reasons in words, without the component scores, threshold and
        ids that would let an attacker tune a prompt.
        """
        body = self._operator_body()
        if detail == "operator":
            return body
        for key in ("agent_findings", "confidence", "classifier_score", "evidence", "degraded"):
            body.pop(key)
        # A coarse risk stays: callers set their own thresholds and rank with it (score.py's
        # --score-field), while two decimals are too blunt to tune a prompt against.
        body["risk_score"] = round(self.risk, 2)
        body["threats"] = [{k: v for k, v in t.items() if k in CLIENT_THREAT_KEYS} for t in body["threats"]]
        return body

    def _operator_body(self) -> dict[str, Any]:
        return {
            "success": True,
            "request_id": self.request_id,
            "prompt1_id": self.prompt_id,
            "prompt2_id": self.prompt2_id,
            "similarity_scores": self.similarity_scores,
            "similarity_metric": self.similarity_metric,
            "is_similar": self.is_similar,
            "llm_response": self.llm_response,
            "llm_output": self.llm_output.to_dict() if self.llm_output else None,
            "explanation": self.explanation,
            "reasons": self.reasons,
            "evidence": self.evidence,
            "warnings": self.warnings,
            "agent_findings": [a.to_dict() for a in self.agent_findings],
            "decision": self.decision.value,
            "attack": self.attack,
            "risk_score": round(self.risk, 4),
            "risk_level": self.risk_level.value,
            "confidence": round(self.confidence, 4),
            "threats": [f.to_dict() for f in self.threats],
            "sanitized_prompt": self.sanitized.text,
            "sanitization": [i.to_dict() for i in self.sanitized.issues],
            # On the risk scale (calibrated), the same number the risk is made of.
            "classifier_score": round(self.classifier_score, 4) if self.classifier_score is not None else None,
            "degraded": self.degraded,
            "timestamp": self.timestamp,
            "analysis_ms": round(self.analysis_ms, 3),
        }


class Pipeline:
    """Everything needed to analyse prompts, built once per process."""

    def __init__(
        self,
        settings: Settings,
        *,
        detector: Detector,
        sanitizer: Sanitizer,
        store: Store | None = None,
        embed: Callable[[str], np.ndarray] | None = None,
        graph_lookup: Callable[[AgentContext], Any] | None = None,
        calibration: Calibration | None = None,
        output_sanitizer: Sanitizer | None = None,
        forward_redactor: Sanitizer | None = None,
    ) -> None:
        self.settings = settings
        self.detector = detector
        self.rules = detector.rules
        self.sanitizer = sanitizer
        #: The model's answers: personal data and secrets are always redacted there (a
        #: leak), whichever strategies the prompts get.
        self.output_sanitizer = output_sanitizer or sanitizer
        #: Personal data never reaches the model provider: a forwarded prompt has it
        #: redacted even when PII is not one of the prompt strategies (the verdict and
        #: ``sanitized_prompt`` then keep it: the caller's own request is about it).
        self.forward_redactor = forward_redactor
        self.store = store
        self.embed = embed
        self.orchestrator = Orchestrator(
            [SimilarityAgent(graph_lookup), SafetyAgent(store)],
            DecisionAgent(calibration),
            budget_ms=settings.limits.agent_budget_ms,
            workers=max(4, settings.limits.max_concurrent_analyses),
        )
        self._slots = threading.BoundedSemaphore(settings.limits.max_concurrent_analyses)
        self.attack_sync = None
        if store is not None and detector.index is not None:
            from .detection.known_attacks import AttackSync

            self.attack_sync = AttackSync(store, detector.index, settings.similarity.index_sync_seconds)

    # ---------------------------------------------------------------- build
    @classmethod
    def build(cls, settings: Settings | None = None, *, store: Store | None = None) -> Pipeline:
        settings = settings or get_settings()
        engine = RuleEngine(
            builtin_rules(
                {
                    name: getattr(settings.patterns, name)
                    for name in type(settings.patterns).model_fields
                    if isinstance(getattr(settings.patterns, name), bool)
                },
                preset=settings.preset.value if settings.preset.value != "none" else None,
            ),
            max_custom_rules=settings.patterns.max_custom_rules,
            max_pattern_chars=settings.patterns.max_custom_pattern_chars,
        )
        classifier = None
        calibration = None
        if settings.classifier.enabled:
            from .detection.classifier import Classifier, get_classifier

            classifier = (
                Classifier.load(settings.classifier.model_path) if settings.classifier.model_path else get_classifier()
            )
            if settings.classifier.encoder_enabled:
                classifier = _with_encoder(classifier, settings)
            calibration = Calibration.from_thresholds(
                {level: classifier.threshold(level) for level in ("low", "medium", "high", "paranoid")}
            )
        embed, local_index = _local_embedding(settings)
        seed_from_rules(local_index, embed, engine.snapshot.rules)
        index: KnownAttackIndex = local_index
        if settings.similarity.index_backend == "cosmos" and store is not None and hasattr(store, "_proxy"):
            from .detection.known_attacks import CosmosVectorIndex, FallbackIndex
            from .stores.base import ATTACKS

            index = FallbackIndex(CosmosVectorIndex(store._proxy(ATTACKS), local_index.dims), local_index)
        from .sanitize import build_sanitizer

        # what the model's answers are always scanned for, on top of the prompts' strategies
        answer_only = [k for k in ("secrets", "pii") if k not in settings.sanitize.kinds]
        graph_lookup = None
        if store is not None:
            from .graph.lookup import graph_lookup_for

            graph_lookup = graph_lookup_for(store, settings)
        detector = Detector(settings, engine, classifier=classifier, embed=embed, index=index)
        return cls(
            settings,
            detector=detector,
            sanitizer=build_sanitizer(
                list(settings.sanitize.kinds), settings.sanitize.url_allowlist, settings.sanitize.profanity_words
            ),
            forward_redactor=None if "pii" in settings.sanitize.kinds else build_sanitizer(["pii"]),
            output_sanitizer=build_sanitizer(
                [*settings.sanitize.kinds, *answer_only],
                settings.sanitize.url_allowlist,
                settings.sanitize.profanity_words,
            )
            if answer_only
            else None,
            store=store,
            embed=embed,
            graph_lookup=graph_lookup,
            calibration=calibration,
        )

    # -------------------------------------------------------------- analyse
    def analyze(self, req: AnalysisRequest, *, record: bool = True, now: float | None = None) -> AnalysisResult:
        if not self._slots.acquire(timeout=self.settings.limits.analysis_budget_ms / 1000.0):
            raise InputError(ErrorCode.OVERLOADED, "Too many analyses in progress; retry shortly.", status=503)
        try:
            return self._analyze(req, record=record, now=now)
        finally:
            self._slots.release()

    def _validate(self, req: AnalysisRequest) -> None:
        lim = self.settings.limits
        req.prompt = validate_text(
            req.prompt,
            field="prompt",
            max_chars=lim.max_input_chars,
            control_char_ratio=lim.control_char_ratio,
        )
        if req.prompt2 is not None:
            req.prompt2 = validate_text(
                req.prompt2,
                field="prompt2",
                max_chars=lim.max_input_chars,
                control_char_ratio=lim.control_char_ratio,
            )
        if len(req.turns) > lim.max_turns:
            raise InputError(
                ErrorCode.VALIDATION_FAILED,
                f"at most {lim.max_turns} conversation turns are accepted",
                details={"field": "turns", "limit": lim.max_turns},
            )
        req.turns = [
            validate_text(
                t,
                field=f"turns[{i}]",
                max_chars=lim.max_input_chars,
                control_char_ratio=lim.control_char_ratio,
                allow_empty=True,
            )
            for i, t in enumerate(req.turns)
        ]
        if req.similarity_metric is not None and req.similarity_metric not in METRICS:
            raise InputError(
                ErrorCode.VALIDATION_FAILED,
                f"similarity_metric must be one of {', '.join(METRICS)}",
                details={"field": "similarity_metric"},
            )
        if req.similarity_threshold is not None and not 0.0 <= req.similarity_threshold <= 1.0:
            raise InputError(
                ErrorCode.VALIDATION_FAILED,
                "similarity_threshold must be between 0 and 1",
                details={"field": "similarity_threshold"},
            )

    def _analyze(self, req: AnalysisRequest, *, record: bool, now: float | None) -> AnalysisResult:
        started = time.perf_counter()
        now = time.time() if now is None else now
        self._validate(req)
        stages: dict[str, float] = {}
        if self.attack_sync is not None:
            try:
                self.attack_sync.maybe_sync()
            except ServiceError:
                log.warning("known-attack sync skipped: store unavailable")

        t = time.perf_counter()
        detection = self.detector.detect(req.prompt)
        stages.update({f"detect.{k}": v for k, v in detection.timings_ms.items()})
        turn_detection: Detection | None = None
        if req.turns:
            # Joined with spaces: an attack split over turns must read as one sentence.
            joined = " ".join([*req.turns, req.prompt])[-self.settings.limits.max_input_chars * 2 :]
            turn_detection = self.detector.detect(joined)
        prompt2_detection = self.detector.detect(req.prompt2) if req.prompt2 is not None else None
        stages["detect"] = (time.perf_counter() - t) * 1e3

        t = time.perf_counter()
        sanitized = self.sanitizer.sanitize(req.prompt)
        stages["sanitize"] = (time.perf_counter() - t) * 1e3

        from .graph.lsh import signature_bands
        from .secrets import keyed_hash

        input_hash = keyed_hash(req.prompt)
        # Band keys serve the graph (lookup and update); without a store there is no graph.
        from .tenancy import tenant_of

        tenant = tenant_of(req.user_id)
        bands = (
            signature_bands(detection.normalized.text, self.settings.graph, scope=tenant)
            if self.store is not None
            else []
        )
        t = time.perf_counter()
        ctx = AgentContext(
            req.user_id,
            req.prompt,
            detection,
            self.settings,
            now,
            turn_detection=turn_detection,
            extra={"bands": bands, "input_hash": input_hash},
        )
        from .graph.evidence import own_rule_risk, own_text_risk

        # Before prompt2 findings join: the graph learns from this prompt's own text only.
        ctx.extra["own_risk"] = own_text_risk(detection, self.orchestrator.decision.calibration)
        ctx.extra["rule_risk"] = own_rule_risk(detection)
        if prompt2_detection is not None:
            for f in prompt2_detection.findings:
                f.layer = "prompt2"
            detection.findings.extend(f for f in prompt2_detection.findings if f.threat_type in ATTACK_THREATS)
            if prompt2_detection.classifier_score is not None and detection.classifier_score is not None:
                detection.classifier_score = max(detection.classifier_score, prompt2_detection.classifier_score)
        verdict, agent_findings = self.orchestrator.run(ctx, sanitized)
        stages["agents"] = (time.perf_counter() - t) * 1e3
        judge_note = self._maybe_judge(req.prompt, verdict.risk, detection)
        if judge_note == "attack":  # escalate: decide again with the judge's finding
            verdict, decision = self.orchestrator.decision.decide(ctx, agent_findings[:-1], sanitized)
            agent_findings = [*agent_findings[:-1], decision]

        scores: dict[str, float] | None = None
        is_similar: bool | None = None
        metric = req.similarity_metric or self.settings.similarity.default_metric
        if req.prompt2 is not None:
            t = time.perf_counter()
            scores = all_scores(req.prompt, req.prompt2, self._pair_embedder())
            threshold = (
                req.similarity_threshold
                if req.similarity_threshold is not None
                else self.settings.similarity.default_threshold
            )
            is_similar = scores[metric] >= threshold
            stages["similarity"] = (time.perf_counter() - t) * 1e3

        if verdict.decision == Decision.SANITIZE and verdict.attack:
            # The first round would re-detect the very text already detected: reuse it
            # (not when prompt2's findings, whose spans are in another text, joined it).
            same = req.prompt2 is None and sanitized.text == req.prompt
            sanitized = self._neutralise(sanitized, verdict.threshold, detection if same else None)
        llm_response: str | None = None
        llm_output: OutputScan | None = None
        degraded: list[str] = []
        warnings: list[dict[str, str]] = []
        if req.forward_to_llm:
            t = time.perf_counter()
            llm_response, llm_output, problem = self._forward(verdict.decision, sanitized.text)
            if problem:
                degraded.append(problem)
                warnings.append(_forward_warning(problem))
            stages["llm"] = (time.perf_counter() - t) * 1e3
        degraded.extend(f"agent:{a.agent}:{a.status}" for a in agent_findings if a.status != "ok")
        if judge_note and judge_note.startswith("judge:"):
            degraded.append(judge_note)
        index_problem = getattr(self.detector.index, "degraded", None)
        if index_problem:
            degraded.append("similarity:vector_search_unavailable")

        prompt_id = uuid.uuid4().hex
        result = AnalysisResult(
            request_id=req.request_id,
            user_id=req.user_id,
            prompt_id=prompt_id,
            prompt2_id=uuid.uuid4().hex if req.prompt2 is not None else None,
            decision=verdict.decision,
            attack=verdict.attack,
            risk=verdict.risk,
            risk_level=verdict.risk_level,
            confidence=verdict.confidence,
            threats=verdict.findings,
            sanitized=sanitized,
            explanation=verdict.explanation,
            agent_findings=agent_findings,
            similarity_scores=scores,
            is_similar=is_similar,
            similarity_metric=metric if scores is not None else None,
            llm_response=llm_response,
            llm_output=llm_output,
            classifier_score=verdict.components.get("classifier"),
            input_hash=input_hash,
            timestamp=datetime.fromtimestamp(now, UTC).isoformat(),
            analysis_ms=0.0,
            stage_ms=stages,
            degraded=degraded,
            reasons=verdict.reasons,
            evidence=verdict.evidence,
            warnings=warnings,
        )
        if self.store is not None:
            result.graph_message = self._graph_message(result, detection, bands, now)
            result.graph_message["evidence"] = round(float(ctx.extra["own_risk"]), 4)
            result.graph_message["judge_attack"] = judge_note == "attack"
        result.analysis_ms = (time.perf_counter() - started) * 1e3
        if record and self.store is not None:
            t = time.perf_counter()
            from .recording import record_analysis

            record_analysis(self.store, self.settings, result, req.prompt, now, ctx.extra.get("profile_snapshot"))
            stages["record"] = (time.perf_counter() - t) * 1e3
            result.analysis_ms = (time.perf_counter() - started) * 1e3
        _emit_telemetry(result)
        return result

    # ---------------------------------------------------------------- extras
    def _neutralise(
        self, sanitized: SanitizeResult, threshold: float, first: Detection | None = None, rounds: int = 3
    ) -> SanitizeResult:
        """Remove the spans that make the text an attack until it scans clean.

        Each round re-detects the cleaned text and cuts out every attack finding's span
        (the sanitizers have already redacted PII and secrets, stripped markup and
        neutralised SQL). Evidence without a span (the classifier alone, a known-attack
        match) cannot be cut out: then the whole text is withheld (empty string), so the
        returned ``sanitized_prompt`` never carries an attack. ``first``: the detection of
        ``sanitized.text`` when the analysis already has it (the first round reuses it).
        """
        from .findings import SanitizeIssue

        text, issues = sanitized.text, list(sanitized.issues)
        calibration = self.orchestrator.decision.calibration
        for round_no in range(rounds):
            det = first if round_no == 0 and first is not None else self.detector.detect(text)
            attacks = [f for f in det.findings if f.threat_type in ATTACK_THREATS]
            clf = calibration(det.classifier_score) if det.classifier_score is not None else 0.0
            if not attacks and clf < threshold:
                return SanitizeResult(text, issues)
            spans = sorted({f.span for f in attacks if f.span is not None and f.span[1] > f.span[0]})
            if not spans:
                break
            merged: list[list[int]] = []
            for start, end in spans:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            kinds = {tuple(f.span): f.threat_type for f in attacks if f.span is not None}
            for start, end in reversed(merged):
                kind = kinds.get((start, end), attacks[0].threat_type)
                issues.append(SanitizeIssue(kind, "removed", (start, end), ""))
                text = (text[:start] + " " + text[end:]).strip()
            # A cut at the start leaves the sentence's punctuation behind (". What is...").
            text = self.sanitizer.sanitize(" ".join(text.split()).lstrip(".,;:!?- ")).text
        issues.append(SanitizeIssue(ThreatType.PROMPT_INJECTION, "withheld", (0, len(text)), ""))
        return SanitizeResult("", issues)

    def _maybe_judge(self, prompt: str, risk: float, detection: Detection) -> str | None:
        """Ask the optional LLM judge about grey-zone prompts only (off by default).

        The judge can only escalate: a verdict of "attack" adds a finding; "benign" never
        lowers the risk the local detectors found (the judge reads attacker-controlled
        text and could be talked into it). Returns "attack", a "judge:<error>" note, or None.
        """
        sem = self.settings.semantic
        if not sem.judge_enabled or not sem.judge_low <= risk < sem.judge_high:
            return None
        from .llm.judge import is_enabled, judge_result

        if not is_enabled(sem):
            return "judge:not_configured"
        outcome = judge_result(prompt)
        if outcome.verdict is None:
            if outcome.error_code == "content_filtered":
                detection.findings.append(
                    Finding(
                        ThreatType.PROMPT_INJECTION,
                        "llm.content_filtered",
                        Severity.MEDIUM,
                        "Azure OpenAI's content filter refused to classify the prompt",
                    )
                )
                return "attack"
            return f"judge:{outcome.error_code or 'no_verdict'}"
        if not outcome.verdict.attack:
            return None
        detection.findings.append(
            Finding(
                outcome.verdict.threat_type or ThreatType.PROMPT_INJECTION,
                "llm.judge",
                Severity.HIGH if outcome.verdict.confidence >= 0.8 else Severity.MEDIUM,
                f"The LLM judge rates this an attack (confidence {outcome.verdict.confidence:.2f})",
            )
        )
        return "attack"

    def _pair_embedder(self) -> Callable[[Sequence[str]], list[np.ndarray]] | None:
        """Azure OpenAI embeddings when configured, the local embedding otherwise (or on failure)."""
        import numpy as np

        local = self.embed

        def pair(texts: Sequence[str]) -> list[np.ndarray]:
            from .llm.embeddings import embed as remote_embed
            from .llm.embeddings import is_enabled

            if is_enabled(self.settings.semantic):
                result = remote_embed(texts)
                if result.vectors is not None:
                    return [np.asarray(v, dtype=np.float32) for v in result.vectors]
            if local is None:
                raise RuntimeError("no embedder available")
            return [local(t) for t in texts]

        return pair

    def _forward(self, decision: Decision, text: str) -> tuple[str | None, OutputScan | None, str | None]:
        if decision == Decision.BLOCK:
            return None, None, None
        from .llm.forward import forward, is_enabled

        if not is_enabled(self.settings.semantic):
            return None, None, "llm:not_configured"
        if self.forward_redactor is not None:
            text = self.forward_redactor.sanitize(text).text
        outcome = forward(text, system_prompt=self.settings.semantic.system_prompt)
        if outcome.answer is None:
            return None, None, f"llm:{outcome.error_code or 'unavailable'}"
        scan = self.scan_output(outcome.answer, canary=outcome.canary)
        return (None if scan.withheld else scan.redacted), scan, None

    def scan_output(self, answer: str, *, canary: str | None = None) -> OutputScan:
        answer = validate_text(
            answer,
            field="output",
            max_chars=self.settings.limits.max_input_chars * 4,
            allow_empty=True,
            control_char_ratio=self.settings.limits.control_char_ratio,
        )
        return scan_output(answer, rules=self.rules, sanitizer=self.output_sanitizer, canary=canary)

    def _graph_message(
        self, result: AnalysisResult, detection: Detection, bands: list[str], now: float
    ) -> dict[str, Any]:
        import numpy as np

        from .graph.evidence import critical_coverage
        from .tenancy import tenant_of

        vector = detection.embedding
        return {
            "version": GRAPH_MESSAGE_VERSION,
            "request_id": result.request_id,
            "prompt_id": result.prompt_id,
            "user_id": result.user_id,
            "input_hash": result.input_hash,
            "at": now,
            "attack": result.attack,
            "decision": result.decision.value,
            "risk": round(result.risk, 4),
            "risk_level": result.risk_level.value,
            "threats": sorted({f.threat_type.value for f in result.threats if f.threat_type in ATTACK_THREATS}),
            "rule_ids": sorted({f.rule_id for f in result.threats if f.threat_type in ATTACK_THREATS})[:32],
            "bands": bands,
            "tenant": tenant_of(result.user_id),
            "critical_coverage": round(critical_coverage(detection), 4),
            "embedding": np.round(vector.astype(np.float64), 5).tolist() if vector is not None else None,
        }


def _forward_warning(problem: str) -> dict[str, str]:
    """A forwarding problem said plainly, next to the (still valid) analysis."""
    if problem == "llm:not_configured":
        return {
            "code": "llm_not_configured",
            "message": "forward_to_llm was requested but Azure OpenAI is not configured (set "
            "PSS_SEMANTIC__AZURE_OPENAI_ENDPOINT and PSS_SEMANTIC__CHAT_DEPLOYMENT); "
            "the prompt was analysed, not forwarded",
        }
    return {"code": "llm_unavailable", "message": f"the prompt was analysed but not forwarded ({problem})"}


def _with_encoder(linear: Classifier, settings: Settings) -> ModelEnsemble:
    """The linear model blended with the transformer (the shipped files unless a path is set)."""
    from .detection.encoder import EncoderClassifier, get_encoder
    from .detection.ensemble import Blend, ModelEnsemble

    cfg = settings.classifier
    if cfg.encoder_path:
        encoder = EncoderClassifier.load(cfg.encoder_path, threads=cfg.encoder_threads)
        folder = Path(cfg.encoder_path)
        blend = Blend.load((folder if folder.suffix != ".json" else folder.parent) / "blend.json")
    else:
        encoder, blend = get_encoder(), Blend.load()
    return ModelEnsemble(
        linear,
        encoder,
        blend,
        max_windows=cfg.encoder_max_windows,
        budget_ms=cfg.encoder_budget_ms or None,
        budget_ms_per_kchar=cfg.encoder_budget_ms_per_kchar,
    )


def _local_embedding(settings: Settings) -> tuple[Callable[[str], np.ndarray], KnownAttackIndex]:
    from .detection.features import embed as hashed_embed

    dims = settings.semantic.embedding_dimensions

    def embed(text: str) -> np.ndarray:
        return hashed_embed(text, dims)

    index = LocalIndex(
        dims, max_vectors=settings.similarity.index_max_vectors, max_bytes=settings.similarity.index_max_bytes
    )
    return embed, index


def _emit_telemetry(result: AnalysisResult) -> None:
    from . import telemetry

    try:
        telemetry.record_analysis(
            decision=result.decision.value,
            risk_level=result.risk_level.value,
            threats=[(f.threat_type.value, f.rule_id) for f in result.threats],
            duration_ms=result.analysis_ms,
            stage_durations=result.stage_ms,
            user_hash=_user_hash(result.user_id),
            input_hash=result.input_hash,
        )
    except Exception as exc:  # telemetry must never break an analysis
        log.warning("telemetry failed: %s", type(exc).__name__)


def _user_hash(user_id: str) -> str:
    from .secrets import keyed_hash

    return keyed_hash("user:" + user_id)


def critical(result: AnalysisResult) -> bool:
    """Does this analysis count toward a temporary block?"""
    return result.attack and (
        result.risk_level == RiskLevel.CRITICAL or any(f.severity == Severity.CRITICAL for f in result.threats)
    )


_pipeline: Pipeline | None = None
_lock = threading.Lock()


def get_pipeline() -> Pipeline:
    """The process-wide pipeline, built on first use from the settings and the store."""
    global _pipeline
    if _pipeline is None:
        with _lock:
            if _pipeline is None:
                from .stores import get_store

                _pipeline = Pipeline.build(get_settings(), store=get_store())
    return _pipeline


def set_pipeline(pipeline: Pipeline | None) -> None:
    global _pipeline
    with _lock:
        _pipeline = pipeline
