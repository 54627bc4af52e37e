"""HTML/XSS strategy: nh3 removes what can run, harmless text and tags stay byte-for-byte."""

from __future__ import annotations

import pytest

from shared.findings import ThreatType
from shared.sanitize.html import HtmlStrategy

HTML = HtmlStrategy()


def clean(text: str) -> str:
    return HTML.sanitize(text).text


def kinds(text: str) -> list[str]:
    return [i.kind for i in HTML.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi <script>alert(1)</script> there", "hi  there"),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok", "ok"),
        ("<style>body{background:url(//evil/x)}</style>text", "text"),
        ('<img src="x" onerror="alert(1)">', '<img src="x">'),
        ("<img src=x onerror=alert(1)//>", '<img src="x">'),
        ('<a href="javascript:alert(1)">click</a>', "<a>click</a>"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="&#106;avascript:alert(1)">x</a>', "<a>x</a>"),  # entity-encoded scheme
        ('<a href=" java\tscript:alert(1)">x</a>', "<a>x</a>"),  # browsers drop tabs in URLs
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "<a>x</a>"),
        ('<img src="vbscript:msgbox(1)">', "<img>"),
        ('<iframe src="https://evil.example"></iframe>after', "</iframe>after"),
        ("<svg/onload=alert(1)>", ""),
        ('<body onload="alert(1)">', ""),
        ('<td onmouseover="alert(1)">cell', "cell"),  # table tag outside a table: still judged
        ('<xss onclick="alert(1)">custom', "custom"),  # unknown tag with a handler
        ('<div style="width: expression(alert(1))">x</div>', "<div>x</div>"),
        ("<div style=\"xss:expr/*c*/ession(alert('XSS'))\">x</div>", "<div>x</div>"),
        ('<p title="</noscript><img src=x onerror=alert(1)>">x</p>', "<p>x</p>"),  # markup inside a value
        ("<!--[if gte IE 4]><script>alert(1)</script><![endif]-->rest", "rest"),
        ("<IMG SRC=\"javascript:alert('XSS')\"", "<img>"),  # unterminated tag
    ],
)
def test_removes_what_can_run(text: str, expected: str) -> None:
    result = HTML.sanitize(text)
    assert result.text == expected
    assert result.issues and all(i.threat_type is ThreatType.XSS for i in result.issues)


@pytest.mark.parametrize(
    "text",
    [
        "Use <b>bold</b> and <i>italics</i>, <br/> and <p class='note'>paragraphs</p>.",
        '<a href="https://example.com/docs?x=1&y=2" title="Docs">docs</a>',
        '<img src="/static/logo.png" alt="logo" width="20">',
        "if a < b && c > d then print('<ok>')",
        "AT&T &amp; friends, 3 < 4",
        "<!-- a plain comment --> and text",
        "<custom-element>text</custom-element>",
        "generic List<String> and Map<K, V>",
        "how do I escape <script> tags in Django?",
        "Is the </script> closing tag required?",
        "What does <iframe> do, and what about <svg>?",
        "x <b once more",  # a value-less attribute named on* is not a handler
    ],
)
def test_leaves_harmless_text_alone(text: str) -> None:
    assert HTML.find(text) == []
    assert clean(text) == text


def test_django_question_decision() -> None:
    # Decision: a bare <script> mention with no closing tag and no code after it is prose.
    question = "how do I escape <script> tags in Django templates? autoescape is on"
    assert clean(question) == question
    # ...but once a closing tag follows, it is a live element and goes.
    live = "how do I escape <script>alert(1)</script> in Django?"
    assert clean(live) == "how do I escape  in Django?"


def test_unclosed_script_with_code_is_removed_to_end_of_line() -> None:
    text = "first <script>alert(document.cookie)\nsecond line"
    assert kinds(text) == ["unclosed_script"]
    assert clean(text) == "first \nsecond line"


def test_live_bare_dangerous_element() -> None:
    text = "<noscript><p title=x>hi</p></noscript>"
    assert kinds(text) == ["dangerous_tag"]
    assert clean(text) == "<p title=x>hi</p></noscript>"


def test_spans_cover_only_the_changed_markup() -> None:
    text = "keep this <img src=x onerror=alert(1)> and this <b>too</b>"
    [issue] = HTML.find(text)
    assert text[issue.span[0] : issue.span[1]] == "<img src=x onerror=alert(1)>"
    assert issue.replacement == '<img src="x">'


def test_only_reports_when_something_was_removed() -> None:
    # nh3 would rewrite these (quotes, attribute order, closing tags) but removes nothing.
    for text in ["<b class=x>hi</b>", "<a href=/rel>r</a>", "<img src='a.png' alt=x>", "<div id=main>"]:
        assert HTML.find(text) == []


def test_idempotent() -> None:
    text = '<p onclick="x()">a</p><script>b</script><a href="javascript:c">d</a>'
    once = clean(text)
    assert HTML.find(once) == []
    assert clean(once) == once


def test_no_markup_fast_path() -> None:
    assert HTML.find("plain text with no angle brackets at all") == []
