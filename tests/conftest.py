"""Suite-wide hygiene: a fixed HMAC key and no stray PSS_* settings from the caller's shell."""

from __future__ import annotations

import os

import pytest

TEST_HMAC_KEY = "test-hmac-key-0123456789abcdef0123456789"


def pytest_configure(config: pytest.Config) -> None:
    for key in list(os.environ):
        if key.startswith("PSS_"):
            del os.environ[key]
    os.environ["PSS_SECRET_PROMPT_HMAC_KEY"] = TEST_HMAC_KEY
    os.environ.setdefault("PSS_GRAPH__QUEUE_NAME", "graph-updates")
    os.environ.setdefault("PSS_REPUTATION__DECAY_SCHEDULE", "0 */15 * * * *")
