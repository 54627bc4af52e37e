"""The one settings object: defaults, PSS_ environment loading, refusals that name the
variable, presets, and the privacy rule (no prompt text without consent)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from shared.config import (  # noqa: E402
    BINDING_ENV_NAMES,
    PRESETS,
    Preset,
    ResponseStrategy,
    SeverityLevel,
    get_settings,
    known_env_names,
    load_settings,
    set_settings,
)
from shared.errors import ConfigError, ErrorCode  # noqa: E402


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch):
    for key in list(os.environ):
        if key.upper().startswith("PSS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PSS_SECRET_PROMPT_HMAC_KEY", "config-tests-hmac-key-0123456789")
    set_settings(None)
    yield monkeypatch
    set_settings(None)


def _refusal(**overrides: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_settings(**overrides)
    assert info.value.code == ErrorCode.CONFIG_INVALID
    assert info.value.status == 500
    return info.value


# ------------------------------------------------------------------ defaults


def test_defaults() -> None:
    s = load_settings()
    assert s.preset == Preset.NONE
    assert s.severity_level == SeverityLevel.MEDIUM
    assert s.response_strategy == ResponseStrategy.BLOCK
    assert s.limits.max_input_chars == 10_000
    assert s.semantic.judge_enabled is False and s.semantic.forward_enabled is False
    assert s.semantic.use_embeddings is False
    assert s.privacy.store_prompt_text is False and s.privacy.consent is False
    assert s.store.backend == "sqlite"
    assert all(
        getattr(s.patterns, name)
        for name in ("prompt_injection", "jailbreak", "system_prompt_leak", "data_exfiltration",
                     "sql_injection", "xss", "command_injection", "encoding_bypass")
    )  # fmt: skip
    assert s.preprocessing.decode and s.preprocessing.fold_leetspeak


def test_settings_are_frozen() -> None:
    s = load_settings()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its own ValidationError
        s.severity_level = SeverityLevel.LOW  # type: ignore[misc]


# ------------------------------------------------------------------ environment


def test_env_top_level_and_nested(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_SEVERITY_LEVEL", "paranoid")
    clean_env.setenv("PSS_RESPONSE_STRATEGY", "allow_and_log")
    clean_env.setenv("PSS_LIMITS__MAX_INPUT_CHARS", "5000")
    clean_env.setenv("PSS_PREPROCESSING__FOLD_LEETSPEAK", "false")
    clean_env.setenv("PSS_PATTERNS__XSS", "0")
    clean_env.setenv("PSS_SIMILARITY__DEFAULT_METRIC", "jaccard")
    s = load_settings()
    assert s.severity_level == SeverityLevel.PARANOID
    assert s.response_strategy == ResponseStrategy.ALLOW_AND_LOG
    assert s.limits.max_input_chars == 5000
    assert s.limits.max_turns == 10  # siblings keep their defaults
    assert s.preprocessing.fold_leetspeak is False
    assert s.patterns.xss is False and s.patterns.sql_injection is True
    assert s.similarity.default_metric == "jaccard"


def test_env_names_are_case_insensitive(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("pss_severity_level", "high")
    assert load_settings().severity_level == SeverityLevel.HIGH


def test_get_settings_is_cached_and_resettable(clean_env: pytest.MonkeyPatch) -> None:
    first = get_settings()
    clean_env.setenv("PSS_SEVERITY_LEVEL", "low")
    assert get_settings() is first
    set_settings(None)
    assert get_settings().severity_level == SeverityLevel.LOW


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PSS_SEVERITY_LEVEL", "extreme"),
        ("PSS_RESPONSE_STRATEGY", "shrug"),
        ("PSS_LIMITS__MAX_INPUT_CHARS", "lots"),
        ("PSS_LIMITS__MAX_INPUT_CHARS", "5"),
        ("PSS_LIMITS__AGENT_BUDGET_MS", "-1"),
        ("PSS_PREPROCESSING__DECODE_MAX_DEPTH", "99"),
        ("PSS_SIMILARITY__DEFAULT_THRESHOLD", "1.5"),
        ("PSS_SECRETS__KEY_VAULT_URL", "http://vault.example"),
        ("PSS_PRESET", "space_agency"),
    ],
)
def test_invalid_values_name_the_variable(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(name, value)
    err = _refusal()
    assert name in err.message
    assert name in err.details["variables"]
    assert value not in err.details["variables"]
    assert "Traceback" not in err.message


def test_several_problems_are_reported_together(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_SEVERITY_LEVEL", "extreme")
    clean_env.setenv("PSS_LIMITS__MAX_TURNS", "1000")
    err = _refusal()
    assert {"PSS_SEVERITY_LEVEL", "PSS_LIMITS__MAX_TURNS"} <= set(err.details["variables"])


@pytest.mark.parametrize("name", ["PSS_SEVERITY", "PSS_LIMITS__MAX_INPUT", "PSS_FOO", "PSS_LIMITS__MAXINPUTCHARS"])
def test_unknown_variables_are_refused(clean_env: pytest.MonkeyPatch, name: str) -> None:
    clean_env.setenv(name, "1")
    err = _refusal()
    assert name in err.message
    assert err.details["variables"] == [name]


def test_secret_variables_are_not_settings(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_SECRET_SOMETHING_ELSE", "value")
    clean_env.setenv("PSS_SECRET_AZURE_OPENAI_KEY", "value")
    assert load_settings().severity_level == SeverityLevel.MEDIUM


def test_every_known_name_is_loadable(clean_env: pytest.MonkeyPatch) -> None:
    names = known_env_names()
    assert "PSS_LIMITS__MAX_INPUT_CHARS" in names and "PSS_SEVERITY_LEVEL" in names
    assert not any(n.startswith("PSS_SECRET_") for n in names)
    # Setting a known group variable to its default value is accepted for every group field.
    defaults = load_settings()
    for name in sorted(names):
        parts = BINDING_ENV_NAMES.get(name) or name[len("PSS_") :].lower().split("__")
        value = defaults
        for part in parts:
            value = getattr(value, part)
        if value is None or isinstance(value, dict):
            continue
        if isinstance(value, (tuple, list)):
            raw = json.dumps(list(value))  # complex values are JSON in the environment
        else:
            raw = str(value.value if hasattr(value, "value") else value)
        clean_env.setenv(name, raw.lower() if isinstance(value, bool) else raw)
        try:
            load_settings()
        finally:
            clean_env.delenv(name)


# ------------------------------------------------------------------ presets


@pytest.mark.parametrize("preset", ["healthcare", "finance"])
def test_presets_apply(clean_env: pytest.MonkeyPatch, preset: str) -> None:
    clean_env.setenv("PSS_PRESET", preset)
    s = load_settings()
    spec = PRESETS[preset]
    assert s.preset.value == preset
    assert s.severity_level.value == spec["severity_level"]
    assert s.privacy.retention_days == spec["privacy"]["retention_days"]
    assert s.reputation.block_after_critical == spec["reputation"]["block_after_critical"]
    # Presets tighten: never looser than the defaults.
    base = load_settings(preset="none")
    levels = list(SeverityLevel)
    assert levels.index(s.severity_level) >= levels.index(base.severity_level)
    assert s.privacy.retention_days <= base.privacy.retention_days
    assert s.reputation.block_after_critical <= base.reputation.block_after_critical


def test_healthcare_limits(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_PRESET", "healthcare")
    assert load_settings().limits.max_input_chars == PRESETS["healthcare"]["limits"]["max_input_chars"]


def test_explicit_values_win_over_the_preset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_PRESET", "healthcare")
    clean_env.setenv("PSS_SEVERITY_LEVEL", "paranoid")
    clean_env.setenv("PSS_PRIVACY__RETENTION_DAYS", "3")
    s = load_settings()
    assert s.severity_level == SeverityLevel.PARANOID
    assert s.privacy.retention_days == 3
    # Untouched preset values still apply next to the explicit ones.
    assert s.reputation.block_after_critical == PRESETS["healthcare"]["reputation"]["block_after_critical"]
    assert s.limits.max_input_chars == PRESETS["healthcare"]["limits"]["max_input_chars"]


def test_explicit_keyword_overrides_win_over_the_preset() -> None:
    s = load_settings(preset="finance", severity_level="low", graph={"campaign_min_users": 5})
    assert s.severity_level == SeverityLevel.LOW
    assert s.graph.campaign_min_users == 5
    assert s.reputation.violation_penalty == PRESETS["finance"]["reputation"]["violation_penalty"]


def test_preset_adds_its_rules() -> None:
    from shared.pipeline import Pipeline

    plain = Pipeline.build(load_settings(classifier={"enabled": False}))
    care = Pipeline.build(load_settings(classifier={"enabled": False}, preset="healthcare"))
    plain_ids = {r.id for r in plain.rules.snapshot.rules}
    care_ids = {r.id for r in care.rules.snapshot.rules}
    assert "reg.phi_bulk_request" in care_ids - plain_ids


# ------------------------------------------------------------------ privacy


def test_prompt_text_needs_consent(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_PRIVACY__STORE_PROMPT_TEXT", "true")
    err = _refusal()
    assert "PSS_PRIVACY" in err.message
    assert "consent" in err.message.lower()


def test_prompt_text_with_consent_is_accepted(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_PRIVACY__STORE_PROMPT_TEXT", "true")
    clean_env.setenv("PSS_PRIVACY__CONSENT", "true")
    s = load_settings()
    assert s.privacy.store_prompt_text and s.privacy.consent


def test_a_preset_cannot_hide_the_consent_rule(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_PRESET", "finance")
    clean_env.setenv("PSS_PRIVACY__STORE_PROMPT_TEXT", "true")
    assert "consent" in _refusal().message.lower()


def test_cosmos_backend_needs_an_endpoint(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSS_STORE__BACKEND", "cosmos")
    err = _refusal()
    assert "PSS_STORE" in err.message and "COSMOS_ENDPOINT" in err.message


# ------------------------------------------------------------------ HMAC key at start-up

PLACEHOLDER = json.loads((ROOT / "local.settings.example.json").read_text(encoding="utf-8"))["Values"][
    "PSS_SECRET_PROMPT_HMAC_KEY"
]


def _start_with_key(environment: str, key: str | None) -> None:
    from shared.secrets import SecretProvider, set_secret_provider
    from shared.service import Service

    env = {"PSS_SECRET_PROMPT_HMAC_KEY": key} if key is not None else {}
    set_secret_provider(SecretProvider(load_settings().secrets, env=env))
    try:
        Service(load_settings(environment=environment))
    finally:
        set_secret_provider(None)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (PLACEHOLDER, "published placeholder"),
        ("0123456789abcdef0123", "20 bytes long"),
        ("ab" * 20, "fewer than 8 distinct"),
        (None, "No HMAC key is configured"),
    ],
)
def test_a_weak_hmac_key_stops_start_up_outside_the_local_profile(key: str | None, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        _start_with_key("production", key)
    message = info.value.message
    assert reason in message and "'production'" in message
    assert "secrets.token_urlsafe" in message  # it says what to do
    if key:
        assert key not in message  # and never echoes the key


def test_a_weak_key_is_only_a_warning_in_the_local_profile(caplog: pytest.LogCaptureFixture) -> None:
    from shared import secrets

    with caplog.at_level("WARNING", logger="shared.secrets"):
        _start_with_key("local", PLACEHOLDER)  # the service starts
        from shared.secrets import SecretProvider, set_secret_provider

        set_secret_provider(SecretProvider(load_settings().secrets, env={"PSS_SECRET_PROMPT_HMAC_KEY": PLACEHOLDER}))
        try:
            assert len(secrets.keyed_hash("x")) == 32
        finally:
            set_secret_provider(None)
    assert any("placeholder" in r.getMessage() for r in caplog.records)


def test_a_strong_key_starts_anywhere() -> None:
    import secrets as random

    _start_with_key("production", random.token_urlsafe(48))


def test_make_creates_local_settings_with_a_fresh_random_key(tmp_path: Path) -> None:
    import shutil
    import subprocess

    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed; the local.settings.json target cannot be checked")
    keys = []
    for run in range(2):
        work = tmp_path / f"run{run}"
        work.mkdir()
        shutil.copy(ROOT / "Makefile", work / "Makefile")
        shutil.copy(ROOT / "local.settings.example.json", work / "local.settings.example.json")
        done = subprocess.run(
            [make, "-s", "local.settings.json", f"PY={sys.executable}"], cwd=work, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        values = json.loads((work / "local.settings.json").read_text(encoding="utf-8"))["Values"]
        example = json.loads((work / "local.settings.example.json").read_text(encoding="utf-8"))["Values"]
        assert set(values) == set(example)  # everything else copied as is
        key = values["PSS_SECRET_PROMPT_HMAC_KEY"]
        assert key != PLACEHOLDER and len(key) >= 32 and len(set(key)) >= 8
        keys.append(key)
    assert keys[0] != keys[1]
