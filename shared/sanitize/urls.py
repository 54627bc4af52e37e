"""Suspicious URLs: script schemes, IP hosts, credentials, look-alike hosts, shorteners, exfiltration.

Two replacements, chosen by what the URL can do:

* **Removed** (``[URL REMOVED]``) when the URL itself is the payload: ``javascript:``,
  ``vbscript:`` and ``data:`` URLs, and URLs whose query, fragment or path carries a long
  encoded value (the markdown-image exfiltration pattern ``![](https://x/?d=<base64>)``).
  Keeping a defanged copy would keep the smuggled data.
* **Defanged** otherwise: ``https://user:pw@203.0.113.7/a`` becomes
  ``hxxps://203[.]0[.]113[.]7/a`` - not clickable, not fetchable, userinfo dropped (it is
  often a password), but still readable so a user asking "is this link safe?" gets a
  useful answer.

Hosts on the allowlist (exact domain or any subdomain) are never touched, whatever
their query string; script/data URLs are not host-based and are always removed. A
``javascript:`` URL needs something right after the colon, so "the javascript: scheme"
in prose is left alone while ``javascript:void(0)`` is removed even inside a question.

Not judged here: a plain external link or image without any of the signs above. Whether
an LLM *answer* may contain images or links to arbitrary hosts is output-scanning
policy (SPEC 3.9), not a property of the URL.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from shared.findings import SanitizeIssue, ThreatType

from .base import Claims, SanitizerStrategy, shannon_entropy
from .regex import LazyRegex

REMOVED = "[URL REMOVED]"

NETWORK_URL = LazyRegex(r"(?i)\b(?:https?|s?ftp|wss?)://[^\s<>\"'`]+")
SCRIPT_URL = LazyRegex(
    r"(?i)\b(?:(?:javascript|vbscript|livescript):[^\s<>\"'`]+|data:[a-z]+/[a-z0-9.+\-]+[;,][^\s<>\"'`]*)"
)
ENCODED_VALUE = LazyRegex(r"[A-Za-z0-9+/=_\-]+")
NUMERIC_HOST = LazyRegex(r"(?i)^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}$")

#: Link shorteners: the destination is hidden until the link is followed.
# fmt: off
SHORTENERS = frozenset({
    "adf.ly", "bit.ly", "bitly.com", "bl.ink", "buff.ly", "clck.ru", "cutt.ly", "goo.gl", "is.gd",
    "lnkd.in", "ow.ly", "qr.ae", "rb.gy", "rebrand.ly", "s.id", "short.io", "shorte.st", "shorturl.at",
    "shorturl.com", "soo.gd", "t.co", "t.ly", "t.me", "tiny.cc", "tinyurl.com", "tr.im", "u.to", "v.gd",
    "x.co",
})
# fmt: on
SHORTENER_BARE = LazyRegex(
    r"(?i)\b(?:"
    + "|".join(sorted((s.replace(".", r"\.") for s in SHORTENERS), key=len, reverse=True))
    + r")/[A-Za-z0-9_\-]+"
)

_DEFANG_SCHEME = {"http": "hxxp", "https": "hxxps", "ftp": "fxp", "sftp": "sfxp", "ws": "wx", "wss": "wxs"}
_TRAILING = ".,;:!?*_'\""
_DATA_MIN_LEN = 64
_TEXT_MIN_LEN = 128


def _carries_data(value: str, in_query: bool) -> bool:
    """A URL component long and dense enough to be smuggled data rather than an id or slug.

    Encoded data (base64/hex) of 64+ characters that mixes digits with letters and is
    close to random; or, in a query/fragment, any value of 128+ characters once decoded
    (plain text being carried out, e.g. ``?q=<the system prompt>``).
    """
    if in_query and len(value) >= _TEXT_MIN_LEN:
        return True
    if len(value) < _DATA_MIN_LEN or ENCODED_VALUE.fullmatch(value) is None:
        return False
    digits = sum(ch.isdigit() for ch in value)
    mixed_case = any(ch.isupper() for ch in value) and any(ch.islower() for ch in value)
    if digits < len(value) * 0.1 or not (mixed_case or digits >= len(value) * 0.3):
        return False
    return shannon_entropy(value) >= 3.5


def _scripts(label: str) -> set[str]:
    found: set[str] = set()
    for ch in label:
        if ch.isalpha():
            try:
                found.add(unicodedata.name(ch).split(" ")[0])
            except ValueError:
                found.add("UNKNOWN")
    return found


def _trim(url: str) -> str:
    """Cut a regex match back to the URL a reader sees (placeholders, punctuation, parens)."""
    authority = url.find("://") + 3
    cut_from = authority
    if url.startswith("[", authority) or "@[" in url[authority : authority + 200]:
        close = url.find("]", authority)
        cut_from = close + 1 if close >= 0 else authority
    for bracket in "[]":
        idx = url.find(bracket, cut_from)
        if idx >= 0:
            url = url[:idx]
    return _trim_plain(url)


def _trim_plain(url: str) -> str:
    """Drop trailing punctuation and unbalanced closing parens, in one linear pass."""
    end = len(url)
    surplus = url.count(")") - url.count("(")
    while end > 0:
        if url[end - 1] in _TRAILING:
            end -= 1
        elif url[end - 1] == ")" and surplus > 0:
            end -= 1
            surplus -= 1
        else:
            break
    return url[:end]


def _normalise_domains(domains: Iterable[str]) -> frozenset[str]:
    return frozenset(d.strip().lower().lstrip("*").strip(".") for d in domains if d and d.strip())


class UrlStrategy(SanitizerStrategy):
    """Defang or remove suspicious URLs; never touch allowlisted domains."""

    name = "urls"
    threat_type = ThreatType.SUSPICIOUS_URL

    def __init__(self, allowlist: Iterable[str] = ()) -> None:
        self.allowlist = _normalise_domains(allowlist)

    def __repr__(self) -> str:
        return f"UrlStrategy(allowlist={sorted(self.allowlist)!r})"

    def allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.allowlist)

    def scan(self, text: str) -> list[SanitizeIssue]:
        claims = Claims()
        issues: list[SanitizeIssue] = []
        if "://" in text:
            for m in NETWORK_URL.finditer(text):
                url = _trim(m.group())
                start, end = m.start(), m.start() + len(url)
                verdict = self._judge(url)
                if verdict is not None and claims.claim(start, end):
                    issues.append(self.issue(verdict[0], start, end, verdict[1]))
        if ":" in text:
            for m in SCRIPT_URL.finditer(text):
                url = _trim_plain(m.group())
                start, end = m.start(), m.start() + len(url)
                if end > start and claims.claim(start, end):
                    issues.append(self.issue("dangerous_scheme", start, end, REMOVED))
        if "/" in text:
            for m in SHORTENER_BARE.finditer(text):
                start, end = m.span()
                if start > 0 and text[start - 1] in "./@:":
                    continue  # part of a longer host or a URL already judged
                host, _, path = m.group().partition("/")
                if self.allowed(host) or not claims.claim(start, end):
                    continue
                issues.append(self.issue("shortener", start, end, host.replace(".", "[.]") + "/" + path))
        return issues

    def _judge(self, url: str) -> tuple[str, str] | None:
        """(kind, replacement) for a suspicious network URL, None for a harmless one."""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            port = parts.port
        except ValueError:
            return "malformed_url", REMOVED
        if not host:
            return None
        if self.allowed(host):
            return None
        for value, in_query in self._data_carriers(parts.path, parts.query, parts.fragment):
            if _carries_data(value, in_query):
                return "exfiltration", REMOVED
        reasons: list[str] = []
        if "@" in parts.netloc:
            reasons.append("userinfo")
        if self._ip_host(host):
            reasons.append("ip_host")
        labels = host.split(".")
        if any(label.startswith("xn--") for label in labels):
            reasons.append("punycode_host")
        if not host.isascii() and any(len(_scripts(label)) > 1 for label in labels):
            reasons.append("mixed_script_host")
        if host in SHORTENERS:
            reasons.append("shortener")
        if not reasons:
            return None
        return reasons[0], self._defang(parts.scheme, host, port, url, parts)

    @staticmethod
    def _data_carriers(path: str, query: str, fragment: str) -> list[tuple[str, bool]]:
        values = [(unquote(segment), False) for segment in path.split("/") if segment]
        for component in (query, fragment):
            if not component:
                continue
            pairs = parse_qsl(component, keep_blank_values=True)
            values.extend((v, True) for _, v in pairs)
            if not pairs:
                values.append((unquote(component), True))
        return values

    @staticmethod
    def _ip_host(host: str) -> bool:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return NUMERIC_HOST.fullmatch(host) is not None
        return True

    @staticmethod
    def _defang(scheme: str, host: str, port: int | None, url: str, parts: Any) -> str:
        scheme_out = _DEFANG_SCHEME.get(scheme.lower(), scheme.lower() + "[:]")
        # Colons and dots are bracketed so the PII step cannot re-read the host as an IP.
        host_out = "[" + host.replace(":", "[:]") + "]" if ":" in host else host.replace(".", "[.]")
        tail = url[url.find(parts.netloc) + len(parts.netloc) :] if parts.netloc else ""
        return f"{scheme_out}://{host_out}{f':{port}' if port is not None else ''}{tail}"
