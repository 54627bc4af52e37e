"""Azure OpenAI embeddings, unit-normalised, or a degraded result the caller can act on.

Used by the similarity stage when ``PSS_SEMANTIC__USE_EMBEDDINGS=true`` and an
embedding deployment is configured; otherwise the result says ``disabled`` and the
caller uses the local fallback vectors. ``dimensions`` is sent with every request, so
the deployment must be a ``text-embedding-3-*`` model (``ada-002`` refuses it).
Vectors are L2-normalised here, so cosine similarity is a plain dot product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config import SemanticSettings, get_settings
from .client import AzureOpenAIClient, LLMErrorCode, ResponseProblem, get_client, is_degraded

#: Inputs per request (the service accepts more; smaller batches keep each call short).
BATCH_SIZE = 64


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    """``vectors`` is one unit vector per input (in order), or ``None`` with an error code."""

    vectors: list[list[float]] | None
    error_code: str | None
    latency_ms: float
    dimensions: int

    @property
    def degraded(self) -> bool:
        return self.error_code is not None and is_degraded(LLMErrorCode(self.error_code))


def is_enabled(semantic: SemanticSettings | None = None) -> bool:
    semantic = semantic or get_settings().semantic
    return bool(semantic.use_embeddings and semantic.embedding_deployment and semantic.azure_openai_endpoint)


def embed(texts: Sequence[str], *, client: AzureOpenAIClient | None = None) -> EmbeddingResult:
    """Embed ``texts`` with the configured deployment; never raises.

    Empty (or whitespace-only) texts get a zero vector without a call: the service
    refuses empty input and a zero vector has similarity 0 with everything.
    """
    client = client or get_client()
    semantic = client.settings if client is not None else get_settings().semantic
    dims = semantic.embedding_dimensions
    if client is None or not is_enabled(semantic):
        return EmbeddingResult(None, LLMErrorCode.DISABLED.value, 0.0, dims)
    deployment = semantic.embedding_deployment
    texts = list(texts)
    vectors: list[list[float] | None] = [None] * len(texts)
    todo = [i for i, text in enumerate(texts) if isinstance(text, str) and text.strip()]
    latency = 0.0
    for start in range(0, len(todo), BATCH_SIZE):
        batch = todo[start : start + BATCH_SIZE]
        inputs = [texts[i] for i in batch]
        outcome = client.call(_operation(deployment, inputs, dims))
        latency += outcome.latency_ms
        if outcome.value is None:
            code = outcome.error_code or LLMErrorCode.BAD_RESPONSE
            return EmbeddingResult(None, code.value, round(latency, 3), dims)
        for index, vector in zip(batch, outcome.value, strict=True):
            vectors[index] = vector
    return EmbeddingResult([v if v is not None else [0.0] * dims for v in vectors], None, round(latency, 3), dims)


def _operation(deployment: str | None, inputs: list[str], dims: int) -> Any:
    def run(sdk: Any, timeout: float) -> list[list[float]]:
        response = sdk.embeddings.create(model=deployment, input=inputs, dimensions=dims, timeout=timeout)
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != len(inputs) or [item.index for item in data] != list(range(len(inputs))):
            raise ResponseProblem()
        return [_normalise(item.embedding, dims) for item in data]

    return run


def _normalise(raw: Any, dims: int) -> list[float]:
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes) or len(raw) != dims:
        raise ResponseProblem()
    values = [float(x) for x in raw]
    norm = math.sqrt(math.fsum(x * x for x in values))
    if not math.isfinite(norm) or norm == 0.0:
        raise ResponseProblem()
    return [x / norm for x in values]
