"""PII strategy: each detector's positives and the near misses it must leave alone."""

from __future__ import annotations

import pytest

from shared.findings import ThreatType
from shared.sanitize.pii import PiiStrategy, iban_valid, luhn_valid, ssn_valid

PII = PiiStrategy()


def found(text: str) -> list[tuple[str, str]]:
    """(kind, original text under the span) for every issue."""
    return [(i.kind, text[i.span[0] : i.span[1]]) for i in PII.find(text)]


# -- checksums ------------------------------------------------------------------------


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("1234567890123456")


def test_iban_mod97() -> None:
    assert iban_valid("DE89370400440532013000")
    assert iban_valid("GB82WEST12345698765432")
    assert iban_valid("fr1420041010050500013m02606")  # case-insensitive
    assert not iban_valid("DE89370400440532013001")  # one digit off
    assert not iban_valid("DE8937040044053201300")  # wrong length for DE
    assert not iban_valid("QQ89370400440532013000")  # no such country


def test_ssn_ranges() -> None:
    assert ssn_valid("123", "45", "6789")
    for area, group, serial in [("000", "12", "3456"), ("666", "12", "3456"), ("912", "12", "3456"),
                                ("123", "00", "3456"), ("123", "45", "0000")]:  # fmt: skip
        assert not ssn_valid(area, group, serial)


# -- emails ---------------------------------------------------------------------------


def test_email() -> None:
    text = "Write to jane.doe+news@mail.example.co.uk or ops@example.com."
    assert found(text) == [("email", "jane.doe+news@mail.example.co.uk"), ("email", "ops@example.com")]
    result = PII.sanitize(text)
    assert result.text == "Write to [EMAIL] or [EMAIL]."
    assert all(i.threat_type is ThreatType.PII for i in result.issues)


def test_email_in_url_query_but_not_userinfo() -> None:
    assert found("https://x.example/contact?to=bob@example.com") == [("email", "bob@example.com")]
    assert found("https://bob:pw@example.com/login") == []


@pytest.mark.parametrize("text", ["follow @example on socials", "user@localhost", "a@b", "price: 5 @ 3.50"])
def test_email_near_misses(text: str) -> None:
    assert found(text) == []


# -- cards ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5500 0000 0000 0004",
        "378282246310005",
    ],
)
def test_card_valid(card: str) -> None:
    assert found(f"my card is {card}, thanks") == [("card", card)]


@pytest.mark.parametrize(
    "text",
    [
        "my card is 4111 1111 1111 1112",  # Luhn-invalid 16 digits
        "ref 1234 5678 9012 3456",  # Luhn-invalid
        "order 0000000000000000",  # Luhn-valid but no card network starts with 0
        "tracking 4111-1111-1111-1111-22",  # part of a longer id
        "4111 1111-1111 1111",  # mixed separators
        "id 12345678901234567890123",  # too long
    ],
)
def test_card_near_misses(text: str) -> None:
    assert [k for k, _ in found(text)] == []


# -- IBAN -----------------------------------------------------------------------------


def test_iban_grouped_and_compact() -> None:
    text = "Pay DE89 3704 0044 0532 0130 00 today, or GB82WEST12345698765432."
    assert found(text) == [("iban", "DE89 3704 0044 0532 0130 00"), ("iban", "GB82WEST12345698765432")]


def test_iban_followed_by_words_is_cut_at_the_valid_end() -> None:
    text = "IBAN DE89 3704 0044 0532 0130 00 is mine"
    assert found(text) == [("iban", "DE89 3704 0044 0532 0130 00")]


def test_iban_bad_checksum_not_flagged() -> None:
    assert found("IBAN DE89 3704 0044 0532 0130 01 please") == []


# -- national ids ---------------------------------------------------------------------


def test_ssn() -> None:
    assert found("SSN: 123-45-6789.") == [("ssn", "123-45-6789")]


@pytest.mark.parametrize("text", ["SSN 000-12-3456", "SSN 666-12-3456", "SSN 900-12-3456", "id 123-00-4567",
                                  "id 123-45-0000", "part 1123-45-6789"])  # fmt: skip
def test_ssn_invalid_ranges(text: str) -> None:
    assert [k for k, _ in found(text) if k == "ssn"] == []


def test_uk_ni_number() -> None:
    assert found("NI number AB 12 34 56 C and JG103759A.") == [
        ("uk_nino", "AB 12 34 56 C"),
        ("uk_nino", "JG103759A"),
    ]


@pytest.mark.parametrize(
    "text",
    ["GB 12 34 56 A", "BG123456A", "DA123456C", "QQ123456C", "AB123456E", "ab 12 34 56 c", "AB 1234 56C"],
)
def test_uk_ni_near_misses(text: str) -> None:
    assert found(text) == []


# -- IPs ------------------------------------------------------------------------------


