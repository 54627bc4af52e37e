"""Thread-safe record of what the fixture functions received (read by the tests)."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_records: dict[str, list[dict[str, Any]]] = {}


def record(kind: str, **data: Any) -> None:
    with _lock:
        _records.setdefault(kind, []).append(data)


def get(kind: str) -> list[dict[str, Any]]:
    with _lock:
        return [dict(r) for r in _records.get(kind, [])]


def reset() -> None:
    with _lock:
        _records.clear()
