"""Personal data: emails, phone numbers, payment cards, IBANs, national ids, IP addresses.

Every detector is an RE2 candidate pattern followed by a cheap validation in Python
(Luhn for cards, ISO 7064 mod-97 for IBANs, SSA ranges for SSNs, ``ipaddress`` for
IPs, digit counts and date shapes for phones). The validation is what keeps order
ids, dates, version strings and random 16-digit numbers from being redacted.

Decisions worth knowing:

* Phones need either a leading ``+country`` code, the North-American 3-3-4 shape with
  a separator before the last four digits, or a national number starting with a trunk
  ``0`` and split by spaces/dashes. A bare run of 10 digits is left alone: it is far
  more often an order or ticket number than a phone.
* A payment card must pass Luhn *and* start with a card-network digit (2-6). Numbers
  failing Luhn are never flagged.
* A dotted quad is an IP address unless it reads as a version: ``v1.2.3.4``,
  ``version 1.2.3.4``, ``pkg==1.2.3.4`` or part of a longer dotted run (``1.2.3.4.5``).
  Loopback, unspecified, broadcast and netmask-shaped values are not personal data.
* SSNs are only recognised in the dashed ``AAA-GG-SSSS`` form (a bare 9-digit number is
  too ambiguous); UK NI numbers in the usual ``AB 12 34 56 C`` form, upper case.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from shared.findings import SanitizeIssue, ThreatType

from .base import Claims, SanitizerStrategy, char_after, char_before, is_word_char
from .regex import LazyRegex, Prefilter

EMAIL = LazyRegex(
    r"(?i)\b[a-z0-9][a-z0-9._%+\-]*@(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,24}\b",
)
IBAN = LazyRegex(r"(?i)\b[a-z]{2}[0-9]{2}(?: ?[a-z0-9]){11,34}")
IBAN_HEAD = LazyRegex(r"[A-Za-z]{2}[0-9]{2}[ \-]")
CARD = LazyRegex(
    r"\b(?:[0-9]{13,19}|[0-9]{4}(?:[ \-][0-9]{4}){2,3}(?:[ \-][0-9]{1,3})?"
    r"|[0-9]{4}[ \-][0-9]{6}[ \-][0-9]{4,5})\b"
)
SSN = LazyRegex(r"\b([0-9]{3})-([0-9]{2})-([0-9]{4})\b")
UK_NINO = LazyRegex(r"\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b")
IPV4 = LazyRegex(r"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b")
IPV6 = LazyRegex(r"(?i)(?:[0-9a-f]{1,4}|:)(?::[0-9a-f]{0,4}){1,7}(?:\.[0-9]{1,3}){0,3}")
PHONE_INTL = LazyRegex(r"\+[1-9][0-9]{0,3}(?:[ .\-]?(?:\([0-9]{1,5}\)|[0-9]{1,5})){1,6}")
PHONE_NANP = LazyRegex(
    r"(?:\b1[ .\-]?)?(?:\([2-9][0-9]{2}\)|\b[2-9][0-9]{2})[ .\-]?[0-9]{3}[ .\-][0-9]{4}\b",
)
PHONE_NATIONAL = LazyRegex(r"(?:\(0[1-9][0-9]{1,4}\)|\b0[1-9][0-9]{0,4})(?:[ \-][0-9]{2,8}){1,4}\b")
DATE_SHAPE = LazyRegex(r"^(?:[0-9]{1,2}[ .\-/][0-9]{1,2}[ .\-/][0-9]{2,4}|[0-9]{4}[ .\-/][0-9]{1,2}[ .\-/][0-9]{1,2})$")

#: IBAN length per country (ISO 13616 registry); unknown countries are not accepted.
# fmt: off
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
# fmt: on

_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_VERSION_WORDS = frozenset({"version", "ver", "release", "build", "rev", "revision", "firmware", "v"})
_NETMASK_OCTETS = frozenset({0, 128, 192, 224, 240, 248, 252, 254, 255})


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    """ISO 13616 IBAN: known country, right length, ISO 7064 mod-97 remainder of 1."""
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    remainder = 0
    for ch in rearranged:  # digit-by-digit mod so no giant integer is built
        value = ch if ch.isdigit() else str(ord(ch) - 55)
        for d in value:
            remainder = (remainder * 10 + ord(d) - 48) % 97
    return remainder == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    a = int(area)
    return a != 0 and a != 666 and a < 900 and group != "00" and serial != "0000"


def _isolated_number(text: str, start: int, end: int) -> bool:
    """False when the match is a piece of a longer number-like run (ids, dotted versions)."""
    before = char_before(text, start)
    after = char_after(text, end)
    if is_word_char(before) or is_word_char(after):
        return False
    if before in ".-/" and start >= 2 and text[start - 2].isdigit():
        return False
    return not (after in ".-/" and end + 1 < len(text) and text[end + 1].isdigit())


def _version_context(text: str, start: int) -> bool:
    window = text[max(0, start - 24) : start].lower().rstrip(" \t:=.")
    if text[max(0, start - 2) : start] in ("==", "~=", ">=", "<=", "!=") or char_before(text, start) == "@":
        return True
    word_start = len(window)
    while word_start > 0 and window[word_start - 1].isalpha():
        word_start -= 1
    return window[word_start:] in _VERSION_WORDS and word_start < len(window)


def _cuts(text: str, start: int, end: int) -> list[int]:
    """Candidate ends for a greedy number match: the full match, then each separator, longest first."""
    return [end, *(i for i in range(end - 1, start, -1) if text[i] in " .-" and text[i - 1].isdigit())]


def _after_digit_group(text: str, start: int) -> bool:
    """True when ``start`` follows a space-separated digit group (a longer number run)."""
    return start >= 2 and text[start - 1] == " " and text[start - 2].isdigit()


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


class PiiStrategy(SanitizerStrategy):
    """Replace personal data by typed placeholders such as ``[EMAIL]`` or ``[CARD]``."""

    name = "pii"
    threat_type = ThreatType.PII

    def __init__(self) -> None:
        # Priority order: earlier detectors win overlapping text. IBAN and card before
        # phone (long digit runs), SSN and IPs before phone (dashed/dotted digits).
        self._detectors: list[tuple[str, str, LazyRegex, Callable[[str, Any], tuple[int, int] | None]]] = [
            ("email", "[EMAIL]", EMAIL, self._check_email),
            ("iban", "[IBAN]", IBAN, self._check_iban),
            ("card", "[CARD]", CARD, self._check_card),
            ("ssn", "[SSN]", SSN, self._check_ssn),
            ("uk_nino", "[NI_NUMBER]", UK_NINO, self._check_nino),
            ("ipv6", "[IP_ADDRESS]", IPV6, self._check_ipv6),
            ("ipv4", "[IP_ADDRESS]", IPV4, self._check_ipv4),
            ("phone", "[PHONE]", PHONE_INTL, self._check_phone_intl),
            ("phone", "[PHONE]", PHONE_NANP, self._check_phone_nanp),
            ("phone", "[PHONE]", PHONE_NATIONAL, self._check_phone_national),
        ]
        self._prefilter = Prefilter([d[2] for d in self._detectors])

    def scan(self, text: str) -> list[SanitizeIssue]:
        claims = Claims()
        issues: list[SanitizeIssue] = []
        has_digit = any(d in text for d in "0123456789")  # every pattern's digits are ASCII [0-9]
        has_at = "@" in text
        has_colon = ":" in text
        possible = self._prefilter.possible(text)
        for i, (kind, placeholder, pattern, check) in enumerate(self._detectors):
            if i not in possible:
                continue
            if kind == "email" and not has_at:
                continue
            if kind == "ipv6" and not has_colon:
                continue
            if kind != "email" and not has_digit:
                continue
            for m in pattern.finditer(text):
                span = check(text, m)
                if span is not None and claims.claim(*span):
                    issues.append(self.issue(kind, span[0], span[1], placeholder))
        return issues

    # -- validators: return the span to redact, or None ------------------------------

    @staticmethod
    def _check_email(text: str, m: Any) -> tuple[int, int] | None:
        local = m.group().rpartition("@")[0]
        if len(local) > 64 or len(m.group()) > 254 or local.endswith("."):
            return None
        token_start = m.start()
        floor = max(0, token_start - 256)
        while token_start > floor and not text[token_start - 1].isspace():
            token_start -= 1
        prefix = text[token_start : m.start()]
        scheme_end = prefix.find("://")
        if scheme_end >= 0 and not any(ch in prefix[scheme_end + 3 :] for ch in "/?#"):
            return None  # user:pass@host in a URL's authority is not an email address
        return m.span()

    @staticmethod
    def _check_iban(text: str, m: Any) -> tuple[int, int] | None:
        # The candidate may run on into the next words ("DE89 3704 ... 00 is mine"):
        # try the longest prefix that ends on a group boundary and validates.
        start, end = m.span()
        if is_word_char(char_before(text, start)):
            return None
        cuts = [end, *[start + i for i, ch in enumerate(m.group()) if ch == " "][::-1]]
        for cut in cuts:
            if cut - start < 15 or is_word_char(char_after(text, cut)):
                continue
            if iban_valid(text[start:cut].replace(" ", "")):
                return start, cut
        return None

    @staticmethod
    def _check_card(text: str, m: Any) -> tuple[int, int] | None:
        start = m.start()
        if char_before(text, start) == "+":
            return None  # +49151...: a phone number
        if IBAN_HEAD.fullmatch(text[max(0, start - 5) : start]) is not None:
            return None  # the digit groups of an IBAN (one that failed its own check)
        for end in _cuts(text, start, m.end()):
            raw = text[start:end]
            if " " in raw and "-" in raw:
                continue
            digits = _digits(raw)
            if not 13 <= len(digits) <= 19 or digits[0] not in "23456":
                continue
            if _isolated_number(text, start, end) and luhn_valid(digits):
                return start, end
        return None

    @staticmethod
    def _check_ssn(text: str, m: Any) -> tuple[int, int] | None:
        if not _isolated_number(text, *m.span()) or not ssn_valid(m.group(1), m.group(2), m.group(3)):
            return None
        return m.span()

    @staticmethod
    def _check_nino(text: str, m: Any) -> tuple[int, int] | None:
        if m.group(1) in _NINO_BAD_PREFIXES:
            return None
        spaces = m.group().count(" ")
        return m.span() if spaces in (0, 4) else None

    @staticmethod
    def _check_ipv4(text: str, m: Any) -> tuple[int, int] | None:
        start, end = m.span()
        if not _isolated_number(text, start, end) or _version_context(text, start):
            return None
        if char_before(text, start) in "-_" and start >= 2 and text[start - 2].isalnum():
            return None  # a name suffix: python-3.4.2.4, build_1.2.3.4
        try:
            addr = ipaddress.IPv4Address(m.group())
        except ValueError:
            return None
        if addr.is_loopback or addr.is_unspecified or int(addr) == 0xFFFFFFFF:
            return None
        octets = [int(o) for o in m.group().split(".")]
        if octets[0] == 255 and all(o in _NETMASK_OCTETS for o in octets) and octets == sorted(octets, reverse=True):
            return None  # a netmask, not a host
        return start, end

    @staticmethod
    def _check_ipv6(text: str, m: Any) -> tuple[int, int] | None:
        start, end = m.span()
        candidate = m.group()
        if candidate.count(":") < 2 or not any(ch.isdigit() for ch in candidate):
            return None
        before, after = char_before(text, start), char_after(text, end)
        if is_word_char(before) or before == ":" or is_word_char(after) or after == ":":
            return None
        if "::" not in candidate and candidate.count(":") < 7 and "." not in candidate:
            return None
        if sum(1 for g in candidate.split(":") if g) < 2:
            return None
        try:
            addr = ipaddress.IPv6Address(candidate)
        except ValueError:
            return None
        if addr.is_loopback or addr.is_unspecified:
            return None
        return start, end

    @staticmethod
    def _check_phone_intl(text: str, m: Any) -> tuple[int, int] | None:
        start = m.start()
        before = char_before(text, start)
        if is_word_char(before) or before in ")+":
            return None
        # The pattern is greedy across single spaces and may run into the next number:
        # fall back to shorter prefixes that end at a separator.
        for end in _cuts(text, start, m.end()):
            if 8 <= len(_digits(text[start:end])) <= 15 and _isolated_number(text, start + 1, end):
                return start, end
        return None

    @staticmethod
    def _check_phone_nanp(text: str, m: Any) -> tuple[int, int] | None:
        start, end = m.span()
        before = char_before(text, start)
        if before == "+" or (before in ".-/" and start >= 2 and text[start - 2].isdigit()):
            return None
        if _after_digit_group(text, start):
            return None
        return (start, end) if _isolated_number(text, start, end) else None

    @staticmethod
    def _check_phone_national(text: str, m: Any) -> tuple[int, int] | None:
        start = m.start()
        if char_before(text, start) == "+" or _after_digit_group(text, start):
            return None
        for end in _cuts(text, start, m.end()):
            raw = text[start:end]
            if not 9 <= len(_digits(raw)) <= 12 or DATE_SHAPE.fullmatch(raw) is not None:
                continue
            if _isolated_number(text, start, end):
                return start, end
        return None
