"""The one Azure OpenAI client: auth, time budget, retries, circuit breaker, health.

Why our own retry loop (the SDK's ``max_retries`` is set to 0): the SDK honours a
``Retry-After`` of up to two minutes, which would hold an analysis far beyond its
budget. Here ``PSS_SEMANTIC__TIMEOUT_S`` bounds the *whole* call, retries included:
each attempt gets what is left of it, a 429/5xx/connection failure is retried up to
``PSS_SEMANTIC__MAX_RETRIES`` times with jittered exponential backoff (or the server's
``Retry-After`` when that still fits the budget), and when the budget is spent the
caller gets a degraded result at once.

After :data:`BREAKER_THRESHOLD` consecutive degraded calls the client stops calling for
:data:`BREAKER_COOLDOWN_S` seconds (``circuit_open``), so an outage costs each request
nothing instead of a full timeout; the first call after the cool-down probes again.

Auth: with ``PSS_SEMANTIC__API_KEY_SECRET_NAME`` the key is read from the secret
provider on every request (cached there, so rotation works); otherwise an Entra ID token
for ``https://cognitiveservices.azure.com/.default`` from the shared
``DefaultAzureCredential`` (managed identity in Azure).

Privacy: the ``openai`` and ``httpx`` loggers are capped at WARNING when the client is
built (at DEBUG the SDK logs request bodies, i.e. prompts), and failures are logged
as error codes only.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from ..config import SemanticSettings, get_settings

log = logging.getLogger(__name__)

T = TypeVar("T")

COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"
DEPENDENCY = "azure_openai"
BACKOFF_BASE_S = 0.25
BACKOFF_MAX_S = 4.0
BREAKER_THRESHOLD = 3
BREAKER_COOLDOWN_S = 30.0
_MIN_ATTEMPT_S = 0.05
_QUIET_LOGGERS = ("openai", "httpx", "httpx2", "httpcore", "httpcore2")


class LLMErrorCode(StrEnum):
    """Why a call produced no value. Stable: callers and dashboards key on these."""

    DISABLED = "disabled"  # not configured or switched off: not a failure
    CONTENT_FILTERED = "content_filtered"  # Azure's content filter refused: not an outage
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # connection failure or 5xx
    AUTH_FAILED = "auth_failed"  # no token / key, or 401/403
    DEPLOYMENT_NOT_FOUND = "deployment_not_found"
    BAD_REQUEST = "bad_request"
    BAD_RESPONSE = "bad_response"  # the answer did not have the expected shape
    CIRCUIT_OPEN = "circuit_open"
    INTERNAL = "internal_error"


_NOT_DEGRADED = frozenset({LLMErrorCode.DISABLED, LLMErrorCode.CONTENT_FILTERED})
_TRIPS_BREAKER = frozenset(
    {LLMErrorCode.TIMEOUT, LLMErrorCode.UNAVAILABLE, LLMErrorCode.RATE_LIMITED, LLMErrorCode.AUTH_FAILED}
)


def is_degraded(code: LLMErrorCode | None) -> bool:
    """True when ``code`` means the service could not do its job (as opposed to off/filtered)."""
    return code is not None and code not in _NOT_DEGRADED


@dataclass(frozen=True, slots=True)
class CallOutcome(Generic[T]):
    value: T | None
    error_code: LLMErrorCode | None
    latency_ms: float
    attempts: int = 0

    @property
    def degraded(self) -> bool:
        return is_degraded(self.error_code)


class ResponseProblem(Exception):
    """Raised by an operation when the answer is unusable; carries a safe code."""

    def __init__(self, code: LLMErrorCode = LLMErrorCode.BAD_RESPONSE) -> None:
        super().__init__(code.value)
        self.code = code


class AzureOpenAIClient:
    """Thread-safe; one per process (see :func:`get_client`)."""

    def __init__(
        self,
        settings: SemanticSettings,
        *,
        credential: Any = None,
        api_key_provider: Callable[[], str] | None = None,
        http_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.azure_openai_endpoint:
            raise ValueError("an Azure OpenAI endpoint is required")
        self.settings = settings
        self._credential = credential
        self._api_key_provider = api_key_provider
        self._http_client = http_client
        self._sleep = sleep
        self._clock = clock
        self._sdk: Any = None
        self._build_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._consecutive_failures = 0
        self._open_until = 0.0
        self._last_error: LLMErrorCode | None = None
        self._last_ok: bool | None = None
        #: What the deployments turned out to support (e.g. ``json_schema``), learnt at run time.
        self.capabilities: dict[str, bool] = {}

    # ------------------------------------------------------------------ construction

    def _client(self) -> Any:
        if self._sdk is None:
            with self._build_lock:
                if self._sdk is None:
                    self._sdk = self._build()
        return self._sdk

    def _build(self) -> Any:
        import openai

        for name in _QUIET_LOGGERS:
            logger = logging.getLogger(name)
            if logger.getEffectiveLevel() < logging.WARNING:
                logger.setLevel(logging.WARNING)
        auth: dict[str, Any]
        if self._api_key_provider is not None:
            auth = {"api_key": self._api_key_provider}
        elif self.settings.api_key_secret_name:
            auth = {"api_key": _secret_reader(self.settings.api_key_secret_name)}
        else:
            from azure.identity import get_bearer_token_provider

            from ..secrets import get_credential

            credential = self._credential or get_credential()
            auth = {"azure_ad_token_provider": get_bearer_token_provider(credential, COGNITIVE_SERVICES_SCOPE)}
        return openai.AzureOpenAI(
            azure_endpoint=self.settings.azure_openai_endpoint,
            api_version=self.settings.api_version,
            max_retries=0,
            timeout=self.settings.timeout_s,
            http_client=self._http_client,
            **auth,
        )

    # ------------------------------------------------------------------ calls

    def call(self, operation: Callable[[Any, float], T]) -> CallOutcome[T]:
        """Run ``operation(sdk_client, timeout_s)`` within the budget; never raises."""
        start = self._clock()
        if self._circuit_open(start):
            return CallOutcome(None, LLMErrorCode.CIRCUIT_OPEN, 0.0, 0)
        deadline = start + self.settings.timeout_s
        attempts = 0
        code: LLMErrorCode = LLMErrorCode.TIMEOUT
        while True:
            remaining = deadline - self._clock()
            if remaining < _MIN_ATTEMPT_S:
                break
            try:
                sdk = self._client()
            except Exception as exc:  # e.g. a credential library that cannot start
                log.error("Azure OpenAI client could not be built (%s)", type(exc).__name__)
                code = LLMErrorCode.INTERNAL
                break
            attempts += 1
            try:
                value = operation(sdk, remaining)
            except Exception as exc:
                code, retryable, retry_after = _classify(exc)
            else:
                self._note(None)
                return CallOutcome(value, None, _ms(self._clock() - start), attempts)
            if not retryable or attempts > self.settings.max_retries:
                break
            delay = retry_after if retry_after is not None else _backoff(attempts)
            if self._clock() + delay + _MIN_ATTEMPT_S >= deadline:
                break  # the wait alone would spend the budget: give up now, not later
            self._sleep(delay)
        self._note(code)
        return CallOutcome(None, code, _ms(self._clock() - start), attempts)

    # ------------------------------------------------------------------ state

    def _circuit_open(self, now: float) -> bool:
        with self._state_lock:
            return now < self._open_until

    def _note(self, code: LLMErrorCode | None) -> None:
        with self._state_lock:
            if code is None:
                if self._consecutive_failures:
                    log.info("Azure OpenAI recovered")
                self._consecutive_failures = 0
                self._open_until = 0.0
                self._last_ok = True
                return
            self._last_error = code
            if not is_degraded(code):
                return
            self._last_ok = False
            if code in _TRIPS_BREAKER:
                self._consecutive_failures += 1
                if self._consecutive_failures >= BREAKER_THRESHOLD:
                    self._open_until = self._clock() + BREAKER_COOLDOWN_S
            opened = self._clock() < self._open_until
        log.warning("Azure OpenAI call degraded (%s)%s", code.value, "; circuit open" if opened else "")
        from .. import telemetry

        telemetry.record_dependency_failure(DEPENDENCY)

    def health(self) -> dict[str, Any]:
        """``status``: ``ok``, ``degraded`` or ``unknown`` (no call yet); codes only."""
        with self._state_lock:
            circuit_open = self._clock() < self._open_until
            if circuit_open or self._last_ok is False:
                status = "degraded"
            elif self._last_ok:
                status = "ok"
            else:
                status = "unknown"
            last = self._last_error.value if self._last_error else None
        return {"status": status, "last_error": last, "circuit_open": circuit_open}


def _secret_reader(name: str) -> Callable[[], str]:
    def read() -> str:
        from ..secrets import get_secret

        return get_secret(name)

    return read


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def _backoff(attempt: int) -> float:
    base = min(BACKOFF_MAX_S, BACKOFF_BASE_S * (2 ** (attempt - 1)))
    return base * (0.75 + 0.25 * random.random())  # noqa: S311 - jitter, not crypto


def _retry_after(exc: Any) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(header)
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            continue
        if math.isfinite(value) and value >= 0:
            return value
    return None


def _classify(exc: Exception) -> tuple[LLMErrorCode, bool, float | None]:
    """(code, retryable, retry-after seconds) for an exception from an operation."""
    import openai

    from ..errors import ServiceError

    if isinstance(exc, ResponseProblem):
        return exc.code, False, None
    if isinstance(exc, openai.APITimeoutError):
        return LLMErrorCode.TIMEOUT, True, None
    if isinstance(exc, openai.APIConnectionError):
        return LLMErrorCode.UNAVAILABLE, True, None
    if isinstance(exc, openai.RateLimitError):
        return LLMErrorCode.RATE_LIMITED, True, _retry_after(exc)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMErrorCode.AUTH_FAILED, False, None
    if isinstance(exc, openai.NotFoundError):
        return LLMErrorCode.DEPLOYMENT_NOT_FOUND, False, None
    if isinstance(exc, openai.BadRequestError):
        if is_content_filter_error(exc):
            return LLMErrorCode.CONTENT_FILTERED, False, None
        return LLMErrorCode.BAD_REQUEST, False, None
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500 or exc.status_code in (408, 409):
            return LLMErrorCode.UNAVAILABLE, True, _retry_after(exc)
        return LLMErrorCode.BAD_REQUEST, False, None
    if isinstance(exc, openai.APIResponseValidationError | ValueError | KeyError | IndexError | TypeError):
        return LLMErrorCode.BAD_RESPONSE, False, None
    if isinstance(exc, ServiceError):  # the API key secret could not be read
        return LLMErrorCode.AUTH_FAILED, False, None
    from azure.core.exceptions import ClientAuthenticationError

    if isinstance(exc, ClientAuthenticationError):
        return LLMErrorCode.AUTH_FAILED, False, None
    log.error("Unexpected %s from an Azure OpenAI call", type(exc).__name__)
    return LLMErrorCode.INTERNAL, False, None


def is_content_filter_error(exc: Any) -> bool:
    """Azure's content filter refused the request (``code: content_filter``)."""
    if getattr(exc, "code", None) == "content_filter":
        return True
    body = getattr(exc, "body", None)
    inner = body.get("innererror") if isinstance(body, dict) else None
    return isinstance(inner, dict) and inner.get("code") == "ResponsibleAIPolicyViolation"


