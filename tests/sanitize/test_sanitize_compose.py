"""The composed Sanitizer: fixed order, spans on the original text, idempotence, factory."""

from __future__ import annotations

import random
import string

import pytest

import shared.sanitize as sanitize_pkg
from shared.errors import ConfigError, InputError
from shared.findings import SanitizeIssue, ThreatType
from shared.sanitize import (
    KINDS,
    MAX_PASSES,
    Sanitizer,
    build_sanitizer,
    get_sanitizer,
    set_sanitizer,
)
from shared.sanitize.base import apply_issues

RNG = random.Random(99)
KEY = "sk-" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(30)) + "7Q"


def slices(text: str, issues: list[SanitizeIssue]) -> list[tuple[str, str, str]]:
    return [(i.threat_type.value, i.kind, text[i.span[0] : i.span[1]]) for i in issues]


def test_every_strategy_span_points_at_the_original_text() -> None:
    text = (
        "<script>steal()</script>Hi, I'm admin' OR '1'='1 -- mail bob@example.com, "
        f"call +44 20 7946 0958, key {KEY}, see http://203.0.113.9/x and this shit."
    )
    result = get_sanitizer().sanitize(text)
    assert slices(text, result.issues) == [
        ("xss", "script_element", "<script>steal()</script>"),
        ("sql_injection", "tautology", "' OR '1'='1 --"),
        ("pii", "email", "bob@example.com"),
        ("pii", "phone", "+44 20 7946 0958"),
        ("secret", "llm_api_key", KEY),
        ("suspicious_url", "ip_host", "http://203.0.113.9/x"),
        ("profanity", "profanity", "shit"),
    ]
    assert result.text == (
        "Hi, I'm admin[SQL REMOVED] mail [EMAIL], call [PHONE], key [SECRET], "
        "see hxxp://203[.]0[.]113[.]9/x and this s***."
    )
    # Disjoint spans: replaying the issues on the original reproduces the output exactly.
    assert apply_issues(text, result.issues) == result.text


def test_spans_survive_growing_and_shrinking_replacements() -> None:
    # "8.8.8.8" (7 chars) becomes "[IP_ADDRESS]" (12), the script (long) becomes "":
    # spans of everything after them must still index the original.
    text = "<script>x()</script>8.8.8.8 then fuck and 10.0.0.1 then shit"
    result = get_sanitizer().sanitize(text)
    assert slices(text, result.issues) == [
        ("xss", "script_element", "<script>x()</script>"),
        ("pii", "ipv4", "8.8.8.8"),
        ("profanity", "profanity", "fuck"),
        ("pii", "ipv4", "10.0.0.1"),
        ("profanity", "profanity", "shit"),
    ]


def test_non_ascii_offsets_are_characters() -> None:
    text = "Ünïcödé — 😀 contact: bob@example.com ✓ ip 8.8.4.4"
    result = get_sanitizer().sanitize(text)
    assert slices(text, result.issues) == [("pii", "email", "bob@example.com"), ("pii", "ipv4", "8.8.4.4")]
    assert result.text == "Ünïcödé — 😀 contact: [EMAIL] ✓ ip [IP_ADDRESS]"


def test_nested_removal_maps_to_the_whole_original_region() -> None:
    text = "a <scr<script></script>ipt>alert(1)</script> b"
    result = get_sanitizer().sanitize(text)
    assert result.text == "a  b"
    spans = sorted(i.span for i in result.issues)
    inner = text.index("<script></script>")
    assert (inner, inner + len("<script></script>")) in spans
    assert (2, len(text) - 2) in spans  # the second pass removed what the first pass joined


def test_fail_closed_after_max_passes() -> None:
    # Each layer only becomes a script element once the one inside it is removed, so
    # peeling it takes one pass per layer; more layers than passes must still fail closed.
    payload = "<script></script>"
    for _ in range(MAX_PASSES + 1):
        payload = "<scr" + payload + "ipt></script>"
    text = "<scr" + payload + "ipt>alert(1)</script>"
    result = get_sanitizer().sanitize(text)
    assert "<script" not in result.text.lower()
    assert get_sanitizer().find(result.text) == []
    assert any(i.kind == "markup_escaped" for i in result.issues)


# -- order --------------------------------------------------------------------------------


def test_fixed_order_regardless_of_requested_order() -> None:
    assert build_sanitizer(["profanity", "pii", "xss", "secret"]).kinds == (
        "html",
        "secrets",
        "pii",
        "profanity",
    )
    assert build_sanitizer().kinds == KINDS


