"""The one configuration object.

Every setting the service reads is a field here, loaded from environment variables
with the prefix ``PSS_`` (nested groups use ``__``: ``PSS_LIMITS__MAX_INPUT_CHARS``).
In Azure the same names are app settings (``bicep/modules/functionapp.bicep`` sets
each of them); locally they come from the environment or ``local.settings.json``.

A bad value stops start-up with a :class:`~shared.errors.ConfigError` that names the
environment variable, e.g. ``PSS_SEVERITY_LEVEL: Input should be 'low', 'medium', ...``.

Presets (``PSS_PRESET=healthcare|finance``) tighten the defaults for regulated
deployments; any value set explicitly still wins over the preset.
"""

from __future__ import annotations

import os
import threading
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

ENV_PREFIX = "PSS_"
ENV_NESTED = "__"


class SeverityLevel(StrEnum):
    """How strict the firewall is. Each level is one operating point (see README)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    PARANOID = "paranoid"


class ResponseStrategy(StrEnum):
    """What to do with a prompt judged risky."""

    BLOCK = "block"  # refuse attacks, sanitize content issues
    SANITIZE = "sanitize"  # never refuse; strip what can be stripped
    WARN = "warn"  # pass through with the findings attached
    ALLOW_AND_LOG = "allow_and_log"  # pass through; record only


class Preset(StrEnum):
    NONE = "none"
    HEALTHCARE = "healthcare"
    FINANCE = "finance"


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternSettings(_Group):
    """Which built-in rule sets run, plus custom rules from a file."""

    prompt_injection: bool = True
    jailbreak: bool = True
    system_prompt_leak: bool = True
    data_exfiltration: bool = True
    sql_injection: bool = True
    xss: bool = True
    command_injection: bool = True
    encoding_bypass: bool = True
    custom_rules_path: str | None = None
    max_custom_rules: int = Field(500, ge=0, le=10_000)
    max_custom_pattern_chars: int = Field(2_000, ge=16, le=20_000)


class PreprocessingSettings(_Group):
    unicode_normalize: bool = True
    fold_homoglyphs: bool = True
    fold_leetspeak: bool = True
    decode: bool = True
    decode_max_depth: int = Field(3, ge=0, le=6)
    decode_max_bytes: int = Field(65_536, ge=1_024, le=1_048_576)
    decode_max_segments: int = Field(16, ge=0, le=256)


class LimitSettings(_Group):
    max_input_chars: int = Field(10_000, ge=16, le=1_000_000)
    max_request_bytes: int = Field(1_048_576, ge=1_024, le=16_777_216)
    max_batch_items: int = Field(100, ge=1, le=1_000)
    max_turns: int = Field(10, ge=0, le=100)
    max_concurrent_analyses: int = Field(32, ge=1, le=1_024)
    analysis_budget_ms: int = Field(2_000, ge=10, le=60_000)
    agent_budget_ms: int = Field(250, ge=1, le=30_000)
    control_char_ratio: float = Field(0.1, gt=0.0, le=1.0)
    rate_limit_per_minute: int = Field(120, ge=0, le=1_000_000)


class ClassifierSettings(_Group):
    enabled: bool = True
    model_path: str | None = None  # default: the artefact shipped in shared/detection/model/
    # The fine-tuned transformer (shared/detection/encoder.py), blended with the linear model.
    encoder_enabled: bool = True
    encoder_path: str | None = None  # default: shared/detection/model/encoder.json
    encoder_max_windows: int = Field(8, ge=1, le=64)  # windows of 126 tokens read per text at most
    # Time for reading windows: base + per 1,000 characters (a long text may take longer,
    # as the latency targets do); the first window is always read. 0 = no budget.
    encoder_budget_ms: float = Field(10.0, ge=0.0, le=10_000.0)
    encoder_budget_ms_per_kchar: float = Field(5.0, ge=0.0, le=1_000.0)
    encoder_threads: int = Field(1, ge=1, le=16)  # onnxruntime intra-op threads per analysis


class SimilaritySettings(_Group):
    default_metric: Literal["cosine", "jaccard", "levenshtein", "embedding"] = "cosine"
    default_threshold: float = Field(0.8, ge=0.0, le=1.0)
    known_attack_threshold: float = Field(0.82, ge=0.0, le=1.0)
    index_backend: Literal["local", "cosmos"] = "local"  # cosmos = Cosmos DB vector search
    index_sync_seconds: float = Field(60.0, ge=0.0, le=86_400.0)
    index_max_vectors: int = Field(50_000, ge=0, le=5_000_000)
    index_max_bytes: int = Field(128 * 1024 * 1024, ge=0)


class SemanticSettings(_Group):
    """Azure OpenAI: embeddings, the grey-zone judge and forwarding. All off by default."""

    azure_openai_endpoint: str | None = None
    api_version: str = "2024-10-21"
    chat_deployment: str | None = None
    embedding_deployment: str | None = None
    embedding_dimensions: int = Field(256, ge=8, le=4096)
    api_key_secret_name: str | None = None  # Key Vault secret; None means Entra ID
    use_embeddings: bool = False
    judge_enabled: bool = False
    judge_low: float = Field(0.35, ge=0.0, le=1.0)
    judge_high: float = Field(0.65, ge=0.0, le=1.0)
    forward_enabled: bool = False
    system_prompt: str = "You are a helpful assistant."
    timeout_s: float = Field(10.0, gt=0.0, le=120.0)
    max_retries: int = Field(2, ge=0, le=10)


#: Every sanitizer strategy (``shared/sanitize``).
ALL_SANITIZERS: tuple[str, ...] = ("html", "sql", "secrets", "urls", "pii", "profanity")


class SanitizeSettings(_Group):
    """Which sanitizer strategies run on prompts (``shared/sanitize``).

    PII redaction is opt-in (add ``pii``; the healthcare and finance presets do): the
    addresses, phone numbers and IPs in an ordinary request are usually what the request
    is about ("send $200 to amelia@example.com"), and redacting them turns a harmless
    prompt into a ``sanitize`` verdict. Secrets stay on: a credential should not reach
    the model provider.
    """

    kinds: tuple[Literal["html", "sql", "secrets", "urls", "pii", "profanity"], ...] = (
        "html",
        "sql",
        "secrets",
        "urls",
        "profanity",
    )
    url_allowlist: tuple[str, ...] = ()
    profanity_words: tuple[str, ...] = ()


class PrivacySettings(_Group):
    store_prompt_text: bool = False
    consent: bool = False  # the operator attests users consented to text retention
    retention_days: int = Field(30, ge=1, le=3_650)
    hmac_key_secret_name: str = "prompt-hmac-key"

    @model_validator(mode="after")
    def _text_needs_consent(self) -> PrivacySettings:
        if self.store_prompt_text and not self.consent:
            raise ValueError("store_prompt_text requires consent=true (PSS_PRIVACY__CONSENT)")
        return self


class ReputationSettings(_Group):
    baseline: float = Field(1.0, ge=0.0, le=1.0)
    half_life_hours: float = Field(24.0, gt=0.0, le=24 * 365)
    violation_penalty: float = Field(0.3, ge=0.0, le=1.0)
    low_reputation: float = Field(0.5, ge=0.0, le=1.0)
    block_after_critical: int = Field(3, ge=1, le=1_000)
    critical_window_minutes: int = Field(60, ge=1, le=10_080)
    block_minutes: int = Field(60, ge=1, le=525_600)
    decay_schedule: str = "0 */15 * * * *"
    decay_page_size: int = Field(200, ge=1, le=10_000)


class GraphSettings(_Group):
    queue_name: str = "graph-updates"
    near_duplicate_threshold: float = Field(0.8, ge=0.0, le=1.0)
    lsh_bands: int = Field(8, ge=1, le=128)  # 8 x 4: tests/bench/lsh_curve.py (README "Measured")
    lsh_rows: int = Field(4, ge=1, le=32)
    campaign_min_users: int = Field(3, ge=2, le=1_000)
    campaign_window_minutes: int = Field(60, ge=1, le=10_080)
    neighbourhood_limit: int = Field(200, ge=10, le=10_000)
    node_ttl_days: int = Field(30, ge=1, le=3_650)


_TENANT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def valid_tenant_name(name: str) -> bool:
    """1-64 ASCII letters, digits, ``_``, ``.`` or ``-``, starting with a letter or digit."""
    return 0 < len(name) <= 64 and name[0].isascii() and name[0].isalnum() and set(name) <= _TENANT_CHARS


class LearningSettings(_Group):
    """Who may teach the self-learning loop (known-attack index and campaigns), and for how long.

    A learned known-attack entry goes live only on evidence that does not rest on one
    caller's text alone: a critical rule covering most of the text, the LLM judge, the
    same text from ``min_tenants`` tenants, or an operator's confirmation.
    """

    evidence_floor: float = Field(0.45, ge=0.0, le=1.0)  # own rule risk needed for campaign weight
    min_critical_coverage: float = Field(0.6, ge=0.0, le=1.0)  # share of the text under critical rules
    min_tenants: int = Field(2, ge=2, le=1_000)
    learned_ttl_days: int = Field(30, ge=1, le=3_650)
    confirmed_ttl_days: int = Field(365, ge=1, le=3_650)
    max_learned_per_tenant: int = Field(200, ge=0, le=1_000_000)


class TenancySettings(_Group):
    """Caller identity, per-tenant limits and load shedding (``shared/tenancy.py``)."""

    gateway_secret_name: str = "apim-gateway-secret"  # Key Vault secret APIM also holds
    operator_key_secret_name: str = "operator-key"  # a key that grants the operator role
    key_tenants: dict[str, str] = Field(default_factory=dict)  # key fingerprint -> tenant name
    tenant_rate_limit_per_minute: int = Field(1_200, ge=0, le=10_000_000)
    max_in_flight_units: int = Field(256, ge=1, le=1_000_000)
    shed_retry_after_seconds: int = Field(1, ge=1, le=3_600)

    @field_validator("key_tenants")
    @classmethod
    def _tenant_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value.values():
            if not valid_tenant_name(name):
                raise ValueError("tenant names are 1-64 letters, digits, '_', '.' or '-'")
        return value


class StoreSettings(_Group):
    backend: Literal["sqlite", "cosmos"] = "sqlite"
    sqlite_path: str = ".data/pss.sqlite3"
    cosmos_endpoint: str | None = None
    cosmos_database: str = "promptsec"
    cosmos_key: str | None = None  # only for the local Cosmos-protocol server; Azure uses Entra ID
    cosmos_verify_tls: bool = True
    cosmos_max_retries: int = Field(5, ge=0, le=50)

    @model_validator(mode="after")
    def _cosmos_needs_endpoint(self) -> StoreSettings:
        if self.backend == "cosmos" and not self.cosmos_endpoint:
            raise ValueError("backend=cosmos requires cosmos_endpoint (PSS_STORE__COSMOS_ENDPOINT)")
        return self


class SecretSettings(_Group):
    key_vault_url: str | None = None
    cache_seconds: int = Field(300, ge=0, le=86_400)

    @field_validator("key_vault_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// URL")
        return value


class Settings(BaseSettings):
    """Everything the service can be told. Build with :func:`get_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED,
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    preset: Preset = Preset.NONE
    severity_level: SeverityLevel = SeverityLevel.MEDIUM
    response_strategy: ResponseStrategy = ResponseStrategy.BLOCK
    #: How much an analyze reply says to callers without the operator role: ``client`` (the
    #: default) gives the decision, a coarse risk and the reasons in words; ``operator`` adds
    #: component scores, thresholds and ids (rule, known attack, campaign). Operators (master
    #: key, operator key, in-process callers) always get ``operator``.
    reply_detail: Literal["operator", "client"] = "client"
    environment: str = "local"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    patterns: PatternSettings = PatternSettings()
    preprocessing: PreprocessingSettings = PreprocessingSettings()
    limits: LimitSettings = LimitSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    similarity: SimilaritySettings = SimilaritySettings()
    semantic: SemanticSettings = SemanticSettings()
    sanitize: SanitizeSettings = SanitizeSettings()
    privacy: PrivacySettings = PrivacySettings()
    reputation: ReputationSettings = ReputationSettings()
    graph: GraphSettings = GraphSettings()
    learning: LearningSettings = LearningSettings()
    tenancy: TenancySettings = TenancySettings()
    store: StoreSettings = StoreSettings()
    secrets: SecretSettings = SecretSettings()

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        """Fill in preset defaults under whatever was set explicitly."""
        if not isinstance(data, dict):
            return data
        name = str(data.get("preset", Preset.NONE)).lower()
        preset = PRESETS.get(name)
        if not preset:
            return data
        return _deep_merge(preset, data)


#: Preset overrides. Healthcare and finance add their rule packs (see
#: ``shared/detection/builtin_rules.py``: rules tagged with the preset name) and lower
#: the tolerance for leaks of regulated data.
PRESETS: dict[str, dict[str, Any]] = {
    Preset.HEALTHCARE.value: {
        "severity_level": SeverityLevel.HIGH.value,
        "response_strategy": ResponseStrategy.BLOCK.value,
        "privacy": {"retention_days": 7, "store_prompt_text": False},
        "sanitize": {"kinds": list(ALL_SANITIZERS)},
        "limits": {"max_input_chars": 8_000},
        "reputation": {"violation_penalty": 0.4, "block_after_critical": 2},
    },
    Preset.FINANCE.value: {
        "severity_level": SeverityLevel.HIGH.value,
        "response_strategy": ResponseStrategy.BLOCK.value,
        "privacy": {"retention_days": 30, "store_prompt_text": False},
        "sanitize": {"kinds": list(ALL_SANITIZERS)},
        "reputation": {"violation_penalty": 0.4, "block_after_critical": 2},
        "graph": {"campaign_min_users": 2},
    },
}


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def env_name(loc: tuple[int | str, ...]) -> str:
    """The environment variable behind a pydantic error location."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    return ENV_PREFIX + ENV_NESTED.join(p.upper() for p in parts)


#: App settings that binding expressions in ``functions/`` read as ``%NAME%``. The
#: Functions host turns ``__`` in setting names into ``:`` and cannot resolve such a
#: name there, so these two are flat; each feeds one nested field, and the nested
#: spelling is refused so that the bindings and the settings cannot disagree.
BINDING_ENV_NAMES: dict[str, tuple[str, str]] = {
    "PSS_GRAPH_QUEUE_NAME": ("graph", "queue_name"),
    "PSS_REPUTATION_DECAY_SCHEDULE": ("reputation", "decay_schedule"),
}


def known_env_names() -> set[str]:
    """Every ``PSS_*`` variable the service understands (also used by the Bicep test)."""
    names: set[str] = set()
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(env_name((name, sub)) for sub in annotation.model_fields)
        else:
            names.add(env_name((name,)))
    names.difference_update(env_name(loc) for loc in BINDING_ENV_NAMES.values())
    return names | set(BINDING_ENV_NAMES)


def _binding_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """Fold the flat binding settings from the environment into nested overrides."""
    out = dict(overrides)
    for key, value in os.environ.items():
        loc = BINDING_ENV_NAMES.get(key.upper())
        if loc is not None:
            group, field_name = loc
            out[group] = {**dict(out.get(group) or {}), field_name: value}
    return out


#: Local stand-ins for Key Vault secrets (``shared/secrets.py``), not settings.
SECRET_ENV_PREFIX = "PSS_SECRET_"


def _unknown_env_names() -> list[str]:
    known = known_env_names()
    return sorted(
        key
        for key in os.environ
        if key.upper().startswith(ENV_PREFIX)
        and key.upper() not in known
        and not key.upper().startswith(SECRET_ENV_PREFIX)
    )


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings; raise :class:`ConfigError` naming the variable.

    An unknown ``PSS_*`` variable is an error too: a typo must not silently fall back
    to a default in a security product.
    """
    unknown = _unknown_env_names()
    if unknown:
        renamed = {env_name(loc): flat for flat, loc in BINDING_ENV_NAMES.items()}
        hints = [f" ({name} is now {renamed[name.upper()]})" for name in unknown if name.upper() in renamed]
        raise ConfigError(
            "Invalid configuration: unknown setting(s) " + ", ".join(unknown) + "".join(hints),
            details={"variables": unknown},
        )
    try:
        return Settings(**_binding_overrides(overrides))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            problems.append(f"{env_name(loc) if loc else ENV_PREFIX + '*'}: {err.get('msg')}")
        raise ConfigError(
            "Invalid configuration: " + "; ".join(problems),
            details={"variables": [p.split(":", 1)[0] for p in problems]},
        ) from None


_settings: Settings | None = None
_lock = threading.Lock()


def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    global _settings
    if _settings is None:
        with _lock:
            if _settings is None:
                _settings = load_settings()
    return _settings


def set_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (tests, CLI flags). ``None`` reloads lazily."""
    global _settings
    with _lock:
        _settings = settings


def read_env(name: str, default: str | None = None) -> str | None:
    """Read a host-level setting that is not ours (``AzureWebJobsStorage``, ...)."""
    return os.environ.get(name, default)
