"""Small helpers shared by the tests that use the fakes."""

from __future__ import annotations

import socket
from typing import Any

from shared.config import SemanticSettings


def semantic(endpoint: str, **overrides: Any) -> SemanticSettings:
    """Everything on, short budgets, pointing at ``endpoint``."""
    values: dict[str, Any] = {
        "azure_openai_endpoint": endpoint,
        "chat_deployment": "chat",
        "embedding_deployment": "embed",
        "embedding_dimensions": 64,
        "use_embeddings": True,
        "judge_enabled": True,
        "forward_enabled": True,
        "timeout_s": 3.0,
        "max_retries": 2,
    }
    values.update(overrides)
    return SemanticSettings(**values)


def closed_port() -> int:
    """A local port nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
