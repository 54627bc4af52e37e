"""Property tests: arbitrary and adversarial text never raises, spans are sane, output is clean."""

from __future__ import annotations

import itertools
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.findings import ThreatType
from shared.sanitize import get_sanitizer
from shared.sanitize.base import apply_issues
from shared.sanitize.pii import luhn_valid

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Pieces every strategy reacts to, so random concatenations hit overlaps and joins.
FRAGMENTS = [
    "<script>", "</script>", "<scr", "ipt>", "<img src=x onerror=alert(1)>", "<a href='javascript:x'>",
    "<!--", "-->", "<b>", "<", ">", "'", '"', "' OR '1'='1", "; DROP TABLE t--", " UNION SELECT NULL--",
    "--", "#", "/*", "admin'", "a@b.com", "x.y@example.org", "4111 1111 1111 1111", "+44 20 7946 0958",
    "555-123-4567", "10.0.0.1", "2001:db8::1", "DE89 3704 0044 0532 0130 00", "123-45-6789",
    "http://", "https://", "1.2.3.4", "bit.ly/x", "javascript:alert(1)", "data:text/html,x",
    "password=", "hunter2", "sk-", "AKIA", "eyJ", "fuck", "sh1t", "f*ck", "[SECRET]", "[EMAIL]",
    " ", "\n", "\t", "=", ";", ":", "/", "@", ".", "-", "0", "9", "é", "😀", "\u200b",
]  # fmt: skip

adversarial = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=30).map("".join)
arbitrary = st.text(max_size=400)


def _check_result(text: str) -> None:
    sanitizer = get_sanitizer()
    result = sanitizer.sanitize(text)
    spans = [i.span for i in result.issues]
    assert spans == sorted(spans)
    for start, end in spans:
        assert 0 <= start < end <= len(text)
    # Idempotent: sanitizing the output finds nothing and changes nothing.
    again = sanitizer.sanitize(result.text)
    assert again.issues == []
    assert again.text == result.text
    # When no two issues overlap, replaying them on the original gives the output.
    disjoint = all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    if disjoint:
        assert apply_issues(text, result.issues) == result.text


@SETTINGS
@given(arbitrary)
def test_arbitrary_text(text: str) -> None:
    _check_result(text)


@SETTINGS
@given(adversarial)
def test_adversarial_concatenations(text: str) -> None:
    _check_result(text)


# -- planted sensitive values never survive -------------------------------------------------

WORDS = ["the", "quick", "report", "is", "due", "Monday", "please", "send", "it", "to", "me", "and", "thanks"]
ALNUM = string.ascii_letters + string.digits


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    body = "4" + "".join(draw(st.lists(st.sampled_from(string.digits), min_size=14, max_size=14)))
    check = next(d for d in string.digits if luhn_valid(body + d))
    digits = body + check
    if draw(st.booleans()):
        return " ".join(digits[i : i + 4] for i in range(0, 16, 4))
    return digits


emails = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12).filter(lambda s: s[0].isalnum()),
    st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=10),
    st.sampled_from(["com", "org", "io", "co.uk", "de"]),
)
api_keys = st.builds(
    lambda prefix, body: prefix + body + "9Zq",
    st.sampled_from(["sk-", "sk-proj-", "ghp_"]),
    st.text(alphabet=ALNUM, min_size=37, max_size=44),
)
sensitive = st.one_of(
    card_numbers().map(lambda v: ("card", v)),
    emails.map(lambda v: ("email", v)),
    api_keys.map(lambda v: ("key", v)),
)
documents = st.lists(st.one_of(st.sampled_from(WORDS).map(lambda w: ("word", w)), sensitive), min_size=1, max_size=25)


@SETTINGS
@given(documents)
def test_planted_values_are_found_at_their_spans_and_removed(parts: list[tuple[str, str]]) -> None:
    text = ""
    planted: list[tuple[int, int, str]] = []
    for kind, value in parts:
        if text:
            text += " "
        if kind != "word":
            planted.append((len(text), len(text) + len(value), value))
        text += value
    result = get_sanitizer().sanitize(text)
    spans = {i.span: i for i in result.issues}
    for start, end, value in planted:
        assert (start, end) in spans, (value, result.issues)
        assert spans[(start, end)].threat_type in (ThreatType.PII, ThreatType.SECRET)
        assert value not in result.text
    digits_left = "".join(ch for ch in result.text if ch.isdigit())
    for _, _, value in planted:
        if value.replace(" ", "").isdigit():
            assert value.replace(" ", "") not in digits_left
