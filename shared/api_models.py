"""Pydantic models at the HTTP edge: what the API accepts and returns.

Requests are strict (unknown fields refused, types not coerced from strings) so a
client's mistake is reported instead of silently ignored. The OpenAPI document
(``shared/openapi.py`` → ``infra/openapi.json``) is generated from these models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from .custom_rules import CustomRuleSpec

USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$"
#: A canary is a token (``pss-canary-<hex>`` from the service, or the caller's own).
CANARY_PATTERN = r"^[A-Za-z0-9_-]{12,256}$"
Metric = Literal["cosine", "jaccard", "levenshtein", "embedding"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class AnalyzeBody(_Strict):
    """``POST /api/analyze``. ``prompt`` is accepted as an alias of ``prompt1``."""

    user_id: str = Field(pattern=USER_ID_PATTERN, description="Who sent the prompt (1-128 characters)")
    prompt1: str | None = Field(default=None, description="The prompt to analyse")
    prompt: str | None = Field(default=None, description="Alias of prompt1")
    prompt2: str | None = Field(default=None, description="Optional second prompt to compare with")
    similarity_metric: Metric | None = None
    similarity_threshold: StrictFloat | StrictInt | None = Field(default=None, ge=0, le=1)
    forward_to_llm: StrictBool = False
    turns: list[str] = Field(default_factory=list, description="Recent earlier user turns, oldest first")

    @model_validator(mode="after")
    def _one_prompt(self) -> AnalyzeBody:
        if self.prompt1 is None and self.prompt is None:
            raise ValueError("prompt1 (or its alias prompt) is required")
        if self.prompt1 is not None and self.prompt is not None:
            # One field, not two: "both, if equal" cannot be said in the OpenAPI document.
            raise ValueError("give prompt1 or its alias prompt, not both")
        return self

    @property
    def text(self) -> str:
        return self.prompt1 if self.prompt1 is not None else self.prompt  # type: ignore[return-value]


class BatchItem(_Strict):
    id: str | None = Field(default=None, max_length=128)
    prompt: str


class BatchBody(_Strict):
    """``POST /api/analyze/batch``: many prompts from one user in one call."""

    user_id: str = Field(pattern=USER_ID_PATTERN)
    items: list[BatchItem] = Field(min_length=1)


class ScanOutputBody(_Strict):
    """``POST /api/scan-output``: scan an LLM answer before it reaches the user."""

    output: str
    canary: str | None = Field(
        default=None,
        pattern=CANARY_PATTERN,
        description="The canary returned by the forwarding call (pss-canary-<hex>), to check for leaks",
    )

    @field_validator("canary")
    @classmethod
    def _detectable(cls, value: str | None) -> str | None:
        """A canary with fewer than 12 letters/digits cannot be told from chance: refuse it
        here (400 validation_failed) rather than fail inside the scan."""
        if value:
            from .llm.canary import _core

            _core(value)  # raises ValueError("canary too short to detect reliably")
        return value


class RulesBody(_Strict):
    rules: list[CustomRuleSpec]


class AllowlistBody(_Strict):
    entries: list[str] = Field(max_length=1_000)


class _Out(BaseModel):
    """Replies may grow new fields; a generated client keeps the ones it does not know."""

    model_config = ConfigDict(extra="allow")


class ThreatOut(_Out):
    type: str
    rule_id: str | None = Field(default=None, description="Operator detail only")
    severity: str
    description: str
    span: list[int] | None
    layer: str
    confidence: float | None = Field(default=None, description="Operator detail only")


class AgentFindingOut(_Out):
    agent: str
    recommendation: str
    score: float
    confidence: float
    summary: str
    details: dict[str, Any]
    status: str
    elapsed_ms: float


class WarningOut(_Out):
    code: str = Field(description="Stable code, e.g. llm_not_configured")
    message: str


class EvidenceOut(_Out):
    """The ids and numbers behind the explanation (operator detail only)."""

    risk: float
    threshold: float
    components: dict[str, float]
    rule_ids: list[str]
    nearest_known_attack: dict[str, Any] | None = None
    campaign_id: str | None = None


class AnalyzeResponse(_Out):
    """One analysis. Fields marked "operator detail only" are absent when the reply
    detail is ``client`` (``PSS_REPLY_DETAIL``)."""

    success: bool
    request_id: str
    prompt1_id: str
    prompt2_id: str | None
    similarity_scores: dict[str, float] | None
    similarity_metric: str | None
    is_similar: bool | None
    llm_response: str | None
    llm_output: dict[str, Any] | None
    explanation: str = Field(description="Why, in words: no ids, no raw scores")
    reasons: list[str] = Field(description="The explanation's reasons, one per entry")
    warnings: list[WarningOut] = Field(description="Things the caller asked for that did not happen")
    decision: Literal["allow", "sanitize", "block"]
    attack: bool
    risk_level: Literal["none", "low", "medium", "high", "critical"]
    threats: list[ThreatOut]
    sanitized_prompt: str
    sanitization: list[dict[str, Any]]
    timestamp: str
    analysis_ms: float
    risk_score: float | None = Field(default=None, description="Operator detail only")
    confidence: float | None = Field(default=None, description="Operator detail only")
    classifier_score: float | None = Field(
        default=None, description="Operator detail only; on the same (calibrated) scale as risk_score"
    )
    evidence: EvidenceOut | None = Field(default=None, description="Operator detail only")
    agent_findings: list[AgentFindingOut] | None = Field(default=None, description="Operator detail only")
    degraded: list[str] | None = Field(default=None, description="Operator detail only")


class BatchResponse(_Out):
    success: bool
    count: int
    blocked: int
    results: list[dict[str, Any]] = Field(
        description="Per item: {id, ...an analyze reply} or {id, success: false, error}"
    )


class ScanOutputResponse(_Out):
    success: bool
    clean: bool
    withheld: bool
    canary_leaked: bool
    findings: list[dict[str, Any]]
    redacted_output: str


class ProfileOut(_Out):
    user_id: str
    reputation: float
    total_requests: int
    flagged: int
    blocked_requests: int
    violations: int
    recent_violations: list[Any]
    blocked: bool
    blocked_until: float | None
    block_count: int
    last_seen: float | None


class ProfileResponse(_Out):
    success: bool
    profile: ProfileOut


class MetricsResponse(_Out):
    success: bool
    window_minutes: int
    total_analyses: int
    attacks: int
    detection_rate: float
    by_decision: dict[str, int]
    by_risk_level: dict[str, int]
    by_threat: dict[str, int]
    top_rules: dict[str, int]
    latency_ms: dict[str, float | None]
    truncated: bool
    generated_at: float


class HealthResponse(_Out):
    status: Literal["healthy", "degraded", "unhealthy"]
    dependencies: dict[str, dict[str, Any]]
    down: list[str]
    degraded: list[str]
    environment: str
    checked_at: float


class GraphNodeResponse(_Out):
    success: bool
    node: dict[str, Any] = Field(description="id, kind, counts and edges [{to, kind, at, weight}]")
    campaigns: list[str] | None = Field(default=None, description="Only on /graph/users/{user_id}")


class CampaignListResponse(_Out):
    success: bool
    campaigns: list[dict[str, Any]]


class CampaignResponse(_Out):
    success: bool
    campaign: dict[str, Any]


class RulesListResponse(_Out):
    success: bool
    version: int | str
    custom: list[dict[str, Any]]
    builtin: list[dict[str, Any]]


class VersionResponse(_Out):
    success: bool
    version: int | str
    count: int | None = None
    id: str | None = None


class DeletedResponse(_Out):
    success: bool
    deleted: str


class AllowlistResponse(_Out):
    success: bool
    entries: list[str]


class CallerOut(_Out):
    tenant: str
    role: Literal["operator", "client"]
    via: str


class CallerResponse(_Out):
    success: bool
    caller: CallerOut


class KnownAttackListResponse(_Out):
    success: bool
    entries: list[dict[str, Any]] = Field(description="id, status, sources, tenants (hashed), count, at, expires_at")
    count: int


class KnownAttackResponse(_Out):
    success: bool
    entry: dict[str, Any]


class OpenApiDocument(_Out):
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    success: Literal[False]
    error: ErrorBody