# --------------------------------------------------------------------------- singleton

_client: AzureOpenAIClient | None = None
_client_settings: SemanticSettings | None = None
_explicit = False
_lock = threading.Lock()


def get_client() -> AzureOpenAIClient | None:
    """The process-wide client, or ``None`` when no endpoint is configured (the default).

    Rebuilt when the settings object changes (``set_settings`` in tests, CLI flags).
    """
    global _client, _client_settings
    if _explicit:
        return _client
    semantic = get_settings().semantic
    if semantic is _client_settings:
        return _client
    with _lock:
        if _explicit:
            return _client
        if semantic is not _client_settings:
            _client = AzureOpenAIClient(semantic) if semantic.azure_openai_endpoint else None
            _client_settings = semantic
    return _client


def set_client(client: AzureOpenAIClient | None, *, explicit: bool = True) -> None:
    """Install a client (tests, dev host). ``set_client(None, explicit=False)`` goes back to
    building one from the settings; ``set_client(None)`` forces "not configured"."""
    global _client, _client_settings, _explicit
    with _lock:
        _client = client
        _client_settings = None
        _explicit = explicit


def health() -> dict[str, Any]:
    """For ``GET /api/health``: ``disabled`` when not configured, else the client's view."""
    client = get_client()
    if client is None:
        return {"status": "disabled", "last_error": None, "circuit_open": False}
    return client.health()
