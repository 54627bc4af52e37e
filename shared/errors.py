"""Errors with stable codes.

Every refusal the service makes is a :class:`ServiceError`: a machine-readable ``code``
that never changes once published, an HTTP status, and a message written for the
caller that never contains stack traces, file paths or prompt text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # input
    BAD_JSON = "bad_json"
    VALIDATION_FAILED = "validation_failed"
    INPUT_EMPTY = "input_empty"
    INPUT_TOO_LONG = "input_too_long"
    INPUT_NULL_BYTE = "input_null_byte"
    INPUT_CONTROL_CHARS = "input_control_chars"
    INPUT_INVALID_TEXT = "input_invalid_text"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    # rules and config
    RULE_INVALID = "rule_invalid"
    RULE_TOO_LARGE = "rule_too_large"
    RULE_LIMIT = "rule_limit"
    CONFIG_INVALID = "config_invalid"
    # access
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    RATE_LIMITED = "rate_limited"
    USER_BLOCKED = "user_blocked"
    CONFLICT = "conflict"
    # runtime
    OVERLOADED = "overloaded"
    DEPENDENCY_UNAVAILABLE = "dependency_unavailable"
    INTERNAL = "internal_error"


class ServiceError(Exception):
    """A refusal with a stable code; safe to show to the caller as is."""

    status: int = 400

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"success": False, "error": body}


class InputError(ServiceError):
    """The caller sent something we will not analyse."""

    status = 400


class ConfigError(ServiceError):
    """A setting is invalid; raised at start-up, names the environment variable."""

    status = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(ErrorCode.CONFIG_INVALID, message, details=details)


class RuleError(ServiceError):
    """A custom rule was refused (does not compile under RE2, too large, too many)."""

    status = 422


class DependencyError(ServiceError):
    """A dependency (store, queue, Azure OpenAI, Key Vault) is unreachable."""

    status = 503

    def __init__(self, dependency: str, message: str | None = None) -> None:
        super().__init__(
            ErrorCode.DEPENDENCY_UNAVAILABLE,
            message or f"The {dependency} dependency is unavailable; try again later.",
            details={"dependency": dependency},
        )
        self.dependency = dependency
