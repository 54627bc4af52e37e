"""Forward an allowed, sanitized prompt to the chat deployment, with a canary.

A fresh canary goes into the system prompt of every call; the caller scans the answer
(``canary.leaked(result.canary, result.answer)`` plus the PII/secret/markdown/script
scanners) before returning it. Only the single prompt is sent, never earlier turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import SemanticSettings, get_settings
from .canary import make_canary, system_prompt_with_canary
from .client import AzureOpenAIClient, LLMErrorCode, ResponseProblem, get_client, is_degraded


@dataclass(frozen=True, slots=True)
class ForwardResult:
    answer: str | None
    canary: str
    degraded: bool
    error_code: str | None
    latency_ms: float


def is_enabled(semantic: SemanticSettings | None = None) -> bool:
    semantic = semantic or get_settings().semantic
    return bool(semantic.forward_enabled and semantic.chat_deployment and semantic.azure_openai_endpoint)


def forward(
    sanitized_prompt: str,
    *,
    system_prompt: str | None = None,
    user_hash: str | None = None,
    client: AzureOpenAIClient | None = None,
) -> ForwardResult:
    """Send the prompt; never raises.

    ``system_prompt`` defaults to ``PSS_SEMANTIC__SYSTEM_PROMPT``. ``user_hash`` (the
    keyed hash, never the raw id) is passed as the ``user`` field for Azure's abuse
    monitoring. ``error_code`` is ``disabled`` when forwarding is off and
    ``content_filtered`` when Azure's filter refused the prompt or the answer (then
    ``degraded`` is false: the service worked).
    """
    canary = make_canary()
    client = client or get_client()
    if client is None or not is_enabled(client.settings):
        return ForwardResult(None, canary, False, LLMErrorCode.DISABLED.value, 0.0)
    base = system_prompt if system_prompt is not None else client.settings.system_prompt
    messages = [
        {"role": "system", "content": system_prompt_with_canary(base, canary)},
        {"role": "user", "content": sanitized_prompt},
    ]
    deployment = client.settings.chat_deployment
    extra: dict[str, Any] = {"user": user_hash} if user_hash else {}

    def run(sdk: Any, timeout: float) -> str:
        response = sdk.chat.completions.create(model=deployment, messages=messages, timeout=timeout, **extra)
        choice = response.choices[0] if response.choices else None
        if choice is None:
            raise ResponseProblem()
        if choice.finish_reason == "content_filter":
            raise ResponseProblem(LLMErrorCode.CONTENT_FILTERED)
        content = choice.message.content
        if not isinstance(content, str):
            raise ResponseProblem()
        return content

    outcome = client.call(run)
    code = outcome.error_code
    return ForwardResult(
        answer=outcome.value,
        canary=canary,
        degraded=is_degraded(code),
        error_code=code.value if code else None,
        latency_ms=outcome.latency_ms,
    )
