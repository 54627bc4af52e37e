"""Secrets: Key Vault in Azure, the environment or ``local.settings.json`` locally.

Why a provider and not only Key Vault references in app settings: the platform resolves
those at start-up and refreshes them rarely (about daily), while values read here are
cached for ``PSS_SECRETS__CACHE_SECONDS`` and then re-read, so a rotated secret is
picked up within minutes and without a restart.

Sources
-------
* ``PSS_SECRETS__KEY_VAULT_URL`` set: Azure Key Vault through ``SecretClient`` and
  ``DefaultAzureCredential`` (managed identity in Azure; ``AZURE_CLIENT_ID`` picks the
  user-assigned identity; ``az login`` works on a laptop).
* otherwise: an environment variable, then the ``Values`` of ``local.settings.json``.
  The variable name is derived from the secret name: upper-case, dashes to
  underscores, prefix ``PSS_SECRET_``. So ``prompt-hmac-key`` is read from
  ``PSS_SECRET_PROMPT_HMAC_KEY``.

Failure rules
-------------
* Key Vault briefly unreachable: the last good value keeps being served, the outage
  is logged once and counted (``pss_dependency_failures{dependency=keyvault}``), and
  :meth:`SecretProvider.health` reports ``degraded``. Key Vault is retried at most every
  :data:`OUTAGE_RETRY_SECONDS` while the outage lasts, so requests do not each wait on it.
* No value at all (never fetched and Key Vault unreachable): :class:`DependencyError`
  (``dependency_unavailable``, HTTP 503).
* The secret does not exist: :class:`SecretNotFoundError` (``config_invalid``, HTTP
  500); the message names no vault, URL or secret (the name is in the server log).

Keyed hashing
-------------
:func:`keyed_hash` is HMAC-SHA256 with the secret ``privacy.hmac_key_secret_name`` and is
how user ids and prompts are referred to in logs, telemetry and the audit trail. When
that secret is missing *locally*, a random key is generated for the life of the
process (with one warning): hashes then differ after every restart, so never rely on
that outside development. In Key Vault mode a missing key is an error instead.

Outside the local profile (``PSS_ENVIRONMENT`` other than ``local``) the key is checked
when the service starts (:func:`check_hmac_key`): a missing key, the placeholder from
``local.settings.example.json``, or a key shorter than :data:`MIN_DEPLOYED_HMAC_KEY_BYTES`
bytes or with fewer than :data:`MIN_DISTINCT_KEY_BYTES` distinct bytes stops it with a
:class:`ConfigError` that says what to do. Locally the same findings are one warning;
``make run`` writes a random key into ``local.settings.json`` when it creates the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets as _random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .config import SecretSettings, Settings, get_settings
from .errors import ConfigError, DependencyError, ErrorCode, ServiceError

log = logging.getLogger(__name__)

KEYVAULT = "keyvault"
LOCAL_ENV_PREFIX = "PSS_SECRET_"
#: While Key Vault is failing, try it again at most this often per secret.
OUTAGE_RETRY_SECONDS = 10.0
#: HMAC keys shorter than this are refused (a short key makes the hashes guessable).
MIN_HMAC_KEY_BYTES = 16
#: Outside the local profile a key must be at least this long and this varied.
MIN_DEPLOYED_HMAC_KEY_BYTES = 32
MIN_DISTINCT_KEY_BYTES = 8
#: Values published in this repository (example settings, docs): never a real key.
PUBLIC_HMAC_KEYS = frozenset({"replace-with-32-or-more-random-characters"})
LOCAL_PROFILE = "local"
#: Hex characters kept from the HMAC-SHA256 digest (128 bits: collision-free at any
#: realistic volume, and half the size in every telemetry row and audit document).
HASH_HEX_CHARS = 32

# Key Vault transport: fail fast instead of azure-core's default of 10 retries.
_KV_CLIENT_DEFAULTS: dict[str, Any] = {
    "retry_total": 2,
    "retry_backoff_factor": 0.2,
    "retry_backoff_max": 2,
    "connection_timeout": 3,
    "read_timeout": 5,
}
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


class SecretNotFoundError(ServiceError):
    """A secret the configuration names does not exist (an operator problem)."""

    status = 500

    def __init__(self, name: str) -> None:
        super().__init__(ErrorCode.CONFIG_INVALID, "A required secret is not configured.")
        self.secret_name = name


class SourceUnavailable(Exception):
    """The secret source could not be asked (network, auth, 5xx); ``code`` is safe to report."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SecretSource(Protocol):
    kind: str

    def fetch(self, name: str) -> str | None:
        """The current value, ``None`` if the secret does not exist; raise SourceUnavailable."""
        ...


