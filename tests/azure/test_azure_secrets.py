"""shared.secrets: the local sources, and Key Vault through the real SecretClient."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared import secrets
from shared.config import PrivacySettings, SecretSettings, Settings, set_settings
from shared.errors import ConfigError, DependencyError, ErrorCode
from shared.secrets import (
    OUTAGE_RETRY_SECONDS,
    SecretNotFoundError,
    SecretProvider,
    env_var_name,
    hmac_key,
    keyed_hash,
    set_secret_provider,
)
from tests.fakes.keyvault_server import FakeKeyVault, StaticTokenCredential

KV_URL_SETTING = "https://placeholder.vault.azure.net/"  # replaced by the fake's URL per test


class Clock:
    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[FakeKeyVault]:
    with FakeKeyVault(tmp_path / "tls") as server:
        yield server


def kv_provider(vault: FakeKeyVault, clock: Clock, *, cache_seconds: int = 60, token: str | None = None):
    return SecretProvider(
        SecretSettings(key_vault_url=vault.vault_url, cache_seconds=cache_seconds),
        credential=StaticTokenCredential(token or vault.token),
        client_kwargs=vault.client_kwargs(),
        clock=clock,
    )


# --------------------------------------------------------------------------- local


def test_env_var_rule() -> None:
    assert env_var_name("prompt-hmac-key") == "PSS_SECRET_PROMPT_HMAC_KEY"
    assert env_var_name("aoai-key") == "PSS_SECRET_AOAI_KEY"


def test_local_env_then_local_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(
        json.dumps(
            {
                "IsEncrypted": False,
                "Values": {"PSS_SECRET_FROM_FILE": "file-value", "PSS_SECRET_BOTH": "file"},
            }
        )
    )
    env = {"PSS_SECRET_BOTH": "env", "PSS_SECRET_ONLY_ENV": "env-only"}
    provider = SecretProvider(SecretSettings(), env=env, local_settings_path=path)
    assert provider.source_kind == "local"
    assert provider.get_secret("from-file") == "file-value"
    assert provider.get_secret("both") == "env"
    assert provider.get_secret("only-env") == "env-only"
    assert provider.health() == {"status": "ok", "source": "local", "last_error": None}


def test_local_file_changes_are_picked_up_after_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"Values": {"PSS_SECRET_K": "one"}}))
    clock = Clock()
    provider = SecretProvider(SecretSettings(cache_seconds=30), env={}, local_settings_path=path, clock=clock)
    assert provider.get_secret("k") == "one"
    path.write_text(json.dumps({"Values": {"PSS_SECRET_K": "two-longer"}}))
    assert provider.get_secret("k") == "one"  # cached
    clock.now += 31
    assert provider.get_secret("k") == "two-longer"


def test_broken_local_settings_is_a_clear_config_error(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text("{ not json")
    provider = SecretProvider(SecretSettings(), env={}, local_settings_path=path)
    with pytest.raises(ConfigError) as info:
        provider.get_secret("anything")
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert str(tmp_path) not in info.value.message


def test_missing_local_secret_has_a_stable_code_and_no_internals() -> None:
    provider = SecretProvider(SecretSettings(), env={})
    with pytest.raises(SecretNotFoundError) as info:
        provider.get_secret("prompt-hmac-key")
    err = info.value
    assert err.code is ErrorCode.CONFIG_INVALID and err.status == 500
    assert err.secret_name == "prompt-hmac-key"
    body = json.dumps(err.to_dict())
    assert "prompt-hmac-key" not in body and "PSS_SECRET" not in body


class CountingEnv(dict[str, str]):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.lookups += 1
        return super().get(key, default)


def test_absent_secret_is_negatively_cached_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    env = CountingEnv()
    clock = Clock()
    provider = SecretProvider(SecretSettings(cache_seconds=30), env=env, clock=clock)
    with caplog.at_level(logging.WARNING, logger="shared.secrets"):
        for _ in range(5):
            with pytest.raises(SecretNotFoundError):
                provider.get_secret("later")
        assert env.lookups == 1
        env["PSS_SECRET_LATER"] = "now-it-exists"
        with pytest.raises(SecretNotFoundError):
            provider.get_secret("later")  # still inside the negative-cache window
        clock.now += 31
        assert provider.get_secret("later") == "now-it-exists"
    assert sum("does not exist" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("name", ["", "has space", "under_score", "x" * 128, "../etc"])
def test_invalid_secret_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError):
        SecretProvider(SecretSettings(), env={}).get_secret(name)


# --------------------------------------------------------------------------- Key Vault


def test_key_vault_read_goes_through_the_challenge(vault: FakeKeyVault) -> None:
    vault.set_secret("prompt-hmac-key", "first-value-0123456789")
    credential = StaticTokenCredential(vault.token)
    provider = SecretProvider(
        SecretSettings(key_vault_url=vault.vault_url),
        credential=credential,
        client_kwargs=vault.client_kwargs(),
    )
    assert provider.source_kind == "keyvault"
    assert provider.get_secret("prompt-hmac-key") == "first-value-0123456789"
    assert [r.authorised for r in vault.requests] == [False, True]  # 401 challenge, then the read
    assert credential.scopes == [("https://vault.azure.net/.default",)]


def test_key_vault_values_are_cached_then_rotated(vault: FakeKeyVault) -> None:
    vault.set_secret("api-key", "v1")
    clock = Clock()
    provider = kv_provider(vault, clock, cache_seconds=60)
    assert provider.get_secret("api-key") == "v1"
    vault.set_secret("api-key", "v2")
    clock.now += 59
    assert provider.get_secret("api-key") == "v1"
    assert vault.authorised_reads("api-key") == 1
    clock.now += 2
    assert provider.get_secret("api-key") == "v2"
    assert vault.authorised_reads("api-key") == 2


def test_concurrent_readers_share_one_refresh(vault: FakeKeyVault) -> None:
    vault.set_secret("api-key", "v1")
    clock = Clock()
    provider = kv_provider(vault, clock, cache_seconds=60)
    assert provider.get_secret("api-key") == "v1"
    vault.set_secret("api-key", "v2")
    clock.now += 61
    with ThreadPoolExecutor(max_workers=16) as pool:
        values = list(pool.map(lambda _: provider.get_secret("api-key"), range(64)))
    assert set(values) == {"v2"}
    assert vault.authorised_reads("api-key") == 2


def test_outage_serves_the_last_good_value_and_reports_it(
    vault: FakeKeyVault, caplog: pytest.LogCaptureFixture
) -> None:
    vault.set_secret("api-key", "v1")
    clock = Clock()
    provider = kv_provider(vault, clock, cache_seconds=10)
    assert provider.get_secret("api-key") == "v1"

    vault.unavailable = True
    clock.now += 11
    with caplog.at_level(logging.WARNING, logger="shared.secrets"):
        assert provider.get_secret("api-key") == "v1"
        assert provider.get_secret("api-key") == "v1"
    set_secret_provider(provider)
    assert secrets.health() == {"status": "degraded", "source": "keyvault", "last_error": "keyvault_error"}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "v1" not in warnings[0].getMessage()
    reads = len(vault.requests)
    clock.now += OUTAGE_RETRY_SECONDS / 2
    assert provider.get_secret("api-key") == "v1"
    assert len(vault.requests) == reads  # no new attempt inside the back-off window

    vault.unavailable = False
    vault.set_secret("api-key", "v2")
    clock.now += OUTAGE_RETRY_SECONDS
    assert provider.get_secret("api-key") == "v2"
    assert provider.health()["status"] == "ok"


def test_unreachable_vault_serves_cache_or_raises_dependency_error(vault: FakeKeyVault) -> None:
    vault.set_secret("api-key", "v1")
    clock = Clock()
    provider = kv_provider(vault, clock, cache_seconds=5)
    assert provider.get_secret("api-key") == "v1"
    vault.stop()
    clock.now += 6
    assert provider.get_secret("api-key") == "v1"
    assert provider.health()["last_error"] == "keyvault_unreachable"
    with pytest.raises(DependencyError) as info:
        provider.get_secret("never-fetched")
    err = info.value
    assert err.code is ErrorCode.DEPENDENCY_UNAVAILABLE and err.status == 503
    assert err.details == {"dependency": "keyvault"}
    assert "127.0.0.1" not in json.dumps(err.to_dict())


def test_missing_key_vault_secret(vault: FakeKeyVault) -> None:
    provider = kv_provider(vault, Clock())
    with pytest.raises(SecretNotFoundError) as info:
        provider.get_secret("does-not-exist")
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert provider.health()["status"] == "ok"  # the vault answered; the secret is just absent


def test_deleted_secret_is_not_served_from_cache(vault: FakeKeyVault) -> None:
    vault.set_secret("api-key", "v1")
    clock = Clock()
    provider = kv_provider(vault, clock, cache_seconds=1)
    assert provider.get_secret("api-key") == "v1"
    vault.delete_secret("api-key")
    clock.now += 2
    with pytest.raises(SecretNotFoundError):
        provider.get_secret("api-key")


def test_rejected_token_is_a_dependency_failure(vault: FakeKeyVault) -> None:
    vault.set_secret("api-key", "v1")
    provider = kv_provider(vault, Clock(), token="not-the-right-token")
    with pytest.raises(DependencyError):
        provider.get_secret("api-key")
    assert provider.health() == {
        "status": "degraded",
        "source": "keyvault",
        "last_error": "keyvault_auth_failed",
    }


# --------------------------------------------------------------------------- keyed hashing


def _use(provider: SecretProvider, secret_name: str = "prompt-hmac-key") -> None:
    set_settings(Settings(privacy=PrivacySettings(hmac_key_secret_name=secret_name)))
    set_secret_provider(provider)


def test_keyed_hash_is_stable_keyed_and_short() -> None:
    _use(SecretProvider(SecretSettings(), env={"PSS_SECRET_PROMPT_HMAC_KEY": "k" * 32}))
    first = keyed_hash("user-42")
    assert first == keyed_hash("user-42")
    assert len(first) == 32 and all(c in "0123456789abcdef" for c in first)
    assert first != keyed_hash("user-43")
    assert hmac_key() == b"k" * 32
    _use(SecretProvider(SecretSettings(), env={"PSS_SECRET_PROMPT_HMAC_KEY": "j" * 32}))
    assert keyed_hash("user-42") != first


def test_keyed_hash_uses_the_configured_secret_name() -> None:
    _use(SecretProvider(SecretSettings(), env={"PSS_SECRET_OTHER_KEY": "o" * 20}), "other-key")
    assert hmac_key() == b"o" * 20


def test_local_without_key_uses_a_random_process_key_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    _use(SecretProvider(SecretSettings(), env={}))
    with caplog.at_level(logging.WARNING, logger="shared.secrets"):
        first = keyed_hash("same input")
        assert keyed_hash("same input") == first
    assert sum("random per-process key" in r.getMessage() for r in caplog.records) == 1
    _use(SecretProvider(SecretSettings(), env={}))  # a "restart": a new random key
    assert keyed_hash("same input") != first


def test_short_key_is_refused() -> None:
    _use(SecretProvider(SecretSettings(), env={"PSS_SECRET_PROMPT_HMAC_KEY": "short"}))
    with pytest.raises(ConfigError):
        keyed_hash("x")


def test_key_vault_mode_never_invents_a_key(vault: FakeKeyVault) -> None:
    _use(kv_provider(vault, Clock()))
    with pytest.raises(SecretNotFoundError):
        keyed_hash("x")
    vault.set_secret("prompt-hmac-key", "vault-key-0123456789abcdef")
    secrets.get_secret_provider().invalidate()
    assert len(keyed_hash("x")) == 32