def test_ipv4_and_version_strings() -> None:
    # Decision: a bare dotted quad in prose is an IP; in a version context it is not.
    text = "server 10.0.0.5, also 1.2.3.4 here; but v1.2.3.4, version 1.2.3.4, numpy==1.2.3.4, 1.2.3.4.5"
    assert found(text) == [("ipv4", "10.0.0.5"), ("ipv4", "1.2.3.4")]


@pytest.mark.parametrize(
    "text",
    [
        "loopback 127.0.0.1",
        "bind 0.0.0.0",
        "mask 255.255.255.0",
        "broadcast 255.255.255.255",
        "bad 256.1.1.1",
        "leading zero 01.02.03.04",
        "C:\\WinPython-64bit-3.4.2.4\\python",
    ],
)
def test_ipv4_near_misses(text: str) -> None:
    assert found(text) == []


def test_ipv6() -> None:
    text = "hosts 2001:db8::ff00:42:8329 and fe80::1ff:fe23:4567:890a and ::ffff:192.0.2.128"
    assert [k for k, _ in found(text)] == ["ipv6", "ipv6", "ipv6"]
    assert found(text)[0] == ("ipv6", "2001:db8::ff00:42:8329")


@pytest.mark.parametrize(
    "text", ["std::vector<int>", "Foo::Bar::baz", "at 12:30:45", "mac 00:1a:2b:3c:4d:5e", "::1 is loopback"]
)
def test_ipv6_near_misses(text: str) -> None:
    assert found(text) == []


# -- phones ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1 (555) 123-4567",
        "+33 6 12 34 56 78",
        "+4915112345678",
        "(555) 123-4567",
        "555-123-4567",
        "555.123.4567",
        "1-800-555-0199",
        "020 7946 0958",
        "07700 900123",
        "06 12 34 56 78",
    ],
)
def test_phone(phone: str) -> None:
    assert found(f"call me on {phone} tomorrow") == [("phone", phone)]


@pytest.mark.parametrize(
    "text",
    [
        "meeting on 2023-11-15 at 10:30",
        "born 01-02-2023",
        "date 15.11.2023",
        "order ORD-2023-000123",
        "order 20231115-00042",
        "ticket #5551234567",  # bare 10 digits: too ambiguous, left alone
        "release 1.2.3.4567",
        "2+2=4 and 3+44=47",
        "ISBN 978-3-16-148410-0",
        "amount 1,234,567.89",
    ],
)
def test_phone_near_misses(text: str) -> None:
    assert found(text) == []


def test_spans_are_exact_and_disjoint() -> None:
    text = "a@b.io +44 20 7946 0958 4111111111111111 10.1.2.3"
    issues = PII.find(text)
    assert [text[s:e] for s, e in (i.span for i in issues)] == [
        "a@b.io",
        "+44 20 7946 0958",
        "4111111111111111",
        "10.1.2.3",
    ]
    ends = [i.span[1] for i in issues]
    starts = [i.span[0] for i in issues]
    assert all(e <= s for e, s in zip(ends, starts[1:], strict=False))


def test_placeholders_are_not_rescanned() -> None:
    once = PII.sanitize("mail x@y.com card 4111111111111111 ip 8.8.8.8 phone +44 20 7946 0958").text
    assert PII.find(once) == []
    assert once == "mail [EMAIL] card [CARD] ip [IP_ADDRESS] phone [PHONE]"


# -- in the pipeline: opt-in for prompts ------------------------------------------------


def _analyze(text: str, **settings: object) -> tuple[str, str, bool]:
    from shared.config import load_settings
    from shared.pipeline import AnalysisRequest, Pipeline

    pipeline = Pipeline.build(load_settings(classifier={"enabled": False}, **settings))
    result = pipeline.analyze(AnalysisRequest(user_id="pii", prompt=text), record=False)
    return result.decision.value, result.sanitized.text, result.attack


REQUEST = "Send $200 from my debit card to amelia.ward@example.com and text me at +44 20 7946 0321."


def test_personal_data_in_an_ordinary_request_is_not_a_sanitize_verdict_by_default() -> None:
    decision, cleaned, attack = _analyze(REQUEST)
    assert (decision, attack) == ("allow", False)
    assert cleaned == REQUEST  # the request is about that address: the caller gets it back whole


@pytest.mark.parametrize("settings", [{"preset": "healthcare"}, {"preset": "finance"},
                                      {"sanitize": {"kinds": ["pii"]}}])  # fmt: skip
def test_regulated_presets_and_explicit_kinds_redact_it(settings: dict[str, object]) -> None:
    decision, cleaned, attack = _analyze(REQUEST, **settings)
    assert decision == "sanitize" and not attack
    assert "amelia.ward@example.com" not in cleaned and "7946 0321" not in cleaned
