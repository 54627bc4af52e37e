"""Dev host errors and the JSON error body it shares with the app.

Errors sent to HTTP clients use the app's shape and stable codes
(``{"success": false, "error": {"code": ..., "message": ...}}``, codes from
:class:`shared.errors.ErrorCode`) and never carry tracebacks or internal paths.
"""

from __future__ import annotations

import json

from shared.errors import ErrorCode


class DevHostError(Exception):
    """The app or its settings cannot be hosted as they are (bad binding, missing setting, ...).

    Raised at start-up with a message naming the function/setting, like the host's
    indexing errors, but loud instead of "0 functions loaded"."""


def error_body(code: ErrorCode, message: str, request_id: str | None = None) -> bytes:
    body: dict[str, object] = {"success": False, "error": {"code": code.value, "message": message}}
    if request_id:
        body["request_id"] = request_id  # where the app puts it too
    return json.dumps(body).encode()


__all__ = ["DevHostError", "ErrorCode", "error_body"]