def env_var_name(secret_name: str) -> str:
    """``prompt-hmac-key`` -> ``PSS_SECRET_PROMPT_HMAC_KEY`` (the documented local rule)."""
    return LOCAL_ENV_PREFIX + secret_name.upper().replace("-", "_")


def _check_name(name: str) -> None:
    # Key Vault's own rule (1-127 alphanumerics and dashes); also keeps env names sane.
    if not isinstance(name, str) or not 1 <= len(name) <= 127 or not set(name) <= _NAME_CHARS:
        raise ConfigError("Invalid secret name (use 1-127 letters, digits and dashes).")


# --------------------------------------------------------------------------- credential

_credential: Any = None
_credential_lock = threading.Lock()


def get_credential() -> Any:
    """The process-wide Entra ID credential (one instance: it caches tokens)."""
    global _credential
    if _credential is None:
        with _credential_lock:
            if _credential is None:
                from azure.identity import DefaultAzureCredential

                client_id = os.environ.get("AZURE_CLIENT_ID") or None
                _credential = DefaultAzureCredential(managed_identity_client_id=client_id)
    return _credential


def set_credential(credential: Any) -> None:
    """Replace the process-wide credential (tests); ``None`` rebuilds it lazily."""
    global _credential
    with _credential_lock:
        _credential = credential


# --------------------------------------------------------------------------- sources


class KeyVaultSource:
    """Reads secrets with the official SDK; the client is built on first use."""

    kind = KEYVAULT

    def __init__(
        self, vault_url: str, *, credential: Any = None, client_kwargs: Mapping[str, Any] | None = None
    ) -> None:
        self._vault_url = vault_url
        self._credential = credential
        self._client_kwargs = {**_KV_CLIENT_DEFAULTS, **(client_kwargs or {})}
        self._client: Any = None
        self._lock = threading.Lock()

    def _get_client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from azure.keyvault.secrets import SecretClient

                    credential = self._credential or get_credential()
                    self._client = SecretClient(self._vault_url, credential, **self._client_kwargs)
        return self._client

    def fetch(self, name: str) -> str | None:
        from azure.core.exceptions import (
            AzureError,
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
        )

        try:
            secret = self._get_client().get_secret(name)
        except ResourceNotFoundError:
            return None
        except ClientAuthenticationError:
            raise SourceUnavailable("keyvault_auth_failed") from None
        except ServiceRequestError:
            raise SourceUnavailable("keyvault_unreachable") from None
        except HttpResponseError as exc:
            status = getattr(exc, "status_code", None)
            code = "keyvault_forbidden" if status in (401, 403) else "keyvault_error"
            raise SourceUnavailable(code) from None
        except AzureError:
            raise SourceUnavailable("keyvault_error") from None
        except (OSError, ValueError):
            raise SourceUnavailable("keyvault_error") from None
        return secret.value


