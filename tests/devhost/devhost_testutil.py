"""Shared constants and helpers for the dev host tests (importable: tests/devhost is on sys.path)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
APP = "devhost_fixture_app.function_app:app"
FUNCTION_KEY = "test-function-key-0123456789abcdef"
MASTER_KEY = "test-master-key-fedcba9876543210"
#: Quick retries so poison/redelivery tests run in well under a second.
FAST_HOST_JSON: dict[str, Any] = {
    "version": "2.0",
    "extensions": {
        "queues": {
            "maxDequeueCount": 3,
            "visibilityTimeout": "00:00:00",
            "maxPollingInterval": "00:00:01",
            "batchSize": 4,
        }
    },
}
NEVER = "0 0 0 1 1 *"  # once a year: keeps the tick timer quiet unless a test wants it


def unique_queue() -> str:
    return f"fx-{uuid.uuid4().hex[:12]}"


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
