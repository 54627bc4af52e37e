"""Credentials: provider API keys, tokens, private keys, ``password=...`` style assignments.

Provider patterns (AWS, GitHub, OpenAI/Anthropic, Slack, Google, Stripe, Hugging Face,
npm, Azure storage keys and SAS signatures, JWTs, PEM private keys, HTTP Basic/Bearer
credentials) come first because their shapes are precise. Then key/value assignments,
where only the *value* is replaced so the text still reads ``password=[SECRET]``.
Last, a generic high-entropy check for keys nobody wrote a pattern for.

The generic check is deliberately conservative; a token is a secret only if it is
20-128 characters of base64/url-safe alphabet, mixes upper case, lower case and digits,
and its Shannon entropy is close to what random text of that length would have. It
never flags:

* UUIDs on their own (identifiers, not credentials),
* pure hex strings such as git SHAs, checksums and digests (a hex *key* is still caught
  when it is assigned to a ``secret``/``key``/``token`` name),
* base64 that decodes to readable text (that is encoded prose, for the decoder stage),
* paths (``src/components/...``) and tokens inside ``http(s)://`` URLs (link ids; a URL
  carrying data is the URL sanitizer's business),
* structured ids whose ``-``/``_``-separated parts are each all letters or all digits,
* camelCase identifiers (most characters in word-like runs such as ``Http``, ``get``).

Known false positive: opaque object ids such as Stripe's ``in_0KVnBvo2ZNzxqgUA4dPhPB3i``
look exactly like keys and are replaced.
"""

from __future__ import annotations

import base64
import binascii
import math
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from shared.findings import SanitizeIssue, ThreatType

from .base import Claims, SanitizerStrategy, char_after, char_before, shannon_entropy
from .regex import LazyRegex, Prefilter

REPLACEMENT = "[SECRET]"

# The end marker is looked up separately (bisect) rather than with a lazy ".*?END",
# which would rescan the rest of the text for every unterminated BEGIN line.
PEM_BEGIN = LazyRegex(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
PEM_END = LazyRegex(r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
PEM_BODY = LazyRegex(r"(?m:(?:\r?\n(?:[A-Za-z0-9+/=]{4,}|[A-Za-z\-]+: [^\n]*)[ \t\r]*$)*)")
_PEM_MAX_BODY = 16_384
AZURE_ACCOUNT_KEY = LazyRegex(r"(?i)\b(?:AccountKey|SharedAccessKey)\s*=\s*([A-Za-z0-9+/]{20,}={0,2})")
AZURE_SAS_SIG = LazyRegex(r"(?i)[?&;]sig=([A-Za-z0-9%+/=]{20,})")
AWS_ACCESS_KEY_ID = LazyRegex(r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})\b")
# A secret access key is 40 base64 characters; alone it is just a string, so it counts
# only near a key id (pasted pairs), where the generic entropy test may call it a path.
AWS_SECRET_KEY = LazyRegex(r"([A-Za-z0-9/+]{40})")
_AWS_PAIR_WINDOW = 200
GITHUB_TOKEN = LazyRegex(r"\b((?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22})[A-Za-z0-9_]*)")
LLM_API_KEY = LazyRegex(r"\b(sk-(?:ant-[a-z]+[0-9]*-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,})")
SLACK_TOKEN = LazyRegex(r"\b(xox[abposr]-[A-Za-z0-9\-]{10,})")
SLACK_WEBHOOK = LazyRegex(r"hooks\.slack\.com/services/([A-Za-z0-9_/]{20,})")
GOOGLE_API_KEY = LazyRegex(r"\b(AIza[0-9A-Za-z_\-]{35})")
STRIPE_KEY = LazyRegex(r"\b((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,})")
HUGGINGFACE_TOKEN = LazyRegex(r"\b(hf_[A-Za-z0-9]{30,})")
NPM_TOKEN = LazyRegex(r"\b(npm_[A-Za-z0-9]{36})\b")
JWT = LazyRegex(r"\b(eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*)")
BEARER = LazyRegex(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{16,}=*)")
BASIC_AUTH = LazyRegex(r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})")
ASSIGNMENT = LazyRegex(
    r"(?i)(?:^|[^A-Za-z0-9_])(?:[A-Za-z0-9_]*[_\-.])?"
    r"(?:password|passwd|passwort|pwd|passphrase|secret|client[_\-]?secret|api[_\-]?key|apikey"
    r"|access[_\-]?key|secret[_\-]?key|secret[_\-]?access[_\-]?key|access[_\-]?token|auth[_\-]?token"
    r"|refresh[_\-]?token|token|private[_\-]?key|credentials?|conn(?:ection)?[_\-]?str(?:ing)?)"
    r"[\"']?[ \t]*(=>|:=|=|:)[ \t]*(\"[^\"\n]{1,200}\"|'[^'\n]{1,200}'|[^\s\"',;&<>]{1,200})"
)
GENERIC_TOKEN = LazyRegex(r"[A-Za-z0-9+/_\-]{20,}={0,2}")
HTTP_URL = LazyRegex(r"(?i)\b(?:h[tx]{2}ps?|s?f[tx]p|wss?|wxs?)://[^\s<>\"']+")  # defanged too
UUID = LazyRegex(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PLACEHOLDER_VALUE = LazyRegex(
    r"^(?:\[[A-Z_ ]+\]|\*+|x+|\.\.\.+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%\([^)]*\)s|\$[A-Za-z_][A-Za-z0-9_]*"
    r"|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Z][A-Z0-9]*_[A-Z0-9_]+|(?i:true|false|null|none|nil))$"
)

#: Values that stand for "a secret goes here" in examples and docs.
# fmt: off
_PLACEHOLDER_WORDS = frozenset({
    "api_key", "apikey", "dummy", "example", "hidden", "passwd", "password", "placeholder", "redacted",
    "secret", "string", "token", "your-api-key", "your_api_key", "your_password", "yourpassword",
})
# fmt: on
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-=")
_HEX = frozenset("0123456789abcdefABCDEF")


def _looks_random(token: str) -> bool:
    """The generic high-entropy test (see the module docstring for what it refuses)."""
    body = token.rstrip("=")
    n = len(body)
    if not 20 <= n <= 128:
        return False
    if not (any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body)):
        return False
    if all(c in _HEX or c == "-" for c in body) or UUID.fullmatch(body) is not None:
        return False
    if "/" in body and sum(1 for part in body.split("/") if len(part) >= 3 and part.isalpha()) >= 2:
        return False  # a path
    digits = sum(c.isdigit() for c in body)
    if digits < 2:
        return False
    parts = [p for p in body.replace("_", "-").split("-") if p]
    if len(parts) > 1 and all(p.isdigit() or p.isalpha() for p in parts):
        return False  # a structured id: 0222-INV-DPATTERSON, build_2024_RC
    # 99% of random base62 tokens of length n clear 0.84*log2(n) bits per character;
    # camelCase identifiers made of words mostly do not, and when they do, most of
    # their characters sit in word-like runs ("Http", "Client", "get"), which random
    # text rarely has (under 0.65 of the token for 99% of random tokens).
    if shannon_entropy(body) < min(4.8, 0.84 * math.log2(n)):
        return False
    if _wordlike_coverage(body) >= 0.65:
        return False
    return not _decodes_to_text(token)