class LocalSource:
    """Environment first, then ``local.settings.json`` (re-read when the file changes)."""

    kind = "local"

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        local_settings_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self._env = env if env is not None else os.environ
        # An explicit ``env`` means explicit sources: no file is discovered behind it.
        if local_settings_path:
            self._path: Path | None = Path(local_settings_path)
        else:
            self._path = None if env is not None else _find_local_settings()
        self._values: dict[str, str] = {}
        self._stamp: tuple[float, int] | None = None

    def fetch(self, name: str) -> str | None:
        var = env_var_name(name)
        value = self._env.get(var)
        if value:
            return value
        value = self._file_values().get(var)
        return value or None

    def _file_values(self) -> dict[str, str]:
        if self._path is None:
            return {}
        try:
            stat = self._path.stat()
        except OSError:
            return {}
        stamp = (stat.st_mtime, stat.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self._path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                raise ConfigError("local.settings.json is not valid JSON.") from None
            values = data.get("Values") if isinstance(data, dict) else None
            self._values = {str(k): str(v) for k, v in (values or {}).items() if v is not None}
            self._stamp = stamp
        return self._values


def _find_local_settings() -> Path | None:
    for folder in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = folder / "local.settings.json"
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------------- provider


@dataclass(slots=True)
class _Entry:
    value: str
    fetched_at: float


class SecretProvider:
    """Cached secret reads with rotation, outage fallback and a health view."""

    def __init__(
        self,
        settings: SecretSettings | None = None,
        *,
        source: SecretSource | None = None,
        credential: Any = None,
        client_kwargs: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        local_settings_path: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        settings = settings or get_settings().secrets
        if source is None:
            if settings.key_vault_url:
                source = KeyVaultSource(settings.key_vault_url, credential=credential, client_kwargs=client_kwargs)
            else:
                source = LocalSource(env=env, local_settings_path=local_settings_path)
        self._source = source
        self._ttl = float(settings.cache_seconds)
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._retry_at: dict[str, float] = {}
        self._missing: dict[str, float] = {}  # negative cache: name -> when it was found absent
        self._reported_missing: set[str] = set()
        self._lock = threading.Lock()
        self._last_error: str | None = None
        self._failing = False

    @property
    def source_kind(self) -> str:
        return self._source.kind

    def get_secret(self, name: str) -> str:
        """The secret's value; see the module docstring for the failure rules."""
        entry = self._cache.get(name)
        if entry is not None and self._clock() - entry.fetched_at < self._ttl:
            return entry.value
        _check_name(name)
        with self._lock:
            now = self._clock()
            missing_since = self._missing.get(name)
            if missing_since is not None and now - missing_since < self._ttl:
                raise SecretNotFoundError(name)  # known absent: no new lookup, no new log line
            entry = self._cache.get(name)
            if entry is not None:
                if now - entry.fetched_at < self._ttl:
                    return entry.value  # another thread refreshed it meanwhile
                if now < self._retry_at.get(name, 0.0):
                    return entry.value  # in an outage: do not hammer the vault
            try:
                value = self._source.fetch(name)
            except SourceUnavailable as exc:
                self._note_failure(exc.code)
                if entry is not None:
                    self._retry_at[name] = now + OUTAGE_RETRY_SECONDS
                    return entry.value
                raise DependencyError(KEYVAULT) from None
            if value is None:
                self._cache.pop(name, None)
                self._retry_at.pop(name, None)
                self._missing[name] = now
                if name not in self._reported_missing:
                    self._reported_missing.add(name)
                    log.warning("Secret %r does not exist in the %s source", name, self._source.kind)
                raise SecretNotFoundError(name)
            self._cache[name] = _Entry(value, now)
            self._retry_at.pop(name, None)
            self._missing.pop(name, None)
            self._reported_missing.discard(name)
            self._note_success()
            return value

    def invalidate(self, name: str | None = None) -> None:
        """Forget cached values so the next read goes to the source (e.g. after a rotation)."""
        with self._lock:
            if name is None:
                self._cache.clear()
                self._retry_at.clear()
                self._missing.clear()
            else:
                self._cache.pop(name, None)
                self._retry_at.pop(name, None)
                self._missing.pop(name, None)

    def health(self) -> dict[str, Any]:
        """``{"status": "ok"|"degraded", "source": ..., "last_error": code|None}``; no internals."""
        return {
            "status": "degraded" if self._failing else "ok",
            "source": self._source.kind,
            "last_error": self._last_error,
        }

    def _note_failure(self, code: str) -> None:
        if not self._failing:
            log.warning("Secret source %s is failing (%s)", self._source.kind, code)
        self._failing = True
        self._last_error = code
        from . import telemetry

        telemetry.record_dependency_failure(KEYVAULT)

    def _note_success(self) -> None:
        if self._failing:
            log.info("Secret source %s recovered", self._source.kind)
        self._failing = False


_provider: SecretProvider | None = None
_provider_lock = threading.Lock()


def get_secret_provider() -> SecretProvider:
    """The process-wide provider, built from the settings on first use."""
    global _provider
    if _provider is None:
        with _provider_lock:
            if _provider is None:
                _provider = SecretProvider()
    return _provider


def set_secret_provider(provider: SecretProvider | None) -> None:
    """Replace the process-wide provider (tests, dev host); ``None`` rebuilds it lazily."""
    global _provider, _ephemeral_key
    with _provider_lock:
        _provider = provider
        _ephemeral_key = None


def get_secret(name: str) -> str:
    return get_secret_provider().get_secret(name)


def health() -> dict[str, Any]:
    """For ``GET /api/health``: the provider's status, source and last error code."""
    return get_secret_provider().health()


# --------------------------------------------------------------------------- keyed hashing

_ephemeral_key: bytes | None = None
_ephemeral_lock = threading.Lock()


def hmac_key() -> bytes:
    """The key for :func:`keyed_hash` (UTF-8 bytes of the secret value).

    Store a long random string in the secret, e.g. ``openssl rand -base64 48``. Rotating
    it changes every hash from then on (users get new pseudonyms; old audit rows no
    longer match new ones).
    """
    return _load_key(get_settings())


def _load_key(settings: Settings) -> bytes:
    provider = get_secret_provider()
    name = settings.privacy.hmac_key_secret_name
    local = settings.environment == LOCAL_PROFILE
    try:
        value = provider.get_secret(name)
    except SecretNotFoundError:
        if provider.source_kind == KEYVAULT:
            raise
        if not local:
            raise ConfigError(
                f"No HMAC key is configured and PSS_ENVIRONMENT is {settings.environment!r}: set "
                f"{env_var_name(name)} (or the Key Vault secret) to {_ADVICE}. A random per-process key "
                "is only used in the local profile."
            ) from None
        return _process_key()
    key = value.encode("utf-8")
    if len(key) < MIN_HMAC_KEY_BYTES:
        raise ConfigError(f"The HMAC key secret is too short (minimum {MIN_HMAC_KEY_BYTES} bytes).")
    problem = _weakness(value, key)
    if problem:
        if not local:
            raise ConfigError(
                f"The HMAC key {problem}, and PSS_ENVIRONMENT is {settings.environment!r}: the service "
                f"will not start with it. Set the secret to {_ADVICE}."
            )
        _warn_once(problem)
    return key


_ADVICE = (
    f"at least {MIN_DEPLOYED_HMAC_KEY_BYTES} random characters, e.g. the output of "
    'python -c "import secrets; print(secrets.token_urlsafe(48))"'
)
_warned: set[str] = set()


def _weakness(value: str, key: bytes) -> str | None:
    """Why ``key`` is not fit outside development, or None. Never mentions the value."""
    if value.strip() in PUBLIC_HMAC_KEYS:
        return "is the published placeholder from local.settings.example.json"
    if len(key) < MIN_DEPLOYED_HMAC_KEY_BYTES:
        return f"is {len(key)} bytes long (the minimum outside the local profile is {MIN_DEPLOYED_HMAC_KEY_BYTES})"
    if len(set(key)) < MIN_DISTINCT_KEY_BYTES:
        return f"has fewer than {MIN_DISTINCT_KEY_BYTES} distinct characters"
    return None


def _warn_once(problem: str) -> None:
    if problem not in _warned:
        _warned.add(problem)
        log.warning("The HMAC key %s; fine for local development, refused outside the local profile", problem)


def check_hmac_key(settings: Settings | None = None) -> None:
    """Start-up check: outside the local profile, raise :class:`ConfigError` for a missing,
    published, short or low-variety HMAC key (locally this happens lazily, as a warning)."""
    settings = settings or get_settings()
    if settings.environment != LOCAL_PROFILE:
        _load_key(settings)


def _process_key() -> bytes:
    global _ephemeral_key
    if _ephemeral_key is None:
        with _ephemeral_lock:
            if _ephemeral_key is None:
                log.warning(
                    "No HMAC key configured (%s); using a random per-process key: "
                    "user and prompt hashes will change after a restart",
                    env_var_name(get_settings().privacy.hmac_key_secret_name),
                )
                _ephemeral_key = _random.token_bytes(32)
    return _ephemeral_key


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of ``value`` as 32 lowercase hex characters (never reversible without the key)."""
    digest = hmac.new(hmac_key(), value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return digest[:HASH_HEX_CHARS]