def test_secrets_before_pii() -> None:
    # A card-shaped credential is one secret, not a card; a key with a phone-like digit
    # run is replaced whole instead of leaking half of it around a [PHONE].
    text = "api_key=4111111111111111 and token: 'pw:555-123-4567'"
    result = get_sanitizer().sanitize(text)
    assert [i.threat_type for i in result.issues] == [ThreatType.SECRET, ThreatType.SECRET]
    assert "4111" not in result.text and "555" not in result.text
    only_pii = build_sanitizer(["pii"]).sanitize(text)
    assert {i.kind for i in only_pii.issues} == {"card", "phone"}


@pytest.mark.parametrize("url", ["http://198.51.100.23/admin", "http://[2001:db8::7]:8080/admin"])
def test_urls_before_pii(url: str) -> None:
    text = f"open {url} now"
    result = get_sanitizer().sanitize(text)
    assert slices(text, result.issues) == [("suspicious_url", "ip_host", url)]


def test_html_before_urls() -> None:
    text = '<a href="javascript:alert(1)">x</a>'
    result = get_sanitizer().sanitize(text)
    assert [i.threat_type for i in result.issues] == [ThreatType.XSS]
    assert result.text == "<a>x</a>"


def test_secrets_before_urls() -> None:
    text = f"GET https://api.example.com/v1/items?api_key={KEY}&page=2"
    result = get_sanitizer().sanitize(text)
    assert result.text == "GET https://api.example.com/v1/items?api_key=[SECRET]&page=2"


# -- behaviour --------------------------------------------------------------------------------


def test_find_matches_sanitize_issues() -> None:
    answer = "Sure! Email jane@example.org, card 5500 0000 0000 0004, key " + KEY
    sanitizer = get_sanitizer()
    assert sanitizer.find(answer) == sanitizer.sanitize(answer).issues
    assert {i.threat_type for i in sanitizer.find(answer)} == {ThreatType.PII, ThreatType.SECRET}


def test_idempotent_on_a_mixed_text() -> None:
    text = (
        "<img src=x onerror=alert(1)>x' UNION SELECT NULL,NULL-- a@b.co 4111-1111-1111-1111 "
        "https://u:p@1.2.3.4/ javascript:void(0) password=Pa55word! f*ck <!--<script>-->"
    )
    once = get_sanitizer().sanitize(text)
    twice = get_sanitizer().sanitize(once.text)
    assert once.issues and twice.issues == []
    assert twice.text == once.text


def test_clean_text_unchanged_and_same_object_semantics() -> None:
    text = "What is the capital of France? Please answer in one word."
    result = get_sanitizer().sanitize(text)
    assert result.text == text and result.issues == [] and not result.changed


def test_empty_and_non_string_input() -> None:
    assert get_sanitizer().sanitize("").text == ""
    with pytest.raises(InputError) as err:
        get_sanitizer().sanitize(None)  # type: ignore[arg-type]
    assert err.value.code.value == "validation_failed"


def test_lone_surrogates_do_not_break_offsets() -> None:
    text = "\ud800 mail a@b.com \udfff"
    result = get_sanitizer().sanitize(text)
    assert slices(text, result.issues) == [("pii", "email", "a@b.com")]
    assert len(result.text) == len("\ufffd mail [EMAIL] \ufffd")


def test_subset_only_runs_chosen_strategies() -> None:
    text = "<script>x</script> a@b.com"
    assert build_sanitizer(["pii"]).sanitize(text).text == "<script>x</script> [EMAIL]"
    assert build_sanitizer(["xss"]).sanitize(text).text == " a@b.com"
    assert build_sanitizer([]).sanitize(text).text == text


@pytest.mark.parametrize("bad", ["nope", "PII;drop", "html5"])
def test_unknown_kind_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_sanitizer(["pii", bad])
    assert err.value.code.value == "config_invalid"
    assert "expected one of" in err.value.message


def test_url_allowlist_passed_through() -> None:
    sanitizer = build_sanitizer(url_allowlist=["example.com"])
    assert sanitizer.sanitize("https://u:p@example.com/x").issues == []
    assert get_sanitizer().sanitize("https://u:p@example.com/x").issues != []


def test_default_is_lazy_singleton_and_replaceable() -> None:
    default = get_sanitizer()
    assert get_sanitizer() is default
    custom = Sanitizer([])
    try:
        set_sanitizer(custom)
        assert get_sanitizer() is custom
    finally:
        set_sanitizer(None)
    assert get_sanitizer() is not custom
    assert sanitize_pkg.get_sanitizer().kinds == KINDS