def _wordlike_coverage(token: str) -> float:
    """Share of characters in word-like runs: ``Xxx...`` or ``xxx...`` of length 3 or more."""
    covered = 0
    i, n = 0, len(token)
    while i < n:
        j = i + 1 if token[i].isupper() else i
        k = j
        while k < n and token[k].islower():
            k += 1
        if k - j >= 2 and k - i >= 3:
            covered += k - i
            i = k
        else:
            i += 1
    return covered / n if n else 0.0


def _decodes_to_text(token: str) -> bool:
    """True when the token is base64 of readable text (encoded prose, not a key)."""
    body = token.replace("-", "+").replace("_", "/")
    body += "=" * (-len(body) % 4)
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return False
    if not raw:
        return False
    printable = sum(1 for b in raw if 32 <= b < 127 or b in (9, 10, 13))
    return printable / len(raw) >= 0.95


def _value_span(m: Any) -> tuple[int, int]:
    return m.span(1)


class SecretsStrategy(SanitizerStrategy):
    """Replace credentials by ``[SECRET]`` (only the value part of ``key=value``)."""

    name = "secrets"
    threat_type = ThreatType.SECRET

    def __init__(self) -> None:
        check = Callable[[str, Any], tuple[int, int] | None]
        self._detectors: list[tuple[str, LazyRegex, check]] = [
            ("azure_account_key", AZURE_ACCOUNT_KEY, lambda t, m: m.span(1)),
            ("azure_sas_signature", AZURE_SAS_SIG, lambda t, m: m.span(1)),
            ("aws_access_key_id", AWS_ACCESS_KEY_ID, lambda t, m: m.span(1)),
            ("aws_secret_access_key", AWS_SECRET_KEY, self._check_aws_secret),
            ("github_token", GITHUB_TOKEN, self._token_end),
            ("llm_api_key", LLM_API_KEY, self._check_llm_key),
            ("slack_token", SLACK_TOKEN, self._token_end),
            ("slack_webhook", SLACK_WEBHOOK, lambda t, m: m.span(1)),
            ("google_api_key", GOOGLE_API_KEY, self._token_end),
            ("stripe_key", STRIPE_KEY, self._token_end),
            ("huggingface_token", HUGGINGFACE_TOKEN, self._token_end),
            ("npm_token", NPM_TOKEN, lambda t, m: m.span(1)),
            ("jwt", JWT, lambda t, m: m.span(1)),
            ("bearer_token", BEARER, self._check_bearer),
            ("basic_auth", BASIC_AUTH, self._check_basic),
            ("credential_assignment", ASSIGNMENT, self._check_assignment),
        ]
        self._prefilter = Prefilter([d[1] for d in self._detectors])

    def scan(self, text: str) -> list[SanitizeIssue]:
        claims = Claims()
        issues: list[SanitizeIssue] = []
        if "-----BEGIN" in text:
            self._private_keys(text, claims, issues)
        possible = self._prefilter.possible(text)
        for i, (kind, pattern, check) in enumerate(self._detectors):
            if i not in possible:
                continue
            for m in pattern.finditer(text):
                span = check(text, m)
                if span is not None and claims.claim(*span):
                    issues.append(self.issue(kind, span[0], span[1], REPLACEMENT))
        self._generic(text, claims, issues)
        return issues

    def _private_keys(self, text: str, claims: Claims, issues: list[SanitizeIssue]) -> None:
        """PEM blocks: BEGIN..END, or BEGIN plus its base64 lines when END is missing."""
        end_markers = [m.end() for m in PEM_END.finditer(text)]
        for m in PEM_BEGIN.finditer(text):
            start, end = m.span()
            i = bisect_left(end_markers, end)
            if i < len(end_markers) and end_markers[i] - end <= _PEM_MAX_BODY:
                stop = end_markers[i]
            else:
                body = PEM_BODY.match(text[end : end + _PEM_MAX_BODY])
                stop = end + (body.end() if body is not None else 0)
            if claims.claim(start, stop):
                issues.append(self.issue("private_key", start, stop, REPLACEMENT))

    def _generic(self, text: str, claims: Claims, issues: list[SanitizeIssue]) -> None:
        url_spans: Claims | None = None
        for m in GENERIC_TOKEN.finditer(text):
            start, end = m.span()
            if char_before(text, start) in _TOKEN_CHARS or char_before(text, start) == ".":
                continue  # the tail of something longer (RE2 matched greedily from its start)
            if not _looks_random(m.group()):
                continue
            if url_spans is None:
                url_spans = Claims()
                for u in HTTP_URL.finditer(text):
                    url_spans.claim(*u.span())
            if url_spans.overlaps(start, end):
                continue
            if claims.claim(start, end):
                issues.append(self.issue("high_entropy_token", start, end, REPLACEMENT))

    # -- validators -----------------------------------------------------------------

    @staticmethod
    def _check_aws_secret(text: str, m: Any) -> tuple[int, int] | None:
        start, end = m.span(1)
        if char_before(text, start) in _TOKEN_CHARS or char_after(text, end) in _TOKEN_CHARS:
            return None  # part of a longer token
        body = text[start:end]
        if not (any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body)):
            return None
        near = text[max(0, start - _AWS_PAIR_WINDOW) : end + _AWS_PAIR_WINDOW]
        return (start, end) if AWS_ACCESS_KEY_ID.search(near) is not None else None

    @staticmethod
    def _token_end(text: str, m: Any) -> tuple[int, int] | None:
        start, end = m.span(1)
        after = char_after(text, end)
        return None if after and (after.isalnum() or after in "_-") else (start, end)

    @staticmethod
    def _check_llm_key(text: str, m: Any) -> tuple[int, int] | None:
        start, end = m.span(1)
        body = m.group(1)[3:]
        if not any(c.isdigit() for c in body) or not any(c.isalpha() for c in body):
            return None
        if char_before(text, start) in ("-", "_"):
            return None
        return start, end

    @staticmethod
    def _check_bearer(text: str, m: Any) -> tuple[int, int] | None:
        value = m.group(1)
        if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
            return None
        return m.span(1)

    @staticmethod
    def _check_basic(text: str, m: Any) -> tuple[int, int] | None:
        value = m.group(1)
        try:
            raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        user, sep, password = decoded.partition(":")
        return m.span(1) if sep and user and password and decoded.isprintable() else None

    @staticmethod
    def _check_assignment(text: str, m: Any) -> tuple[int, int] | None:
        separator = m.group(1)
        raw = m.group(2)
        start, end = m.span(2)
        quoted = raw[0] in "\"'" and raw[-1] == raw[0] and len(raw) >= 2
        value = raw[1:-1] if quoted else raw
        if not value.strip() or len(value) > 200:
            return None
        if PLACEHOLDER_VALUE.fullmatch(value.strip()) is not None or value.strip().lower() in _PLACEHOLDER_WORDS:
            return None
        if quoted:
            start, end = start + 1, end - 1  # keep the quotes: password="[SECRET]"
        else:
            if "(" in value or "[" in value or "{" in value:
                return None  # code: a call, an index, a template
            ordinary_word = value.isalpha() and (value.islower() or value.istitle())
            if ordinary_word and (separator == ":" or len(value) < 6):
                return None  # "password: please help"; code-style "=" still counts
        return start, end
