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


class ThreatOut(BaseModel):
    type: str
    rule_id: str
    severity: str
    description: str
    span: list[int] | None
    layer: str
    confidence: float


class AgentFindingOut(BaseModel):
    agent: str
    recommendation: str
    score: float
    confidence: float
    summary: str
    details: dict[str, Any]
    status: str
    elapsed_ms: float


class AnalyzeResponse(BaseModel):
    success: bool
    request_id: str
    prompt1_id: str
    prompt2_id: str | None
    similarity_scores: dict[str, float] | None
    similarity_metric: str | None
    is_similar: bool | None
    llm_response: str | None
    llm_output: dict[str, Any] | None
    explanation: str
    agent_findings: list[AgentFindingOut]
    decision: Literal["allow", "sanitize", "block"]
    attack: bool
    risk_score: float
    risk_level: Literal["none", "low", "medium", "high", "critical"]
    confidence: float
    threats: list[ThreatOut]
    sanitized_prompt: str
    sanitization: list[dict[str, Any]]
    classifier_score: float | None
    degraded: list[str]
    timestamp: str
    analysis_ms: float


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    success: Literal[False]
    error: ErrorBody
