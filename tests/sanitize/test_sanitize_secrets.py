"""Secrets strategy: provider keys, assignments, and the generic high-entropy check."""

from __future__ import annotations

import base64
import random
import string

import pytest

from shared.findings import ThreatType
from shared.sanitize.secrets import SecretsStrategy

SECRETS = SecretsStrategy()
RNG = random.Random(20240611)


def rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """Random key material built at test time (no real-looking keys stored in the repo)."""
    while True:
        token = "".join(RNG.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in token) and any(c.isupper() for c in token) and any(c.islower() for c in token):
            return token


def found(text: str) -> list[tuple[str, str]]:
    return [(i.kind, text[i.span[0] : i.span[1]]) for i in SECRETS.find(text)]


@pytest.mark.parametrize(
    ("kind", "secret"),
    [
        ("aws_access_key_id", "AKIA" + "IOSFODNN7EXAMPLE"),
        ("github_token", "ghp_" + rand(36)),
        ("github_token", "github_pat_" + rand(22) + "_" + rand(59)),
        ("llm_api_key", "sk-" + rand(48)),
        ("llm_api_key", "sk-proj-" + rand(40)),
        ("llm_api_key", "sk-ant-api03-" + rand(80)),
        ("slack_token", "xoxb-" + "".join(RNG.choice(string.digits) for _ in range(12)) + "-" + rand(24)),
        ("google_api_key", "AIza" + rand(35)),
        ("stripe_key", "sk_live_" + rand(24)),
        ("huggingface_token", "hf_" + rand(34)),
        (
            "jwt",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            + base64.urlsafe_b64encode(b'{"sub":"1234567890","name":"x"}').decode().rstrip("=")
            + "."
            + rand(43, string.ascii_letters + string.digits + "-_"),
        ),
    ],
)
def test_provider_keys(kind: str, secret: str) -> None:
    text = f"here it is: {secret} - keep it safe"
    assert found(text) == [(kind, secret)]
    result = SECRETS.sanitize(text)
    assert result.text == "here it is: [SECRET] - keep it safe"
    assert result.issues[0].threat_type is ThreatType.SECRET


def test_pem_private_key_block() -> None:
    body = "\n".join(rand(64, string.ascii_letters + string.digits + "+/") for _ in range(4))
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    text = f"my key:\n{pem}\nwhy does ssh reject it?"
    assert found(text) == [("private_key", pem)]
    assert SECRETS.sanitize(text).text == "my key:\n[SECRET]\nwhy does ssh reject it?"


def test_pem_without_end_marker_takes_only_the_base64_lines() -> None:
    body = "\n".join(rand(64, string.ascii_letters + string.digits + "+/") for _ in range(3))
    text = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\nthen my question about it"
    issues = SECRETS.find(text)
    assert len(issues) == 1
    assert SECRETS.sanitize(text).text == "[SECRET]\nthen my question about it"


def test_azure_connection_string_keeps_structure() -> None:
    key = rand(86, string.ascii_letters + string.digits + "+/") + "=="
    conn = f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={key};EndpointSuffix=core.windows.net"
    assert found(conn) == [("azure_account_key", key)]
    assert SECRETS.sanitize(conn).text == (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[SECRET];EndpointSuffix=core.windows.net"
    )


def test_azure_sas_signature() -> None:
    sig = rand(43) + "%3D"
    url = f"https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&sig={sig}"
    assert found(url) == [("azure_sas_signature", sig)]


def test_http_auth_headers() -> None:
    basic = base64.b64encode(b"admin:" + rand(12).encode()).decode()
    bearer = rand(40)
    text = f"Authorization: Basic {basic}\nAuthorization: Bearer {bearer}"
    assert found(text) == [("basic_auth", basic), ("bearer_token", bearer)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("password=hunter2", "hunter2"),
        ("DB_PASSWORD = 'S3cr3t!pass'", "S3cr3t!pass"),
        ('{"api_key": "abc123def456"}', "abc123def456"),
        ("api-key: Zx81-kk22", "Zx81-kk22"),
        ("client_secret => 'shh'", "shh"),
        ("export AWS_SECRET_ACCESS_KEY=" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None),
        ("token=correcthorsebattery", "correcthorsebattery"),
    ],
)
def test_assignments_replace_only_the_value(text: str, value: str | None) -> None:
    issues = SECRETS.find(text)
    assert len(issues) == 1
    s, e = issues[0].span
    if value is not None:
        assert text[s:e] == value
    assert "=" in text[:s] or ":" in text[:s]  # the key name stays readable


@pytest.mark.parametrize(
    "text",
    [
        "password: please help me reset it",  # ordinary word after a colon
        "What makes a strong password? Is a passphrase better?",
        "password = input('Password: ')",  # code, not a value
        "password: str = Field(...)",
        "password=${DB_PASSWORD}",
        "api_key = os.environ.get('API_KEY')",
        "api_key: <your-api-key>",
        "password = settings.DB_PASSWORD",
        'password="password"',
        "max_tokens=512, tokens: 300",
        "password=[SECRET]",  # already redacted
    ],
)
def test_assignment_near_misses(text: str) -> None:
    assert found(text) == []


def test_generic_high_entropy_token() -> None:
    token = rand(32)
    assert found(f"use {token} as the key") == [("high_entropy_token", token)]


@pytest.mark.parametrize(
    "text",
    [
        # UUIDs on their own are identifiers (decision documented in the module).
        "request id 123e4567-e89b-12d3-a456-426614174000 failed",
        "REQUEST 123E4567-E89B-12D3-A456-426614174000",
        # Pure hex (git SHAs, digests) is not flagged by the generic check.
        "fixed in commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        # Long words, identifiers, paths.
        "Supercalifragilisticexpialidocious and antidisestablishmentarianism",
        "call getUserAccountBalanceForId2 then HttpClientFactory2Builder3Test",
        "see src/components/UserProfile2/index.tsx",
        "MAX_RETRY_COUNT_FOR_HTTP_CLIENT_V2 = 3",
        "this-is-a-very-long-kebab-case-identifier-2",
        # Base64 of readable text is encoded prose, not a key.
        "payload " + base64.b64encode(b"hello there, general kenobi 1234").decode(),
        # Link ids inside URLs are the URL strategy's business.
        "https://docs.google.com/document/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit",
    ],
)
def test_generic_near_misses(text: str) -> None:
    assert [k for k, _ in found(text) if k == "high_entropy_token"] == []


def test_provider_pattern_wins_over_assignment() -> None:
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    assert found(f"aws_access_key_id={key}") == [("aws_access_key_id", key)]


def test_aws_secret_key_is_found_next_to_its_key_id() -> None:
    key_id = "AKIA" + "IOSFODNN7EXAMPLE"
    # Slash-separated letter runs make the generic test read it as a path; the pair does not.
    secret = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
    assert found(f"id {key_id} secret {secret}") == [("aws_access_key_id", key_id), ("aws_secret_access_key", secret)]
    # Without a key id nearby, a 40-character path stays a path.
    assert found("see src/components/HeaderNavigation/MenuItemsListView") == []
    # A longer token is not cut into a 40-character "secret".
    long_token = "src/" + "a" * 20 + "/" + "B1" * 20
    assert [k for k, _ in found(f"{key_id} {long_token}") if k == "aws_secret_access_key"] == []


def test_idempotent() -> None:
    text = f"password=hunter2 and sk-{rand(40)} and {rand(30)}"
    once = SECRETS.sanitize(text)
    assert len(once.issues) == 3
    assert SECRETS.find(once.text) == []
